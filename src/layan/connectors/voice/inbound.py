"""A stored Twilio Voice status callback to the call it reports on (see services.record_call_update)."""

from __future__ import annotations

from layan.connectors.ingress import Outcome
from layan.connectors.models import InboundEvent, InboundEventStatus
from layan.connectors.voice.parsing import parse_status_callback
from layan.errors import InvalidInput


def process_voice_event(event: InboundEvent, raw: bytes) -> Outcome:
    from layan.connectors.voice.models import VoiceConfig
    from layan.connectors.voice.services import record_call_update

    try:
        update = parse_status_callback(raw)
    except ValueError as exc:
        return Outcome(InboundEventStatus.REJECTED, f"not a Twilio Voice status callback: {exc}")
    config = VoiceConfig.objects.filter(inbox=event.inbox).first()
    if config is not None and config.account_sid and update.account_sid != config.account_sid:
        return Outcome(InboundEventStatus.REJECTED,
                       f"the callback is for account {update.account_sid!r}, not this inbox's {config.account_sid!r}")
    try:
        call = record_call_update(inbox=event.inbox, update=update)
    except InvalidInput as exc:  # a withheld or unusable caller number ("anonymous", "client:...")
        return Outcome(InboundEventStatus.REJECTED, f"call {update.call_sid}: {exc.message}",
                       sender=update.customer_number)
    return Outcome(InboundEventStatus.PROCESSED, sender=call.number)
