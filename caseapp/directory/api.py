"""JSON API for the treatment services directory: advisors read it; managers and admins add to it and change it
(their own blueprint, so the role is checked before the body is read)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.api import api_blueprint, operation, page_of
from caseapp.auth.models import Role
from caseapp.directory import queries, services
from caseapp.directory.models import TreatmentService
from caseapp.directory.schemas import (
    BedsInputSchema,
    ServiceInputSchema,
    ServiceListQuery,
    ServicePatchSchema,
    ServiceSchema,
)
from caseapp.extensions import db
from caseapp.pagination import keyset_page

api_bp = api_blueprint("services", "/services")
manage_api_bp = api_blueprint("services_manage", "/services", role=Role.MANAGER)

_ACTIVE = {"true": True, "false": False, "any": None}


@operation(
    api_bp,
    "",
    summary="The directory of treatment services by name, filtered by type, region, substance, funding, active",
    query=ServiceListQuery,
    response=page_of(ServiceSchema),
)
def list_services(query: dict[str, Any]) -> dict[str, Any]:
    select = queries.select_services(
        types=query["type"],
        regions=query["region"],
        substance=query["substance"],
        funding=query["funding"],
        active=_ACTIVE[query["active"]],
        name=query["q"],
    )
    items, next_cursor = keyset_page(
        select,
        [TreatmentService.name, TreatmentService.id],
        lambda s: (s.name, s.id),
        cursor=query["cursor"],
        limit=query["limit"],
        descending=False,
    )
    return {"items": items, "next": next_cursor}


@operation(api_bp, "/<int:service_id>", summary="One treatment service", response=ServiceSchema)
def get(service_id: int) -> TreatmentService:
    return queries.get_service(service_id)


@operation(
    manage_api_bp,
    "",
    "POST",
    summary="Add a treatment service (managers, admins); 409 when its regulator id is another service's",
    body=ServiceInputSchema,
    response=ServiceSchema,
    status=201,
)
def create(body: dict[str, Any]) -> TreatmentService:
    service = services.create_service(body, actor=current_user)
    db.session.commit()
    return service


@operation(
    manage_api_bp,
    "/<int:service_id>",
    "PATCH",
    summary="Change a treatment service (managers, admins), giving the version read; 409 when it is stale",
    body=ServicePatchSchema,
    response=ServiceSchema,
)
def update(service_id: int, body: dict[str, Any]) -> TreatmentService:
    version = body.pop("version")
    service = queries.lock_service(service_id)
    services.update_service(service, body, version=version, actor=current_user)
    db.session.commit()
    return service


@operation(
    manage_api_bp,
    "/<int:service_id>/beds",
    "POST",
    summary="Confirm a service's free beds (managers, admins): the number, now or at confirmed_at",
    body=BedsInputSchema,
    response=ServiceSchema,
)
def confirm_beds(service_id: int, body: dict[str, Any]) -> TreatmentService:
    service = queries.lock_service(service_id)
    services.set_beds(service, body["beds_available"], actor=current_user, confirmed_at=body["confirmed_at"])
    db.session.commit()
    return service
