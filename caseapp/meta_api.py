"""API documents that are not a feature: the OpenAPI document and the reference lists."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from werkzeug.wrappers import Response

from caseapp import reference
from caseapp.api import API_PREFIX, api_blueprint, operation
from caseapp.openapi import build_spec

docs_bp = Blueprint("api_docs", __name__)
api_bp = api_blueprint("reference", "/reference")


@docs_bp.get(f"{API_PREFIX}/openapi.json")
def openapi_document() -> Response:
    return jsonify(build_spec())


@operation(api_bp, "", summary="Every reference list (substances, pathways, ...) as value/label pairs")
def reference_lists() -> dict[str, Any]:
    return reference.as_json()
