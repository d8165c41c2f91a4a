"""marshmallow fields shared by every feature's schemas."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from marshmallow import ValidationError, fields

from caseapp.reference import Labelled
from caseapp.timeutil import now_utc, to_local

#: no record of the helpline is older; earlier input is a typo (and far-off years have odd historical offsets)
EARLIEST_INPUT = datetime(2000, 1, 1, tzinfo=UTC)
#: how far ahead any input may be (a callback, a report period)
LATEST_INPUT_AHEAD = timedelta(days=2 * 365)
OUT_OF_WINDOW = "Give a time from 1 January 2000 up to two years from now."


def check_input_window(moment: datetime) -> None:
    """Refuse an aware instant before EARLIEST_INPUT or more than LATEST_INPUT_AHEAD from now."""
    if not EARLIEST_INPUT <= moment <= now_utc() + LATEST_INPUT_AHEAD:
        raise ValidationError(OUT_OF_WINDOW)


def check_input_day(day: date) -> None:
    """The same window for a calendar date."""
    if not EARLIEST_INPUT.date() <= day <= (now_utc() + LATEST_INPUT_AHEAD).date():
        raise ValidationError("Give a date from 1 January 2000 up to two years from now.")


class AwareDateTime(fields.DateTime):
    """RFC 3339 with an offset in and out; shown in Europe/London, naive input refused."""

    default_error_messages = {  # noqa: RUF012
        "invalid": "Enter a date and time with its offset (RFC 3339), e.g. 2026-11-25T19:00:00+00:00.",
        "naive": "Give the time with its offset or Z, e.g. 2026-11-25T19:00:00+00:00.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        result = super()._deserialize(value, attr, data, **kwargs)
        if result.tzinfo is None or result.utcoffset() is None:
            raise self.make_error("naive")
        check_input_window(result)
        return result.astimezone(UTC)

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else to_local(value).isoformat()


class InputDate(fields.Date):
    """A calendar date (YYYY-MM-DD) inside the input window."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        check_input_day(day)
        return day


class WholeNumber(fields.Integer):
    """An integer in a request: 1.5 is refused where marshmallow's Integer would read it as 1 (a JSON 2 or 2.0, or a
    form's "2", still reads as 2). Its document entry is `integer`, like Integer's."""

    def _validated(self, value: Any) -> int:
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        result: int = super()._validated(value)
        return result


class LabelledEnum(fields.Field):
    """A reference-list value in, the enum member out; the error lists what is allowed."""

    def __init__(self, enum: type[Labelled], **kwargs: Any) -> None:
        self.enum = enum
        metadata = {"enum": [m.value for m in enum], "type": "string"}
        super().__init__(metadata={**metadata, **kwargs.pop("metadata", {})}, **kwargs)
        if self.allow_none:
            # OpenAPI 3.0.3: with `nullable`, null is valid only when the enum lists it too
            self.metadata = {**self.metadata, "enum": [*self.metadata["enum"], None]}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Labelled:
        try:
            return self.enum(value)
        except ValueError as exc:
            allowed = ", ".join(m.value for m in self.enum)
            raise ValidationError(f"Choose one of: {allowed}.") from exc

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value.value if isinstance(value, Labelled) else value)


class JsonBoolean(fields.Boolean):
    """A boolean in a JSON body: true or false only (marshmallow's Boolean also takes 1, 0, "yes", "off" …, which
    the API document does not allow). Query strings keep fields.Boolean ("?open=true")."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value
