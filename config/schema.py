"""The OpenAPI schema: drf-spectacular's, plus the error answers each operation can give."""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

DETAIL_ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# Serializer errors per field, or one ``detail`` (see config.api.exception_handler).
VALIDATION_ERROR = {
    "type": "object",
    "description": "Messages per field (``non_field_errors`` for the whole request), "
    "or one ``detail`` message.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
READS = {"GET", "HEAD", "OPTIONS"}


class AutoSchema(openapi.AutoSchema):
    """Documents 400, 401, 403, 404, 415 and 429 wherever the operation can answer them.

    * 400: the operation takes a body or query parameters (a list's ``limit``/``offset`` too);
    * 401 and 403: it needs a logged-in user (401 without credentials, 403 when not allowed);
    * 404: it names an object in its path;
    * 415: it takes a body (DRF refuses a media type none of its parsers reads);
    * 429: every operation (see config.throttle).

    Answers an operation documents itself (``extend_schema(responses=...)``) are kept.
    """

    def get_operation(
        self,
        path: str,
        path_regex: str,
        path_prefix: str,
        method: str,
        registry: Any,
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        where = {parameter["in"] for parameter in operation.get("parameters", [])}
        errors: dict[str, tuple[str, str, dict[str, Any]]] = {}
        if self.method not in READS or "query" in where:
            errors["400"] = (
                "The input is not valid: the body says what to fix.",
                "ValidationError",
                VALIDATION_ERROR,
            )
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            errors["401"] = (
                "Not logged in: send the session cookie or an ``Authorization: Token`` header.",
                "ErrorDetail",
                DETAIL_ERROR,
            )
            errors["403"] = ("Logged in, but not allowed to do this.", "ErrorDetail", DETAIL_ERROR)
        if "path" in where:
            errors["404"] = (
                "No such object, or not one you may see.",
                "ErrorDetail",
                DETAIL_ERROR,
            )
        if self.method not in READS:
            errors["415"] = (
                "The body's media type is not one this operation reads (send JSON).",
                "ErrorDetail",
                DETAIL_ERROR,
            )
        errors["429"] = (
            "Too many requests: the body says when to try again (also ``Retry-After``).",
            "ErrorDetail",
            DETAIL_ERROR,
        )
        responses = operation.setdefault("responses", {})
        for code, (description, name, schema) in errors.items():
            if code in responses:
                continue
            component = ResolvedComponent(
                name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
            )
            self.registry.register_on_missing(component)
            responses[code] = {
                "content": {"application/json": {"schema": component.ref}},
                "description": description,
            }
        return operation
