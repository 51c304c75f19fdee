"""Request and response shapes of API v1, and the functions that render models into them."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

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


# Every endpoint documents the same error envelope for each 4xx it can answer.
ERRORS = {code: ErrorOut for code in (400, 401, 403, 404, 409, 413, 422)}


class InputSchema(Schema):
    """A request body, or an object inside one: it must be a JSON object.

    Ninja's Schema reads attributes of whatever it is given (that is how models are rendered), so
    without this check `[]`, `null` or `"text"` would pass for an empty object and create or
    change things with defaults."""

    @model_validator(mode="before")
    @classmethod
    def _must_be_an_object(cls, data):
        raw = data._obj if isinstance(data, DjangoGetter) else data
        if not isinstance(raw, dict):
            raise PydanticCustomError("dict_type", "Input should be a JSON object")
        return data


# --- shared ----------------------------------------------------------------------------------
class AttachmentIn(InputSchema):
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


class TeamIn(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=2000)
    member_ids: list[int] = []


class TeamPatch(InputSchema):
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


class InboxIn(InputSchema):
    kind: Literal["email", "livechat", "whatsapp", "sms", "telegram", "messenger", "instagram", "voice",
                  "webform", "api"]
    name: str = Field(min_length=1, max_length=120)
    default_team_id: int | None = None
    # Default by kind: a new conversation per email or form, one ongoing conversation per chat.
    threading_policy: Literal["reuse_open", "always_new"] | None = None
    reopen_window_days: int = Field(7, ge=0, le=365)


# --- customers -------------------------------------------------------------------------------
class IdentityOut(Schema):
    id: int
    kind: str
    value: str
    display_value: str
    verified: bool


class IdentityIn(InputSchema):
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


class CustomerIn(InputSchema):
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


class CustomerPatch(InputSchema):
    name: str | None = Field(None, max_length=200)
    language: LanguageName | None = None
    timezone: str | None = Field(None, max_length=64)
    tier: TierName | None = None
    tags: list[str] | None = Field(None, max_length=50)
    attributes: dict | None = None
    consent: dict[ChannelName, bool] | None = None
    preferred_channel: ChannelName | Literal[""] | None = None
    notes: str | None = Field(None, max_length=10_000)


class CustomerMergeIn(InputSchema):
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
    # Replies only: attempts so far, and when the next one is due while it waits to be retried.
    delivery_attempts: int | None
    next_attempt_at: datetime | None
    attachments: list[AttachmentOut]
    # An email's quoted history and signature, kept out of ``text``; the raw original at source_url.
    quoted_text: str
    metadata: dict
    source_url: str | None
    sent_at: datetime | None
    created_at: datetime


class CustomerLookupIn(InputSchema):
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


class FirstMessageIn(InputSchema):
    text: str = Field("", max_length=100_000)
    html: str = Field("", max_length=500_000)
    author: Literal["customer", "agent"] = "customer"
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class ConversationIn(InputSchema):
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


class ConversationPatch(InputSchema):
    subject: str | None = Field(None, max_length=300)
    status: StatusName | None = None
    priority: PriorityName | None = None
    type: TypeName | None = None
    tags: list[str] | None = Field(None, max_length=50)
    custom_fields: dict | None = None


class TemplateIn(InputSchema):
    """An approved WhatsApp template (synced from Meta) and its body parameters, in order."""

    name: str = Field(min_length=1, max_length=512)
    language: str = Field(min_length=1, max_length=16, description="Meta's language code, e.g. id or en_US")
    parameters: list[str] = Field(default_factory=list, max_length=100)


class ReplyIn(InputSchema):
    text: str = Field("", max_length=100_000)
    html: str = Field("", max_length=500_000)
    to: list[str] | None = Field(None, max_length=50)
    cc: list[str] = Field(default_factory=list, max_length=50)
    bcc: list[str] = Field(default_factory=list, max_length=50)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    status: StatusName | None = None
    # WhatsApp: send this template instead of text (the only reply once the 24-hour window closed).
    template: TemplateIn | None = None


class NoteIn(InputSchema):
    text: str = Field(min_length=1, max_length=100_000)
    mention_ids: list[int] = Field(default_factory=list, max_length=50)


class AssignIn(InputSchema):
    """Omit a key to leave it as it is; send null to unassign."""

    assignee: int | None = None
    team: int | None = None


class MergeIn(InputSchema):
    source_id: int


class TagsIn(InputSchema):
    add: list[str] = Field(default_factory=list, max_length=50)
    remove: list[str] = Field(default_factory=list, max_length=50)


class FollowerIn(InputSchema):
    agent_id: int


class LinkIn(InputSchema):
    target_id: int
    kind: Literal["child", "related", "duplicate", "follow_up"]


class TimeIn(InputSchema):
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



# --- automation: canned replies --------------------------------------------------------------
# "" is an answer for a conversation in any language.
CannedReplyLanguageName = Literal["id", "en", ""]


class CannedReplyOut(Schema):
    id: int
    shortcut: str
    title: str
    text: str
    team_id: int | None
    language: str
    variant_of_id: int | None
    usage_count: int
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime


class CannedReplyIn(InputSchema):
    # Lengths and characters are checked by the service, which names the field at fault; these
    # bounds only stop absurd bodies before they reach it.
    shortcut: str = Field(max_length=200)
    title: str = Field(max_length=1000)
    text: str = Field(max_length=100_000)
    team_id: int | None = None
    language: CannedReplyLanguageName = ""
    variant_of_id: int | None = Field(None, description="this reply is that one in another language")


class CannedReplyPatch(InputSchema):
    """Omit a key to leave it as it is; ``team_id: null`` makes the answer the whole workspace's."""

    shortcut: str | None = Field(None, max_length=200)
    title: str | None = Field(None, max_length=1000)
    text: str | None = Field(None, max_length=100_000)
    team_id: int | None = None
    language: CannedReplyLanguageName | None = None


class CannedReplyPage(Page):
    items: list[CannedReplyOut]


class RenderedCannedReplyOut(Schema):
    text: str


# --- automation rules and macros --------------------------------------------------------------
RuleEventName = Literal["conversation_created", "message_received", "status_changed", "sla_warning", "sla_breach",
                        "time_based"]
TimeAnchorName = Literal["status_changed", "created", "last_customer_message", "updated", ""]


class RuleOut(Schema):
    id: int
    name: str
    event: str
    conditions: dict
    actions: list[dict] = Field(description="a webhook's secret is never returned; `signed` says whether it has one")
    position: int
    stop_processing: bool
    is_active: bool
    delay_minutes: int | None
    time_anchor: str
    run_count: int
    last_run_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_actions(obj):
        from layan.automation.selectors import public_actions

        return public_actions(obj.actions)


class RuleIn(InputSchema):
    name: str = Field(max_length=1000)
    event: RuleEventName
    conditions: dict = Field(default_factory=dict, description='{"all": [...], "any": [...]}, see docs/flows/automation.md')
    actions: list = Field(description="[{\"type\": ..., ...}], see docs/flows/automation.md")
    position: int | None = Field(None, ge=0, le=1_000_000, description="runs in ascending order; the end if omitted")
    stop_processing: bool = False
    is_active: bool = True
    delay_minutes: int | None = Field(None, ge=1, le=525_600, description="time_based only")
    time_anchor: TimeAnchorName = ""


class RulePatch(InputSchema):
    """Omit a key to leave it as it is."""

    name: str | None = Field(None, max_length=1000)
    event: RuleEventName | None = None
    conditions: dict | None = None
    actions: list | None = None
    position: int | None = Field(None, ge=0, le=1_000_000)
    stop_processing: bool | None = None
    is_active: bool | None = None
    delay_minutes: int | None = Field(None, ge=1, le=525_600)
    time_anchor: TimeAnchorName | None = None


class RulePage(Page):
    items: list[RuleOut]


class RuleRunOut(Schema):
    id: int
    rule_id: int
    conversation_id: int
    conversation_number: int
    event: str
    depth: int
    actions_done: list
    error: str
    created_at: datetime

    @staticmethod
    def resolve_conversation_number(obj):
        return obj.conversation.number


class RuleRunPage(Page):
    items: list[RuleRunOut]


class MacroOut(Schema):
    id: int
    name: str
    actions: list[dict]
    is_active: bool
    usage_count: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_actions(obj):
        from layan.automation.selectors import public_actions

        return public_actions(obj.actions)


class MacroIn(InputSchema):
    name: str = Field(max_length=1000)
    actions: list
    is_active: bool = True


class MacroPatch(InputSchema):
    name: str | None = Field(None, max_length=1000)
    actions: list | None = None
    is_active: bool | None = None


class MacroPage(Page):
    items: list[MacroOut]


class MacroApplyIn(InputSchema):
    conversation_id: int


class MacroAppliedOut(Schema):
    conversation_id: int
    actions_done: list[str]


# --- calls -----------------------------------------------------------------------------------
CallDirectionName = Literal["in", "out"]
CallOutcomeName = Literal["answered", "missed", "voicemail", "busy", "no_answer", "failed"]


class CallIn(InputSchema):
    customer_id: int
    direction: CallDirectionName
    number: str = Field("", max_length=40, description="the number called or calling; the customer's phone if empty")
    duration_seconds: int = Field(0, ge=0, le=86400)
    outcome: CallOutcomeName
    notes: str = Field("", max_length=10000)
    conversation_id: int | None = Field(None, description="where the call goes on the timeline; by default the "
                                                          "customer's open phone conversation, or a new one")


class CallOut(Schema):
    id: int
    customer_id: int
    conversation_id: int | None
    conversation_number: int | None
    message_id: int | None
    agent: AgentRef | None
    direction: str
    number: str
    outcome: str
    provider_status: str
    duration_seconds: int
    notes: str
    recording_url: str
    callback_conversation_id: int | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None


class CallPage(Page):
    items: list[CallOut]
