"""Template bodies as Meta writes them ("Halo {{1}}, pesanan {{2}} sudah dikirim."): how many
parameters one needs and the text a send with given parameters shows. Pure, no database."""

from __future__ import annotations

import re

PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")


def body_text(components) -> str:
    """The BODY component's text of a template as the Graph API lists it."""
    for component in components if isinstance(components, list) else []:
        if isinstance(component, dict) and str(component.get("type") or "").upper() == "BODY":
            return str(component.get("text") or "")
    return ""


def parameter_count(body: str) -> int:
    """The highest placeholder number: Meta numbers them 1..n without gaps."""
    return max((int(n) for n in PLACEHOLDER.findall(body or "")), default=0)


def render(body: str, parameters: list[str]) -> str:
    """The body with {{n}} replaced by the n-th parameter (placeholders beyond them kept)."""
    def fill(match: re.Match) -> str:
        index = int(match.group(1))
        return parameters[index - 1] if 0 < index <= len(parameters) else match.group(0)

    return PLACEHOLDER.sub(fill, body or "")
