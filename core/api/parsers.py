"""The API's JSON parser: DRF's, refusing with 400 ``invalid_json`` (not a 500) a body nested too deeply or
one that is not an object: every body the API takes is an object, and its views read fields from it."""

from __future__ import annotations

import codecs
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

from core.error_codes import ErrorCode
from core.json_input import MAX_JSON_DEPTH, JsonTooDeep, json_loads_bounded


class JSONParser(parsers.JSONParser):
    def parse(self, stream: IO[Any], media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            data = json_loads_bounded(text, parse_constant=strict_constant if self.strict else None)
        except JsonTooDeep:
            raise ParseError(json_too_deep_detail(), code=ErrorCode.INVALID_JSON) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if not isinstance(data, dict):
            raise ParseError(_("The request body must be a JSON object."), code=ErrorCode.INVALID_JSON)
        return data


def json_too_deep_detail() -> str:
    return _("The request body nests deeper than %(depth)s levels.") % {"depth": MAX_JSON_DEPTH}
