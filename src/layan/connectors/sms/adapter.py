"""Sends SMS replies through the inbox's provider (providers/), asking it to report delivery to the
inbox's webhook (an absolute URL under LAYAN_BASE_URL); the id it answers is the message's
provider id, so status callbacks find the reply."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from layan.connectors.base import OutboundMessage, RateLimit, SendError, SendResult
from layan.connectors.log.adapter import LogAdapter
from layan.connectors.selectors import inbox_by_id, inbox_config, webhook_path
from layan.connectors.sms.providers import provider_for


def status_callback_url(inbox) -> str:
    return settings.LAYAN_BASE_URL + webhook_path(inbox=inbox)


class SmsAdapter:
    kind = "sms"
    # Twilio queues above a sender's own rate and caps an account at 25 messages/s for MMS.
    rate_limit = RateLimit(sends=25)

    def send(self, message: OutboundMessage) -> SendResult:
        inbox = inbox_by_id(inbox_id=message.inbox_id)
        config = inbox_config(inbox=inbox)
        if config is None:
            # Not connected to a provider yet (the demo's inbox, a new one): recorded, as every
            # channel was before its connector existed. Connecting it is saving its SMS settings.
            return LogAdapter().send(message)
        recipients = message.recipients.get("to") or []
        if not recipients:
            raise SendError(_("The customer has no phone number."), retryable=False)
        if message.attachments:
            raise SendError(_("An SMS reply cannot carry attachments; send the text alone."), retryable=False)
        if not message.text.strip():
            raise SendError(_("An SMS reply needs some text."), retryable=False)
        provider_id = provider_for(config).send(to=recipients[0], text=message.text,
                                                status_callback_url=status_callback_url(inbox))
        return SendResult(provider_message_id=provider_id)
