"""OpenAPI schema: which paths are documented, and the error answers every view gives.

drf-spectacular documents only the success answer a view declares. The API also answers 400 (a field named with
its messages), 401 (no or a bad token), 403 (the role may not), 404 (no such object, or one the caller may not
see) and 429 (throttled); schemathesis (tests/functional/test_api_contract.py) holds every answer to the schema,
so those are documented too, each only where a view can give it.
"""

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework_simplejwt.views import TokenViewBase

DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# A refused input: each field (or "non_field_errors", or "rows" for a file) with what is wrong with it.
FIELD_ERRORS = {"type": "object", "additionalProperties": True}


class VerifiedJWTScheme(SimpleJWTScheme):
    """The API's Bearer token (simplejwt, issued after the second factor) is still `jwtAuth` in the schema."""

    target_class = "portal.api.authentication.VerifiedJWTAuthentication"


class VerifiedSessionScheme(SessionScheme):
    """A web session that passed the second factor is still `cookieAuth` in the schema."""

    target_class = "portal.api.authentication.VerifiedSessionAuthentication"


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


# For a view to declare a 404 the rules below cannot see (an id in the query string or the body).
NOT_FOUND = OpenApiResponse(ErrorDetailSerializer, description="No such object, or one the caller may not see.")


def _error(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def only_public_api(endpoints):
    """Document the SACCO API under /api/ only; Wagtail's internal admin API is not part of the contract."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema plus the error answers the view can give (a view's own declaration wins)."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = {}
        if self.method != "GET" or any(name != "page" for name in self._query_parameter_names()):
            errors["400"] = _error("The input is refused; each field is named with its messages.", FIELD_ERRORS)
        signed_in_only = not all(issubclass(cls, AllowAny) for cls in self.view.permission_classes)
        # A bad or revoked token is refused even where no sign-in is needed (DRF authenticates every request
        # whose view has authenticators); simplejwt's token views refuse a bad token themselves.
        if signed_in_only or self.view.authentication_classes or isinstance(self.view, TokenViewBase):
            errors["401"] = _error("No credentials, or a bad, expired or revoked token.", DETAIL)
        if signed_in_only:
            errors["403"] = _error("Signed in, but the role (or the unverified session) may not do this.", DETAIL)
        if "{" in self.path or self._paginated():
            errors["404"] = _error("No such object (or one the caller may not see), or no such page.", DETAIL)
        if getattr(self.view, "throttle_classes", None):
            errors["429"] = _error("Too many attempts; try again later.", DETAIL)
        for code, body in errors.items():
            responses.setdefault(code, body)
        return responses

    def _query_parameter_names(self) -> list[str]:
        return [parameter["name"] for parameter in self._get_parameters() if parameter.get("in") == "query"]

    def _paginated(self) -> bool:
        return self.method == "GET" and self._is_list_view() and self._get_paginator() is not None
