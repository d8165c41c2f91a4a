"""marshmallow's own messages ("Missing data for required field.", "Not a valid integer.") never reach an advisor or
an API client: every one is reworded, and loading any JSON into any input schema answers in plain English."""

from __future__ import annotations

import importlib
import inspect
import string
from typing import Any

import marshmallow as ma
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import fields, validate

from caseapp import api
from caseapp.errors import ValidationError
from caseapp.plain_messages import plain

FEATURES_WITH_API = ("assessments", "callbacks", "callers", "calls", "cases", "notifications", "reminders", "reports")
for _feature in FEATURES_WITH_API:
    importlib.import_module(f"caseapp.{_feature}.api")  # registers their operations in api.OPERATIONS
importlib.import_module("caseapp.shifts.api")

SAMPLE = {"min": 1, "max": 20, "equal": 3, "choices": "a, b", "values": "a", "other": "x", "input": "zz"}
SAMPLE |= {"obj_type": "datetime", "awareness": "aware", "labels": "A, B"}


def _filled(template: str) -> str:
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return template.format(**{name: SAMPLE.get(name, "x") for name in names})


def _validator_templates() -> dict[str, str]:
    found: dict[str, str] = {}
    for name, cls in vars(validate).items():
        if inspect.isclass(cls) and issubclass(cls, validate.Validator):
            for attr, template in vars(cls).items():
                if isinstance(template, str) and "message" in attr and "_op}" not in template:
                    if attr not in ("message_gte", "message_gt", "message_lte", "message_lt"):  # parts of Range's
                        found[template] = f"validate.{name}.{attr}"
    for inclusive in (True, False):  # Range's own messages are put together when it is made
        ranged = validate.Range(1, 20, min_inclusive=inclusive, max_inclusive=inclusive)
        for attr in ("message_min", "message_max", "message_all"):
            template = getattr(ranged, attr).replace("{{", "{").replace("}}", "}")
            found[template] = f"validate.Range.{attr}{'' if inclusive else ' (exclusive)'}"
    return found


def _library_templates() -> dict[str, str]:
    """Every message marshmallow can give while loading: its fields', its schemas' and its validators'."""
    found: dict[str, str] = {}
    for name, cls in vars(fields).items():
        if inspect.isclass(cls) and issubclass(cls, fields.Field):
            for key, template in cls.default_error_messages.items():
                if key != "format":  # only when dumping
                    found[str(template)] = f"fields.{name}.{key}"
    for key, template in ma.Schema._default_error_messages.items():
        found[str(template)] = f"Schema.{key}"
    return found | _validator_templates()


LIBRARY = _library_templates()
#: how each library message begins (the words before its first placeholder): none may start an answer
STEMS = sorted({template.split("{", 1)[0].strip() for template in LIBRARY} - {""}, key=len, reverse=True)


def _is_library_wording(message: str) -> bool:
    return any(message.startswith(stem) for stem in STEMS if len(stem) > 6)


@pytest.mark.parametrize("template", sorted(LIBRARY), ids=lambda t: LIBRARY[t])
def test_every_library_message_is_reworded(template: str) -> None:
    message = _filled(template)

    answer = plain(message)

    assert answer != message
    assert not _is_library_wording(answer), answer
    assert answer.endswith(".")


@pytest.mark.parametrize(
    ("message", "field", "expected"),
    [
        ("Missing data for required field.", fields.String(), "This is required."),
        ("Field may not be null.", fields.Boolean(), "Choose an answer."),
        ("Not a valid integer.", fields.Integer(), "Enter a whole number, e.g. 30."),
        ("Not a valid datetime.", None, "Enter a date and time, e.g. 2026-11-25T19:00:00+00:00."),
        ("Not a valid time.", fields.Time(), "Enter a time, e.g. 19:00."),
        ("Not a valid list.", fields.List(fields.String()), "Give a list."),  # not DateTime's "Not a valid {x}."
        ("Not a valid mapping type.", fields.Dict(), "Give a set of names and values (a JSON object)."),
        ("Longer than maximum length 500.", fields.String(), "Use 500 characters or fewer."),
        ("Longer than maximum length 20.", fields.List(fields.String()), "Choose at most 20."),
        ("Shorter than minimum length 1.", fields.String(), "This cannot be empty."),
        ("Must be greater than or equal to 0 and less than or equal to 720.", None, "Enter a number from 0 to 720."),
        ("Must be greater than or equal to 1.", None, "Enter 1 or more."),
        ("The call cannot end before it started.", None, "The call cannot end before it started."),  # ours: kept
    ],
)
def test_plain_words_for_what_the_field_is(message: str, field: fields.Field | None, expected: str) -> None:
    assert plain(message, field) == expected


def _input_schemas() -> list[type[ma.Schema]]:
    """Every schema that reads a request: each operation's body and query, and the pages' form schemas."""
    from caseapp.callers.schemas import CallerDetailsSchema
    from caseapp.reports.schemas import DashboardQuery

    schemas = {op.body for op in api.OPERATIONS if op.body} | {op.query for op in api.OPERATIONS if op.query}
    schemas |= {CallerDetailsSchema, DashboardQuery}
    return sorted(schemas, key=lambda schema: schema.__name__)


INPUT_SCHEMAS = _input_schemas()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)


def test_input_schemas_are_found() -> None:
    names = {schema.__name__ for schema in INPUT_SCHEMAS}

    assert {"CallCreateSchema", "CallbackCreateSchema", "AssessmentInputSchema", "CasePatchSchema"} <= names


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    schema=st.sampled_from(INPUT_SCHEMAS),
    data=st.data(),
)
def test_loading_any_json_into_any_input_schema_answers_in_plain_english(schema: type[ma.Schema], data: Any) -> None:
    names = [field.data_key or name for name, field in schema().fields.items() if not field.dump_only]
    chosen = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)) if names else st.just([]))
    payload = {name: data.draw(json_values) for name in chosen}
    payload |= data.draw(st.dictionaries(st.text(min_size=1, max_size=8), json_values, max_size=2))

    try:
        api.load(schema, payload)
    except ValidationError as error:
        for key, messages in error.fields.items():
            for message in messages:
                assert not _is_library_wording(message), (schema.__name__, key, message)
