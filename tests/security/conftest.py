"""One data set per module: people of every role already signed in (a browser session with its CSRF token, and an
API token), and a row of every kind a URL can name, built once in an outer transaction on one connection. Each test
runs in a SAVEPOINT inside it and is rolled back, so tests cannot see each other's writes and nothing is ever
committed to the session's database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from caseapp.access.services import break_glass
from caseapp.auth.models import Role, User, UserSession
from caseapp.auth.reset_links import issue_link
from caseapp.auth.services import start_session
from caseapp.callbacks.handover import hand_over_callback
from caseapp.caller_flags.models import FlagKind
from caseapp.caller_flags.schemas import NumberFlagInputSchema
from caseapp.caller_flags.services import raise_on_caller
from caseapp.callers.merges import merge_callers
from caseapp.callers.models import NumberKind
from caseapp.callers.numbers import add_number
from caseapp.calls.services import save_draft
from caseapp.cases.services import add_note
from caseapp.directory.models import CommercialRelationship, ServiceType
from caseapp.extensions import db
from caseapp.notifications.services import notify
from caseapp.referrals.history import start_referral
from caseapp.referrals.models import ReferralStatus
from caseapp.referrals.offers import ItemAction, ItemChoice, record_offer
from caseapp.reminders.models import DeliveryChannel, OutboxKind, OutboxMessage, OutboxStatus
from caseapp.safety_plans.services import save_plan
from caseapp.screenings.instruments import InstrumentCode
from caseapp.screenings.services import record_screening
from caseapp.timeutil import now_utc
from tests import factories
from tests.api_fixtures import openapi_spec, response_checker
from tests.conftest import IsolatedClient, csrf_token_from, login, session_cookie, session_on
from tests.html import Form, forms_on
from tests.integration.api_support import Api, ResponseChecker
from tests.security import surface

__all__ = ["openapi_spec", "response_checker"]  # fixtures this folder shares with tests/integration

ROLES = (Role.ADVISOR, Role.MANAGER, Role.ADMIN)
#: who may ask: nobody signed in, then each role from the lowest
WHO: tuple[Role | None, ...] = (None, *ROLES)


def who_id(who: Role | None) -> str:
    return who.value if who else "anonymous"


class BufferedClient(IsolatedClient):
    """Reads each response in full inside its request (a streamed CSV, a static file's handle closed)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


def new_client(app: Flask, cookie: str | None = None) -> FlaskClient:
    """A new browser, holding only this session cookie when given."""
    client = BufferedClient(app, app.response_class, use_cookies=True)
    if cookie is not None:
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie, domain=app.config["SERVER_NAME"])
    return client


@dataclass(frozen=True)
class Member:
    """Someone of the world: a signed-in browser (its session cookie and CSRF token) and an API token."""

    role: Role | None
    user_id: int | None
    email: str | None
    cookie: str
    csrf: str
    token: str | None


@dataclass
class World:
    app: Flask
    checker: ResponseChecker
    members: dict[Role | None, Member]
    #: one real row for every <argument> of the URL map
    ids: dict[str, Any]
    #: rows that belong to one person (a draft, a notification), by whose they are: for the ids `ids` does not name
    own: dict[Role, dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)

    def ids_for(self, who: Role | None) -> dict[str, Any]:
        """The ids to fill a URL with when `who` asks (nobody asks with an advisor's)."""
        return {**self.own[who or Role.ADVISOR], **self.ids}

    def browser(self, who: Role | None) -> FlaskClient:
        """A new browser holding `who`'s session cookie (a copy: what a test does to its cookies stays there)."""
        return new_client(self.app, self.members[who].cookie)

    def api(self, who: Role | None) -> Api:
        """`who`'s bearer-token client (anonymous: none), responses checked against the OpenAPI document."""
        member = self.members[who]
        return Api(new_client(self.app), None, member.token, self.checker)


@contextmanager
def joined_session(app: Flask, connection: sa.Connection, keep: bool = False) -> Iterator[sa.orm.scoped_session[Any]]:
    """db.session bound to `connection`, inside a SAVEPOINT of the transaction it is in (tests/conftest.py's
    recipe, on a connection that outlives one test); code under test may commit (nested SAVEPOINTs). At the end it is
    rolled back, or with `keep` kept in the enclosing transaction (the module's data set)."""
    with app.app_context():
        savepoint = connection.begin_nested()
        kept = False
        try:
            with session_on(connection) as session:
                yield session
            kept = keep
        finally:
            if savepoint.is_active:
                savepoint.commit() if kept else savepoint.rollback()


@pytest.fixture(scope="module")
def world_connection(app: Flask) -> Iterator[sa.Connection]:
    """The connection every test of the module uses, in a transaction that is rolled back when the module ends."""
    with app.app_context():
        connection = db.engine.connect()
    transaction = connection.begin()
    try:
        yield connection
    finally:
        transaction.rollback()
        connection.close()


@pytest.fixture(autouse=True)
def db_session(app: Flask, world_connection: sa.Connection) -> Iterator[sa.orm.scoped_session[Any]]:
    """Every test in a SAVEPOINT of the module's transaction: it sees the world, and its own writes are undone."""
    with joined_session(app, world_connection) as session:
        yield session


@pytest.fixture(scope="module")
def world(app: Flask, world_connection: sa.Connection, response_checker: ResponseChecker) -> World:
    with joined_session(app, world_connection, keep=True):
        return _build_world(app, response_checker)


def _sign_in(app: Flask, role: Role | None) -> Member:
    browser = app.test_client()
    if role is None:
        csrf = csrf_token_from(browser.get("/login").get_data(as_text=True))
        cookie = session_cookie(browser)
        assert cookie is not None
        return Member(None, None, None, cookie, csrf, None)
    user = factories.make_user(role=role, full_name=f"World {role.label}")
    _, token = factories.make_token(user)
    db.session.commit()
    assert login(browser, user.email).status_code == 302
    csrf = csrf_token_from(browser.get("/account").get_data(as_text=True))
    cookie = session_cookie(browser)
    assert cookie is not None
    return Member(role, user.id, user.email, cookie, csrf, token)


def _build_world(app: Flask, checker: ResponseChecker) -> World:
    members = {who: _sign_in(app, who) for who in WHO}
    advisor = db.session.get(User, members[Role.ADVISOR].user_id)
    assert advisor is not None
    target = factories.make_user(role=Role.ADVISOR, full_name="Target Person")
    _, reset_token = issue_link(target, actor_id=members[Role.ADMIN].user_id or 0)  # before the token: it revokes them
    target_token, _ = factories.make_token(target)
    start_session(target, "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0")
    target_session = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == target.id)).one()
    caller = factories.make_caller(name="Morgan Caller", consent_callback=True, consent_voicemail=True)
    case = factories.make_case(caller, actor=advisor, assigned_advisor_id=advisor.id)
    call = factories.make_call(case, actor=advisor, notes="Worried about drinking")
    assessment = factories.make_assessment(case, actor=advisor)
    screening = record_screening(case, InstrumentCode.AUDIT_C, {"q1": 1}, draft=True, actor=advisor)
    add_note(case, "Rang back", actor=advisor)
    save_plan(case, {"warning_signs": "Not sleeping"}, actor=advisor)
    callback = factories.make_callback(case, actor=advisor, assignee_id=advisor.id, reason="check detox booking")
    pooled = factories.make_callback(actor=advisor, assignee_id=None, reason="pool callback")
    handed = factories.make_callback(actor=target, assignee_id=target.id, reason="handed over at the end of a shift")
    handed_over = hand_over_callback(handed.id, to_user_id=None, actor=target, note="Ask for Morgan by name")
    outbox = OutboxMessage(
        callback_id=callback.id,
        case_id=case.id,
        kind=OutboxKind.REMINDER,
        due_at=callback.due_at,
        channel=DeliveryChannel.EMAIL,
        recipient_id=advisor.id,
        status=OutboxStatus.FAILED,
        attempts=5,
        last_error="SMTP 451",
        message_id="<world.failed@caseapp.test>",
        subject="Callback due",
        body="A callback is due",
        failed_at=now_utc() - timedelta(minutes=5),
    )
    db.session.add(outbox)
    # a case the world's advisor broke the glass on (the admins' review names it)
    theirs = factories.make_case(factories.make_caller(name="Sasha Elsewhere"), actor=target)
    grant = break_glass(theirs, actor=advisor, reason="covering", note="Covering for Target Person")
    concern = factories.make_safeguarding(case, actor=advisor)
    other_number = add_number(caller, phone="07400 555123", kind=NumberKind.MOBILE, actor=advisor)
    # the number the API's example flags is the caller's too (an advisor off shift may flag it)
    flagged = NumberFlagInputSchema().fields["phone"].metadata["example"]
    add_number(caller, phone=flagged, kind=NumberKind.LANDLINE, actor=advisor)
    manager = db.session.get(User, members[Role.MANAGER].user_id)
    assert manager is not None
    merge = merge_callers(factories.make_caller().id, factories.make_caller().id, actor=manager)
    flag = raise_on_caller(caller, kind=FlagKind.ABUSIVE, reason="Shouted at staff", actor=advisor, expires_in_days=2)
    service = factories.make_treatment_service(name="World Rehab", notes="Ring the ward first")
    # an offer of a service with a commercial link, disclosed (the world's case is assessed for a medical detox)
    offered_service = factories.make_treatment_service(
        name="World Detox",
        service_type=ServiceType.MEDICAL_DETOX,
        commercial_relationship=CommercialRelationship.COMMISSION,
    )
    offer = record_offer(
        case, {}, [ItemChoice(offered_service.id, ItemAction.OFFER, True)], "Wants a detox near home", actor=advisor
    ).offer
    referral = start_referral(
        case_id=case.id,
        service_id=factories.make_treatment_service(name="World Service").id,
        status=ReferralStatus.OFFERED,
        actor=advisor,
        at=now_utc() - timedelta(hours=1),
        note="Offered on the first call",
    )
    for role in ROLES:
        author = db.session.get(User, members[role].user_id)
        assert author is not None
        save_draft({"phone": "07911 000000"}, actor=author)
        notify([author.id], kind="world", title="Welcome to the world", case_id=case.id)
    db.session.commit()
    ids = {
        "case_id": case.id,
        "caller_id": caller.id,
        "call_id": call.id,
        "assessment_id": assessment.id,
        "screening_id": screening.id,
        "callback_id": callback.id,
        "outbox_id": outbox.id,
        "handover_id": handed_over.id,
        "grant_id": grant.id,
        "safeguarding_id": concern.id,
        "number_id": other_number.id,
        "merge_id": merge.id,
        "flag_id": flag.id,
        "service_id": service.id,
        "offer_id": offer.id,
        "referral_id": referral.id,
        "user_id": target.id,
        "token_id": target_token.id,
        "session_id": target_session.id,
        "token": reset_token,
        "filename": "app.css",
    }
    own = {role: _own_rows(members[role].user_id) for role in ROLES}
    extra = {"pooled_callback_id": pooled.id, "case_reference": case.reference, "caller_phone": caller.phone_e164}
    return World(app, checker, members, ids, own, extra)


#: columns that say whose a row is
OWNER_COLUMNS = ("user_id", "advisor_id", "recipient_id")


def _own_rows(user_id: int | None) -> dict[str, Any]:
    """For every <x_id> of the URL map whose table (xs) has an owner column: a row of this person's (the newest), so
    a new route naming such a row needs no change here, only a row of that kind in the world."""
    found = {}
    for argument in {a for route in surface.routes() for a in route.arguments if a.endswith("_id")}:
        plural = argument.removesuffix("_id") + "s"  # draft_id → call_drafts, notification_id → notifications
        tables = [t for name, t in db.metadata.tables.items() if name == plural or name.endswith(f"_{plural}")]
        table = tables[0] if len(tables) == 1 else None
        owner = next((table.c[name] for name in OWNER_COLUMNS if table is not None and name in table.c), None)
        if table is not None and owner is not None:
            row = db.session.execute(sa.select(table.c.id).where(owner == user_id).order_by(table.c.id.desc())).first()
            if row is not None:
                found[argument] = row.id
    return found


# --- what the pages hold -------------------------------------------------------------------------------------------


def page_urls(world: World, who: Role | None) -> list[str]:
    """Every page of the URL map `who` may open (GET), its ids naming the world's rows."""
    from caseapp.auth.access import required_role

    urls = []
    for route in surface.page_routes():
        if route.method != "GET" or route.endpoint == "static":
            continue
        required = required_role(world.app, route.endpoint)
        if required is None or (who is not None and who.includes(required)):
            urls.append(route.path(world.ids_for(who)))
    return urls


@pytest.fixture(scope="module")
def page_forms(app: Flask, world: World, world_connection: sa.Connection) -> dict[str, Form]:
    """The first form found for each page endpoint that takes a POST, read from every page an admin can open (and
    the public ones, as nobody)."""
    adapter = app.url_map.bind(app.config["SERVER_NAME"])
    found: dict[str, Form] = {}
    with joined_session(app, world_connection):  # opening pages writes audit events: undone
        for who in (Role.ADMIN, None):
            browser = world.browser(who)
            for url in page_urls(world, who):
                response = browser.get(url)
                assert response.status_code < 400, (url, response.status_code)
                if response.mimetype != "text/html":
                    continue
                for form in forms_on(response.get_data(as_text=True), url):
                    if form.method == "POST":
                        endpoint, _ = adapter.match(form.path, method="POST")
                        found.setdefault(endpoint, form)
    return found


STATE_IGNORES = ("last_seen_at", "last_used_at")  # touched by reading a session or token, on any request


def database_state() -> dict[str, str]:
    """A digest of every table's rows (what a refused request must leave as it was), in one query."""
    row = "(to_jsonb(t)" + "".join(f" - '{column}'" for column in STATE_IGNORES) + ")::text"
    digests = " UNION ALL ".join(
        f"SELECT '{name}', md5(coalesce(string_agg({row}, '|' ORDER BY {row}), '')) FROM {name} AS t"  # noqa: S608
        for name in sorted(db.metadata.tables)
    )
    return {str(name): str(digest) for name, digest in db.session.execute(sa.text(digests)).all()}
