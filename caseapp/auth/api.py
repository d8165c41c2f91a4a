"""JSON API for your own API tokens: list them (with their expiry) and create one."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_login import current_user

from caseapp.api import Extended, api_blueprint, operation, page_of
from caseapp.auth import queries, services
from caseapp.auth.schemas import CreatedTokenSchema, NewTokenSchema, TokenSchema
from caseapp.extensions import db

api_bp = api_blueprint("tokens", "/tokens")


@operation(api_bp, "", summary="Your API tokens, newest first, with when each expires", response=page_of(TokenSchema))
def list_tokens() -> dict[str, Any]:
    return {"items": queries.list_tokens(current_user.id), "next": None}


@operation(
    api_bp,
    "",
    "POST",
    summary="Create an API token for yourself; one made with a token expires no later than that token (so no token "
    "can renew itself); the new token is in this answer only",
    body=NewTokenSchema,
    response=CreatedTokenSchema,
    status=201,
)
def create(body: dict[str, Any]) -> Extended:
    asking = g.get("api_token")
    token, secret = services.create_token(
        current_user,
        body["name"],
        actor_id=current_user.id,
        days=body["days"],
        not_after=asking.expires_at if asking is not None else None,
    )
    db.session.commit()
    return Extended(token, token=secret)
