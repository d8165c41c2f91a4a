"""The managers' dashboard at /reports/: charts first (server-side SVG), the numbers in a table under each, CSVs;
and the pages of their own (/reports/telephony, /reports/referrals)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from caseapp import reference
from caseapp.api import load
from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.directory.models import CommercialRelationship
from caseapp.errors import ValidationError
from caseapp.referrals.models import DeclineReason, ReferralStatus
from caseapp.reports import charts, queries, services
from caseapp.reports.clinical import pathways_report, screenings_report
from caseapp.reports.harm_reduction import harm_reduction_report
from caseapp.reports.neutrality import neutrality_report
from caseapp.reports.params import Bucket, Dimension, Filters, Period
from caseapp.reports.referrals import referrals_report
from caseapp.reports.schemas import SCREENING_BUCKETS, DashboardQuery, DaysQuery, dashboard_days
from caseapp.reports.telephony import CALLBACK_SHORT_LABELS, telephony_report
from caseapp.screenings.instruments import INSTRUMENTS, InstrumentCode

bp = Blueprint("reports", __name__, url_prefix="/reports")
guard_blueprint(bp, Role.MANAGER)

#: beyond this many buckets the page shows the table and CSV only (use a bigger bucket to see a chart)
MAX_CHART_BUCKETS = 400
BREAKDOWNS = (Dimension.SUBSTANCE, Dimension.PATHWAY, Dimension.RISK, Dimension.CHANNEL, Dimension.RELATIONSHIP)
BUCKET_LABELS = {Bucket.HOUR: "%a %d %b %H:%M", Bucket.DAY: "%a %d %b", Bucket.WEEK: "w/c %d %b", Bucket.MONTH: "%b %Y"}


def duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}h {rest // 60:02d}m" if hours else f"{rest // 60}m {rest % 60:02d}s"


def _parse() -> tuple[dict[str, Any], dict[str, list[str]]]:
    try:
        return load(DashboardQuery, request.args.to_dict()), {}
    except ValidationError as exc:
        return load(DashboardQuery, {}), exc.fields


def _volume_chart(report: services.VolumeReport, names: dict[Any, str]) -> tuple[charts.Chart | None, list[Any]]:
    totals = report.totals()
    if len(totals) > MAX_CHART_BUCKETS:
        return None, totals
    fmt = BUCKET_LABELS[report.bucket]
    labels = [row["start"].strftime(fmt) for row in totals]
    series = [names.get(key, services.key_label(report.dimension, key)) for key in report.keys]
    stacks = [[row["by_key"][key] for key in report.keys] for row in totals]
    named = [key for key in report.keys if key is not None]
    css = [charts.series_class(named.index(key)) if key is not None else "series-none" for key in report.keys]
    if report.dimension is None:
        css = [charts.series_class(0)]
    chart = charts.columns(labels, stacks, series, [row["previous"] for row in totals], series_css=css)
    return chart, totals


def _screening_totals(period: Period) -> list[tuple[str, str, int]]:
    """(instrument name, band label, count) over the whole period, for the dashboard's table."""
    totals: dict[tuple[str, str], int] = {}
    for row in screenings_report(period, Bucket.MONTH)["rows"]:
        key = (row["instrument"], row["band"])
        totals[key] = totals.get(key, 0) + row["count"]
    out = []
    for (code, band), count in sorted(totals.items()):
        instrument = INSTRUMENTS.get(InstrumentCode(code))
        label = next((b.label for b in instrument.bands if b.code == band), band) if instrument else band
        out.append((instrument.name if instrument else code, label, count))
    return out


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    args, errors = _parse()
    first, last = dashboard_days(args["from_"], args["to"])
    period = Period.of_days(first, last)
    bucket = Bucket(args["bucket"])
    if period.bucket_count(bucket) > 13_000:
        errors.setdefault("bucket", []).append("Too many buckets for this period; showing days.")
        bucket = Bucket.DAY
    dimension = Dimension(args["by"]) if args["by"] else None
    filters = Filters(args["advisor"], args["channel"], args["substance"], args["direction"])

    volume = services.volume(period, bucket, dimension, filters)
    breakdowns = {d: services.breakdown(period, d, filters) for d in BREAKDOWNS}
    advisors = services.breakdown(period, Dimension.ADVISOR, filters)
    names: dict[Any, str] = dict(queries.advisor_names([row["key"] for row in advisors["rows"]]))
    if dimension == Dimension.ADVISOR:
        names.update(queries.advisor_names([key for key in volume.keys if key is not None]))
    volume_chart, volume_rows = _volume_chart(volume, names if dimension == Dimension.ADVISOR else {})
    heatmap = services.heatmap(period, filters)
    grid = [[heatmap["rows"][w * 24 + h]["calls"] for h in range(24)] for w in range(7)]
    funnel = services.funnel(period, filters)
    callbacks = services.callbacks(period, filters)

    api_args = {"from": first.isoformat(), "to": (last + timedelta(days=1)).isoformat(), **filters.as_query()}

    def csv(endpoint: str, **extra: Any) -> dict[str, str]:
        values: dict[str, Any] = {**api_args, **extra}
        return {
            "plain": url_for(f"reports_api.{endpoint}", **values),
            "suppressed": url_for(f"reports_api.{endpoint}", **values, suppress="true"),
        }

    breakdown_views = []
    for d in BREAKDOWNS:
        rows = breakdowns[d]["rows"]
        labels = [services.key_label(d, row["key"]) for row in rows]
        breakdown_views.append(
            {
                "dimension": d,
                "title": services.DIMENSION_TITLES[d],
                "rows": list(zip(labels, rows, strict=True)),
                "chart": charts.bars(labels, [row["calls"] for row in rows]),
                "csv": csv("breakdown_csv", by=d.value),
            }
        )
    advisor_labels = [names.get(row["key"], f"Advisor {row['key']}") for row in advisors["rows"]]
    funnel_labels = [step["label"] for step in funnel["steps"]]
    by_day = callbacks["by_day"]
    return render_template(
        "reports/dashboard.html",
        ref=reference,
        errors=errors,
        first=first,
        last=last,
        bucket=bucket,
        buckets=list(Bucket),
        dimension=dimension,
        dimensions=[(d, services.DIMENSION_TITLES[d]) for d in Dimension],
        filters=filters,
        advisor_choices=queries.list_advisors(),
        strip=services.today(),
        period=period,
        volume=volume,
        volume_chart=volume_chart,
        volume_rows=volume_rows,
        volume_series=[names.get(k, services.key_label(dimension, k)) for k in volume.keys],
        volume_csv=csv("volume_csv", bucket=bucket.value, **({"by": dimension.value} if dimension else {})),
        heatmap_chart=charts.heat(grid, services.WEEKDAYS),
        heatmap_grid=list(zip(services.WEEKDAYS, grid, strict=True)),
        heatmap_csv=csv("heatmap_csv"),
        harm_reduction=harm_reduction_report(period),
        screening_totals=_screening_totals(period),
        screenings_csv=csv("screenings_csv", bucket=(bucket if bucket in SCREENING_BUCKETS else Bucket.DAY).value),
        pathways=pathways_report(period),
        pathway_labels={p.value: p.label for p in reference.Pathway} | {"none": "No suggestion"},
        breakdowns=breakdown_views,
        advisors=list(zip(advisor_labels, advisors["rows"], strict=True)),
        advisor_chart=charts.bars(advisor_labels, [row["calls"] for row in advisors["rows"]]),
        advisor_csv=csv("breakdown_csv", by=Dimension.ADVISOR.value),
        funnel=funnel,
        funnel_chart=charts.bars(funnel_labels, [step["cases"] for step in funnel["steps"]]),
        funnel_csv=csv("funnel_csv"),
        callbacks=callbacks,
        callbacks_chart=charts.columns(
            [date.fromisoformat(row["key"]).strftime("%a %d %b") for row in by_day],
            [[row["completed_on_time"], row["completed_late"], row["missed"] + row["unreachable"]] for row in by_day],
            ["On time", "Late", "Missed or unreachable"],
            height=220,
            series_css=["series-2", "series-1", "series-3"],
        ),
        callback_names=names | dict(queries.advisor_names([r["key"] for r in callbacks["by_advisor"] if r["key"]])),
        callbacks_csv=csv("callbacks_csv", by="day"),
        callbacks_advisor_csv=csv("callbacks_csv", by="advisor"),
        telephony=telephony_report(period)["totals"],
        telephony_url=url_for("reports.telephony", **_days_args(first, last)),
        referrals_url=url_for("reports.referrals", **_days_args(first, last)),
        duration=duration,
        bucket_format=BUCKET_LABELS[bucket],
    )


def _days_args(first: date, last: date) -> dict[str, Any]:
    """A page's period as query-string arguments (the first and last day shown)."""
    return {"from": first.isoformat(), "to": last.isoformat()}


def _telephony_charts(report: dict[str, Any]) -> tuple[charts.Chart, charts.Chart]:
    hours = report["hours"]
    by_hour = charts.columns(
        [f"{row['hour']:02d}" for row in hours],
        [[row["answered"], row["missed"]] for row in hours],
        ["Answered", "Missed (or voicemail)"],
        height=240,
        label_every=2,
        series_css=["series-0", "series-3"],
    )
    lines = report["callbacks"]
    by_callback = charts.bars(
        [CALLBACK_SHORT_LABELS[line["outcome"]] for line in lines], [line["missed_calls"] for line in lines]
    )
    return by_hour, by_callback


def _days_asked() -> tuple[date, date, Period, dict[str, Any]]:
    """The first and last local day the page's `from`/`to` ask for (the default week when a date is not one), the
    period they make, and the messages for the dates refused."""
    try:
        args, errors = load(DaysQuery, {k: v for k, v in request.args.items() if k in ("from", "to")}), {}
    except ValidationError as exc:
        args, errors = load(DaysQuery, {}), exc.fields
    first, last = dashboard_days(args["from_"], args["to"])
    return first, last, Period.of_days(first, last), errors


@bp.get("/telephony")
def telephony() -> ResponseReturnValue:
    """What the phone system offered beside what was logged, per local day and hour, and missed-call callbacks."""
    first, last, period, errors = _days_asked()
    report = telephony_report(period)
    api_args: dict[str, Any] = {"from": first.isoformat(), "to": (last + timedelta(days=1)).isoformat()}

    def csv(by: str) -> dict[str, str]:
        return {
            "plain": url_for("reports_api.telephony_csv", **api_args, by=by),
            "suppressed": url_for("reports_api.telephony_csv", **api_args, by=by, suppress="true"),
        }

    hour_chart, callback_chart = _telephony_charts(report)
    return render_template(
        "reports/telephony.html",
        errors=errors,
        first=first,
        last=last,
        report=report,
        totals=report["totals"],
        hour_chart=hour_chart,
        callback_chart=callback_chart,
        dashboard_url=url_for("reports.dashboard", **_days_args(first, last)),
        csv_days=csv("day"),
        csv_hours=csv("hour"),
        csv_callbacks=csv("callback"),
    )


def _referral_charts(neutral: dict[str, Any]) -> tuple[charts.Chart, charts.Chart]:
    ranks = neutral["ranks"]
    by_rank = charts.columns(
        [RANK_SHORT_LABELS[row["rank"]] for row in ranks],
        [[row["admitted"], row["offered"] - row["admitted"]] for row in ranks],
        ["Offered and admitted", "Offered, not admitted"],
        height=240,
        series_css=["series-2", "series-0"],
    )
    lines = neutral["commercial"]
    shares = charts.bars(
        [SHARE_SHORT_LABELS[line["measure"]] for line in lines],
        [round((line["share"] or 0) * 100) for line in lines],
        unit="%",
        highest=100,
    )
    return by_rank, shares


SHARE_SHORT_LABELS = {
    "suggested": "Suggestions",
    "offered": "Offers",
    "admitted": "Admissions",
    "expected_top_ranked": "Expected: top-ranked",
    "expected_rank_1": "Expected: rank 1",
}
RANK_SHORT_LABELS = {
    "1": "1 (best)",
    "2": "2",
    "3": "3",
    "4": "4",
    "5+": "5 or lower",
    "not_suggested": "Not suggested",
}


@bp.get("/referrals")
def referrals() -> ResponseReturnValue:
    """Referrals by service, conversion and time to admission, and whether offers follow the matcher's ranking."""
    first, last, period, errors = _days_asked()
    report = referrals_report(period)
    neutral = neutrality_report(period)
    api_args: dict[str, Any] = {"from": first.isoformat(), "to": (last + timedelta(days=1)).isoformat()}

    def csv(endpoint: str, by: str) -> dict[str, str]:
        return {
            "plain": url_for(f"reports_api.{endpoint}", **api_args, by=by),
            "suppressed": url_for(f"reports_api.{endpoint}", **api_args, by=by, suppress="true"),
        }

    rank_chart, share_chart = _referral_charts(neutral)
    return render_template(
        "reports/referrals.html",
        errors=errors,
        first=first,
        last=last,
        report=report,
        totals=report["totals"],
        neutral=neutral,
        rank_chart=rank_chart,
        share_chart=share_chart,
        commercial_labels={c.value: c.label for c in CommercialRelationship},
        decline_reasons=[(f"declined_{r.value}", r.label) for r in DeclineReason],
        statuses=[(f"now_{s.value}", s.label) for s in ReferralStatus],
        dashboard_url=url_for("reports.dashboard", **_days_args(first, last)),
        csvs={
            "service": csv("referrals_csv", "service"),
            "pathway": csv("referrals_csv", "pathway"),
            "admission": csv("referrals_csv", "admission"),
            "rank": csv("neutrality_csv", "rank"),
            "neutral_service": csv("neutrality_csv", "service"),
            "commercial": csv("neutrality_csv", "commercial"),
        },
    )
