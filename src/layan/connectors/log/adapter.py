"""Adapter that records sends instead of reaching a provider."""

import logging
import uuid

from layan.connectors.base import OutboundMessage, SendResult

logger = logging.getLogger("layan.connectors.log")


class LogAdapter:
    kind = "log"
    rate_limit = None

    def send(self, message: OutboundMessage) -> SendResult:
        provider_id = f"log-{uuid.uuid4().hex}"
        logger.info(
            "send message=%s conversation=%s inbox=%s to=%s chars=%s attachments=%s provider_id=%s",
            message.message_id, message.conversation_id, message.inbox_id,
            message.recipients.get("to", []), len(message.text), len(message.attachments), provider_id,
        )
        return SendResult(provider_message_id=provider_id)
