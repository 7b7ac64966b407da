"""The codes in one place: core.error_codes.ErrorCode holds every code the contract names and nothing it does
not name unless it is marked ours (INTERNAL_CODES), and no refusal is raised with a code typed as a string."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework import exceptions

from core.error_codes import INTERNAL_CODES, ErrorCode
from core.errors import DomainError
from tests.project_apps import PROJECT_APPS

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
APPS = (*PROJECT_APPS, "config")

CODE = r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)*)`"
CODE_RUN = r"((?:`[a-z][a-z0-9_]*`(?:,? (?:and |or )?)?)+)"

# How the contract writes a code; each phrasing must still find one, so a rewording is noticed, not skipped.
PHRASINGS: dict[str, re.Pattern[str]] = {
    # → 400 `invalid_uscc`, answers 404 `not_found`, 409 `duplicate_file`
    "a status and its code": re.compile(r"\b4\d\d " + CODE),
    # 401 `{"code": "token_expired", …}`
    "an error body": re.compile(r'"code": "([a-z][a-z0-9_]*)"'),
    # refusals, the first that applies in this order: `program_suspended`, `limit_frozen`, …
    "a list of refusals": re.compile(r"refusals\b[^:|\n]*: " + CODE_RUN),
    # with the code `conflicting_duplicate`, else `wrong_value_date`, row codes are `unknown_loan` and …
    "a code named as one": re.compile(r"(?:the code|codes are|else|other content) " + CODE_RUN),
}
# The Files section's prose (not its tables) names the codes of a file and of its rows, in parentheses or not.
FILES_SECTION = re.compile(r"^## Files\n(.*?)(?=^## )", re.DOTALL | re.MULTILINE)


def contract_codes_by_phrasing() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name, pattern in PHRASINGS.items():
        # a phrasing captures one bare code, or a run of backticked ones
        found[name] = {code for match in pattern.findall(CONTRACT) for code in re.findall(CODE, match) or [match]}
    files = FILES_SECTION.search(CONTRACT)
    assert files is not None, "the contract has no Files section"
    prose = "\n".join(line for line in files.group(1).splitlines() if not line.startswith("|"))
    found["the Files section's prose"] = set(re.findall(CODE, prose))
    return found


def contract_codes() -> set[str]:
    return set().union(*contract_codes_by_phrasing().values())


@pytest.mark.parametrize("phrasing", [*PHRASINGS, "the Files section's prose"])
def test_each_way_the_contract_writes_a_code_still_finds_one(phrasing):
    assert contract_codes_by_phrasing()[phrasing], f"no code written as {phrasing!r}: was the contract reworded?"


def test_the_contract_names_the_codes_it_is_known_to_name():
    """The reading of the contract itself: a sample of codes from each part of it, and nothing that is a field."""
    codes = contract_codes()
    assert {"invalid_uscc", "token_expired", "limit_frozen", "conflicting_duplicate", "unsafe_file"} <= codes
    assert {"not_found", "permission_denied", "maker_checker", "overpayment", "wrong_value_date"} <= codes
    assert not codes & {"id_number", "status", "screening", "matched", "deposit", "batch", "errors"}


def test_every_code_the_contract_names_is_an_error_code_and_none_of_ours():
    members = {code.value for code in ErrorCode}
    internal = {code.value for code in INTERNAL_CODES}
    codes = contract_codes()
    assert codes - members == set(), "codes of the contract missing from ErrorCode"
    assert codes & internal == set(), "codes of the contract marked internal"


def test_every_error_code_is_the_contracts_or_marked_ours():
    """A new member is a decision: it goes into the contract or into INTERNAL_CODES."""
    unexplained = {code.value for code in ErrorCode} - contract_codes() - {code.value for code in INTERNAL_CODES}
    assert unexplained == set(), "codes neither in docs/contract.md nor in INTERNAL_CODES"


def test_no_code_of_ours_is_named_anywhere_in_the_contract():
    """A code of ours written into the contract in a phrasing the reading above misses is caught here."""
    backticked = set(re.findall(CODE, CONTRACT))
    assert {code.value for code in INTERNAL_CODES} & backticked == set()


def test_members_are_their_codes_in_comparisons_and_json():
    refusal = DomainError(ErrorCode.LIMIT_EXCEEDED, "只剩 100.00 元。", batch=7)
    assert refusal.code == "limit_exceeded"
    assert json.dumps(refusal.as_dict(), ensure_ascii=False) == (
        '{"code": "limit_exceeded", "detail": "只剩 100.00 元。", "batch": 7}'
    )
    assert str(refusal) == "limit_exceeded: 只剩 100.00 元。"
    assert {code.value for code in ErrorCode} == {str(code) for code in ErrorCode}
    assert len({code.value for code in ErrorCode}) == len(ErrorCode)


def test_a_refusal_with_a_code_that_is_no_member_fails_where_it_is_raised():
    with pytest.raises(ValueError, match="made_up_code"):
        DomainError("made_up_code", "…")  # type: ignore[arg-type]


# DRF's exceptions that reach the handler (core.api.exceptions) answer with their default code.
DRF_EXCEPTIONS = (
    exceptions.ParseError,
    exceptions.AuthenticationFailed,
    exceptions.NotAuthenticated,
    exceptions.PermissionDenied,
    exceptions.NotFound,
    exceptions.MethodNotAllowed,
    exceptions.NotAcceptable,
    exceptions.UnsupportedMediaType,
)


@pytest.mark.parametrize("exception", DRF_EXCEPTIONS, ids=lambda exception: exception.__name__)
def test_the_codes_drf_answers_with_are_error_codes(exception):
    assert exception.default_code in {code.value for code in ErrorCode}


def test_nothing_throttles_so_drf_never_answers_throttled():
    """Throttling would add DRF's ``throttled`` to what the API answers: it would need its member first."""
    assert not settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_CLASSES")
    assert "throttled" not in {code.value for code in ErrorCode}


# --- no code typed as a string --------------------------------------------------------------------------

REFUSALS = {"DomainError", "TableError", "InvalidValue"}  # whose first argument is the code
DRF_REFUSALS = {cls.__name__ for cls in (*DRF_EXCEPTIONS, exceptions.ValidationError, exceptions.APIException)}


def _app_sources() -> list[Path]:
    return [path for app in APPS for path in sorted((ROOT / app).rglob("*.py")) if "migrations" not in path.parts]


def _is_text(node: ast.expr) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or isinstance(node, ast.JoinedStr)


def _codes_typed_as_text(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in REFUSALS and node.args and _is_text(node.args[0]):
                found.append((node.lineno, ast.unparse(node)))
            if name in REFUSALS | DRF_REFUSALS and any(
                keyword.arg == "code" and _is_text(keyword.value) for keyword in node.keywords
            ):
                found.append((node.lineno, ast.unparse(node)))
        if (
            isinstance(node, ast.Assign)
            and _is_text(node.value)
            and any(isinstance(target, ast.Name) and target.id == "default_code" for target in node.targets)
        ):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_the_check_below_sees_a_code_typed_as_a_string():
    sample = ast.parse(
        'raise DomainError("limit_exceeded", _("…"))\n'
        'raise errors.DomainError(f"{kind}_missing", "…")\n'
        'raise DomainError(code="busy", detail="…")\n'
        'raise ParseError("…", code="invalid_json")\n'
        'class BadRequest(APIException):\n    default_code = "bad_request"\n'
        'raise DomainError(ErrorCode.LIMIT_EXCEEDED, "…")\n'
        "raise DomainError(exc.code, exc.detail)\n"
    )
    assert [line for line, _call in _codes_typed_as_text(sample)] == [1, 2, 3, 4, 6]


def test_no_refusal_in_the_apps_is_raised_with_a_code_typed_as_a_string():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {call}"
        for path in _app_sources()
        for line, call in _codes_typed_as_text(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == [], "use an ErrorCode member:\n" + "\n".join(offenders)
