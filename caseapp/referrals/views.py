"""Pages: one referral (its history and a form for each change it may take next) and the change itself; after a
change that calls for a follow-up, the referral page shows the callback booking form filled in."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from caseapp.access import services as access
from caseapp.api import load
from caseapp.auth.access import guard_blueprint, safe_next
from caseapp.auth.models import Role
from caseapp.cases.models import Case
from caseapp.errors import AppError, ValidationError
from caseapp.extensions import db
from caseapp.forms import form_to_payload
from caseapp.referrals import audit, follow_ups, queries, workflow
from caseapp.referrals.models import DeclineReason, Referral
from caseapp.referrals.schemas import StatusForm
from caseapp.timeutil import to_local
from caseapp.transactions import commit_keeping_loaded

bp = Blueprint("referrals", __name__)
guard_blueprint(bp, Role.ADVISOR)


def _render(
    referral: Referral,
    case: Case,
    *,
    form: str | None = None,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    follow_up: bool = False,
) -> str:
    audit.viewed(referral, actor=current_user)
    commit_keeping_loaded()
    proposal = follow_ups.propose(referral, case) if follow_up else None
    follow_up_values: MultiDict[str, Any] = MultiDict()
    if proposal is not None:
        local = to_local(proposal.due_at)
        follow_up_values = MultiDict(
            {
                "due_date": local.date().isoformat(),
                "due_time": local.strftime("%H:%M"),
                "reason": proposal.reason,
                "assignee_id": str(current_user.id),
            }
        )
    return render_template(
        "referrals/show.html",
        referral=referral,
        case=case,
        allowed=workflow.allowed_from(referral.status),
        decline_choices=[(r.value, r.label) for r in DeclineReason],
        values=request.form if form else MultiDict(),
        errors=errors or {},
        error_form=form,
        message=message,
        proposal=proposal,
        follow_up_values=follow_up_values,
    )


@bp.get("/referrals/<int:referral_id>")
def show(referral_id: int) -> ResponseReturnValue:
    referral = queries.get_referral(referral_id)
    case = access.get_case_for(referral.case_id, current_user)
    return _render(referral, case, follow_up=request.args.get("follow_up") == "1")


@bp.post("/referrals/<int:referral_id>/status")
def change_status(referral_id: int) -> ResponseReturnValue:
    typed_to = request.form.get("to", "")[:40]
    try:
        payload, errors = form_to_payload(request.form, StatusForm, local_datetimes=("at",))
        if errors:
            raise ValidationError("Some fields are missing or not valid.", fields=errors)
        body = load(StatusForm, payload)
        referral = queries.lock_referral(referral_id)
        change = workflow.change_status(referral, body.pop("to"), current_user, version=body.pop("version"), **body)
    except AppError as exc:
        db.session.rollback()
        referral = queries.get_referral(referral_id)
        case = access.get_case_for(referral.case_id, current_user)  # refused to act: may they see it?
        return _render(referral, case, form=typed_to, errors=exc.fields, message=exc.message), exc.status
    proposal = follow_ups.propose(change.referral, change.case)
    db.session.commit()
    flash(f"Referral to {change.referral.service.name}: {change.referral.status.in_sentence}.", "info")
    if proposal is not None:
        return redirect(url_for("referrals.show", referral_id=referral_id, follow_up="1") + "#follow-up")
    back = request.form.get("next")
    return redirect(safe_next(back) if back else url_for("referrals.show", referral_id=referral_id))
