"""Request parsing: JSON bodies and query strings with NUL characters removed.

A NUL carries nothing in any text Layan stores, and PostgreSQL refuses it in text columns, so a
stray `\\u0000` (or `%00`) would otherwise turn a valid request into a server error."""

from __future__ import annotations

import json

from ninja.parser import Parser


def without_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    return value


class LayanParser(Parser):
    def parse_body(self, request):
        return without_nul(json.loads(request.body))

    def parse_querydict(self, data, list_fields, request):
        return without_nul(super().parse_querydict(data, list_fields, request))
