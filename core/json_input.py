"""Reading JSON sent from outside without letting its nesting exhaust the stack.

Python's decoder recurses once per level: a body of a few kilobytes of ``[[[[…`` raises
``RecursionError`` (a server error, not a refusal) in the decoder, or, a little shallower, in any
code that walks the value afterwards. Nothing we accept nests deeper than a handful of levels, so
``json_loads_bounded`` refuses, as a ``ValueError``, anything deeper than ``MAX_JSON_DEPTH``.
"""

from __future__ import annotations

import json
from typing import Any

MAX_JSON_DEPTH = 32  # our deepest body, {"records": [{…}]}, has three levels


class JsonTooDeep(ValueError):
    """The JSON nests deeper than ``MAX_JSON_DEPTH`` levels (or deeper than the decoder can go)."""


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether objects and arrays nest deeper than ``limit`` (walked with a stack, never recursively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def json_loads_bounded(data: str | bytes, **kwargs: Any) -> Any:
    """``json.loads`` that refuses nesting deeper than ``MAX_JSON_DEPTH`` with ``JsonTooDeep``."""
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise JsonTooDeep(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    if isinstance(value, dict | list) and json_depth_exceeds(value):
        raise JsonTooDeep(f"nested deeper than {MAX_JSON_DEPTH} levels")
    return value
