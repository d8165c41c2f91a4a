"""Proof from outside: Schemathesis reads GET /api/v1/openapi.json from caseapp running under gunicorn (tests/live.py)
and sends every operation generated requests with a manager's and with an advisor's bearer token. Every response
must be free of server errors and match the document (a documented status code, its content type, its body schema);
invalid input must be refused with a 4xx, and a request without the token must be refused.

The manager, who may call every operation, gets the coverage phase's invalid requests (for each parameter and field:
values past its bounds, wrong types, missing and unknown fields, values outside its enum; methods the path does not
take), then MAX_EXAMPLES fuzzed requests per operation, valid and invalid. The CSV exports take their JSON report's
parameters, so they skip the coverage phase. The advisor gets MAX_EXAMPLES fuzzed requests with a seed of their own,
and three to each manager-only operation (the documented 403). Seeds are fixed: a run repeats the last one.

Path ids are sometimes those of seeded rows (callers, cases, calls, callbacks, drafts, reminder deliveries), so the
requests reach real rows as well as missing ones; ids, times and free text sometimes take EDGES values. The figures
(requests per role and phase; each distinct failure with the last, so smallest, request Hypothesis found for it) go
to test-artifacts/contract-figures.txt.

    CASEAPP_CONTRACT_EXAMPLES=50 CASEAPP_CONTRACT_SEED=7 pytest tests/contract      # more, or other, requests
    CASEAPP_CONTRACT_OPERATIONS='^POST /api/v1/callbacks' pytest tests/contract     # some operations only
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok

from caseapp.auth.models import Role
from tests.contract.conftest import ROLES, LiveApi, Tally

MAX_EXAMPLES = int(os.environ.get("CASEAPP_CONTRACT_EXAMPLES", "20"))
SEED = int(os.environ.get("CASEAPP_CONTRACT_SEED", "20261125"))
#: the tags of the operations only managers may call
MANAGER_ONLY_TAGS = ["reports", "reminders"]
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ignored_auth",
    "unsupported_method",
)
#: values mixed now and then into generated parameters: times at the edges of what a date type holds, a NUL in free
#: text (PostgreSQL refuses it), ids past 32 and 64 bits
EDGES: dict[str, list[str | int]] = {
    "times": ["9999-12-31", "0001-01-01", "9999-12-31T23:59:59-23:00", "0001-01-01T00:00:00+23:00"],
    "text": ["a\u0000b"],
    "ids": [2**31, -(2**31) - 1, 2**63, -(2**63) - 1],
}
TIME_PARAMETERS = ["query.from", "query.to", "query.due_before", "query.due_after"] + [
    f"body.{name}" for name in ("due_at", "started_at", "ended_at", "next_due_at", "last_use_at")
]
TEXT_PARAMETERS = [f"body.{name}" for name in ("body", "notes", "reason", "caller_name", "safe_to_call_notes")]
#: path parameter → the kind of seeded row whose ids it may take
SEEDED_KIND = {
    "caller_id": "caller",
    "case_id": "case",
    "call_id": "call",
    "callback_id": "callback",
    "draft_id": "draft",
    "outbox_id": "outbox",
}


def contract_config(role: Role, token: str) -> schemathesis.Config:
    manager = role == Role.MANAGER
    if manager:
        operations = [{"include-path-regex": r"\.csv$", "phases": {"coverage": {"enabled": False}}}]
    else:
        operations = [{"include-tag": MANAGER_ONLY_TAGS, "generation": {"max-examples": 3}}]
    return schemathesis.Config.from_dict(
        {
            "seed": SEED if manager else SEED + 1,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "database": "none",
                "dictionaries": {"integer": {"dictionary": "ids", "probability": 0.1}},
            },
            "dictionaries": {name: {"values": values} for name, values in EDGES.items()},
            "parameters": {
                **{name: {"dictionary": "times", "probability": 0.2} for name in TIME_PARAMETERS},
                **{name: {"dictionary": "text", "probability": 0.2} for name in TEXT_PARAMETERS},
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": manager, "generation": {"mode": "negative"}},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "checks": {
                "enabled": False,
                **{name: {"enabled": True} for name in CHECKS},
                # any 4xx refuses invalid input (gunicorn's 414 too); a 5xx is not_a_server_error's to report
                "negative_data_rejection": {"enabled": True, "expected-statuses": ["4XX", "5XX"]},
            },
            "auth": {"openapi": {"bearer": {"bearer": token}}},
            "request-timeout": 60,
            "operations": operations,
        }
    )


def seeded_ids(seeded: dict[str, list[int]]) -> Any:
    """A flatmap_path_parameters hook: each generated set of path ids, or one made of seeded rows' ids."""

    def flatmap_path_parameters(context: schemathesis.HookContext, path_parameters: dict[str, Any]) -> Any:
        choices = {name: seeded[kind] for name, kind in SEEDED_KIND.items() if name in (path_parameters or {})}
        if not choices:
            return st.just(path_parameters)
        real = st.fixed_dictionaries({name: st.sampled_from(ids) for name, ids in choices.items()})
        return st.one_of(st.just(path_parameters), real.map(lambda ids: {**path_parameters, **ids}))

    return flatmap_path_parameters


@pytest.fixture(scope="module", params=ROLES, ids=[role.value for role in ROLES])
def role(request: pytest.FixtureRequest) -> Role:
    return Role(request.param)


@pytest.fixture(scope="module")
def api_schema(live_api: LiveApi, role: Role) -> Any:
    """The document the live server serves, loaded over HTTP as any client would, with the role's token."""
    schema = schemathesis.openapi.from_url(
        f"{live_api.url}/api/v1/openapi.json", config=contract_config(role, live_api.tokens[role])
    )
    schema.hooks.register_hook_with_name(seeded_ids(live_api.seeded), "flatmap_path_parameters")
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")
if os.environ.get("CASEAPP_CONTRACT_OPERATIONS"):
    schema = schema.include(name_regex=os.environ["CASEAPP_CONTRACT_OPERATIONS"])


@schema.parametrize()
def test_api_answers_as_documented(case: schemathesis.Case, role: Role, tally: Tally) -> None:
    operation = case.operation.label
    phase = case.meta.phase.name.value if case.meta else "unknown"
    tally.count(role, operation, phase)
    try:
        case.call_and_validate()
    except (Failure, FailureGroup) as error:
        request = f"[{phase}] {case.as_curl_command()}"  # the token shows as [Filtered]
        for failure in error.exceptions if isinstance(error, FailureGroup) else [error]:
            tally.failures[(role, operation, failure.title)] = request
        raise


def test_every_documented_operation_was_tested_for_each_role(live_api: LiveApi, tally: Tally) -> None:
    """The run above (same module, so before this) reached every operation of the live document, as each role."""
    if os.environ.get("CASEAPP_CONTRACT_OPERATIONS") or not any(tally.sent.values()):
        pytest.skip("the whole run was not selected")
    results = list(schemathesis.openapi.from_url(f"{live_api.url}/api/v1/openapi.json").get_all_operations())
    labels = {result.ok().label for result in results if isinstance(result, Ok)}

    assert len(labels) == len(results) > 40  # every operation loads
    for role in ROLES:
        assert {operation for operation, _ in tally.sent[role]} == labels, role
