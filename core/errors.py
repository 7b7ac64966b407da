"""The one error a service raises when it refuses."""

from __future__ import annotations

from typing import Any

from core.error_codes import ErrorCode


class DomainError(Exception):
    """A refusal with a stable snake_case ``code`` (an ``ErrorCode``) and a sentence for the user.

    ``status`` is the HTTP status the API answers with; ``extra`` carries
    fields the contract adds beside code and detail (``batch``, ``errors``).
    """

    def __init__(self, code: ErrorCode, detail: str, *, status: int = 400, **extra: Any) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = ErrorCode(code)  # a code that is no member fails here, where it is raised
        self.detail = str(detail)
        self.status = status
        self.extra = extra
        # Rows behind the refusal for an error report (e.g. the original cells); never sent by the API.
        self.report: list[dict[str, Any]] = []

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, **self.extra}
