"""The widget's writers: a visitor's message (through ingress), receipts, typing, "leave a message".

The consumer and the views are thin: they parse, find the visitor from the token and call these.
See docs/flows/livechat.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from layan.accounts.actors import Actor
from layan.connectors import ingress
from layan.connectors.livechat import ratelimit
from layan.connectors.livechat import selectors as livechat
from layan.connectors.livechat.config import WidgetConfig, widget_config
from layan.connectors.livechat.sessions import Visitor
from layan.connectors.models import Inbox
from layan.conversations.models import Conversation, DeliveryStatus, Message
from layan.customers.models import IdentityKind
from layan.customers.normalise import normalise_email, normalise_phone
from layan.errors import InvalidInput
from layan.web.realtime import workspace_group

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_TEXT_CHARS = 5000
MAX_ATTACHMENTS = 3
MAX_WIDGET_ATTACHMENT_BYTES = 5 * 1024 * 1024
RECEIPT_STATUSES = (DeliveryStatus.DELIVERED, DeliveryStatus.READ)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: str  # base64, as the widget sends it


def provider_id(visitor: Visitor, client_id: str) -> str:
    """Scoped by the visitor: one visitor's ids can never collide with (or pre-empt) another's."""
    return f"{livechat.PROVIDER_PREFIX}{hashlib.sha256(visitor.identity.encode()).hexdigest()[:24]}:{client_id}"


def _check_client_id(client_id) -> str:
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise InvalidInput(_("Every message needs an id of 8 to 64 letters, digits, - or _."), field="client_id")
    return client_id


def _prechat(config: WidgetConfig, given: dict | None) -> dict:
    given = given if isinstance(given, dict) else {}
    cleaned = {}
    name = str(given.get("name") or "").strip()[:200]
    if name and "name" in config.prechat_fields:
        cleaned["name"] = name
    if (email := str(given.get("email") or "").strip()) and "email" in config.prechat_fields:
        cleaned["email"] = normalise_email(email)
    if (number := str(given.get("whatsapp") or "").strip()) and "whatsapp" in config.prechat_fields:
        cleaned["whatsapp"] = normalise_phone(number)
    return cleaned


def _attachments(items) -> list[dict]:
    items = list(items or ())
    if len(items) > MAX_ATTACHMENTS:
        raise InvalidInput(_("At most %(n)s files per message.") % {"n": MAX_ATTACHMENTS}, field="attachments")
    limit = min(MAX_WIDGET_ATTACHMENT_BYTES, settings.LAYAN_MAX_ATTACHMENT_BYTES)
    cleaned = []
    for item in items:
        if not isinstance(item, dict):
            raise InvalidInput(_("An attachment could not be read."), field="attachments")
        try:
            size = len(base64.b64decode(str(item.get("data") or ""), validate=True))
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput(_("An attachment could not be read."), field="attachments") from exc
        if size > limit:
            raise InvalidInput(_("%(name)s is larger than the %(mb)s MB limit.")
                               % {"name": item.get("filename"), "mb": limit // 2**20}, field="attachments")
        cleaned.append({"filename": str(item.get("filename") or "file")[-255:],
                        "content_type": str(item.get("content_type") or "application/octet-stream")[:127],
                        "data": str(item["data"])})
    return cleaned


def receive_visitor_message(*, inbox: Inbox, visitor: Visitor, client_id, text, attachments=(), prechat=None,
                            page: str = "", ip: str = "") -> Message:
    """Store one message a visitor wrote, exactly once per client id, and return it.

    Stored first as an InboundEvent (the raw truth), then processed at once in this process so the
    widget's acknowledgement carries the stored message's id; the queued job then finds it done."""
    client_id = _check_client_id(client_id)
    pmid = provider_id(visitor, client_id)
    earlier = livechat.message_by_client_id(inbox=inbox, provider_message_id=pmid)
    if earlier is not None:
        return earlier  # a resend after a reconnect: the first copy is the message
    config = widget_config(inbox.settings)
    limits = config.rate_limit
    ratelimit.hit("visitor", visitor.group, limit=int(limits["messages_per_minute"]), window=60)
    if ip:
        ratelimit.hit("ip", ip, limit=int(limits["ip_messages_per_minute"]), window=60)
    text = str(text or "")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(_("A chat message can be at most %(n)s characters.") % {"n": MAX_TEXT_CHARS}, field="text")
    files = _attachments(attachments)
    if not (text.strip() or files):
        raise InvalidInput(_("The message is empty."), field="text")
    details = _prechat(config, prechat)
    if config.prechat_required and not details and not livechat.visitor_has_written(inbox=inbox, visitor=visitor):
        raise InvalidInput(_("Please fill in the form before you start the chat."), field="prechat")
    payload = json.dumps({"visitor": visitor.identity, "verified": visitor.verified, "client_id": client_id,
                          "text": text, "prechat": details, "page": str(page or "")[:500],
                          "attachments": files}).encode()
    event, _created = ingress.store_inbound_event(inbox=inbox, payload=payload, source="livechat", event_id=pmid)
    ingress.process_inbound_event(event_id=event.pk)
    message = livechat.message_by_client_id(inbox=inbox, provider_message_id=pmid)
    if message is None:
        raise InvalidInput(_("The message could not be stored; please send it again."), field="text")
    return message


def record_receipts(*, inbox: Inbox, visitor: Visitor, message_ids, status: str) -> list[int]:
    """The widget saw the agent's messages: move their delivery status forward (never back).
    Ids outside the visitor's own conversations are ignored."""
    from layan.conversations.services import record_delivery_status

    if status not in RECEIPT_STATUSES:
        raise InvalidInput(_("Unknown receipt."), field="status")
    wanted = [i for i in (message_ids or ())[:100] if isinstance(i, int) and not isinstance(i, bool)]
    ids = livechat.visitor_outbound_message_ids(inbox=inbox, visitor=visitor, message_ids=wanted)
    for message_id in sorted(ids):
        record_delivery_status(message_id=message_id, status=status)
    return sorted(ids)


def visitor_typing_payload(*, inbox: Inbox, visitor: Visitor) -> tuple[str, dict] | None:
    """What the agents' screens receive while a visitor types (ids only), and the group it goes to."""
    conversation_id = (livechat.visitor_conversations(inbox=inbox, visitor=visitor)
                       .order_by("-id").values_list("pk", flat=True).first())
    if conversation_id is None:
        return None
    return workspace_group(inbox.workspace_id), {
        "type": "layan.event",
        "payload": {"event": "CustomerTyping", "workspace_id": inbox.workspace_id, "conversation_id": conversation_id},
    }


def conversation_groups(conversation: Conversation) -> list[str]:
    return [Visitor(inbox_public_id="", identity=value, verified=False).group
            for value in livechat.livechat_identity_values(customer_id=conversation.customer_id)]


def push_agent_typing(*, conversation: Conversation, agent_name: str) -> int:
    """Show "<agent> is typing" in the customer's widget. Returns how many visitor groups got it."""
    layer = get_channel_layer()
    groups = conversation_groups(conversation) if conversation.channel == "livechat" else []
    if layer is None:
        return 0
    for group in groups:
        async_to_sync(layer.group_send)(group, {"type": "livechat.typing", "author": agent_name})
    return len(groups)


def leave_message(*, inbox: Inbox, visitor: Visitor, client_id, name, email, text, ip: str = "") -> Conversation:
    """Outside office hours the widget takes a message that becomes an email conversation in the
    inbox named by ``leave_message_inbox`` (else the workspace's first email inbox): the reply then
    reaches the customer by email, where they will look for it."""
    from layan.conversations.services import create_conversation
    from layan.customers.services import IdentityInput

    client_id = _check_client_id(client_id)
    config = widget_config(inbox.settings)
    ratelimit.hit("visitor", visitor.group, limit=int(config.rate_limit["messages_per_minute"]), window=60)
    if ip:
        ratelimit.hit("ip", ip, limit=int(config.rate_limit["ip_messages_per_minute"]), window=60)
    target = livechat.email_inbox(workspace_id=inbox.workspace_id, public_id=config.leave_message_inbox)
    if target is None:
        raise InvalidInput(_("This chat cannot take messages right now."), field="email")
    address = normalise_email(str(email or ""))
    text = str(text or "").strip()
    if not text:
        raise InvalidInput(_("Please write your message."), field="text")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(_("A chat message can be at most %(n)s characters.") % {"n": MAX_TEXT_CHARS}, field="text")
    with translation.override(inbox.workspace.language):  # the subject is for the agents, not the visitor
        subject = _("Message left on the chat widget")
    key = "lc-leave:" + provider_id(visitor, client_id)[len(livechat.PROVIDER_PREFIX):]
    result = create_conversation(
        actor=Actor.customer(inbox.workspace), inbox=target, customer_name=str(name or "").strip()[:200],
        customer_identities=[IdentityInput(kind=IdentityKind.EMAIL, value=address)],
        subject=subject, text=text, idempotency_key=key[:128])
    return result.conversation
