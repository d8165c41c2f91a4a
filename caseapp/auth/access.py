"""Who is asking: Flask-Login loaders (session cookie or bearer token) and the role checks.

Every endpoint declares who may use it, where the check is made: `guard_blueprint`/`guard_api_blueprint` record a
blueprint's least role, `require_role` marks its view, and `public`/`public_blueprint` opt out. `required_role` reads
the declaration back, so tests can walk the URL map and hold each endpoint to what it declares."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, g, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from caseapp.auth import services
from caseapp.auth.models import Role, User
from caseapp.errors import Forbidden, Unauthorized, wants_json
from caseapp.extensions import csrf, db, login_manager

F = TypeVar("F", bound=Callable[..., Any])
SESSION_KEY = "sid"
#: the least role of each guarded blueprint, by blueprint name (filled as the blueprints are guarded)
BLUEPRINT_ROLES: dict[str, Role] = {}
#: blueprints anyone may use without signing in
PUBLIC_BLUEPRINTS: set[str] = set()
#: public blueprints whose requests carry their sender's signature instead of a sign-in (the phone system's webhooks):
#: an unsigned request gets 401/403, or 503 while the endpoint has no secret
SIGNED_BLUEPRINTS: set[str] = set()
#: Flask's own endpoint for files under caseapp/static
STATIC_ENDPOINT = "static"
#: what the sign-in page may say above the form, by the `msg` code in its URL (never text taken from the URL, which
#: anyone could make say anything on our page)
SIGN_IN_NOTICES = {
    "session_ended": "Your session has ended. Please sign in again.",
    "sign_in_expired": "Signing in took too long, or was not started here. Please start again.",
}


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.session_protection = None  # our own server-side sessions do this job

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        secret = session.get(SESSION_KEY)
        if not secret:
            return None
        user_session = services.resolve_session(secret)
        _note_bookkeeping()
        if user_session is None or str(user_session.user_id) != user_id:
            session.clear()
            g.session_expired = True
            return None
        g.user_session = user_session
        return user_session.user

    @login_manager.request_loader
    def load_user_from_token(req: Any) -> User | None:
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        token = services.resolve_api_token(header.removeprefix("Bearer ").strip())
        _note_bookkeeping()
        if token is None:
            g.bad_token = True
            return None
        g.auth_via_token = True
        g.api_token = token
        return token.user

    @login_manager.unauthorized_handler
    def unauthorized() -> Response:
        if wants_json():
            raise Unauthorized("Sign in or send a valid API token (Authorization: Bearer …).")
        notice = "session_ended" if g.get("session_expired") else None
        return redirect(url_for("auth.login", next=request.path if request.method == "GET" else None, msg=notice))

    @app.after_request
    def commit_session_touch(response: Response) -> Response:
        # persist what resolving the session/token wrote (last_seen_at, last_used_at, an idle revoke), even on
        # read-only pages; error responses have rolled back already (errors.py)
        if g.pop("auth_bookkeeping", False):
            db.session.commit()
        return response


def _note_bookkeeping() -> None:
    """Remember that resolving the credentials changed rows. Checked right away, because `session.dirty` empties as
    soon as any later query autoflushes, and then the touch was never committed (active users timed out as idle)."""
    if db.session.dirty:
        g.auth_bookkeeping = True


def safe_next(target: str | None, default_endpoint: str = "home.index") -> str:
    """A redirect target from a form or query: only same-site paths of printable characters (a CR or LF would split
    the Location header); anything else goes to `default_endpoint`."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
        and len(target) <= 2000
        and not urlsplit(target).netloc
    ):
        return target
    return url_for(default_endpoint)


def _check(role: Role) -> None:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not current_user.has_role(role):
        raise Forbidden("Your role does not allow this.")


def require_role(role: Role) -> Callable[[F], F]:
    """View decorator: signed in, with at least `role`."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            _check(role)
            return view(*args, **kwargs)

        wrapped.required_role = role  # type: ignore[attr-defined]  # copied by functools.wraps to outer wrappers
        return wrapped  # type: ignore[return-value]

    return decorator


def public(view: F) -> F:
    """View decorator: anyone may use this view without signing in (an explicit opt-out, e.g. the sign-in page)."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def public_blueprint(bp: Blueprint) -> None:
    """Every endpoint of `bp` is open to anyone (health probes, the API document)."""
    PUBLIC_BLUEPRINTS.add(bp.name)


def signed_blueprint(bp: Blueprint) -> None:
    """Every endpoint of `bp` is open without signing in, and checks the sender's signature itself."""
    PUBLIC_BLUEPRINTS.add(bp.name)
    SIGNED_BLUEPRINTS.add(bp.name)


def is_signed(endpoint: str) -> bool:
    return endpoint.rpartition(".")[0] in SIGNED_BLUEPRINTS


def required_role(app: Flask, endpoint: str) -> Role | None:
    """The least role `endpoint` admits as declared by its blueprint guard and its view (the higher of the two), or
    None when it is public. LookupError when it declares neither (every endpoint must say who may use it)."""
    if endpoint == STATIC_ENDPOINT:
        return None
    view = app.view_functions[endpoint]
    blueprint = endpoint.rpartition(".")[0]
    if getattr(view, "is_public", False) or blueprint in PUBLIC_BLUEPRINTS:
        return None
    declared = [role for role in (BLUEPRINT_ROLES.get(blueprint), getattr(view, "required_role", None)) if role]
    if not declared:
        raise LookupError(f"{endpoint} declares no access policy: guard its blueprint, or mark it public")
    return max(declared, key=lambda role: role.rank)


def guard_blueprint(bp: Blueprint, role: Role) -> None:
    """Every endpoint of `bp` needs at least `role` (least privilege by default)."""
    BLUEPRINT_ROLES[bp.name] = role

    @bp.before_request
    def _guard() -> None:
        _check(role)


def guard_api_blueprint(bp: Blueprint, role: Role) -> None:
    """As guard_blueprint, plus CSRF for cookie-authenticated unsafe requests (bearer tokens need none)."""
    BLUEPRINT_ROLES[bp.name] = role
    csrf.exempt(bp)

    @bp.before_request
    def _guard() -> None:
        if g.get("bad_token"):
            raise Unauthorized("The API token is not valid or has been revoked.")
        _check(role)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("auth_via_token"):
            csrf.protect()
