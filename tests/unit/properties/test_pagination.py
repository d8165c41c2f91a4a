"""Properties of pagination cursors: what encode_cursor writes decode_cursor reads back exactly, and no string (a
forged, truncated or random cursor) makes decode_cursor fail with anything but a ValidationError (a 422)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from caseapp.errors import ValidationError
from caseapp.pagination import BAD_CURSOR, decode_cursor, encode_cursor

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
#: what the keys of our lists are: database timestamps (aware UTC) and ids; other offsets round trip too
aware = st.one_of(
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(
        timezones=st.builds(timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23)))
    ),
)
KEY_VALUES: dict[type, st.SearchStrategy[Any]] = {datetime: aware, int: INT64, str: st.text()}


@st.composite
def keys(draw: st.DrawFn) -> tuple[list[type], tuple[Any, ...]]:
    """The kinds of a cursor's columns and one row's values of them (e.g. [datetime, int], (started_at, id))."""
    kinds = draw(st.lists(st.sampled_from(list(KEY_VALUES)), min_size=1, max_size=4))
    return kinds, tuple(draw(KEY_VALUES[kind]) for kind in kinds)


def as_cursor(value: Any) -> str:
    """A cursor made by hand: any JSON, encoded as our cursors are."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def assert_refused(cursor: str, kinds: list[type]) -> None:
    """decode_cursor refuses the cursor with a ValidationError on `cursor`, or reads values the query can use."""
    decoded: tuple[Any, ...] = ()
    refusal = None
    try:
        decoded = decode_cursor(cursor, kinds)
    except ValidationError as error:
        refusal = error
    if refusal is not None:
        assert refusal.fields == {"cursor": [BAD_CURSOR]}
        return
    assert len(decoded) == len(kinds)
    for value, kind in zip(decoded, kinds, strict=True):
        assert type(value) is kind or (kind is datetime and isinstance(value, datetime))
        if isinstance(value, datetime):
            assert value.utcoffset() is not None
            value.astimezone(UTC)  # an instant with a UTC form (the database compares in UTC)
        if isinstance(value, int):
            assert -(2**63) <= value < 2**63


@given(keys())
@example(([datetime, int], (datetime(2027, 10, 31, 1, 30, tzinfo=UTC), 2**63 - 1)))
@example(([datetime, int], (datetime(2027, 10, 31, 1, 30, 0, 1, tzinfo=timezone(timedelta(hours=1))), -(2**63))))
@example(([str], ("\x00é\U0001f600\"'\\",)))
@example(([datetime], (datetime(2000, 1, 1, tzinfo=timezone(timedelta(microseconds=1))),)))
def test_decode_cursor_reads_back_what_encode_cursor_wrote(key: tuple[list[type], tuple[Any, ...]]) -> None:
    kinds, values = key
    cursor = encode_cursor(values)
    decoded = decode_cursor(cursor, kinds)

    assert decoded == values  # the same instants and ids: the next page starts exactly after the last row shown
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")  # safe in a URL


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12,
)
near_misses = st.one_of(
    # the right shape with values of the wrong kind or out of range
    st.tuples(st.one_of(st.text(), json_values), st.one_of(st.integers(), json_values)).map(list),
    st.tuples(st.datetimes().map(datetime.isoformat), INT64).map(list),  # a naive time
    st.tuples(aware.map(datetime.isoformat), st.integers().filter(lambda n: not -(2**63) <= n < 2**63)).map(list),
    st.tuples(aware.map(datetime.isoformat), INT64).map(list),  # well formed (accepted unless out of range in UTC)
)


@given(st.one_of(st.text(), st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")))
@example("")
@example("=")
@example("\x00")
@example("é")
@example("W10")  # []
@example(as_cursor(["2027-10-31T01:30:00+00:00", 1])[:-3])  # cut short
def test_decode_cursor_refuses_any_string_only_with_a_validation_error(cursor: str) -> None:
    assert_refused(cursor, [datetime, int])


@given(st.one_of(json_values, near_misses).map(as_cursor))
@example(as_cursor(["2027-10-31T01:30:00", 1]))  # naive
@example(as_cursor(["2027-10-31T01:30:00+00:00", True]))  # a bool is not an id
@example(as_cursor(["2027-10-31T01:30:00+00:00", 1.0]))
@example(as_cursor(["2027-10-31T01:30:00+00:00", 2**63]))
@example(as_cursor(["2027-10-31T01:30:00+00:00", "1" * 5000]))
@example(as_cursor(["9999-12-31T23:00:00-05:00", 1]))  # 04:00 UTC in the year 10000
@example(as_cursor(["0001-01-01T00:30:00+01:00", 1]))  # 23:30 UTC in the year 0
@example(base64.urlsafe_b64encode(b"[" * 100_000).decode())  # nested deeper than the JSON parser recurses
@example(base64.urlsafe_b64encode(b'["2027-10-31T01:30:00+00:00", 1e999]').decode())
@example(base64.urlsafe_b64encode(b"\xff\xfe").decode())  # not UTF-8
def test_decode_cursor_refuses_any_forged_cursor_only_with_a_validation_error(cursor: str) -> None:
    assert_refused(cursor, [datetime, int])
