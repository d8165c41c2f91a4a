"""JSON API for the managers' reports under /api/v1/reports (managers and admins; advisors get 403), and the same
tables as streamed CSV at /api/v1/reports/<report>.csv (with `suppress=true` for small-count suppression). The CSV
routes are in the OpenAPI document with their parameters and a text/csv body."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response, current_app, stream_with_context
from flask_login import current_user

from caseapp.api import api_blueprint, operation
from caseapp.audit.services import record_event
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.reports import services
from caseapp.reports.clinical import pathways_report, screenings_report, screenings_table
from caseapp.reports.formatting import CsvTable, csv_lines
from caseapp.reports.harm_reduction import harm_reduction_report
from caseapp.reports.neutrality import neutrality_report, neutrality_table
from caseapp.reports.params import Period
from caseapp.reports.referral_schemas import (
    NeutralityCsvQuery,
    NeutralityReportSchema,
    ReferralsCsvQuery,
    ReferralsReportSchema,
)
from caseapp.reports.referrals import referrals_report, referrals_table
from caseapp.reports.schemas import (
    BreakdownCsvQuery,
    BreakdownQuery,
    BreakdownReportSchema,
    CallbacksCsvQuery,
    CallbacksReportSchema,
    FunnelReportSchema,
    HarmReductionQuery,
    HarmReductionReportSchema,
    HeatmapReportSchema,
    PathwaysReportSchema,
    ReportCsvQuery,
    ReportQuery,
    ScreeningsReportCsvQuery,
    ScreeningsReportQuery,
    ScreeningsReportSchema,
    TelephonyCsvQuery,
    TelephonyReportSchema,
    TodaySchema,
    VolumeCsvQuery,
    VolumeQuery,
    VolumeReportSchema,
)
from caseapp.reports.telephony import telephony_report, telephony_table

api_bp = api_blueprint("reports", "/reports", role=Role.MANAGER)
CSV = "text/csv"


def _plain_json(report: dict[str, Any]) -> Response:
    """A report that is plain JSON values already, sent as jsonify() would send its schema dump (keys sorted,
    compact) without the dump (the schema still documents it): dumping a year of the callbacks report's 450 rows
    took 10 ms, and orjson writes it faster than the standard library."""
    return Response(orjson.dumps(report, option=orjson.OPT_SORT_KEYS), mimetype="application/json")


@operation(
    api_bp,
    "/volume",
    summary="Calls per hour, day, week or month (Europe/London), optionally split `by`, with the period before",
    query=VolumeQuery,
    response=VolumeReportSchema,
)
def volume(query: dict[str, Any]) -> Response:
    report = services.volume(
        query["period"], query["bucket"], query["by"], query["filters"], with_previous=query["previous"]
    )
    # already plain JSON values, serialised directly (unsorted, compact, by orjson): a year of hours with the year
    # before is 17,520 rows, and the schema dump and sorted keys would take longer than the SQL (the schema still
    # documents it)
    return Response(orjson.dumps(report.as_json()), mimetype="application/json")


@operation(
    api_bp,
    "/heatmap",
    summary="Calls per weekday and local hour (all 168 cells)",
    query=ReportQuery,
    response=HeatmapReportSchema,
)
def heatmap(query: dict[str, Any]) -> Response:
    return _plain_json(services.heatmap(query["period"], query["filters"]))


@operation(
    api_bp,
    "/breakdown",
    summary="Calls and talk time by substance, pathway, risk, channel, advisor, relationship or direction",
    query=BreakdownQuery,
    response=BreakdownReportSchema,
)
def breakdown(query: dict[str, Any]) -> Response:
    return _plain_json(services.breakdown(query["period"], query["by"], query["filters"]))


@operation(
    api_bp,
    "/funnel",
    summary="Cases opened in the period (first calls) → assessed → referred → admitted, with conversion rates",
    query=ReportQuery,
    response=FunnelReportSchema,
)
def funnel(query: dict[str, Any]) -> Response:
    return _plain_json(services.funnel(query["period"], query["filters"]))


@operation(
    api_bp,
    "/callbacks",
    summary="Callbacks due in the period: on time, late (median, 90th percentile), missed, unreachable",
    query=ReportQuery,
    response=CallbacksReportSchema,
)
def callbacks(query: dict[str, Any]) -> Response:
    return _plain_json(services.callbacks(query["period"], query["filters"]))


@operation(
    api_bp, "/today", summary="The live strip: calls today, on shift, callbacks due and overdue", response=TodaySchema
)
def today() -> Response:
    return _plain_json(services.today())


# --- CSV -------------------------------------------------------------------------------------------------------------


def _csv(table: CsvTable, period: Period, suppress: bool) -> Response:
    """Audit the export (it may leave the service), commit, then stream."""
    below = int(current_app.config["REPORT_SUPPRESS_BELOW"]) if suppress else None
    record_event(
        "report.exported",
        actor_id=current_user.id,
        entity_type="report",
        entity_id=table.name,
        detail={"from": services.iso_local(period.start), "to": services.iso_local(period.end), "suppress": below},
    )
    db.session.commit()
    first, last = period.first_day.isoformat(), period.last_day.isoformat()
    response = Response(stream_with_context(csv_lines(table, suppress_below=below)), mimetype=CSV)
    response.headers["Content-Disposition"] = f'attachment; filename="caseapp-{table.name}-{first}-to-{last}.csv"'
    return response


@operation(
    api_bp, "/volume.csv", summary="The volume report as CSV (text/csv, streamed)", query=VolumeCsvQuery, media_type=CSV
)
def volume_csv(query: dict[str, Any]) -> Response:
    report = services.volume(
        query["period"], query["bucket"], query["by"], query["filters"], with_previous=query["previous"]
    )
    return _csv(services.volume_table(report), query["period"], query["suppress"])


@operation(
    api_bp, "/heatmap.csv", summary="The heatmap as CSV (text/csv, streamed)", query=ReportCsvQuery, media_type=CSV
)
def heatmap_csv(query: dict[str, Any]) -> Response:
    report = services.heatmap(query["period"], query["filters"])
    return _csv(services.heatmap_table(report), query["period"], query["suppress"])


@operation(
    api_bp, "/breakdown.csv", summary="A breakdown as CSV (text/csv, streamed)", query=BreakdownCsvQuery, media_type=CSV
)
def breakdown_csv(query: dict[str, Any]) -> Response:
    report = services.breakdown(query["period"], query["by"], query["filters"])
    return _csv(services.breakdown_table(report), query["period"], query["suppress"])


@operation(
    api_bp, "/funnel.csv", summary="The funnel as CSV (text/csv, streamed)", query=ReportCsvQuery, media_type=CSV
)
def funnel_csv(query: dict[str, Any]) -> Response:
    report = services.funnel(query["period"], query["filters"])
    return _csv(services.funnel_table(report), query["period"], query["suppress"])


@operation(
    api_bp,
    "/callbacks.csv",
    summary="The callbacks report by day or advisor (`by`) as CSV (text/csv, streamed)",
    query=CallbacksCsvQuery,
    media_type=CSV,
)
def callbacks_csv(query: dict[str, Any]) -> Response:
    report = services.callbacks(query["period"], query["filters"])
    return _csv(services.callbacks_table(report, query["by"]), query["period"], query["suppress"])


@operation(
    api_bp,
    "/harm-reduction",
    summary="Harm-reduction prompts' responses per rule (given, declined, not relevant), and per Europe/London day",
    query=HarmReductionQuery,
    response=HarmReductionReportSchema,
)
def harm_reduction(query: dict[str, Any]) -> Response:
    return _plain_json(harm_reduction_report(query["period"]))


@operation(
    api_bp,
    "/screenings",
    summary="Complete screenings per instrument and band per Europe/London day, week or month (completed time)",
    query=ScreeningsReportQuery,
    response=ScreeningsReportSchema,
)
def screenings(query: dict[str, Any]) -> Response:
    return _plain_json(screenings_report(query["period"], query["bucket"]))


@operation(
    api_bp,
    "/screenings.csv",
    summary="The screenings report as CSV (text/csv, streamed)",
    query=ScreeningsReportCsvQuery,
    media_type=CSV,
)
def screenings_csv(query: dict[str, Any]) -> Response:
    report = screenings_report(query["period"], query["bucket"])
    return _csv(screenings_table(report), query["period"], query["suppress"])


@operation(
    api_bp,
    "/pathways",
    summary="Suggested pathway (latest complete screening before each assessment) against the chosen one",
    query=HarmReductionQuery,
    response=PathwaysReportSchema,
)
def pathways(query: dict[str, Any]) -> Response:
    return _plain_json(pathways_report(query["period"]))


@operation(
    api_bp,
    "/telephony",
    summary="Calls the phone system offered: answered (within 20 s), missed, logged, abandonment per local hour, "
    "and missed calls by how soon they were rung back",
    query=HarmReductionQuery,
    response=TelephonyReportSchema,
)
def telephony(query: dict[str, Any]) -> Response:
    return _plain_json(telephony_report(query["period"]))


@operation(
    api_bp,
    "/telephony.csv",
    summary="The telephony report per day, per hour of the day or by callback (`by`) as CSV (text/csv, streamed)",
    query=TelephonyCsvQuery,
    media_type=CSV,
)
def telephony_csv(query: dict[str, Any]) -> Response:
    report = telephony_report(query["period"])
    return _csv(telephony_table(report, query["by"]), query["period"], query["suppress"])


@operation(
    api_bp,
    "/referrals",
    summary="Referrals offered in the period by service and pathway (each status reached, declines by reason, "
    "status now, conversion offered → sent → accepted → admitted) and days from first call to admission",
    query=HarmReductionQuery,
    response=ReferralsReportSchema,
)
def referrals(query: dict[str, Any]) -> Response:
    return _plain_json(referrals_report(query["period"]))


@operation(
    api_bp,
    "/referrals.csv",
    summary="The referrals report per service, conversion per pathway, or time to admission (`by`) as CSV "
    "(text/csv, streamed)",
    query=ReferralsCsvQuery,
    media_type=CSV,
)
def referrals_csv(query: dict[str, Any]) -> Response:
    report = referrals_report(query["period"])
    return _csv(referrals_table(report, query["by"]), query["period"], query["suppress"])


@operation(
    api_bp,
    "/neutrality",
    summary="Offers made in the period against the matcher's ranks: by rank and by service, the share going to "
    "services with a commercial link beside the share expected by rank, and the disclosure of every such link",
    query=HarmReductionQuery,
    response=NeutralityReportSchema,
)
def neutrality(query: dict[str, Any]) -> Response:
    return _plain_json(neutrality_report(query["period"]))


@operation(
    api_bp,
    "/neutrality.csv",
    summary="The neutrality report per rank, per service, or the commercial shares (`by`) as CSV (text/csv, streamed)",
    query=NeutralityCsvQuery,
    media_type=CSV,
)
def neutrality_csv(query: dict[str, Any]) -> Response:
    report = neutrality_report(query["period"])
    return _csv(neutrality_table(report, query["by"]), query["period"], query["suppress"])
