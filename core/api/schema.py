"""The OpenAPI schema documents the refusals each operation can give, in the one shape they all take.

Every error answer is ``{"code", "detail"}`` (``core.api.exceptions``), with ``errors`` for file rows and
``fields`` for invalid input. drf-spectacular documents only the success of an operation; this schema
class adds the 4xx answers that the authentication, the permissions, the scoping (404 for what lies
outside a user's reach), the input validation and the conflicts of concurrent writes give, unless a view
documents a status itself.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "detail"],
    "properties": {
        "code": {"type": "string", "description": "snake_case reason, e.g. not_found, permission_denied, invalid."},
        "detail": {"type": "string", "description": "The reason in the user's language."},
        "errors": {
            "type": "array",
            "description": "Row errors of a file.",
            "items": {
                "type": "object",
                "required": ["row", "column", "code", "detail"],
                "properties": {
                    "row": {"type": "integer", "description": "As a spreadsheet shows it: the header is row 1."},
                    "column": {"type": "string", "description": "English name of the column."},
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                },
            },
        },
        "fields": {"type": "object", "description": "Errors by input field.", "additionalProperties": True},
    },
}


WRITES = {"POST", "PUT", "PATCH", "DELETE"}
DESCRIPTIONS = {
    "400": "Refused: the input is invalid or a business rule forbids it (see code).",
    "401": "Not authenticated, or the token has expired.",
    "403": "The user's role may not do this (permission_denied, maker_checker).",
    "404": "Unknown, or outside the user's reach (not_found).",
    "409": "Conflict with the stored state or with a concurrent write; may be sent again (conflict, busy).",
}


class ErrorDocumentingAutoSchema(AutoSchema):
    def _error_codes(self) -> list[str]:
        open_to_all = all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())
        codes = [] if open_to_all else ["401", "403"]
        if "{" in self.path:
            codes.append("404")
        if self.method in WRITES:
            codes += ["400", "409"]
        elif self.method == "GET" and "{" not in self.path:
            codes.append("400")  # a malformed filter or page number
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        component = ResolvedComponent(name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA)  # type: ignore[no-untyped-call]
        self.registry.register_on_missing(component)
        for code in self._error_codes():
            responses.setdefault(
                code, {"description": DESCRIPTIONS[code], "content": {"application/json": {"schema": component.ref}}}
            )
        return responses
