"""A template's words made into one farmer's message, safely (a pure module: no ORM).

A template names its variables in braces, ``{farmer_name}``; only the names of ``VARIABLES`` are known and
a template with another is refused when it is saved. Nothing of Python's formatting is used: a variable is
replaced by its value and nothing else, so a template cannot reach an attribute or an index. The values are
data (a farmer's name as the anchor's list wrote it): control characters, braces and the full-width
brackets a sender is named in (【】) are taken out of them and each is cut to ``VALUE_MAX`` characters, so
that no value can pose as the bank's sender or add a line.

Every message is framed the same way, so that a farmer can tell it from a fraud: it starts with the bank's
official sender in brackets, names the bank's customer line 95588, and ends with the opt-out ``回复T退订``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

OFFICIAL_NUMBER = "95588"
OPT_OUT = "回复T退订"
BODY_MAX = 300
VALUE_MAX = 30
VARIABLES: dict[str, str] = {
    "farmer_name": "张三",
    "limit_room": "50,000.00",
    "programme": "生猪养殖贷",
    "anchor": "某某牧业",
    "outlet": "某某网点",
    "outlet_phone": "028-12345678",
}
_VARIABLE = re.compile(r"\{([^{}]*)\}")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f{}【】\[\]]")


class TemplateProblem(ValueError):
    """What is wrong with a template's words (the service turns it into a refusal)."""


def template_variables(body: str) -> list[str]:
    """The variables a template uses, in order; ``TemplateProblem`` for an unknown one or a stray brace."""
    names = _VARIABLE.findall(body)
    unknown = sorted({name for name in names if name not in VARIABLES})
    if unknown:
        raise TemplateProblem("unknown variable: " + ", ".join("{" + name + "}" for name in unknown))
    if "{" in _VARIABLE.sub("", body) or "}" in _VARIABLE.sub("", body):
        raise TemplateProblem("a brace that opens no variable")
    return names


def template_check(body: str) -> None:
    """Refuse (``TemplateProblem``) an empty body, one too long, one naming a sender, or an unknown variable."""
    if not body.strip():
        raise TemplateProblem("empty")
    if len(body) > BODY_MAX:
        raise TemplateProblem("too long")
    if "【" in body or "】" in body:
        raise TemplateProblem("the sender is added by the system")
    template_variables(body)


@lru_cache(maxsize=8192)
def _clean(text: str) -> str:
    return _UNSAFE.sub("", text).strip()[:VALUE_MAX]


def clean_value(value: object) -> str:
    """A variable's value as safe text: no control characters, braces or brackets, at most ``VALUE_MAX`` long."""
    return _clean(str(value))


@lru_cache(maxsize=256)
def compiled(body: str, sender: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The template cut once into (literal, variable) pairs after the frame's head, for ``render``.

    The body's own line breaks become spaces; the head is ``【sender】``, the tail the official number and the
    opt-out (``render`` adds it).
    """
    body = re.sub(r"[\r\n]+", " ", body.strip())
    pieces = _VARIABLE.split(body)  # literal, name, literal, name, ..., literal
    pairs = tuple((pieces[i], pieces[i + 1] if i + 1 < len(pieces) else "") for i in range(0, len(pieces), 2))
    return f"【{clean_value(sender)}】", pairs


def render(body: str, values: Mapping[str, object], *, sender: str) -> str:
    """The whole message: ``【sender】`` + the body with its variables + the official number + the opt-out."""
    head, pairs = compiled(body, sender)
    parts = [head]
    for literal, name in pairs:
        parts.append(literal)
        if name:
            parts.append(clean_value(values.get(name, "")))
    return "".join(parts).strip() + f" 官方客服{OFFICIAL_NUMBER}。{OPT_OUT}"


def render_sample(body: str, *, sender: str) -> str:
    """The message with example values: what the template page shows before it is used."""
    return render(body, VARIABLES, sender=sender)
