"""Replies to web-form conversations go by email: through the email adapter, from the email inbox
the form's settings name (or the workspace's first one with an address), with that inbox's relay,
thread headers and signed Reply-To, so the customer's answer comes back into the same conversation.
Without an email inbox, or to a customer who left only a phone number, the reply fails with the
reason (an agent then calls them) rather than pretending it was sent."""

from __future__ import annotations

from dataclasses import replace

from django.utils.translation import gettext as _

from layan.connectors.base import OutboundMessage, SendError, SendResult
from layan.connectors.email.adapter import EmailAdapter
from layan.connectors.selectors import inbox_by_id
from layan.connectors.webform.selectors import reply_inbox_for


class WebFormAdapter:
    kind = "webform"
    rate_limit = None

    def send(self, message: OutboundMessage) -> SendResult:
        form_inbox = inbox_by_id(inbox_id=message.inbox_id)
        if not message.recipients.get("to"):
            raise SendError(_("The customer left no email address on the form; contact them by phone."),
                            retryable=False)
        email_inbox = reply_inbox_for(inbox=form_inbox)
        if email_inbox is None:
            raise SendError(_("Replies to the web form %(inbox)s go by email, but this workspace has no email "
                              "inbox with an address to send from.") % {"inbox": form_inbox.name}, retryable=False)
        return EmailAdapter().send(replace(message, inbox_id=email_inbox.pk))
