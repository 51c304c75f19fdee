"""Sends an agent's reply to the visitor's open widgets over the channel layer.

The push carries the message id only; each visitor socket reads the message through its own
scoped selector. A visitor who is offline sees the reply in the history on their next visit, so
"sent" means stored and pushed, "delivered"/"read" come from the widget's receipts.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from layan.connectors.base import OutboundMessage, SendError, SendResult
from layan.connectors.livechat.sessions import Visitor


class LivechatAdapter:
    kind = "livechat"
    rate_limit = None

    def send(self, message: OutboundMessage) -> SendResult:
        visitors = message.recipients.get("to") or []
        if not visitors:
            raise SendError("The conversation has no live chat visitor to send to.", retryable=False)
        layer = get_channel_layer()
        if layer is not None:
            for identity in visitors:
                group = Visitor(inbox_public_id="", identity=identity, verified=False).group
                async_to_sync(layer.group_send)(group, {"type": "livechat.message", "message_id": message.message_id})
        return SendResult(provider_message_id=f"livechat:{message.message_id}")
