"""Shared steps of the conversation writers: numbering, storing messages and attachments, audit."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from layan.accounts.actors import Actor
from layan.accounts.models import Workspace
from layan.accounts.services import ensure_tags, record_audit
from layan.connectors.base import InboundAttachment
from layan.conversations.models import Attachment, Conversation, ConversationTag, Message
from layan.errors import ErrorCode, InvalidInput


def next_conversation_number(workspace_id: int) -> int:
    """Allocate the next human-facing number. The UPDATE holds the workspace row lock until the
    transaction ends, so concurrent creators get distinct, gap-free numbers."""
    Workspace.objects.filter(pk=workspace_id).update(last_conversation_number=F("last_conversation_number") + 1)
    return Workspace.objects.filter(pk=workspace_id).values_list("last_conversation_number", flat=True).get()


def snapshot(conversation: Conversation) -> dict:
    return {
        "status": conversation.status,
        "priority": conversation.priority,
        "type": conversation.type,
        "subject": conversation.subject,
        "team": conversation.team_id,
        "assignee": conversation.assignee_id,
        "customer": conversation.customer_id,
        "custom_fields": conversation.custom_fields,
    }


def audit(actor: Actor, action: str, conversation: Conversation, before: dict | None = None,
          after: dict | None = None) -> None:
    record_audit(actor=actor, action=action, object_type="conversation", object_id=conversation.pk,
                 before=before, after=after)


def check_text(text: str, *, field: str = "text") -> str:
    # NUL carries nothing in a message and PostgreSQL cannot store it (a badly encoded email
    # has one now and then): drop it rather than fail the message.
    text = (text or "").replace("\x00", "")
    if len(text) > settings.LAYAN_MAX_MESSAGE_CHARS:
        raise InvalidInput(_("A message is at most %(n)s characters.") % {"n": settings.LAYAN_MAX_MESSAGE_CHARS},
                           field=field)
    return text


def check_attachments(attachments: Iterable[InboundAttachment]) -> list[InboundAttachment]:
    attachments = list(attachments)
    limit = settings.LAYAN_MAX_ATTACHMENT_BYTES
    for item in attachments:
        if len(item.content) > limit:
            raise InvalidInput(
                _("%(name)s is larger than the %(mb)s MB limit.") % {"name": item.filename, "mb": limit // 2**20},
                code=ErrorCode.ATTACHMENT_TOO_LARGE, field="attachments",
            )
        if not item.filename or len(item.filename) > 255:
            raise InvalidInput(_("Every attachment needs a file name of at most 255 characters."),
                               field="attachments")
    return attachments


def store_attachments(message: Message, attachments: Iterable[InboundAttachment]) -> list[Attachment]:
    stored = []
    for item in attachments:
        key = uuid.uuid4().hex
        attachment = Attachment(
            workspace_id=message.workspace_id, message=message, storage_key=key,
            filename=item.filename, content_type=item.content_type or "application/octet-stream",
            size=len(item.content), sha256=hashlib.sha256(item.content).hexdigest(),
            content_id=item.content_id, inline=item.inline,
        )
        attachment.file.save(key, ContentFile(item.content), save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def touch_conversation(conversation: Conversation, *, customer_message: bool) -> None:
    now = timezone.now()
    conversation.last_message_at = now
    conversation.updated_at = now
    fields = ["last_message_at", "updated_at"]
    if customer_message:
        conversation.last_customer_message_at = now
        fields.append("last_customer_message_at")
    Conversation.objects.filter(pk=conversation.pk).update(message_count=F("message_count") + 1,
                                                           **{f: getattr(conversation, f) for f in fields})


def apply_tags(conversation: Conversation, names: Iterable[str]) -> list[str]:
    tags = ensure_tags(workspace_id=conversation.workspace_id, names=names)
    ConversationTag.objects.bulk_create(
        [ConversationTag(conversation=conversation, tag=t) for t in tags], ignore_conflicts=True
    )
    return [t.name for t in tags]
