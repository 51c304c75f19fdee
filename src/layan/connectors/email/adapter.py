"""The email channel's adapter: builds the mail for an outbound message and hands it to the inbox's
SMTP relay, or, for an inbox without SMTP settings, to the installation's mail backend
(``LAYAN_EMAIL_BACKEND``). The provider id it reports is the mail's Message-ID, so replies and
bounces find the message again. See docs/flows/email.md.
"""

from __future__ import annotations

import logging
import smtplib
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP

from django.core.files.storage import default_storage
from django.core.mail import EmailMessage as DjangoEmailMessage
from django.core.mail import get_connection
from django.utils.translation import gettext as _

from layan.connectors.base import OutboundMessage, SendError, SendResult
from layan.connectors.email.config import inbox_addresses
from layan.connectors.email.outbound import MailFile, OutgoingMail, build_mail
from layan.connectors.email.reply_address import conversation_reply_address, reply_secret
from layan.connectors.email.smtp import send_over_smtp, smtp_send_error, smtp_settings
from layan.connectors.selectors import inbox_by_id

logger = logging.getLogger(__name__)


class EmailAdapter:
    kind = "email"
    # SMTP relays publish no common figure; set LAYAN_OUTBOX_RATE_LIMITS to your relay's.
    rate_limit = None

    def send(self, message: OutboundMessage) -> SendResult:
        inbox = inbox_by_id(inbox_id=message.inbox_id)
        addresses = inbox_addresses(inbox.settings)
        if not addresses:
            raise SendError(_("The email inbox %(inbox)s has no address to send from.") % {"inbox": inbox.name},
                            retryable=False)
        sender = addresses[0]
        secret = reply_secret()
        reply_to = None
        if inbox.settings.get("reply_address", True) and message.conversation_number:
            reply_to = conversation_reply_address(address=sender, conversation_number=message.conversation_number,
                                                  secret=secret)
        mail = build_mail(message, sender_address=sender, inbox_name=inbox.name, own=frozenset(addresses),
                          reply_to=reply_to, secret=secret, files=_files(message))
        if not mail.recipients:
            raise SendError(_("The message has no recipient outside this inbox's own addresses."), retryable=False)
        config = smtp_settings(inbox.settings)
        if config is None:
            refused = _send_with_backend(mail)
        else:
            refused = send_over_smtp(config, envelope_from=mail.envelope_from, recipients=list(mail.recipients),
                                     data=mail.data)
        if refused:
            # Some recipients were refused while others got the mail: it was sent; a resend would
            # give the others a second copy. The refusals are logged for the operator.
            logger.warning("message %s: refused recipients %s", message.message_id, refused)
        return SendResult(provider_message_id=mail.message_id)


def _files(message: OutboundMessage) -> tuple[MailFile, ...]:
    files = []
    for attachment in message.attachments:
        try:
            with default_storage.open(attachment.path, "rb") as handle:
                content = handle.read()
        except OSError as exc:  # the storage may be back later (a network share)
            raise SendError(_("The attachment %(name)s cannot be read: %(error)s")
                            % {"name": attachment.filename, "error": exc}, retryable=True) from exc
        files.append(MailFile(filename=attachment.filename, content_type=attachment.content_type, content=content))
    return tuple(files)


class _WireMessage(EmailMessage):
    """A parsed mail whose bytes are the ones built, whatever a backend asks for."""

    wire = b""

    def as_bytes(self, *args, **kwargs) -> bytes:
        return self.wire


class _BuiltMail(DjangoEmailMessage):
    """A mail built by outbound.py, handed to a Django mail backend unchanged: the backend sends
    ``message().as_bytes()`` to ``recipients()`` (BCC included, in the envelope only)."""

    def __init__(self, mail: OutgoingMail):
        super().__init__(from_email=mail.envelope_from, to=list(mail.recipients))
        self._built = mail

    def message(self, *args, **kwargs) -> _WireMessage:
        parsed = message_from_bytes(self._built.data, _class=_WireMessage, policy=SMTP)
        parsed.wire = self._built.data
        return parsed

    def recipients(self) -> list[str]:
        return list(self._built.recipients)


def _send_with_backend(mail: OutgoingMail) -> dict:
    try:
        with get_connection(fail_silently=False) as connection:
            connection.send_messages([_BuiltMail(mail)])
    except (OSError, smtplib.SMTPException) as exc:
        raise smtp_send_error(exc, _("The mail server did not take the mail: %(error)s"), {}) from exc
    return {}
