"""Instagram webhook payloads to messages and receipts (pure): the shared Meta messaging parser with
Instagram's `object` and sender ids."""

from layan.connectors.meta.messaging import ParsedMessaging, parse_messaging


def parse_webhook(raw: bytes) -> ParsedMessaging:
    """Raises ValueError when ``raw`` is not a Instagram messaging delivery."""
    return parse_messaging(raw, platform="instagram")
