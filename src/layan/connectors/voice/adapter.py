"""A phone inbox sends no text: agents call the customer back and log the call. The composer is
hidden and the reply service refuses (409) for phone conversations; this adapter is the last
guard, for anything that still reaches the outbox (an automatic acknowledgement), failing it
with a reason an agent can act on instead of pretending it was sent."""

from __future__ import annotations

from django.utils.translation import gettext as _

from layan.connectors.base import OutboundMessage, SendError, SendResult


class VoiceAdapter:
    kind = "voice"
    rate_limit = None

    def send(self, message: OutboundMessage) -> SendResult:
        raise SendError(_("A phone inbox cannot send text messages: call the customer back and log the call."),
                        retryable=False)
