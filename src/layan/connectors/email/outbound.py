"""Building the mail for an outbound message (pure: no database, no network).

The thread headers make the customer's mail program keep the conversation together, the signed
Reply-To and the ``[#N]`` subject token bring the answer back to it, and BCC recipients exist
only in the SMTP envelope: no header of any copy names them. Every header value is stripped of
line breaks and control characters first, so nothing can be injected. See docs/flows/email.md.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from django.utils import timezone

from layan.connectors.base import OutboundMessage
from layan.connectors.email.config import is_own_address
from layan.connectors.email.reply_address import subject_with_token

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|bls|balas)\s*:", re.IGNORECASE)
MAX_NAME_CHARS = 120


@dataclass(frozen=True)
class MailFile:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class OutgoingMail:
    data: bytes  # the mail as it goes over the wire (CRLF line ends)
    message_id: str  # "<...>", the same on every retry of the same message
    envelope_from: str
    recipients: tuple[str, ...]  # To + CC + BCC: the SMTP envelope, the only place BCC appears


def header_safe(value: str) -> str:
    """One line of plain text: line breaks and control characters become a space."""
    return _CONTROL.sub(" ", value or "").strip()


def message_id_for(*, message_id: int, domain: str, secret: bytes) -> str:
    """Layan's Message-ID for a message: fixed by its id (a retry sends the same one), with a
    signature so that nobody can forge ids that look like ours."""
    tag = hmac.new(secret, f"message-id:{message_id}".encode(), hashlib.sha256).hexdigest()[:16]
    return f"<layan.{message_id}.{tag}@{domain}>"


def reply_subject(subject: str, *, number: int, is_reply: bool) -> str:
    subject = header_safe(subject)
    if is_reply and subject and not _REPLY_PREFIX.match(subject):
        subject = f"Re: {subject}"
    return subject_with_token(subject, number) if number else subject


def text_to_html(text: str) -> str:
    """The plain text as simple HTML: paragraphs and line breaks, everything escaped."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{body}</body></html>'


def _address(address: str, name: str = "") -> Address:
    local, _at, domain = address.partition("@")
    return Address(display_name=header_safe(name)[:MAX_NAME_CHARS], username=local, domain=domain)


def build_mail(message: OutboundMessage, *, sender_address: str, inbox_name: str, own: frozenset[str],
               reply_to: str | None, secret: bytes, files: tuple[MailFile, ...] = (),
               now=None) -> OutgoingMail:
    """The mail for ``message``, from ``sender_address``. Recipients that are the inbox's own
    addresses are dropped (Layan never writes to itself)."""

    def keep(addresses) -> list[str]:
        kept = []
        for address in addresses or []:
            address = header_safe(str(address)).lower()
            if address and "@" in address and not is_own_address(address, own) and address not in kept:
                kept.append(address)
        return kept

    to = keep(message.recipients.get("to"))
    cc = [a for a in keep(message.recipients.get("cc")) if a not in to]
    bcc = [a for a in keep(message.recipients.get("bcc")) if a not in to and a not in cc]
    domain = sender_address.partition("@")[2]
    message_id = message_id_for(message_id=message.message_id, domain=domain, secret=secret)

    mail = EmailMessage(policy=SMTP)
    author = header_safe(message.author_name)
    name = f"{author} via {header_safe(inbox_name)}" if author else header_safe(inbox_name)
    mail["From"] = _address(sender_address, name)
    if to:
        mail["To"] = [_address(a) for a in to]
    else:  # only BCC recipients: a To header that discloses nobody
        mail["To"] = "undisclosed-recipients:;"
    if cc:
        mail["Cc"] = [_address(a) for a in cc]
    if reply_to:
        mail["Reply-To"] = _address(reply_to, name)
    thread = tuple(header_safe(i) for i in message.thread_ids if header_safe(i).startswith("<"))
    mail["Subject"] = reply_subject(message.subject, number=message.conversation_number, is_reply=bool(thread))
    mail["Date"] = format_datetime(now or timezone.now())
    mail["Message-ID"] = message_id
    if thread:
        mail["In-Reply-To"] = thread[-1]
        mail["References"] = " ".join(thread)
    if message.automatic:
        # RFC 3834: tells other systems not to answer, so two autoresponders never loop.
        mail["Auto-Submitted"] = "auto-replied"
        mail["X-Auto-Response-Suppress"] = "All"
        mail["Precedence"] = "auto_reply"
    mail.set_content(message.text or "", subtype="plain", charset="utf-8")
    mail.add_alternative(message.html or text_to_html(message.text or ""), subtype="html", charset="utf-8")
    for file in files:
        maintype, _slash, subtype = (file.content_type or "application/octet-stream").partition("/")
        mail.add_attachment(file.content, maintype=maintype or "application", subtype=subtype or "octet-stream",
                            filename=header_safe(file.filename) or "attachment")
    return OutgoingMail(data=mail.as_bytes(), message_id=message_id, envelope_from=sender_address,
                        recipients=tuple(to + cc + bcc))
