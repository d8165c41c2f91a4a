"""The screening pages: a form per instrument made from its data, plain-English errors naming the question and
keeping what was chosen, a positive AUDIT-C's "continue to the full AUDIT" with questions 1-3 filled in, drafts,
and the case page's Screenings block."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.screenings.instruments import SADQ
from caseapp.screenings.models import Screening, ScreeningStatus
from tests import factories
from tests.conftest import csrf_token_from
from tests.integration.api_support import audit_events
from tests.integration.page_support import check_error_summary
from tests.unit.screenings.support import answers_scoring


def _checked(page: str) -> dict[str, str]:
    """The radio buttons checked on a page: {name: value}."""
    found = re.findall(r'<input type="radio" name="(\w+)" value="(\d+)" checked>', page)
    return dict(found)


def _form(client: FlaskClient, path: str, **data: Any) -> Any:
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data})


def test_the_chooser_lists_every_instrument(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    case = factories.make_case()
    db.session.commit()

    page = client.get(f"/cases/{case.id}/screenings/new").get_data(as_text=True)

    for name in ("AUDIT-C", "AUDIT (Alcohol", "SDS", "DAST-10", "SADQ"):
        assert name in page


def test_a_missing_answer_is_named_in_plain_english_and_what_was_chosen_stays(
    client: FlaskClient, login_as: Any
) -> None:
    login_as(Role.ADVISOR)
    case = factories.make_case()
    db.session.commit()

    response = _form(client, f"/cases/{case.id}/screenings/new?instrument=audit_c", q1="3", q3="1", action="complete")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    reader = check_error_summary(page)
    assert any("Answer this question." in item for item in reader.summary_items)
    assert reader.summary_links == [("#f-q2", reader.labels["f-q2"])]
    assert reader.labels["f-q2"].startswith("2. How many units")
    assert _checked(page) == {"q1": "3", "q3": "1"}
    assert db.session.query(Screening).count() == 0


def test_a_positive_audit_c_continues_to_the_full_audit_with_questions_1_to_3_filled_in(
    client: FlaskClient, login_as: Any
) -> None:
    login_as(Role.ADVISOR)
    case = factories.make_case()
    db.session.commit()

    response = _form(
        client, f"/cases/{case.id}/screenings/new?instrument=audit_c", q1="2", q2="2", q3="1", action="complete"
    )

    assert response.status_code == 302
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Positive screen: ask the remaining AUDIT questions" in result
    link = re.search(r'id="continue-audit" href="([^"]+)"', result)
    assert link is not None
    full = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "AUDIT (Alcohol Use Disorders Identification Test" in full
    assert _checked(full) == {"q1": "2", "q2": "2", "q3": "1"}
    case_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="screenings"' in case_page
    assert "Positive screen" in case_page
    assert "AUDIT-C screening: 5, positive screen" in case_page


def test_a_draft_saved_from_the_page_is_continued_and_completed(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    case = factories.make_case()
    db.session.commit()

    saved = _form(client, f"/cases/{case.id}/screenings/new?instrument=sadq", q1="3", q2="2", action="draft")

    assert saved.status_code == 302
    screening = db.session.query(Screening).one()
    assert screening.status == ScreeningStatus.DRAFT
    edit = f"/screenings/{screening.id}/edit"
    assert _checked(client.get(edit).get_data(as_text=True)) == {"q1": "3", "q2": "2"}
    answers = {k: str(v) for k, v in answers_scoring(SADQ, 31).items()}
    done = _form(client, edit, **answers, action="complete")
    assert done.status_code == 302
    db.session.refresh(screening)
    assert (screening.status, screening.score, screening.band) == (ScreeningStatus.COMPLETE, 31, "severe")
    shown = client.get(f"/screenings/{screening.id}").get_data(as_text=True)
    assert "Medical detox" in shown
    assert audit_events("screening.viewed", entity_id=str(screening.id))


def test_an_sds_without_a_substance_asks_for_one(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    case = factories.make_case()
    db.session.commit()
    answers = {f"q{n}": "1" for n in range(1, 6)}

    response = _form(client, f"/cases/{case.id}/screenings/new?instrument=sds", **answers, action="complete")

    assert response.status_code == 422
    reader = check_error_summary(response.get_data(as_text=True))
    assert ("#f-substance", "Which substance are these questions about?") in reader.summary_links
