"""Customer-service windows: on WhatsApp, Messenger and Instagram a business may answer freely only
for 24 hours after the customer's last message; after that, WhatsApp allows only approved
templates (Messenger and Instagram a tagged human-agent reply). The composer shows the window and
the reply service enforces it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

REPLY_WINDOWS: dict[str, timedelta] = {
    "whatsapp": timedelta(hours=24),
    "messenger": timedelta(days=7),  # 24 hours free, then 7 days tagged HUMAN_AGENT (meta/send.py)
    "instagram": timedelta(days=7),
}


@dataclass(frozen=True)
class ReplyWindow:
    channel: str
    closes_at: datetime | None  # None: the customer has never written, so it never opened

    def is_open(self, at: datetime | None = None) -> bool:
        return self.closes_at is not None and (at or timezone.now()) < self.closes_at


def reply_window(*, channel: str, last_customer_message_at: datetime | None) -> ReplyWindow | None:
    """The window for a conversation on ``channel``; None when the channel has none (email, SMS)."""
    length = REPLY_WINDOWS.get(channel)
    if length is None:
        return None
    closes = last_customer_message_at + length if last_customer_message_at else None
    return ReplyWindow(channel=channel, closes_at=closes)
