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
