"""Running automation: rules on events (an async subscriber), time-based rules (a sweeper), macros,
and the actions both do. Loop-safe: every event caused by a rule carries the chain of rules
behind it (events.rule_chain); a rule never answers its own change and a chain stops at MAX_DEPTH.
See docs/flows/automation.md."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from layan import events
from layan.accounts.actors import Actor
from layan.accounts.models import Agent, Team
from layan.accounts.notifications import notify_agents
from layan.automation import webhooks
from layan.automation.models import (
    AutomationRule,
    CannedReply,
    Macro,
    RuleEvent,
    RuleRun,
    StatusSince,
    TimeAnchor,
    TimedRuleApplication,
)
from layan.automation.selectors import render_canned_reply
from layan.automation.variables import render_variables
from layan.conversations import services as conversations
from layan.conversations.models import Conversation, Direction, Message, Status
from layan.errors import LayanError
from layan.servicelevels.selectors import calendar_for, calendar_value

logger = logging.getLogger(__name__)

MAX_DEPTH = 3  # rules caused by rules caused by rules: then the chain stops
TIMED_BATCH = 500  # conversations one time-based rule handles per sweep

EVENT_OF = {
    events.ConversationCreated: RuleEvent.CONVERSATION_CREATED,
    events.MessageReceived: RuleEvent.MESSAGE_RECEIVED,
    events.ConversationStatusChanged: RuleEvent.STATUS_CHANGED,
    events.ServiceLevelWarned: RuleEvent.SLA_WARNING,
    events.ServiceLevelBreached: RuleEvent.SLA_BREACH,
}


# --- conditions --------------------------------------------------------------------------------

@dataclass
class Facts:
    """What conditions look at: the conversation (with customer, inbox, team, assignee and tags
    loaded once) and what the event adds. The message text is read only if a condition needs it."""

    conversation: Conversation
    old_status: str = ""
    sla_metric: str = ""
    message_id: int | None = None
    # The instant "within business hours" is judged at: given by the time-based sweep; else the
    # event's message's arrival, else now (see _moment).
    at: datetime | None = None
    # (workspace id, team id) -> the calendar value it works by (None: no calendar), shared across a sweep.
    calendars: dict = field(default_factory=dict, repr=False)
    _text: str | None = field(default=None, repr=False)

    @property
    def tags(self) -> set[str]:
        return {t.name for t in self.conversation.tags.all()}

    @property
    def text(self) -> str:
        if self._text is None:
            messages = Message.objects.filter(conversation_id=self.conversation.pk)
            if self.message_id:
                messages = messages.filter(pk=self.message_id)
            else:
                messages = messages.filter(direction=Direction.INBOUND, is_note=False).order_by("-created_at", "-pk")
            self._text = messages.values_list("text", flat=True).first() or ""
        return self._text

    def _moment(self) -> datetime:
        if self.at is None:
            received = None
            if self.message_id:
                received = Message.objects.filter(pk=self.message_id).values_list("created_at", flat=True).first()
            self.at = received or timezone.now()
        return self.at

    @property
    def business_hours(self) -> str:
        """"within" or "outside" the hours of the conversation's team calendar, else the
        workspace default; a workspace with no calendar is always within."""
        c = self.conversation
        key = (c.workspace_id, c.team_id)
        if key not in self.calendars:
            row = calendar_for(workspace_id=c.workspace_id, team_id=c.team_id, policy=None)
            self.calendars[key] = calendar_value(row) if row is not None else None
        calendar = self.calendars[key]
        return "within" if calendar is None or calendar.is_open(self._moment()) else "outside"


def _value_of(facts: Facts, name: str):
    c = facts.conversation
    return {
        "status": lambda: c.status,
        "old_status": lambda: facts.old_status,
        "priority": lambda: c.priority,
        "type": lambda: c.type,
        "channel": lambda: c.channel,
        "customer_tier": lambda: c.customer.tier,
        "sla_metric": lambda: facts.sla_metric,
        "inbox": lambda: c.inbox_id,
        "team": lambda: c.team_id,
        "assignee": lambda: c.assignee_id,
        "subject": lambda: c.subject or "",
        "text": lambda: facts.text,
        "business_hours": lambda: facts.business_hours,
    }[name]()


def condition_holds(facts: Facts, condition: dict) -> bool:
    name, operator, expected = condition["field"], condition["operator"], condition["value"]
    if name == "tags":
        has = bool(facts.tags & set(expected))
        return has if operator == "has" else not has
    actual = _value_of(facts, name)
    if name in ("subject", "text"):
        # casefold: "PAKET" finds "paket", and the German ß and Turkish İ fold as Unicode says.
        haystack = actual.casefold()
        found = any(word.casefold() in haystack for word in expected)
        return found if operator == "contains" else not found
    if name == "assignee":
        if expected == "none":
            result = actual is None
        elif expected == "any":
            result = actual is not None
        else:
            result = actual == expected
    else:
        result = actual in expected
    return result if operator == "is" else not result


def conditions_hold(facts: Facts, conditions: dict) -> bool:
    every, some = conditions.get("all") or [], conditions.get("any") or []
    if not all(condition_holds(facts, c) for c in every):
        return False
    return not some or any(condition_holds(facts, c) for c in some)


# --- actions -----------------------------------------------------------------------------------

def _conversation_url(conversation: Conversation) -> str:
    return reverse("web:conversation", kwargs={"number": conversation.number})


def _notify(actor: Actor, conversation: Conversation, action: dict, source_name: str, dedupe_key: str) -> str:
    agent_ids = set(action["agents"])
    if action["assignee"] and conversation.assignee_id:
        agent_ids.add(conversation.assignee_id)
    if actor.agent is not None:
        agent_ids.discard(actor.agent.pk)  # nobody is alerted of their own doing
    text = render_variables(action["text"], conversation=conversation, agent=actor.agent)
    number, subject = conversation.number, conversation.subject

    def wording():
        return (_("%(source)s: conversation #%(number)s") % {"source": source_name, "number": number},
                text or subject)

    made = notify_agents(workspace_id=conversation.workspace_id, agent_ids=agent_ids, kind="automation",
                         wording=wording, conversation_id=conversation.pk, url=_conversation_url(conversation),
                         dedupe_key=dedupe_key)
    return f"notify:{','.join(str(n.agent_id) for n in made)}"


def do_action(*, actor: Actor, conversation: Conversation, action: dict, source_name: str,  # noqa: C901
              rule: AutomationRule | None = None, macro: Macro | None = None, dedupe_key: str = "") -> str:
    """Do one checked action through the conversations services; returns what was done, for the log.
    A LayanError (an illegal status move, a closed WhatsApp window) propagates: the caller records it."""
    kind, value = action["type"], action.get("value")
    if kind == "set_status":
        conversations.change_status(actor=actor, conversation=conversation, status=value)
    elif kind == "set_priority":
        conversations.update_conversation(actor=actor, conversation=conversation, priority=value)
    elif kind == "set_type":
        conversations.update_conversation(actor=actor, conversation=conversation, type=value)
    elif kind == "assign_team":
        team = None if value is None else Team.objects.get(workspace_id=conversation.workspace_id, pk=value)
        # A new team keeps the assignee only if they belong to it (conversations decides).
        assignee = conversations.UNSET
        if team is not None and conversation.assignee_id and not team.members.filter(
                pk=conversation.assignee_id).exists():
            assignee = None
        conversations.assign_conversation(actor=actor, conversation=conversation, team=team, assignee=assignee)
    elif kind == "assign_agent":
        agent = None if value is None else Agent.objects.get(workspace_id=conversation.workspace_id, pk=value)
        conversations.assign_conversation(actor=actor, conversation=conversation, assignee=agent)
    elif kind == "add_tags":
        conversations.tag(actor=actor, conversation=conversation, add=value)
    elif kind == "remove_tags":
        conversations.tag(actor=actor, conversation=conversation, remove=value)
    elif kind == "reply_canned":
        reply = CannedReply.objects.get(workspace_id=conversation.workspace_id, pk=value)
        text = render_canned_reply(canned_reply=reply, conversation=conversation, agent=actor.agent)
        conversations.reply_to_conversation(actor=actor, conversation=conversation, text=text)
    elif kind == "add_note":
        text = render_variables(value, conversation=conversation, agent=actor.agent)
        conversations.add_note(actor=actor, conversation=conversation, text=text)
    elif kind == "notify":
        return _notify(actor, conversation, action, source_name, dedupe_key)
    elif kind == "webhook":
        delivery = webhooks.queue_webhook(conversation=conversation, url=action["url"], secret=action["secret"],
                                          rule=rule, macro=macro, source_name=source_name)
        return f"webhook:{delivery.pk}"
    else:  # pragma: no cover - definitions.py refuses unknown types before they are stored
        raise ValueError(kind)
    return f"{kind}:{value if not isinstance(value, list) else ','.join(value)}"


def load_conversation(conversation_id: int) -> Conversation | None:
    return (Conversation.objects.select_related("customer", "inbox", "team", "assignee", "workspace")
            .prefetch_related("tags").filter(pk=conversation_id, merged_into__isnull=True).first())


def _fresh(conversation: Conversation) -> Conversation:
    return load_conversation(conversation.pk) or conversation


def apply_rule(*, rule: AutomationRule, conversation: Conversation, event_name: str, chain: tuple[int, ...],
               dedupe_key: str = "") -> RuleRun:
    """Do the rule's actions, all or none, as the system; the events they cause carry the chain
    with this rule added. Records the run (and the error, rolled back, if an action was refused)."""
    actor = Actor.system(conversation.workspace)
    done: list[str] = []
    error = ""
    try:
        with transaction.atomic(), events.caused_by_rules((*chain, rule.pk)):
            for action in rule.actions:
                done.append(do_action(actor=actor, conversation=conversation, action=action, source_name=rule.name,
                                      rule=rule, dedupe_key=dedupe_key))
                conversation = _fresh(conversation)
    except LayanError as exc:  # refused by the conversations services: said plainly in the run log
        error, done = exc.message, []
        logger.info("automation rule %s failed on conversation %s: %s", rule.pk, conversation.pk, error)
    except Exception as exc:  # anything else is recorded too, so one broken rule never stops the others
        error, done = f"{type(exc).__name__}: {exc}", []
        logger.exception("automation rule %s crashed on conversation %s", rule.pk, conversation.pk)
    AutomationRule.objects.filter(pk=rule.pk).update(run_count=F("run_count") + 1, last_run_at=timezone.now())
    return RuleRun.objects.create(workspace_id=rule.workspace_id, rule=rule, conversation_id=conversation.pk,
                                  event=event_name, depth=len(chain), actions_done=done, error=error)


def active_rules(workspace_id: int, event: str) -> list[AutomationRule]:
    return list(AutomationRule.objects.filter(workspace_id=workspace_id, event=event, is_active=True)
                .order_by("position", "pk"))


def _notification_key(rule: AutomationRule, event: events.Event) -> str:
    """What makes a rule's notification once-only when its task is retried: the event's own
    identity where it has one. A status change has none (it may recur), so it is not deduplicated."""
    base = f"rule:{rule.pk}:{event.conversation_id}"
    if isinstance(event, events.MessageReceived):
        return f"{base}:message:{event.message_id}"
    if isinstance(event, events.ConversationCreated):
        return f"{base}:created"
    if isinstance(event, events.ServiceLevelWarned | events.ServiceLevelBreached):
        return f"{base}:{event.name}:{event.metric}:{event.due_at}"
    return ""


def run_rules_for_event(event: events.Event) -> list[RuleRun]:
    """Async subscriber: evaluate the workspace's rules for this event, in position order.

    Queries do not grow with the number of rules: one for the rules, two for the conversation
    and its tags, one for the message text if a condition asks for it, then the writes of the
    rules that match."""
    rule_event = EVENT_OF[type(event)]
    rules = active_rules(event.workspace_id, rule_event)
    if not rules:
        return []
    chain = tuple(event.rule_chain)
    if len(chain) >= MAX_DEPTH:
        logger.warning("automation chain stopped at depth %s for conversation %s (rules %s)", len(chain),
                       event.conversation_id, "→".join(map(str, chain)))
        return []
    conversation = load_conversation(event.conversation_id)
    if conversation is None:
        return []
    facts = Facts(conversation=conversation, old_status=getattr(event, "old_status", ""),
                  sla_metric=getattr(event, "metric", ""), message_id=getattr(event, "message_id", None))
    runs = []
    for rule in rules:
        if chain and rule.pk == chain[-1]:
            continue  # a rule never answers its own change
        if not conditions_hold(facts, rule.conditions):
            continue
        runs.append(apply_rule(rule=rule, conversation=conversation, event_name=event.name, chain=chain,
                               dedupe_key=_notification_key(rule, event)))
        if rule.stop_processing:
            break
        conversation = _fresh(conversation)
        facts.conversation = conversation
    return runs


def record_status_since(event: events.ConversationStatusChanged) -> None:
    """Sync subscriber: remember when the conversation entered its current status (for "pending
    for 3 days"). Reads the status now, so events handled out of order still leave the truth."""
    current = Conversation.objects.filter(pk=event.conversation_id).values_list("status", flat=True).first()
    if current is None:
        return
    changed = StatusSince.objects.filter(conversation_id=event.conversation_id).exclude(status=current).update(
        status=current, since=timezone.now())
    if not changed:
        StatusSince.objects.get_or_create(conversation_id=event.conversation_id,
                                          defaults={"workspace_id": event.workspace_id, "status": current,
                                                    "since": timezone.now()})


# --- time-based rules --------------------------------------------------------------------------

def _anchor(anchor: str):
    if anchor == TimeAnchor.CREATED:
        return F("created_at")
    if anchor == TimeAnchor.LAST_CUSTOMER_MESSAGE:
        return F("last_customer_message_at")
    if anchor == TimeAnchor.UPDATED:
        return F("updated_at")
    since = StatusSince.objects.filter(conversation_id=OuterRef("pk"), status=OuterRef("status")).values("since")[:1]
    return Coalesce(Subquery(since), F("updated_at"))


def _status_prefilter(conditions: dict) -> Q:
    """The SQL form of the rule's "status is ..." conditions, so the sweep reads only candidates."""
    q = Q()
    for condition in conditions.get("all") or []:
        if condition["field"] == "status":
            part = Q(status__in=condition["value"])
            q &= part if condition["operator"] == "is" else ~part
    return q


def due_conversations(rule: AutomationRule, now) -> list[Conversation]:
    cutoff = now - timedelta(minutes=rule.delay_minutes)
    applied = TimedRuleApplication.objects.filter(rule_id=rule.pk, conversation_id=OuterRef("pk"),
                                                  anchor_at=OuterRef("anchor"))
    qs = (Conversation.objects.filter(workspace_id=rule.workspace_id, merged_into__isnull=True)
          .exclude(status=Status.CLOSED).filter(_status_prefilter(rule.conditions))
          .annotate(anchor=_anchor(rule.time_anchor)).filter(anchor__lte=cutoff)
          .exclude(Exists(applied))
          .select_related("customer", "inbox", "team", "assignee", "workspace").prefetch_related("tags")
          .order_by("anchor", "pk"))
    return list(qs[:TIMED_BATCH])


def apply_time_based_rules(now=None) -> list[RuleRun]:
    """Sweeper: each time-based rule, once per conversation per period (the anchor's value): a
    conversation pending again later is a new period. Safe to run concurrently with itself: the
    unique application row is written first, in the transaction of the actions."""
    now = now or timezone.now()
    runs = []
    calendars: dict = {}  # per team, read once per sweep
    rules = AutomationRule.objects.filter(event=RuleEvent.TIME_BASED, is_active=True).order_by(
        "workspace_id", "position", "pk")
    for rule in rules:
        for conversation in due_conversations(rule, now):
            facts = Facts(conversation=conversation, at=now, calendars=calendars)
            if not conditions_hold(facts, rule.conditions):
                continue
            try:
                with transaction.atomic():
                    TimedRuleApplication.objects.create(rule=rule, conversation=conversation,
                                                        anchor_at=conversation.anchor)
                    runs.append(apply_rule(rule=rule, conversation=conversation, event_name="TimePassed", chain=(),
                                           dedupe_key=f"rule:{rule.pk}:{conversation.pk}:"
                                                      f"{conversation.anchor.isoformat()}"))
            except IntegrityError:
                continue  # another sweeper took it
    return runs


# --- macros ------------------------------------------------------------------------------------

def apply_macro(*, actor: Actor, macro: Macro, conversation: Conversation) -> list[str]:
    """Do the macro's actions as the agent, all or none; each change is audited as theirs."""
    from layan.accounts.services import record_audit

    done = []
    with transaction.atomic():
        current = load_conversation(conversation.pk) or conversation
        for action in macro.actions:
            done.append(do_action(actor=actor, conversation=current, action=action, source_name=macro.name,
                                  macro=macro, dedupe_key=""))
            current = _fresh(current)
        Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1)
        record_audit(actor=actor, action="macro.applied", object_type="conversation", object_id=conversation.pk,
                     after={"macro": macro.pk, "name": macro.name, "actions": done})
    return done
