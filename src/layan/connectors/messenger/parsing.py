"""Messenger webhook payloads to messages and receipts (pure): the shared Meta messaging parser with
Messenger's `object` and sender ids."""

from layan.connectors.meta.messaging import ParsedMessaging, parse_messaging


def parse_webhook(raw: bytes) -> ParsedMessaging:
    """Raises ValueError when ``raw`` is not a Messenger messaging delivery."""
    return parse_messaging(raw, platform="messenger")
