"""The optional "we received your message, ticket #N" mail, in the customer's language (id/en).

Per inbox: settings["acknowledgement"] = {"enabled": true, "text": {"id": "...", "en": "..."}},
where a custom text may use {number} and {subject}. Never sent for auto-replies, lists or bounces
(the caller decides that: see connectors/email/inbound.py).
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from layan.connectors.models import Inbox
from layan.conversations.models import Conversation


def acknowledgement_text(*, inbox: Inbox, conversation: Conversation, language: str) -> str:
    custom = ((inbox.settings.get("acknowledgement") or {}).get("text") or {}).get(language)
    values = {"number": conversation.number, "subject": conversation.subject}
    if custom:
        # Plain substitution, not str.format: a template typo must not fail the mail, and a
        # template must not reach into the values' attributes.
        return str(custom).replace("{number}", str(conversation.number)).replace("{subject}", conversation.subject)
    with translation.override(language):
        return _(
            "Hello,\n\nThank you for writing to us. We have received your message and registered it as "
            "ticket #%(number)s. Our team will reply as soon as possible.\n\nTo add anything, just reply to "
            "this email.") % values


def acknowledge(*, inbox: Inbox, conversation: Conversation, address: str) -> None:
    from layan.conversations.services import send_automatic_reply

    if not (inbox.settings.get("acknowledgement") or {}).get("enabled"):
        return
    languages = [code for code, _name in settings.LANGUAGES]
    language = conversation.customer.language if conversation.customer.language in languages else settings.LANGUAGE_CODE
    send_automatic_reply(conversation=conversation, to=address, kind="acknowledgement",
                         text=acknowledgement_text(inbox=inbox, conversation=conversation, language=language))
