"""API documents that are not a feature: the OpenAPI document and the reference lists."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Blueprint, jsonify
from werkzeug.wrappers import Response

from caseapp import reference
from caseapp.api import API_PREFIX, api_blueprint, operation
from caseapp.auth.access import public_blueprint
from caseapp.openapi import build_spec

docs_bp = Blueprint("api_docs", __name__)
public_blueprint(docs_bp)
api_bp = api_blueprint("reference", "/reference")


@docs_bp.get(f"{API_PREFIX}/openapi.json")
def openapi_document() -> Response:
    return jsonify(build_spec())


class ReferenceItemSchema(ma.Schema):
    value = ma.fields.String(required=True, metadata={"description": "What the API takes and answers."})
    label = ma.fields.String(required=True, metadata={"description": "What people are shown."})


ReferenceListsSchema = ma.Schema.from_dict(
    {name: ma.fields.List(ma.fields.Nested(ReferenceItemSchema), required=True) for name in reference.REFERENCE_LISTS},
    name="ReferenceListsSchema",
)


@operation(
    api_bp,
    "",
    summary="Every reference list (substances, pathways, ...) as value/label pairs",
    response=ReferenceListsSchema,
)
def reference_lists() -> dict[str, Any]:
    return reference.as_json()
