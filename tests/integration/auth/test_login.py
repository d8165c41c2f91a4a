from __future__ import annotations

from caseapp.auth.models import Role
from caseapp.extensions import db
from tests import factories
from tests.conftest import login


def test_login_redirects_home_and_shows_the_users_name(client, db_session):
    user = factories.make_user(full_name="Sam Jones", role=Role.ADVISOR)
    db.session.commit()
    response = login(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Hello, Sam" in client.get("/").get_data(as_text=True)


def test_login_page_shows_no_text_taken_from_its_url(client, db_session):
    # the defect: /login?msg=... printed any text on the sign-in page ("Call 0800 ... to unlock your account")
    page = client.get("/login", query_string={"msg": "Your account is locked. Call 0800 000 000 to unlock it."})

    assert page.status_code == 200
    assert "0800 000 000" not in page.get_data(as_text=True)
