"""Writers for calls: an agent logs a call, and Twilio's status callbacks move a call forward.
Either way the call becomes a message on the customer's timeline (through the conversations
services), and a missed inbound call opens one task to call the customer back."""

from __future__ import annotations

from datetime import datetime, timedelta

import phonenumbers
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from layan.accounts.actors import Actor
from layan.accounts.models import Workspace
from layan.accounts.services import record_audit
from layan.connectors.models import Inbox, InboxKind
from layan.connectors.voice.models import (
    MISSED_OUTCOMES,
    Call,
    CallDirection,
    CallOutcome,
    VoiceConfig,
)
from layan.connectors.voice.parsing import STATUS_RANK, TERMINAL_STATUSES, CallUpdate
from layan.conversations.models import Conversation
from layan.customers.models import Customer, Identity
from layan.customers.normalise import normalise_phone
from layan.errors import InvalidInput

MAX_CALL_SECONDS = 24 * 3600
MAX_NOTES_CHARS = 10_000

# Twilio's final CallStatus -> how the call ended (a completed call with a voicemail is a voicemail).
_OUTCOME_OF_STATUS = {"completed": CallOutcome.ANSWERED, "busy": CallOutcome.BUSY,
                      "no-answer": CallOutcome.NO_ANSWER, "failed": CallOutcome.FAILED,
                      "canceled": CallOutcome.MISSED}


def international(number: str) -> str:
    """+6281234567890 as people read it: +62 812-3456-7890."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def format_duration(seconds: int) -> str:
    hours, rest = divmod(max(int(seconds), 0), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(hours)s h %(minutes)s min %(seconds)s s") % {"hours": hours, "minutes": minutes, "seconds": secs}
    if minutes:
        return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": secs}
    return _("%(seconds)s s") % {"seconds": secs}


def call_summary(*, direction: str, duration_seconds: int, outcome: str) -> str:
    """The line the timeline shows: "Panggilan masuk · 4 mnt 12 dtk · terjawab"."""
    parts = [_("Inbound call") if direction == CallDirection.INBOUND else _("Outbound call")]
    if duration_seconds:
        parts.append(format_duration(duration_seconds))
    if outcome:
        parts.append(str(CallOutcome(outcome).label))
    return " · ".join(parts)


def _message_text(call: Call) -> str:
    summary = call_summary(direction=call.direction, duration_seconds=call.duration_seconds, outcome=call.outcome)
    return f"{summary}\n{call.notes}" if call.notes else summary


def _message_metadata(call: Call) -> dict:
    metadata = {"call": call.pk}
    if call.recording_url:
        metadata["recording_url"] = call.recording_url
    return metadata


@transaction.atomic
def default_voice_inbox(*, workspace: Workspace) -> Inbox:
    """The phone inbox calls are logged in: the workspace's first one, made when it has none, so
    that agents can log calls before a provider is connected."""
    inbox = Inbox.objects.filter(workspace=workspace, kind=InboxKind.VOICE).order_by("id").first()
    if inbox is not None:
        return inbox
    with translation.override(workspace.language):
        name = str(InboxKind.VOICE.label)
    try:
        with transaction.atomic():
            return Inbox.objects.create(workspace=workspace, kind=InboxKind.VOICE, name=name)
    except IntegrityError:  # a concurrent first call made it, or an inbox of another kind has the name
        inbox = Inbox.objects.filter(workspace=workspace, kind=InboxKind.VOICE).order_by("id").first()
        if inbox is not None:
            return inbox
        return Inbox.objects.create(workspace=workspace, kind=InboxKind.VOICE, name=f"{name} ({InboxKind.VOICE})")


def _customer_number(customer: Customer) -> str:
    for kind in ("phone", "whatsapp"):
        value = (Identity.objects.filter(customer=customer, kind=kind).order_by("-verified", "id")
                 .values_list("value", flat=True).first())
        if value:
            return value
    return ""


@transaction.atomic
def log_call(*, actor: Actor, customer: Customer, direction: str, number: str = "", duration_seconds: int = 0,
             outcome: str, notes: str = "", conversation: Conversation | None = None) -> Call:
    """An agent records a call they made or took (on any phone): it goes on the timeline as a
    message in ``conversation``, or in the customer's open conversation of the phone inbox (a new
    one when there is none). The number defaults to the customer's phone."""
    if direction not in CallDirection.values:
        raise InvalidInput(_("A call is inbound or outbound."), field="direction")
    if outcome not in CallOutcome.values:
        raise InvalidInput(_("Choose how the call ended."), field="outcome")
    if isinstance(duration_seconds, bool) or not isinstance(duration_seconds, int) or not (
            0 <= duration_seconds <= MAX_CALL_SECONDS):
        raise InvalidInput(_("The duration is a number of seconds between 0 and 86400."), field="duration_seconds")
    notes = (notes or "").replace("\x00", "").strip()
    if len(notes) > MAX_NOTES_CHARS:
        raise InvalidInput(_("Call notes are at most %(n)s characters.") % {"n": MAX_NOTES_CHARS}, field="notes")
    if customer.workspace_id != actor.workspace.pk:
        raise InvalidInput(_("Customer not found."), field="customer")
    if customer.merged_into_id:
        customer = Customer.objects.get(pk=customer.merged_into_id)
    if conversation is not None and (conversation.workspace_id != actor.workspace.pk
                                     or conversation.customer_id != customer.pk):
        raise InvalidInput(_("That conversation is not this customer's."), field="conversation")
    if number:
        try:
            number = normalise_phone(number)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, code=exc.code, field="number") from exc
    else:
        number = _customer_number(customer)
        if not number:
            raise InvalidInput(_("The customer has no phone number: give the number called."), field="number")
    inbox = default_voice_inbox(workspace=actor.workspace)
    ended = timezone.now()
    call = Call.objects.create(
        workspace=actor.workspace, inbox=inbox, customer=customer, agent=actor.agent, direction=direction,
        number=number, started_at=ended - timedelta(seconds=duration_seconds),
        answered_at=ended - timedelta(seconds=duration_seconds) if outcome == CallOutcome.ANSWERED else None,
        ended_at=ended, duration_seconds=duration_seconds, outcome=outcome, notes=notes,
    )
    _put_on_timeline(actor, call, conversation=conversation)
    record_audit(actor=actor, action="call.logged", object_type="call", object_id=call.pk, after={
        "customer": customer.pk, "direction": direction, "number": number, "duration_seconds": duration_seconds,
        "outcome": outcome, "conversation": call.conversation_id})
    return call


def _put_on_timeline(actor: Actor, call: Call, *, conversation: Conversation | None = None) -> None:
    from layan.conversations.services import record_call_message

    with translation.override(call.workspace.language):
        text = _message_text(call)
    message = record_call_message(actor=actor, inbox=call.inbox, customer=call.customer, number=call.number,
                                  direction=call.direction, text=text, metadata=_message_metadata(call),
                                  conversation=conversation)
    call.message = message
    call.conversation_id = message.conversation_id
    call.save(update_fields=["message", "conversation"])


# --- Twilio status callbacks -------------------------------------------------------------------

class CallNotYetKnown(Exception):
    """A recording callback processed before any status callback of its call: processing fails,
    and the stored event is tried again later (by then the call exists)."""


def _locked_call(*, inbox: Inbox, update: CallUpdate, at: datetime) -> Call:
    """The call with this CallSid, locked; made on its first callback. Callbacks of one call may be
    processed at once: the unique (inbox, CallSid) decides who makes it, the lock orders the rest."""
    from layan.customers.services import resolve_identity

    locked = Call.objects.select_for_update().select_related("workspace", "inbox", "customer")
    call = locked.filter(inbox=inbox, provider_call_sid=update.call_sid).first()
    if call is not None:
        return call
    if not update.status and not update.customer_number:  # a recording callback names no numbers
        raise CallNotYetKnown(f"no status callback of call {update.call_sid} yet")
    number = normalise_phone(update.customer_number)
    customer = resolve_identity(workspace=inbox.workspace, kind="phone", value=number).customer
    try:
        with transaction.atomic():
            Call.objects.create(workspace_id=inbox.workspace_id, inbox=inbox, customer=customer,
                                direction=update.direction, number=number, provider_call_sid=update.call_sid,
                                started_at=at)
    except IntegrityError:
        pass  # another callback of the same call made it first
    return locked.get(inbox=inbox, provider_call_sid=update.call_sid)


def record_call_update(*, inbox: Inbox, update: CallUpdate) -> Call:
    """Apply one status callback to its call, forward only: queued -> ringing -> in-progress ->
    an end (a late "ringing" never reopens an ended call). When the call has ended it goes on
    the timeline once; a voicemail recording adds its link; a missed inbound call opens one
    callback task. Runs inside the transaction that processes the stored event."""
    at = update.timestamp or timezone.now()
    workspace = inbox.workspace
    call = _locked_call(inbox=inbox, update=update, at=at)
    fields: set[str] = set()
    if update.status and STATUS_RANK[update.status] > STATUS_RANK.get(call.provider_status, 0):
        call.provider_status = update.status
        fields.add("provider_status")
        if update.status == "in-progress" and call.answered_at is None:
            call.answered_at = at
            fields.add("answered_at")
        if update.status in TERMINAL_STATUSES:
            call.ended_at = at
            call.duration_seconds = update.duration_seconds or 0
            fields |= {"ended_at", "duration_seconds"}
    if update.recording_url and not call.recording_url:
        call.recording_url = update.recording_url
        fields.add("recording_url")
    ended = call.provider_status in TERMINAL_STATUSES
    if ended:
        outcome = CallOutcome.VOICEMAIL if call.recording_url else _OUTCOME_OF_STATUS[call.provider_status]
        if outcome != call.outcome:
            call.outcome = outcome
            fields.add("outcome")
    if fields:
        call.save(update_fields=sorted(fields))
    if not ended:
        return call
    system = Actor.system(workspace)
    if call.message_id is None:
        _put_on_timeline(system, call)
    elif fields & {"outcome", "recording_url"}:
        from layan.conversations.services import amend_call_message

        with translation.override(workspace.language):
            text = _message_text(call)
        amend_call_message(message_id=call.message_id, text=text, metadata=_message_metadata(call))
    if (call.direction == CallDirection.INBOUND and call.outcome in MISSED_OUTCOMES
            and call.callback_conversation_id is None):
        _open_callback_task(system, call)
    return call


def _open_callback_task(actor: Actor, call: Call) -> None:
    from layan.conversations.services import open_task_conversation

    config = VoiceConfig.objects.filter(inbox=call.inbox).select_related("callback_team").first()
    team = (config.callback_team if config else None) or call.inbox.default_team
    with translation.override(call.workspace.language):
        subject = _("Call back %(number)s") % {"number": international(call.number)}
        summary = call_summary(direction=call.direction, duration_seconds=call.duration_seconds,
                               outcome=call.outcome)
        note = _("%(summary)s from %(number)s. Call the customer back, then log the call here.") % {
            "summary": summary, "number": international(call.number)}
    task = open_task_conversation(actor=actor, inbox=call.inbox, customer=call.customer, subject=subject,
                                  note=note, team=team)
    call.callback_conversation = task
    call.save(update_fields=["callback_conversation"])
