"""An email inbox's addresses as its settings name them: the one replies come from, and every
address that counts as "our own" (never a participant, never a recipient, never answered)."""

from __future__ import annotations

from layan.customers.normalise import normalise_email
from layan.errors import InvalidInput


def inbox_addresses(inbox_settings: dict | None) -> list[str]:
    """The inbox's valid addresses, lower-cased, in the order given; the first is the sender."""
    found: list[str] = []
    for raw in (inbox_settings or {}).get("addresses") or []:
        try:
            address = normalise_email(str(raw))
        except InvalidInput:
            continue
        if address not in found:
            found.append(address)
    return found


def own_addresses(inbox_settings: dict | None) -> frozenset[str]:
    return frozenset(inbox_addresses(inbox_settings))


def is_own_address(address: str, own: frozenset[str]) -> bool:
    """One of the inbox's addresses, or a plus-address of one (our signed reply addresses)."""
    local, _at, domain = address.strip().lower().partition("@")
    return f"{local}@{domain}" in own or f"{local.split('+', 1)[0]}@{domain}" in own
