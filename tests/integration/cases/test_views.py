"""The case page's words: labels as written ("Funding: NHS / local authority", "SMS"), errors named by the labels on
the page in plain English, and long notes collapsed on the timeline."""

from __future__ import annotations

import html
import re

from caseapp.auth.models import Role
from caseapp.cases import services as case_services
from caseapp.extensions import db
from caseapp.reference import Channel
from tests import factories
from tests.conftest import csrf_token_from
from tests.integration.page_support import PageReader, check_error_summary


def _case_page(client, case_id: int) -> str:
    response = client.get(f"/cases/{case_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_timeline_shows_labels_as_written(client, login_as):
    advisor = login_as(Role.ADVISOR)
    case = factories.make_case(actor=advisor)
    factories.make_call(case, actor=advisor, channel=Channel.SMS)
    factories.make_assessment(case, actor=advisor, funding_route="nhs_local_authority")
    db.session.commit()

    page = _case_page(client, case.id)

    assert "Funding: NHS / local authority" in page
    assert "funding nhs" not in page.lower().replace("funding: nhs", "")
    assert "Data call (inbound, SMS)" in page
    labels = PageReader(page).labels
    assert labels["f-risk_level"] == "Risk"
    assert all(labels.values())  # every field of every form has its label


def _post(client, path: str, case_id: int, **data: str):
    token = csrf_token_from(_case_page(client, case_id))
    return client.post(path, data={"csrf_token": token, **data})


def test_caller_form_errors_are_plain_and_named_by_their_labels(client, login_as):
    advisor = login_as(Role.ADVISOR)
    case = factories.make_case(actor=advisor)
    db.session.commit()

    response = _post(
        client,
        f"/cases/{case.id}/caller",
        case.id,
        relationship="self",
        name="x" * 121,
        preferred_from="25:99",
        preferred_to="18:00",
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    page = check_error_summary(html)
    assert ("#f-name", "Name") in page.summary_links
    assert ("#f-preferred_from", "Prefers calls from") in page.summary_links
    assert "Use 120 characters or fewer." in html
    assert "Enter a time, e.g. 19:00." in html
    for raw in ("Longer than maximum length", "Not a valid time", "Name: Longer"):
        assert raw not in html


def test_case_update_errors_are_plain_and_name_fields_on_the_form(client, login_as):
    advisor = login_as(Role.ADVISOR)
    case = factories.make_case(actor=advisor)
    db.session.commit()

    response = _post(client, f"/cases/{case.id}/update", case.id, status="closed", version=str(case.version))

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    page = check_error_summary(html)
    assert [text for _, text in page.summary_links] == ["Reason for closing"]


def test_a_tampered_hidden_field_is_reported_in_plain_text_without_a_link(client, login_as):
    advisor = login_as(Role.ADVISOR)
    case = factories.make_case(actor=advisor)
    db.session.commit()

    response = _post(client, f"/cases/{case.id}/update", case.id, status="assessing", version="abc")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    page = check_error_summary(html)
    assert page.summary_links == []  # "version" is not a field anyone can see
    assert "Give the version you read: a whole number. Reload the page to get it." in page.summary_items
    assert "Not a valid integer." not in html
    assert "Version" not in html


def test_a_note_longer_than_the_limit_is_refused_on_the_page_too(client, login_as):
    advisor = login_as(Role.ADVISOR)
    case = factories.make_case(actor=advisor)
    db.session.commit()

    response = _post(client, f"/cases/{case.id}/notes", case.id, body="x" * 20_001)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    page = check_error_summary(html)
    assert page.summary_links == [("#f-body", "Add a note")]
    assert "A note can be up to 20,000 characters; this one has 20,001." in html


def _timeline(page: str) -> str:
    return page.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]


def test_a_long_note_is_collapsed_to_a_preview_with_the_whole_text_behind_show_all(client, login_as):
    advisor = login_as(Role.ADVISOR)
    case = factories.make_case(actor=advisor)
    body = "<b>Worried</b> about her son. " + ("Talked through detox options at length. " * 600)
    body = body[:20_000]
    case_services.add_note(case, body, actor=advisor)
    factories.make_call(case, actor=advisor, notes="Line\n" * 30)
    factories.make_call(case, actor=advisor, notes="A short call note.")
    db.session.commit()

    timeline = _timeline(_case_page(client, case.id))

    escaped = html.escape(body, quote=False)
    assert timeline.count(escaped) == 1  # the whole note once, inside the <details>
    previews = [html.unescape(p) for p in re.findall(r'<p class="notes preview">(.*?)…</p>', timeline, flags=re.S)]
    (note_preview,) = [p for p in previews if body.startswith(p)]
    assert 500 <= len(note_preview) <= 600
    assert "Show all (20,000 characters)" in timeline
    assert "<b>Worried</b>" not in timeline  # escaped as before
    assert "Line\n" * 9 + "Line" in previews  # a 30-line call note shows its first ten lines
    assert '<p class="notes">A short call note.</p>' in timeline  # short text as it was
