"""The screenings API: the instruments' data, recording a screening (201 with score, band and suggestion), field
errors naming the item, a draft completed later, listing, auditing, and access as the case's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from caseapp.auth.models import Role
from caseapp.cases.models import Case
from caseapp.cases.timeline import build_timeline
from caseapp.extensions import db
from caseapp.screenings.instruments import AUDIT, DAST10, SADQ, SDS
from caseapp.screenings.queries import latest_complete_per_instrument
from tests import factories
from tests.integration.api_support import Api, audit_events
from tests.unit.screenings.support import answers_scoring


def _case(**overrides: Any) -> Case:
    case = factories.make_case(**overrides)
    db.session.commit()
    return case


def _post(api: Api, case: Case, **body: Any) -> Any:
    return api.post(f"/api/v1/cases/{case.id}/screenings", json=body)


def test_instruments_lists_each_with_items_options_scores_and_bands(api: Api) -> None:
    response = api.get("/api/v1/screenings/instruments")

    assert response.status_code == 200
    items = {i["code"]: i for i in response.get_json()["items"]}
    assert list(items) == ["audit_c", "audit", "sds", "dast10", "sadq"]
    audit = items["audit"]
    assert audit["version"] == 1
    assert len(audit["items"]) == 10
    assert audit["items"][8]["options"] == [
        {"value": 0, "label": "No", "score": 0},
        {"value": 1, "label": "Yes, but not in the last year", "score": 2},
        {"value": 2, "label": "Yes, during the last year", "score": 4},
    ]
    assert [b["label"] for b in audit["bands"]] == [
        "Lower risk",
        "Increasing risk",
        "Higher risk",
        "Possible dependence",
    ]
    assert items["sds"]["sds_cutoffs"]["benzodiazepines"] == 7
    assert items["sds"]["needs_substance"] is True
    assert items["audit"]["sds_cutoffs"] is None


def test_record_sadq_answers_201_with_score_band_and_suggested_pathway(api: Api) -> None:
    case = _case()

    response = _post(api, case, instrument="sadq", answers=answers_scoring(SADQ, 31))

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["instrument"] == "sadq"
    assert body["version"] == 1
    assert body["status"] == "complete"
    assert body["score"] == 31
    assert body["band"]["code"] == "severe"
    assert body["band"]["label"] == "Severe dependence"
    assert body["suggested_pathway"]["code"] == "medical_detox"
    assert "inpatient" in body["suggested_pathway"]["reason"]
    assert body["recorded_by_id"] == api.user_id
    assert body["follow_up"] is None
    [event] = audit_events("screening.recorded", entity_id=str(body["id"]))
    assert event.detail == {"case_id": case.id, "instrument": "sadq", "version": 1, "status": "complete"}


def test_a_missing_answer_is_a_422_naming_the_item(api: Api) -> None:
    case = _case()
    answers = answers_scoring(AUDIT, 12)
    del answers["q3"]
    answers["q5"] = 7

    response = _post(api, case, instrument="audit", answers=answers)

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["answers.q3"] == ["Answer this question."]
    assert error["fields"]["answers.q5"][0].startswith("Choose one of the answers: 0 (Never)")
    assert audit_events("screening.recorded") == []


def test_sds_needs_a_substance_and_uses_its_cutoff(api: Api) -> None:
    case = _case()

    missing = _post(api, case, instrument="sds", answers=answers_scoring(SDS, 6))
    benzos = _post(api, case, instrument="sds", answers=answers_scoring(SDS, 6), substance="benzodiazepines")
    heroin = _post(api, case, instrument="sds", answers=answers_scoring(SDS, 6), substance="heroin")

    assert missing.status_code == 422
    assert "substance" in missing.get_json()["error"]["fields"]
    assert benzos.get_json()["band"]["code"] == "below_cutoff"
    assert benzos.get_json()["suggested_pathway"] is None
    assert heroin.get_json()["band"]["code"] == "dependence"
    assert heroin.get_json()["substance"] == "heroin"
    assert heroin.get_json()["suggested_pathway"]["code"] == "outpatient"


def test_an_unknown_instrument_or_substance_is_a_422(api: Api) -> None:
    case = _case()

    response = _post(api, case, instrument="phq9", answers={}, substance="tea")

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"instrument", "substance"}


def test_a_positive_audit_c_offers_the_full_audit_with_its_answers(api: Api) -> None:
    case = _case()

    body = _post(api, case, instrument="audit_c", answers={"q1": 2, "q2": 2, "q3": 1}).get_json()

    assert body["score"] == 5
    assert body["band"]["code"] == "positive"
    assert body["suggested_pathway"] is None
    assert body["follow_up"] == {"instrument": "audit", "prefill": {"q1": 2, "q2": 2, "q3": 1}}


def test_a_draft_keeps_partial_answers_and_is_completed_by_patch(api: Api) -> None:
    case = _case()
    answers = answers_scoring(DAST10, 6)
    first = {k: answers[k] for k in ("q1", "q2", "q3")}

    draft = _post(api, case, instrument="dast10", answers=first, draft=True)

    assert draft.status_code == 201, draft.get_json()
    body = draft.get_json()
    assert body["status"] == "draft"
    assert body["score"] is None
    assert body["band"] is None
    assert body["answers"] == first
    still_missing = api.patch(f"/api/v1/screenings/{body['id']}", json={"answers": {"q4": answers["q4"]}})
    assert still_missing.status_code == 422
    assert "answers.q10" in still_missing.get_json()["error"]["fields"]

    done = api.patch(f"/api/v1/screenings/{body['id']}", json={"answers": answers})

    assert done.status_code == 200, done.get_json()
    completed = done.get_json()
    assert completed["status"] == "complete"
    assert completed["score"] == 6
    assert completed["band"]["code"] == "substantial"
    assert completed["suggested_pathway"]["code"] == "outpatient"
    assert completed["completed_at"] is not None
    again = api.patch(f"/api/v1/screenings/{body['id']}", json={"answers": {"q1": 0}})
    assert again.status_code == 409
    assert [e.detail["status"] for e in audit_events("screening.updated", entity_id=str(body["id"]))] == ["complete"]


def test_list_a_cases_screenings_newest_first_audited(api: Api) -> None:
    case = _case()
    older = _post(api, case, instrument="audit_c", answers={"q1": 0, "q2": 0, "q3": 0}).get_json()
    newer = _post(api, case, instrument="sadq", answers=answers_scoring(SADQ, 10)).get_json()

    response = api.get(f"/api/v1/cases/{case.id}/screenings")
    one = api.get(f"/api/v1/screenings/{older['id']}")

    assert [s["id"] for s in response.get_json()["items"]] == [newer["id"], older["id"]]
    [listed] = audit_events("screening.listed", entity_id=str(case.id))
    assert listed.detail == {"ids": [newer["id"], older["id"]]}
    assert one.get_json()["band"]["code"] == "lower_risk"
    assert len(audit_events("screening.viewed", entity_id=str(older["id"]))) == 1


def test_an_advisor_without_a_relationship_is_asked_to_break_the_glass(api_as: Callable[..., Api]) -> None:
    colleague = api_as(Role.ADVISOR)
    case = factories.make_case(actor=colleague.account)
    db.session.commit()
    theirs = _post(colleague, case, instrument="audit_c", answers={"q1": 1, "q2": 0, "q3": 0}).get_json()
    outsider = api_as(Role.ADVISOR)
    manager = api_as(Role.MANAGER)

    responses = [
        _post(outsider, case, instrument="audit_c", answers={"q1": 1, "q2": 0, "q3": 0}),
        outsider.get(f"/api/v1/cases/{case.id}/screenings"),
        outsider.get(f"/api/v1/screenings/{theirs['id']}"),
        outsider.patch(f"/api/v1/screenings/{theirs['id']}", json={"answers": {}}),
    ]

    for response in responses:
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "break_glass_required"
    assert audit_events("screening.viewed", actor_id=outsider.user_id) == []
    assert manager.get(f"/api/v1/cases/{case.id}/screenings").status_code == 200


def test_the_timeline_shows_every_screening_and_the_block_the_latest_complete_of_each(api: Api) -> None:
    case = _case()
    _post(api, case, instrument="audit", answers=answers_scoring(AUDIT, 9))
    _post(api, case, instrument="audit", answers=answers_scoring(AUDIT, 21))
    _post(api, case, instrument="sadq", answers={"q1": 1}, draft=True)

    summaries = [e.summary for e in build_timeline(case.id) if e.kind == "screening"]
    assert "AUDIT screening: 21, possible dependence" in summaries
    assert "AUDIT screening: 9, increasing risk" in summaries
    assert "SADQ screening (draft)" in summaries
    assert [s.score for s in latest_complete_per_instrument(case.id)] == [21]


def test_the_settings_change_a_cutoff_and_a_suggested_pathway(api: Api, app: Any) -> None:
    case = _case()
    app.config["SCREENING_SDS_CUTOFFS"] = "cannabis=5"
    app.config["SCREENING_PATHWAY_OVERRIDES"] = "audit.possible_dependence=medical_detox"
    try:
        sds = _post(api, case, instrument="sds", answers=answers_scoring(SDS, 4), substance="cannabis").get_json()
        audit = _post(api, case, instrument="audit", answers=answers_scoring(AUDIT, 25)).get_json()
        listed = api.get("/api/v1/screenings/instruments").get_json()["items"]
    finally:
        app.config["SCREENING_SDS_CUTOFFS"] = ""
        app.config["SCREENING_PATHWAY_OVERRIDES"] = ""

    assert sds["band"] == {"code": "below_cutoff", "label": "Below the dependence cut-off", "low": 0, "high": 4}
    assert audit["suggested_pathway"]["code"] == "medical_detox"
    assert next(i for i in listed if i["code"] == "sds")["sds_cutoffs"]["cannabis"] == 5
