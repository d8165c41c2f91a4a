"""JSON API fixtures (tests/api_fixtures.py): clients signed in with a bearer token whose every response is checked
against the OpenAPI document the app serves."""

from tests.api_fixtures import anonymous_api, api, api_as, openapi_spec, response_checker

__all__ = ["anonymous_api", "api", "api_as", "openapi_spec", "response_checker"]
