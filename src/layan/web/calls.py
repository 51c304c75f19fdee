"""What the agent pages need to log a call and call back: the form's choices and first values,
and the number to call (the customer's phone, else their WhatsApp number)."""

from __future__ import annotations

from layan.connectors.models import InboxKind
from layan.connectors.voice.models import CallDirection, CallOutcome
from layan.customers.normalise import PHONE_KINDS


def phone_to_call(identities) -> str:
    """The customer's number to call: a phone identity first, then WhatsApp (E.164), else ''."""
    numbers = sorted((i for i in identities if i.kind in PHONE_KINDS), key=lambda i: (i.kind != "phone", i.pk))
    return numbers[0].value if numbers else ""


def call_panel(*, identities, conversation=None, form: dict | None = None, error=None) -> dict:
    number = phone_to_call(identities)
    return {
        "is_voice": conversation is not None and conversation.channel == InboxKind.VOICE,
        "call_back_number": number,
        "call_form": form or {"direction": CallDirection.OUTBOUND, "number": number, "minutes": "", "seconds": "",
                              "outcome": CallOutcome.ANSWERED, "notes": ""},
        "call_error": error, "call_directions": CallDirection.choices, "call_outcomes": CallOutcome.choices,
    }
