"""Pages: "Suggest services" from a case (the criteria, the ranked list with why each matched, each commercial link
with what to tell the caller, offer or shortlist, the reason), and one recorded offer."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from caseapp import reference
from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import load
from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.cases.models import Case
from caseapp.directory.models import Gender, Region
from caseapp.errors import AppError
from caseapp.extensions import db
from caseapp.forms import form_to_payload, merge_errors
from caseapp.reference import FundingRoute, Pathway, Substance
from caseapp.referrals import offer_queries, offers
from caseapp.referrals.matching import BEDS_FRESH_DAYS, Criteria
from caseapp.referrals.offer_present import disclosure_wording
from caseapp.referrals.offer_schemas import LEAVE, CriteriaQuery, ReferralOfferInputSchema, ReferralOfferPageSchema
from caseapp.referrals.offers_api import choices_of

bp = Blueprint("referral_offers", __name__)
guard_blueprint(bp, Role.ADVISOR)

CRITERIA_FIELDS = tuple(CriteriaQuery().fields)
REASON_LABEL = "Why these services"
DISCLOSED_LABEL = "I have told the caller about this commercial relationship (required to offer it)"
OTHER_DISCLOSED = "If it has a commercial relationship with us (shown after its name), I have told the caller about it"
_ITEM_KEY = re.compile(r"items\.(\d+)\.(.+)")


def _criteria_changes(source: MultiDict[str, str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The criteria the advisor changed (from the query string or the offer form's hidden fields), or the errors."""
    payload, errors = form_to_payload(source, CriteriaQuery)
    if errors:
        return {}, errors
    try:
        return load(CriteriaQuery, payload), {}
    except AppError as exc:
        return {}, exc.fields


def _shown_criteria(criteria: Criteria, typed: MultiDict[str, str]) -> MultiDict[str, str]:
    """The criteria form: what was typed, else the values the suggestions were made for."""
    codes = criteria.as_codes()
    values: MultiDict[str, str] = MultiDict()
    for name in CRITERIA_FIELDS:
        if name in typed:
            values.setlist(name, typed.getlist(name))
        elif isinstance(codes.get(name), bool):
            values[name] = "true" if codes[name] else ""
        elif codes.get(name) is not None:
            values[name] = str(codes[name])
    return values


def _render(
    case: Case,
    criteria_source: MultiDict[str, str],
    values: MultiDict[str, str],
    errors: dict[str, list[str]],
    message: str | None = None,
) -> str:
    changes, criteria_errors = _criteria_changes(criteria_source)
    suggested = offers.suggest_for_case(case, changes, actor=current_user)
    earlier = offers.offers_for_case(case, actor=current_user)
    result = suggested.result
    shown_ids = {s.service.id for s in result.suggestions}
    others = [s for s in offer_queries.active_services() if s.id not in shown_ids]
    other_row = len(result.suggestions)
    labels = {"reason": REASON_LABEL, f"items-{other_row}-service_id": "Service"}
    for index, suggestion in enumerate(result.suggestions):
        labels[f"items-{index}-action"] = f"What to do with {suggestion.service.name}"
        labels[f"items-{index}-disclosed"] = DISCLOSED_LABEL
    labels |= {f"items-{other_row}-action": "What to do with it", f"items-{other_row}-disclosed": OTHER_DISCLOSED}
    shown = MultiDict(values)
    for row in range(other_row + 1):  # a row not chosen yet reads "leave out"
        if not shown.get(f"items-{row}-action"):
            shown[f"items-{row}-action"] = LEAVE
    db.session.commit()
    return render_template(
        "referrals/suggest.html",
        case=case,
        result=result,
        assessment=suggested.assessment,
        criteria_values=_shown_criteria(result.criteria, criteria_source),
        criteria_errors=criteria_errors,
        hidden_criteria=[(k, v) for k, v in criteria_source.items(multi=True) if k in CRITERIA_FIELDS and v != ""],
        values=shown,
        errors=errors,
        message=message,
        labels=labels,
        disclosed_label=DISCLOSED_LABEL,
        other_row=other_row,
        others=others,
        earlier=earlier,
        disclosure=disclosure_wording,
        fresh_days=BEDS_FRESH_DAYS,
        choices={
            "pathway": reference.choices(Pathway),
            "substance": reference.choices(Substance),
            "funding_route": reference.choices(FundingRoute),
            "region": reference.choices(Region),
            "gender": [(g.value, g.label) for g in Gender if g is not Gender.ANY],
        },
    )


def _chosen_rows(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[int]]:
    """The rows given an action, as the API takes them, and the row number of each (errors are put back there)."""
    chosen, positions = [], []
    for index, row in enumerate(rows):
        if row.get("action") not in (None, LEAVE):
            chosen.append({key: row.get(key) for key in ("service_id", "action", "disclosed")})
            positions.append(index)
    return chosen, positions


def _to_rows(fields: dict[str, list[str]], positions: list[int], other_row: int) -> dict[str, list[str]]:
    """The API's `items.<n>.x` of the n-th chosen row → the page's field `items-<its row>-x` (a suggested row's
    service is not a field: its messages go to the row's choice)."""
    placed: dict[str, list[str]] = {}
    for key, messages in fields.items():
        match = _ITEM_KEY.fullmatch(key)
        if match and int(match.group(1)) < len(positions):
            row, name = positions[int(match.group(1))], match.group(2)
            key = f"items-{row}-{'action' if name == 'service_id' and row != other_row else name}"
        placed.setdefault(key, []).extend(messages)
    return placed


@bp.route("/cases/<int:case_id>/suggest-services", methods=["GET", "POST"])
def suggest(case_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        case = access.get_case_for(case_id, current_user)
        return _render(case, request.args, MultiDict(), {})
    case = access.get_case_for(case_id, current_user, Action.CHANGE)
    criteria, criteria_errors = _criteria_changes(request.form)
    payload, errors = form_to_payload(request.form, ReferralOfferPageSchema)
    rows = payload.get("items") or []
    other_row = len(rows) - 1  # the last row: a service chosen from the list of those not suggested
    errors = _to_rows(errors, list(range(len(rows))), other_row)
    chosen, positions = _chosen_rows(rows)
    message = offers.NOT_RECORDED
    if not errors and not criteria_errors:
        try:
            body = load(ReferralOfferInputSchema, {"criteria": {}, "items": chosen, "reason": payload.get("reason")})
            offers.record_offer(case, criteria, choices_of(body["items"]), body["reason"], actor=current_user)
        except AppError as exc:
            db.session.rollback()
            errors, message = merge_errors(errors, _to_rows(exc.fields, positions, other_row)), exc.message
        else:
            db.session.commit()
            offered = sum(1 for c in chosen if c["action"] == offers.ItemAction.OFFER)
            flash(f"Offer recorded: {offered} offered, {len(chosen) - offered} shortlisted.", "info")
            return redirect(url_for("cases.show", case_id=case.id) + "#referrals")
    return _render(case, request.form, request.form, merge_errors(errors, criteria_errors), message), 422


@bp.get("/referral-offers/<int:offer_id>")
def show(offer_id: int) -> ResponseReturnValue:
    offer, case = offers.offer_for(offer_id, actor=current_user)
    referrals = offer_queries.referral_ids_by_item([item.id for item in offer.items])
    db.session.commit()
    items = sorted(offer.items, key=lambda i: (i.rank is None, i.rank or 0, i.id))
    return render_template("referrals/offer.html", offer=offer, case=case, items=items, referrals=referrals)
