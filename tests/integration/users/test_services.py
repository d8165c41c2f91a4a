"""User administration rules that the pages cannot reach (the acting admin is always one more active admin)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role
from caseapp.errors import Conflict, ValidationError
from caseapp.extensions import db
from caseapp.users import services
from tests import factories


def _audited(action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == action)) or 0


def test_deactivate_user_refuses_the_last_active_admin(db_session: Any) -> None:
    only_admin = factories.make_user(role=Role.ADMIN)
    factories.make_user(role=Role.ADMIN, is_active=False)
    actor = factories.make_user(role=Role.MANAGER)

    with pytest.raises(ValidationError, match="last active admin"):
        services.deactivate_user(only_admin, actor_id=actor.id)

    assert only_admin.is_active is True
    assert _audited("user.deactivated") == 0


def test_change_role_refuses_to_demote_the_last_active_admin(db_session: Any) -> None:
    only_admin = factories.make_user(role=Role.ADMIN)
    actor = factories.make_user(role=Role.MANAGER)

    with pytest.raises(ValidationError, match="last active admin"):
        services.change_role(only_admin, Role.ADVISOR, actor_id=actor.id)

    assert only_admin.role == Role.ADMIN


def test_deactivate_user_allows_an_admin_when_another_admin_remains(db_session: Any) -> None:
    first, second = factories.make_user(role=Role.ADMIN), factories.make_user(role=Role.ADMIN)

    services.deactivate_user(first, actor_id=second.id)

    assert first.is_active is False
    assert _audited("user.deactivated") == 1


def test_create_user_refuses_a_duplicate_email_as_conflict(db_session: Any) -> None:
    factories.make_user(email="taken@example.org")

    with pytest.raises(Conflict) as raised:
        services.create_user(
            email=" Taken@Example.org ",
            full_name="Someone",
            role=Role.ADVISOR,
            password="fresh-quiet-orchard-88",
            actor_id=None,
        )

    assert raised.value.status == 409
    assert raised.value.fields == {"email": ["Already in use."]}


def test_reactivate_user_makes_the_account_active_again(db_session: Any) -> None:
    user = factories.make_user(is_active=False)
    admin = factories.make_user(role=Role.ADMIN)

    services.reactivate_user(user, actor_id=admin.id)

    assert user.is_active is True
    assert _audited("user.reactivated") == 1
