"""Report requests (period, bucket, dimension, filters) and responses, as marshmallow schemas (also the OpenAPI doc)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.calls.schemas import LocalDateOrInstant
from caseapp.ids import Id
from caseapp.reference import Channel, Direction, Substance
from caseapp.reports.params import DEFAULT_DAYS, MAX_BUCKETS, MAX_DAYS, Bucket, Dimension, Filters, Period
from caseapp.schemas import InputDate, LabelledEnum
from caseapp.timeutil import now_utc, to_local

_DATE_OR_INSTANT = "A local date (Europe/London midnight) or an RFC 3339 instant."


class ReportQuery(ma.Schema):
    """GET parameters every report takes. Loads into {"period": Period, "filters": Filters, ...}."""

    from_ = LocalDateOrInstant(
        data_key="from", load_default=None, metadata={"description": f"{_DATE_OR_INSTANT} Default: 7 days before `to`."}
    )
    to = LocalDateOrInstant(
        load_default=None, metadata={"description": f"{_DATE_OR_INSTANT} Exclusive. Default: the end of today."}
    )
    advisor = Id(load_default=None, metadata={"description": "A user id."})
    channel = LabelledEnum(Channel, load_default=None)
    substance = LabelledEnum(Substance, load_default=None, metadata={"description": "Of the case's assessment."})
    direction = LabelledEnum(Direction, load_default=None)

    @ma.validates_schema
    def _sane_period(self, data: dict[str, Any], **_: Any) -> None:
        period = Period.around(data.get("from_"), data.get("to"))
        if period.end <= period.start:
            raise ma.ValidationError("`to` must be after `from`.", "to")
        if period.end - period.start > timedelta(days=MAX_DAYS):
            raise ma.ValidationError(f"Ask for at most {MAX_DAYS} days at a time.", "from")

    @ma.post_load
    def _build(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["period"] = Period.around(data.pop("from_"), data.pop("to"))
        data["filters"] = Filters(
            advisor_id=data.pop("advisor"),
            channel=data.pop("channel"),
            substance=data.pop("substance"),
            direction=data.pop("direction"),
        )
        return data


def _one_of(enum: Any) -> validate.OneOf:
    return validate.OneOf([member.value for member in enum])


class VolumeQuery(ReportQuery):
    bucket = fields.String(load_default=Bucket.DAY.value, validate=_one_of(Bucket), metadata={"enum": list(Bucket)})
    by = fields.String(load_default=None, validate=_one_of(Dimension), metadata={"enum": list(Dimension)})
    previous = fields.Boolean(load_default=True, metadata={"description": "Include the period before, as long."})

    @ma.validates_schema
    def _not_too_many_buckets(self, data: dict[str, Any], **_: Any) -> None:
        period = Period.around(data.get("from_"), data.get("to"))
        if period.end > period.start and period.bucket_count(Bucket(data["bucket"])) > MAX_BUCKETS:
            raise ma.ValidationError("Too many buckets: choose a shorter period or a bigger bucket.", "bucket")

    @ma.post_load
    def _enums(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["bucket"] = Bucket(data["bucket"])
        data["by"] = Dimension(data["by"]) if data["by"] else None
        return data


class BreakdownQuery(ReportQuery):
    by = fields.String(required=True, validate=_one_of(Dimension), metadata={"enum": list(Dimension)})

    @ma.post_load
    def _enums(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["by"] = Dimension(data["by"])
        return data


class CsvOptions(ma.Schema):
    suppress = fields.Boolean(
        load_default=False,
        metadata={"description": "Replace counts from 1 to REPORT_SUPPRESS_BELOW - 1 with `<N` (for sharing)."},
    )


class VolumeCsvQuery(VolumeQuery, CsvOptions):
    pass


class BreakdownCsvQuery(BreakdownQuery, CsvOptions):
    pass


class ReportCsvQuery(ReportQuery, CsvOptions):
    pass


class CallbacksCsvQuery(ReportQuery, CsvOptions):
    by = fields.String(load_default="day", validate=validate.OneOf(["day", "advisor"]))


# --- responses -------------------------------------------------------------------------------------------------------

_INSTANT = {"format": "date-time"}


class _PeriodSchema(ma.Schema):
    timezone = fields.String(required=True, metadata={"example": "Europe/London"})
    from_ = fields.String(data_key="from", attribute="from", required=True, metadata=_INSTANT)
    to = fields.String(required=True, metadata={**_INSTANT, "description": "Exclusive."})


class VolumeRowSchema(ma.Schema):
    start = fields.String(required=True, metadata={**_INSTANT, "description": "Local start of the bucket."})
    key = fields.Raw(required=True, allow_none=True, metadata={"description": "The `by` value; null without `by`."})
    calls = fields.Integer(required=True)


class PreviousPeriodSchema(ma.Schema):
    from_ = fields.String(data_key="from", attribute="from", required=True, metadata=_INSTANT)
    to = fields.String(required=True, metadata=_INSTANT)
    rows = fields.List(fields.Nested(VolumeRowSchema), required=True)


class VolumeReportSchema(_PeriodSchema):
    bucket = fields.String(required=True)
    by = fields.String(required=True, allow_none=True)
    rows = fields.List(fields.Nested(VolumeRowSchema), required=True)
    previous = fields.Nested(PreviousPeriodSchema, required=True, allow_none=True)


class HeatmapCellSchema(ma.Schema):
    weekday = fields.Integer(required=True, metadata={"description": "1 = Monday .. 7 = Sunday (local)."})
    hour = fields.Integer(required=True, metadata={"description": "Local wall-clock hour, 0-23."})
    calls = fields.Integer(required=True)


class HeatmapReportSchema(_PeriodSchema):
    rows = fields.List(fields.Nested(HeatmapCellSchema), required=True)


class BreakdownRowSchema(ma.Schema):
    key = fields.Raw(required=True, allow_none=True)
    calls = fields.Integer(required=True)
    talk_seconds = fields.Integer(required=True)
    assessments = fields.Integer(metadata={"description": "by=advisor only: first assessments recorded."})


class BreakdownReportSchema(_PeriodSchema):
    by = fields.String(required=True)
    rows = fields.List(fields.Nested(BreakdownRowSchema), required=True)


class FunnelStepSchema(ma.Schema):
    step = fields.String(required=True)
    label = fields.String(required=True)
    cases = fields.Integer(required=True)
    conversion = fields.Float(required=True, allow_none=True, metadata={"description": "Of the step before."})
    of_first_calls = fields.Float(required=True, allow_none=True)


class FunnelReportSchema(_PeriodSchema):
    steps = fields.List(fields.Nested(FunnelStepSchema), required=True)


class CallbackCountsSchema(ma.Schema):
    booked = fields.Integer(required=True)
    completed_on_time = fields.Integer(required=True)
    completed_late = fields.Integer(required=True)
    missed = fields.Integer(required=True)
    unreachable = fields.Integer(required=True)
    cancelled = fields.Integer(required=True)
    open = fields.Integer(required=True)
    on_time_rate = fields.Float(required=True, allow_none=True)
    lateness_median_seconds = fields.Integer(required=True, allow_none=True)
    lateness_p90_seconds = fields.Integer(required=True, allow_none=True)


class CallbackRowSchema(CallbackCountsSchema):
    key = fields.Raw(required=True, allow_none=True)


class CallbacksReportSchema(_PeriodSchema):
    totals = fields.Nested(CallbackCountsSchema, required=True)
    by_advisor = fields.List(fields.Nested(CallbackRowSchema), required=True)
    by_day = fields.List(fields.Nested(CallbackRowSchema), required=True)


class TodaySchema(ma.Schema):
    timezone = fields.String(required=True)
    date = fields.String(required=True, metadata={"format": "date"})
    as_of = fields.String(required=True, metadata=_INSTANT)
    calls = fields.Integer(required=True)
    on_shift = fields.Integer(required=True)
    callbacks_due_next_hour = fields.Integer(required=True)
    callbacks_overdue = fields.Integer(required=True)


class DaysQuery(ma.Schema):
    """A report page's period: whole local days, `to` the last day shown (included)."""

    from_ = InputDate(data_key="from", load_default=None)
    to = InputDate(load_default=None, metadata={"description": "The last day, included."})

    @ma.pre_load
    def _blank_is_missing(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {key: value for key, value in data.items() if value not in ("", None)}

    @ma.validates_schema
    def _sane(self, data: dict[str, Any], **_: Any) -> None:
        first, last = dashboard_days(data.get("from_"), data.get("to"))
        if last < first:
            raise ma.ValidationError("The last day must not be before the first.", "to")
        if (last - first).days >= MAX_DAYS:
            raise ma.ValidationError(f"Choose at most {MAX_DAYS} days.", "from")


class DashboardQuery(DaysQuery):
    """The dashboard's form: whole local days (`to` is the last day shown, included), bucket, split and filters."""

    bucket = fields.String(load_default=Bucket.DAY.value, validate=_one_of(Bucket))
    by = fields.String(load_default=None, validate=validate.OneOf(["", *(d.value for d in Dimension)]))
    advisor = Id(load_default=None)
    channel = LabelledEnum(Channel, load_default=None)
    substance = LabelledEnum(Substance, load_default=None)
    direction = LabelledEnum(Direction, load_default=None)


def dashboard_days(first: date | None, last: date | None) -> tuple[date, date]:
    """The dashboard's first and last local day: by default the DEFAULT_DAYS days up to today (or up to `last`)."""
    last = last or to_local(now_utc()).date()
    return first or last - timedelta(days=DEFAULT_DAYS - 1), last


class HarmReductionQuery(ma.Schema):
    from_ = LocalDateOrInstant(
        data_key="from", load_default=None, metadata={"description": f"{_DATE_OR_INSTANT} Default: 7 days before `to`."}
    )
    to = LocalDateOrInstant(
        load_default=None, metadata={"description": f"{_DATE_OR_INSTANT} Exclusive. Default: the end of today."}
    )

    @ma.validates_schema
    def _sane_period(self, data: dict[str, Any], **_: Any) -> None:
        period = Period.around(data.get("from_"), data.get("to"))
        if period.end <= period.start:
            raise ma.ValidationError("`to` must be after `from`.", "to")
        if period.end - period.start > timedelta(days=MAX_DAYS):
            raise ma.ValidationError(f"Ask for at most {MAX_DAYS} days at a time.", "from")

    @ma.post_load
    def _build(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {"period": Period.around(data.pop("from_"), data.pop("to"))}


class HarmReductionRuleRowSchema(ma.Schema):
    rule_code = fields.String(required=True)
    title = fields.String(required=True)
    given = fields.Integer(required=True)
    declined = fields.Integer(required=True)
    not_relevant = fields.Integer(required=True)
    total = fields.Integer(required=True)


class HarmReductionDayRowSchema(ma.Schema):
    day = fields.String(required=True, metadata={"format": "date", "description": "Europe/London date."})
    rule_code = fields.String(required=True)
    response = fields.String(required=True)
    count = fields.Integer(required=True)


class HarmReductionReportSchema(_PeriodSchema):
    rules = fields.List(fields.Nested(HarmReductionRuleRowSchema), required=True)
    days = fields.List(fields.Nested(HarmReductionDayRowSchema), required=True)


# --- the screening reports -------------------------------------------------------------------------------------------

SCREENING_BUCKETS = (Bucket.DAY, Bucket.WEEK, Bucket.MONTH)


class ScreeningsReportQuery(HarmReductionQuery):
    bucket = fields.String(
        load_default=Bucket.DAY.value,
        validate=validate.OneOf([b.value for b in SCREENING_BUCKETS]),
        metadata={"enum": [b.value for b in SCREENING_BUCKETS], "description": "Europe/London day, week or month."},
    )

    @ma.post_load
    def _build(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {"period": Period.around(data.pop("from_"), data.pop("to")), "bucket": Bucket(data["bucket"])}


class ScreeningsReportCsvQuery(ScreeningsReportQuery, CsvOptions):
    @ma.post_load
    def _build(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {
            "period": Period.around(data.pop("from_"), data.pop("to")),
            "bucket": Bucket(data["bucket"]),
            "suppress": data["suppress"],
        }


class ScreeningsRowSchema(ma.Schema):
    start = fields.String(required=True, metadata={**_INSTANT, "description": "Local start of the bucket."})
    instrument = fields.String(required=True)
    band = fields.String(required=True)
    count = fields.Integer(required=True)


class ScreeningsReportSchema(_PeriodSchema):
    bucket = fields.String(required=True)
    rows = fields.List(fields.Nested(ScreeningsRowSchema), required=True)


class PathwayRowSchema(ma.Schema):
    suggested = fields.String(required=True, metadata={"description": "A pathway, or `none` (no suggestion)."})
    counts = fields.Dict(
        keys=fields.String(), values=fields.Integer(), required=True, metadata={"description": "Per chosen pathway."}
    )
    total = fields.Integer(required=True)


class PathwaysReportSchema(_PeriodSchema):
    pathways = fields.List(fields.String(), required=True)
    rows = fields.List(fields.Nested(PathwayRowSchema), required=True)
    assessments = fields.Integer(required=True)
    with_suggestion = fields.Integer(required=True)
    followed = fields.Integer(required=True)
    share_followed = fields.Float(
        required=True, allow_none=True, metadata={"description": "followed / with_suggestion; null when none."}
    )


# --- the telephony report --------------------------------------------------------------------------------------------

TELEPHONY_TABLES = ("day", "hour", "callback")


class TelephonyCsvQuery(HarmReductionQuery, CsvOptions):
    by = fields.String(
        load_default="day",
        validate=validate.OneOf(TELEPHONY_TABLES),
        metadata={
            "enum": list(TELEPHONY_TABLES),
            "description": "Which table: per Europe/London day, per hour of the day, or missed calls by callback.",
        },
    )

    @ma.post_load
    def _build(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {
            "period": Period.around(data.pop("from_"), data.pop("to")),
            "by": data["by"],
            "suppress": data["suppress"],
        }


_SHARE = {"description": "Of the answered calls; null when none were answered."}


class TelephonyCountsSchema(ma.Schema):
    offered = fields.Integer(required=True, metadata={"description": "Calls the phone system offered."})
    answered = fields.Integer(required=True)
    answered_within_20s = fields.Integer(required=True, metadata={"description": "answered_at - offered_at <= 20 s."})
    answered_within_20s_share = fields.Float(required=True, allow_none=True, metadata=_SHARE)
    logged = fields.Integer(required=True, metadata={"description": "Answered calls with a call log saved from them."})
    logged_share = fields.Float(required=True, allow_none=True, metadata=_SHARE)
    missed = fields.Integer(required=True, metadata={"description": "Not answered: missed or voicemail."})
    voicemail = fields.Integer(required=True, metadata={"description": "Of the missed, those that went to voicemail."})
    ringing = fields.Integer(required=True, metadata={"description": "Offered with no outcome yet."})
    abandonment_rate = fields.Float(
        required=True, allow_none=True, metadata={"description": "missed / offered; null when none were offered."}
    )


class TelephonyDaySchema(TelephonyCountsSchema):
    day = fields.String(required=True, metadata={"format": "date", "description": "Europe/London date."})


class TelephonyHourSchema(ma.Schema):
    hour = fields.Integer(required=True, metadata={"description": "Europe/London hour of the day offered, 0-23."})
    offered = fields.Integer(required=True)
    answered = fields.Integer(required=True)
    missed = fields.Integer(required=True, metadata={"description": "Missed or voicemail."})
    voicemail = fields.Integer(required=True)
    abandonment_rate = fields.Float(required=True, allow_none=True, metadata={"description": "missed / offered."})


class TelephonyCallbackLineSchema(ma.Schema):
    outcome = fields.String(
        required=True,
        metadata={
            "enum": ["within_1_hour", "within_4_hours", "later", "never", "waiting", "withheld", "no_callback"],
            "description": "How the missed call's callback went; every missed call is on exactly one line.",
        },
    )
    label = fields.String(required=True)
    missed_calls = fields.Integer(required=True)


class TelephonyReportSchema(_PeriodSchema):
    answer_target_seconds = fields.Integer(required=True, metadata={"example": 20})
    totals = fields.Nested(TelephonyCountsSchema, required=True)
    days = fields.List(fields.Nested(TelephonyDaySchema), required=True)
    hours = fields.List(fields.Nested(TelephonyHourSchema), required=True)
    callbacks = fields.List(fields.Nested(TelephonyCallbackLineSchema), required=True)
