"""Clinician-reported withdrawal scores (COWS, CIWA-Ar) on a case: recorded with the band and who reported it, 422s
naming the field, audited, access as the case's, on the timeline and the page, in the subject access export, and
the clinician's name cleared by retention."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from caseapp.auth.models import Role
from caseapp.cases.models import Case
from caseapp.cases.timeline import build_timeline
from caseapp.extensions import db
from caseapp.retention import services as retention
from caseapp.retention.policy import PLACEHOLDER
from caseapp.sar.services import build_export
from caseapp.screenings.models import ClinicianScore
from caseapp.timeutil import now_utc
from tests import factories
from tests.conftest import csrf_token_from
from tests.integration.api_support import Api, audit_events
from tests.integration.retention.support import make_history, where_found

ASSESSED = "2026-11-30T09:15:00+00:00"


def _case(**overrides: Any) -> Case:
    case = factories.make_case(**overrides)
    db.session.commit()
    return case


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "instrument": "cows",
        "score": 14,
        "assessed_at": ASSESSED,
        "clinician_name": "Dr Imogen Marsh",
        "clinician_role": "GP, Riverside Surgery",
    }
    return body | overrides


def _post(api: Api, case: Case, **overrides: Any) -> Any:
    return api.post(f"/api/v1/cases/{case.id}/clinician-scores", json=_body(**overrides))


def _count() -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(ClinicianScore)) or 0)


def test_recording_a_cows_total_201_with_its_band_source_and_who_reported_it(api: Api) -> None:
    case = _case()

    response = _post(api, case)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["case_id"] == case.id
    assert (body["instrument"], body["score"]) == ("cows", 14)
    assert body["band"] == {"code": "moderate", "label": "Moderate", "low": 13, "high": 24}
    assert "Wesson" in body["source"]
    assert datetime.fromisoformat(body["assessed_at"]) == datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
    assert (body["clinician_name"], body["clinician_role"]) == ("Dr Imogen Marsh", "GP, Riverside Surgery")
    assert body["recorded_by_id"] == api.user_id
    [event] = audit_events("screening.clinician_score_recorded", entity_id=str(body["id"]))
    assert event.detail == {"case_id": case.id, "instrument": "cows", "band": "moderate"}
    assert "Marsh" not in str(event.detail)
    # the free text is stored encrypted
    raw = db.session.execute(sa.text("SELECT clinician_name FROM clinician_scores")).scalar_one()
    assert "Marsh" not in raw


@pytest.mark.parametrize(
    ("instrument", "score", "band"),
    [("cows", 0, "none"), ("cows", 48, "severe"), ("ciwa_ar", 9, "minimal"), ("ciwa_ar", 16, "severe")],
)
def test_the_band_follows_the_cited_cut_offs(api: Api, instrument: str, score: int, band: str) -> None:
    response = _post(api, _case(), instrument=instrument, score=score)

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["band"]["code"] == band


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"instrument": "cows", "score": 49}, "score"),
        ({"instrument": "ciwa_ar", "score": 68}, "score"),
        ({"score": -1}, "score"),
        ({"score": 40000}, "score"),
        ({"score": "12"}, "score"),
        ({"instrument": "sadq"}, "instrument"),
        ({"clinician_name": " "}, "clinician_name"),
        ({"clinician_role": ""}, "clinician_role"),
        ({"assessed_at": "2026-11-30T09:15:00"}, "assessed_at"),
        ({"assessed_at": (now_utc() + timedelta(hours=2)).isoformat()}, "assessed_at"),
    ],
)
def test_an_invalid_score_is_a_422_naming_the_field_and_writes_nothing(
    api: Api, overrides: dict[str, Any], field: str
) -> None:
    response = _post(api, _case(), **overrides)

    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert _count() == 0
    assert audit_events("screening.clinician_score_recorded") == []


def test_a_case_lists_its_scores_newest_assessment_first_audited(api: Api) -> None:
    case = _case()
    older = _post(api, case, assessed_at="2026-11-29T08:00:00+00:00").get_json()
    newer = _post(api, case, instrument="ciwa_ar", score=20).get_json()
    _post(api, _case(), score=3)

    response = api.get(f"/api/v1/cases/{case.id}/clinician-scores")

    assert response.status_code == 200
    assert [item["id"] for item in response.get_json()["items"]] == [newer["id"], older["id"]]
    [listed] = audit_events("screening.clinician_scores_listed", entity_id=str(case.id))
    assert listed.detail == {"ids": [newer["id"], older["id"]]}


def test_an_advisor_without_a_relationship_is_asked_to_break_the_glass(api_as: Callable[..., Api]) -> None:
    colleague = api_as(Role.ADVISOR)
    case = factories.make_case(actor=colleague.account)
    db.session.commit()
    assert _post(colleague, case).status_code == 201
    outsider = api_as(Role.ADVISOR)

    responses = [_post(outsider, case), outsider.get(f"/api/v1/cases/{case.id}/clinician-scores")]

    for response in responses:
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "break_glass_required"
    assert _count() == 1
    assert audit_events("screening.clinician_scores_listed") == []
    assert api_as(Role.MANAGER).get(f"/api/v1/cases/{case.id}/clinician-scores").status_code == 200


def test_the_timeline_shows_the_score_at_the_assessment_time(api: Api) -> None:
    case = _case()
    record = _post(api, case, instrument="ciwa_ar", score=12).get_json()

    [entry] = [e for e in build_timeline(case.id) if e.kind == "clinician_score"]

    assert entry.id == record["id"]
    assert entry.summary == "CIWA-Ar 12 reported by a clinician: mild to moderate"
    assert entry.at == datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def test_the_page_records_a_score_and_keeps_what_was_typed_when_refused(client: FlaskClient, login_as: Any) -> None:
    user = login_as(Role.ADVISOR)
    case = factories.make_case(actor=user)
    db.session.commit()
    case_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/cases/{case.id}/clinician-scores/new" in case_page
    form = client.get(f"/cases/{case.id}/clinician-scores/new")
    assert form.status_code == 200
    token = csrf_token_from(form.get_data(as_text=True))
    typed = {
        "csrf_token": token,
        "instrument": "cows",
        "score": "60",
        "assessed_at": "2026-11-30T09:15",
        "clinician_name": "Nurse Pat Okafor",
        "clinician_role": "Riverside detox unit",
    }

    refused = client.post(f"/cases/{case.id}/clinician-scores/new", data=typed)

    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "A COWS total is from 0 to 48." in page
    assert 'value="Nurse Pat Okafor"' in page
    assert _count() == 0

    saved = client.post(f"/cases/{case.id}/clinician-scores/new", data=typed | {"score": "30"})

    assert saved.status_code == 302
    record = db.session.scalars(sa.select(ClinicianScore)).one()
    assert (record.score, record.band, record.clinician_name) == (30, "moderately_severe", "Nurse Pat Okafor")
    assert record.assessed_at == datetime(2026, 11, 30, 9, 15, tzinfo=UTC)  # GMT in November
    assert "COWS 30 reported by a clinician: moderately severe" in client.get(f"/cases/{case.id}").get_data(
        as_text=True
    )


def test_the_subject_access_export_holds_the_score_and_who_read_it(api: Api) -> None:
    case = _case()
    record = _post(api, case).get_json()
    api.get(f"/api/v1/cases/{case.id}/clinician-scores")

    document = build_export(case.caller).document

    [row] = document["clinician_scores"]
    assert (row["id"], row["score"], row["band"]) == (record["id"], 14, "moderate")
    assert (row["clinician_name"], row["clinician_role"]) == ("Dr Imogen Marsh", "GP, Riverside Surgery")
    actions = [(a["action"], a["record_id"]) for a in document["access"] if a["record_type"] == "clinician_score"]
    assert actions == [("screening.clinician_score_recorded", str(record["id"]))]


def test_retention_clears_who_reported_the_score_and_keeps_the_score(db_session: Any) -> None:
    advisor = factories.make_user(role=Role.ADVISOR)
    history = make_history(advisor, closed_at=now_utc() - timedelta(days=800), tag="clin")
    needles = ["Dr Clementine Vauxhall-clin", "Vauxhall ward, St Elsewhere-clin"]
    record = ClinicianScore(
        case_id=history.case.id,
        instrument="ciwa_ar",
        score=17,
        band="severe",
        assessed_at=now_utc() - timedelta(days=900),
        clinician_name=needles[0],
        clinician_role=needles[1],
        recorded_by_id=advisor.id,
        recorded_at=now_utc() - timedelta(days=900),
    )
    db.session.add(record)
    db.session.flush()

    run = retention.apply_retention(commit=db.session.flush)

    assert history.case.id in run.case_ids
    db.session.expire_all()
    kept = db.session.get(ClinicianScore, record.id)
    assert kept is not None
    assert (kept.clinician_name, kept.clinician_role) == (PLACEHOLDER, PLACEHOLDER)
    assert (kept.score, kept.band) == (17, "severe")
    assert where_found(needles) == []
