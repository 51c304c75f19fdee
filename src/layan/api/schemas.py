"""Request and response shapes of API v1, and the functions that render models into them."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field

from layan.connectors.base import InboundAttachment
from layan.customers.services import IdentityInput
from layan.errors import InvalidInput

StatusName = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]
TypeName = Literal["question", "incident", "complaint", "order", "request", "task"]
IdentityKindName = Literal["email", "phone", "whatsapp", "telegram", "messenger", "instagram", "livechat",
                           "external"]
ChannelName = Literal["email", "whatsapp", "sms", "phone", "telegram", "messenger", "instagram", "livechat"]
TierName = Literal["standard", "silver", "gold", "vip"]
LanguageName = Literal["id", "en"]


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorOut(Schema):
    error: ErrorDetail


# --- shared ----------------------------------------------------------------------------------
class AttachmentIn(Schema):
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field("application/octet-stream", max_length=127)
    content_base64: str

    def decode(self) -> InboundAttachment:
        try:
            content = base64.b64decode(self.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput(_("Attachment content must be base64."), field="attachments") from exc
        return InboundAttachment(filename=self.filename, content_type=self.content_type, content=content)


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    inline: bool
    url: str


class TeamRef(Schema):
    id: int
    name: str


class AgentRef(Schema):
    id: int
    display_name: str


class CustomerRef(Schema):
    id: int
    name: str
    tier: str


class InboxRef(Schema):
    id: int
    name: str
    kind: str


# --- accounts --------------------------------------------------------------------------------
class AgentOut(Schema):
    id: int
    email: str
    display_name: str
    role: str
    language: str
    timezone: str
    is_active: bool
    team_ids: list[int]


class TeamOut(Schema):
    id: int
    name: str
    description: str
    member_ids: list[int]


class TeamIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=2000)
    member_ids: list[int] = []


class TeamPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=2000)
    member_ids: list[int] | None = None


class InboxOut(Schema):
    id: int
    kind: str
    name: str
    public_id: str
    default_team_id: int | None
    threading_policy: str
    reopen_window_days: int
    is_active: bool


class InboxIn(Schema):
    kind: Literal["email", "livechat", "whatsapp", "sms", "telegram", "messenger", "instagram", "voice",
                  "webform", "api"]
    name: str = Field(min_length=1, max_length=120)
    default_team_id: int | None = None
    threading_policy: Literal["reuse_open", "always_new"] = "reuse_open"
    reopen_window_days: int = Field(7, ge=0, le=365)


# --- customers -------------------------------------------------------------------------------
class IdentityOut(Schema):
    id: int
    kind: str
    value: str
    display_value: str
    verified: bool


class IdentityIn(Schema):
    kind: IdentityKindName
    value: str = Field(min_length=1, max_length=320)


class CustomerOut(Schema):
    id: int
    name: str
    language: str
    timezone: str
    tier: str
    tags: list[str]
    attributes: dict
    consent: dict
    preferred_channel: str
    notes: str
    merged_into_id: int | None
    identities: list[IdentityOut]
    created_at: datetime
    updated_at: datetime


class CustomerIn(Schema):
    name: str = Field("", max_length=200)
    email: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=64)
    whatsapp: str | None = Field(None, max_length=64)
    identities: list[IdentityIn] = Field(default_factory=list, max_length=50)
    language: LanguageName | None = None
    timezone: str | None = Field(None, max_length=64)
    tier: TierName = "standard"
    tags: list[str] = Field(default_factory=list, max_length=50)
    attributes: dict = Field(default_factory=dict)
    consent: dict[ChannelName, bool] = Field(default_factory=dict)
    preferred_channel: ChannelName | Literal[""] = ""
    notes: str = Field("", max_length=10_000)


class CustomerPatch(Schema):
    name: str | None = Field(None, max_length=200)
    language: LanguageName | None = None
    timezone: str | None = Field(None, max_length=64)
    tier: TierName | None = None
    tags: list[str] | None = Field(None, max_length=50)
    attributes: dict | None = None
    consent: dict[ChannelName, bool] | None = None
    preferred_channel: ChannelName | Literal[""] | None = None
    notes: str | None = Field(None, max_length=10_000)


class CustomerMergeIn(Schema):
    source_id: int


# --- conversations ---------------------------------------------------------------------------
class ConversationOut(Schema):
    id: int
    number: int
    subject: str
    status: str
    priority: str
    type: str
    channel: str
    customer: CustomerRef
    inbox: InboxRef
    team: TeamRef | None
    assignee: AgentRef | None
    tags: list[str]
    custom_fields: dict
    merged_into_id: int | None
    message_count: int
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime
    last_customer_message_at: datetime | None
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None


class ConversationDetailOut(ConversationOut):
    follower_ids: list[int]
    participants: list[dict]
    links: list[dict]


class MessageOut(Schema):
    id: int
    conversation_id: int
    direction: str
    author_kind: str
    author_agent: AgentRef | None
    author_customer_id: int | None
    is_note: bool
    text: str
    html: str
    to: list[str]
    cc: list[str]
    bcc: list[str] | None  # agents only; never shown to customers
    mention_ids: list[int]
    delivery_status: str
    delivery_error: str
    provider_message_id: str | None
    attachments: list[AttachmentOut]
    sent_at: datetime | None
    created_at: datetime


class CustomerLookupIn(Schema):
    """The customer of a new conversation: by id, or found/created by email or phone."""

    id: int | None = None
    name: str = Field("", max_length=200)
    email: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=64)
    whatsapp: str | None = Field(None, max_length=64)

    def identities(self) -> list[IdentityInput]:
        return [IdentityInput(kind=kind, value=value)
                for kind, value in (("email", self.email), ("phone", self.phone), ("whatsapp", self.whatsapp))
                if value]


class FirstMessageIn(Schema):
    text: str = Field("", max_length=100_000)
    html: str = Field("", max_length=500_000)
    author: Literal["customer", "agent"] = "customer"
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class ConversationIn(Schema):
    subject: str = Field("", max_length=300)
    customer: CustomerLookupIn
    message: FirstMessageIn
    inbox: int | None = None
    priority: PriorityName = "normal"
    type: TypeName = "question"
    team: int | None = None
    assignee: int | None = None
    tags: list[str] = Field(default_factory=list, max_length=50)
    custom_fields: dict = Field(default_factory=dict)


class ConversationPatch(Schema):
    subject: str | None = Field(None, max_length=300)
    status: StatusName | None = None
    priority: PriorityName | None = None
    type: TypeName | None = None
    tags: list[str] | None = Field(None, max_length=50)
    custom_fields: dict | None = None


class ReplyIn(Schema):
    text: str = Field("", max_length=100_000)
    html: str = Field("", max_length=500_000)
    to: list[str] | None = Field(None, max_length=50)
    cc: list[str] = Field(default_factory=list, max_length=50)
    bcc: list[str] = Field(default_factory=list, max_length=50)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    status: StatusName | None = None


class NoteIn(Schema):
    text: str = Field(min_length=1, max_length=100_000)
    mention_ids: list[int] = Field(default_factory=list, max_length=50)


class AssignIn(Schema):
    """Omit a key to leave it as it is; send null to unassign."""

    assignee: int | None = None
    team: int | None = None


class MergeIn(Schema):
    source_id: int


class TagsIn(Schema):
    add: list[str] = Field(default_factory=list, max_length=50)
    remove: list[str] = Field(default_factory=list, max_length=50)


class FollowerIn(Schema):
    agent_id: int


class LinkIn(Schema):
    target_id: int
    kind: Literal["child", "related", "duplicate", "follow_up"]


class TimeIn(Schema):
    seconds: int = Field(gt=0, le=86_400)
    note: str = Field("", max_length=300)


class TimeEntryOut(Schema):
    id: int
    agent_id: int
    seconds: int
    note: str
    created_at: datetime


class AuditOut(Schema):
    id: int
    action: str
    actor_kind: str
    actor_agent_id: int | None
    before: dict
    after: dict
    created_at: datetime


class Page(Schema):
    next_cursor: str | None


class ConversationPage(Page):
    items: list[ConversationOut]


class CustomerPage(Page):
    items: list[CustomerOut]


class MessagePage(Page):
    items: list[MessageOut]

