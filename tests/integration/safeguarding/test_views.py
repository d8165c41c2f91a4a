"""The safeguarding pages: the form from a case (the Caldicott guidance beside the decision; refused input comes
back as typed, in plain English), the record with a manager's review, and the managers' list with its filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from caseapp.auth.models import Role, User
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.safeguarding.reference import CALDICOTT_GUIDANCE, SafeguardingStatus
from caseapp.timeutil import now_utc
from tests import factories
from tests.html import form_defaults
from tests.integration.api_support import audit_events
from tests.statements import counted_queries


def _case() -> Case:
    case = factories.make_case()
    db.session.commit()
    return case


def _form(client: FlaskClient, case: Case) -> MultiDict[str, str]:
    page = client.get(f"/cases/{case.id}/safeguarding/new").get_data(as_text=True)
    assert CALDICOTT_GUIDANCE.split(" (")[0] in page
    form = form_defaults(page, "safeguarding-form")
    form.setlist("at_risk", ["children", "vulnerable_adult"])
    form.setlist("categories", ["domestic_abuse"])
    form["children_count"] = "3"
    form["description"] = "Partner shouts at the children when drunk"
    form["decision"] = "shared_without_consent"
    form["agency"] = "police"
    return form


def test_the_form_comes_back_with_what_was_typed_and_says_why_in_plain_english(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.ADVISOR)
    case = _case()
    form = _form(client, case)

    refused = client.post(f"/cases/{case.id}/safeguarding/new", data=form)

    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Say why it was shared without consent" in page
    assert "Partner shouts at the children when drunk" in page
    assert 'value="domestic_abuse" checked' in page
    assert 'value="vulnerable_adult" checked' in page
    assert 'value="3"' in page
    form["decision_reason"] = "Risk of serious harm to the children tonight"
    saved = client.post(f"/cases/{case.id}/safeguarding/new", data=form)
    assert saved.status_code == 302
    shown = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Safeguarding concern (domestic abuse): open" in shown  # the timeline
    assert "Shared without consent (risk of serious harm)" in shown


def test_a_manager_reviews_from_the_record_page_and_a_refused_close_keeps_the_note(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.MANAGER)
    record = factories.make_safeguarding(_case())
    db.session.commit()
    page = client.get(f"/safeguarding/{record.id}").get_data(as_text=True)
    assert audit_events("safeguarding.viewed", entity_id=str(record.id))
    form = form_defaults(page, "safeguarding-review")
    form["status"] = "under_review"
    assert client.post(f"/safeguarding/{record.id}/review", data=form).status_code == 302

    form = form_defaults(client.get(f"/safeguarding/{record.id}").get_data(as_text=True), "safeguarding-review")
    form["status"] = "closed"
    form["outcome_note"] = "   "
    refused = client.post(f"/safeguarding/{record.id}/review", data=form)
    assert refused.status_code == 422
    assert "Say what the outcome of the review was." in refused.get_data(as_text=True)
    db.session.refresh(record)
    assert record.status == SafeguardingStatus.UNDER_REVIEW


def test_an_advisor_corrects_a_record_and_cannot_see_the_managers_list(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    me = login_as(Role.ADVISOR)
    record = factories.make_safeguarding(_case(), actor=me)
    db.session.commit()
    form = form_defaults(client.get(f"/safeguarding/{record.id}/edit").get_data(as_text=True), "safeguarding-form")
    assert form["description"] == record.description
    form["agency"] = "childrens_social_care"
    form["agency_reference"] = "CSC-2231"

    assert client.post(f"/safeguarding/{record.id}/edit", data=form).status_code == 302
    db.session.refresh(record)
    assert record.agency_reference == "CSC-2231"
    assert client.get("/safeguarding/").status_code == 403


def test_the_managers_list_filters_by_status_and_age(client: FlaskClient, login_as: Callable[..., User]) -> None:
    manager = login_as(Role.MANAGER)
    fresh = factories.make_safeguarding(_case(), actor=manager)
    old = factories.make_safeguarding(_case(), actor=manager)
    old.created_at = now_utc() - timedelta(days=20)
    db.session.commit()

    def shown(query: str) -> set[int]:
        response = client.get(f"/safeguarding/{query}")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        return {r.id for r in (fresh, old) if f'/safeguarding/{r.id}"' in page}

    assert shown("") == {fresh.id, old.id}
    assert shown("?status=open&older_than_days=14") == {old.id}
    assert shown("?status=closed") == set()
    assert shown("?older_than_days=lots") == {fresh.id, old.id}  # a bad filter is left out, said so


def test_the_managers_list_takes_the_same_statements_for_2_rows_as_for_12(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.MANAGER)

    def grow(rows: int) -> int:
        for _ in range(rows):
            case = _case()
            factories.make_safeguarding(case, actor=factories.make_user(role=Role.MANAGER))
            factories.make_emergency_action(case, actor=factories.make_user(role=Role.MANAGER))
        db.session.commit()
        assert client.get("/safeguarding/").status_code == 200
        with counted_queries() as seen:
            assert client.get("/safeguarding/").status_code == 200
        return len(seen)

    assert grow(2) == grow(10)
