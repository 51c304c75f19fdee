"""From a stored raw email to a conversation message: our own mail, bounces and loops are stopped
first; threading hints, participants and the auto-acknowledgement follow. See docs/flows/email.md.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from layan.connectors.base import InboundAttachment, InboundMessage
from layan.connectors.email.acknowledgement import acknowledge
from layan.connectors.email.config import is_own_address, own_addresses
from layan.connectors.email.parsing import ParsedEmail, parse_email
from layan.connectors.email.reply_address import (
    conversation_from_address,
    conversation_from_subject,
    reply_secret,
)
from layan.connectors.ingress import Outcome
from layan.connectors.models import InboundEvent, InboundEventStatus, Inbox
from layan.customers.normalise import normalise_email
from layan.errors import InvalidInput

# More To/CC addresses than this is a mass mailing: nobody is added to the conversation, since
# every reply would go to all of them.
MAX_PARTICIPANTS = 50
# Per sender and inbox: more mails than this within the window look like a loop and are kept
# without making messages. Settable per inbox as settings["sender_rate_limit"] = {count, minutes}.
SENDER_RATE_LIMIT = {"count": 20, "minutes": 60}
MAX_ADDRESS_CHARS = 320


def process_email_event(event: InboundEvent, raw: bytes) -> Outcome:
    from layan.conversations.services import receive_inbound_message

    inbox = event.inbox
    parsed = parse_email(raw)
    own = own_addresses(inbox.settings)
    sender, sender_name = _sender(parsed)
    if not sender:
        return Outcome(InboundEventStatus.REJECTED, _("The mail has no usable sender address."))
    if is_own_address(sender, own):
        return Outcome(InboundEventStatus.IGNORED, _("Sent from this inbox's own address."), sender)
    if parsed.is_bounce:
        return _record_bounce(inbox, parsed, sender)
    limit = {**SENDER_RATE_LIMIT, **(inbox.settings.get("sender_rate_limit") or {})}
    recent = InboundEvent.objects.filter(
        inbox=inbox, sender=sender, status=InboundEventStatus.PROCESSED,
        received_at__gte=timezone.now() - timedelta(minutes=limit["minutes"])).count()
    if recent >= limit["count"]:
        return Outcome(InboundEventStatus.IGNORED, _(
            "%(sender)s sent more than %(count)s mails in %(minutes)s minutes: stopped as a likely mail loop."
        ) % {"sender": sender, **limit}, sender)

    inbound = to_inbound(parsed, sender=sender, sender_name=sender_name, own=own, event_id=event.pk)
    if inbound.provider_message_id is None:
        # No usable Message-ID: the payload's hash still makes a re-delivered copy one message.
        inbound = replace(inbound, provider_message_id=f"sha256:{event.sha256}")
    result = receive_inbound_message(inbox=inbox, inbound=inbound)
    if result.created_conversation and not (parsed.is_auto_reply or parsed.is_list):
        acknowledge(inbox=inbox, conversation=result.conversation, address=sender)
    return Outcome(InboundEventStatus.PROCESSED, sender=sender)


def _sender(parsed: ParsedEmail) -> tuple[str, str]:
    """The first valid address among From (or Sender) and Reply-To, lower-cased, with its name."""
    candidates = [(parsed.from_address, parsed.from_name), *parsed.reply_to]
    for address, name in candidates:
        try:
            return normalise_email(address), name
        except InvalidInput:
            continue
    return "", ""


def _record_bounce(inbox: Inbox, parsed: ParsedEmail, sender: str) -> Outcome:
    """A delivery report fails the message it is about; it never opens a conversation."""
    from layan.conversations.models import DeliveryStatus, Direction, Message
    from layan.conversations.services import record_delivery_status

    bounce = parsed.bounce
    if bounce is not None and not bounce.is_permanent:
        return Outcome(InboundEventStatus.IGNORED, _("A report that delivery is delayed; the server keeps trying."),
                       sender)
    hints = [h for h in (bounce.original_message_id if bounce else "", parsed.in_reply_to, *parsed.references) if h]
    original = (Message.objects.filter(workspace_id=inbox.workspace_id, direction=Direction.OUTBOUND,
                                       provider_message_id__in=hints).order_by("-id").first() if hints else None)
    if original is None:
        return Outcome(InboundEventStatus.IGNORED, _("A bounce for a mail Layan did not send."), sender)
    details = " ".join(p for p in (bounce.status, bounce.diagnostic) if p) if bounce else ""
    reason = _("The mail to %(recipient)s bounced: %(details)s") % {
        "recipient": (bounce.recipient if bounce and bounce.recipient else _("the recipient")),
        "details": details or _("no reason given")}
    record_delivery_status(message_id=original.pk, status=DeliveryStatus.FAILED, error=reason)
    return Outcome(InboundEventStatus.PROCESSED, _("Bounce for message %(id)s.") % {"id": original.pk}, sender)


def to_inbound(parsed: ParsedEmail, *, sender: str, sender_name: str, own: frozenset[str],
               event_id: int | None = None) -> InboundMessage:
    """What the conversation keeps of a parsed mail (pure: no database)."""
    metadata: dict = {}
    number, signed = None, False
    for address, _name in (*parsed.to, *parsed.cc):
        found = conversation_from_address(address, own_addresses=own, secret=reply_secret())
        if found is not None:
            number, signed = found, True
            break
    if number is None:
        number = conversation_from_subject(parsed.subject)

    def others(people):
        return tuple((a.lower(), n) for a, n in people
                     if a and len(a) <= MAX_ADDRESS_CHARS and not is_own_address(a.lower(), own))

    to, cc = others(parsed.to), others(parsed.cc)
    if len(to) + len(cc) > MAX_PARTICIPANTS:
        metadata["recipients_left_out"] = len(to) + len(cc)
        to, cc = (), ()

    limit = settings.LAYAN_MAX_MESSAGE_CHARS
    text = parsed.new_text if parsed.new_text.strip() else parsed.text
    quoted = "\n\n".join(p for p in (parsed.signature, parsed.quoted_text) if p.strip())
    if len(text) > limit or len(quoted) > limit:
        metadata["text_truncated"] = True
        text, quoted = text[:limit], quoted[:limit]

    attachments, left_out = [], []
    for item in parsed.attachments:
        if item.size > settings.LAYAN_MAX_ATTACHMENT_BYTES:
            left_out.append({"filename": item.filename, "size": item.size})
            continue
        name = (item.filename or _fallback_name(item.content_type)).replace("\x00", "")[-255:]
        attachments.append(InboundAttachment(filename=name, content_type=item.content_type, content=item.content,
                                             content_id=item.content_id, inline=item.inline))
    if left_out:
        metadata["attachments_left_out"] = left_out
    if parsed.is_auto_reply:
        metadata["auto_reply"] = parsed.auto_reply_reason
    if parsed.list_id:
        metadata["list_id"] = parsed.list_id
    if parsed.warnings:
        metadata["parse_warnings"] = list(parsed.warnings)[:20]
    hints = tuple(dict.fromkeys(h for h in (parsed.in_reply_to, *reversed(parsed.references)) if h))
    return InboundMessage(
        sender_kind="email", sender_value=sender, sender_name=sender_name,
        provider_message_id=parsed.message_id if 0 < len(parsed.message_id) <= 255 else None, subject=parsed.subject, text=text, html=parsed.html,
        quoted_text=quoted, sent_at=parsed.date, to=to, cc=cc, attachments=tuple(attachments),
        in_reply_to=hints, conversation_number=number, conversation_number_signed=signed,
        automatic=parsed.is_auto_reply, source_event_id=event_id, metadata=_without_nul(metadata),
    )


def _fallback_name(content_type: str) -> str:
    subtype = (content_type or "").partition("/")[2] or "bin"
    return f"attachment.{subtype[:20]}"


def _without_nul(value):
    """PostgreSQL's JSON cannot hold NUL; a mangled mail's warnings may quote one."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_nul(v) for k, v in value.items()}
    return value
