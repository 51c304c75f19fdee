"""Reads for automation: the canned replies an agent may use, the composer's search, rendering an
answer for one conversation; the rules, their run log and the macros an agent may see."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from layan.accounts.models import Agent, Role
from layan.accounts.selectors import agent_team_ids, require_role
from layan.automation.models import AutomationRule, CannedReply, Macro, RuleRun
from layan.automation.variables import render_variables
from layan.conversations.models import Conversation
from layan.errors import NotFound

LOOKUP_LIMIT = 20


def usable_canned_replies(agent: Agent) -> QuerySet[CannedReply]:
    """The workspace's answers for everyone, plus those of the agent's teams; supervisors and
    admins use every answer of the workspace."""
    qs = CannedReply.objects.filter(workspace_id=agent.workspace_id)
    if agent.is_supervisor_or_admin:
        return qs
    return qs.filter(Q(team__isnull=True) | Q(team_id__in=agent_team_ids(agent)))


def _normalised_query(q: str) -> str:
    # The composer sends what follows the "/" the agent typed, but may send the slash as well.
    return (q or "").strip().removeprefix("/").strip().lower()


def search_canned_replies(*, agent: Agent, q: str = "", language: str = "") -> QuerySet[CannedReply]:
    """Every matching answer the agent may use, best first: shortcuts starting with ``q`` (rank 0)
    before answers whose title or text contains it (rank 1); then the most used, then by shortcut.

    The rows carry ``rank``, so the API pages through them by (rank, -usage_count, shortcut)."""
    qs = usable_canned_replies(agent).select_related("team").prefetch_related("variants")
    if language:
        # An answer without a language suits a conversation in any language.
        qs = qs.filter(language__in=[language, ""])
    term = _normalised_query(q)
    if term:
        prefix = Q(shortcut__startswith=term)
        qs = qs.filter(prefix | Q(shortcut__contains=term) | Q(title__icontains=term) | Q(text__icontains=term))
        rank = Case(When(prefix, then=Value(0)), default=Value(1), output_field=IntegerField())
    else:
        rank = Value(0, output_field=IntegerField())
    return qs.annotate(rank=rank).order_by("rank", "-usage_count", "shortcut")


def canned_replies_after(qs: QuerySet[CannedReply], *, rank: int, usage_count: int,
                         shortcut: str) -> QuerySet[CannedReply]:
    """The rows of ``search_canned_replies`` strictly after the one with this sort key (keyset paging;
    shortcuts are unique in a workspace, so the key names one row)."""
    return qs.filter(
        Q(rank__gt=rank)
        | Q(rank=rank, usage_count__lt=usage_count)
        | Q(rank=rank, usage_count=usage_count, shortcut__gt=shortcut)
    )


def canned_replies_for(*, agent: Agent, q: str = "", language: str = "") -> list[CannedReply]:
    """What the composer offers after "/": the first 20 matches of ``search_canned_replies``."""
    return list(search_canned_replies(agent=agent, q=q, language=language)[:LOOKUP_LIMIT])


def access_canned_reply(*, agent: Agent, canned_reply_id: int) -> CannedReply:
    found = usable_canned_replies(agent).select_related("team").filter(pk=canned_reply_id).first()
    if found is None:
        raise NotFound(_("Canned reply not found."), field="canned_reply")
    return found


def variant_for_language(canned_reply: CannedReply, language: str) -> CannedReply:
    """The version of the answer in ``language`` (the customer's): the reply itself, its original
    or a sibling translation; the reply as given when none is in that language."""
    if not language or canned_reply.language == language:
        return canned_reply
    if canned_reply.variant_of_id is None and "variants" in getattr(canned_reply, "_prefetched_objects_cache", {}):
        # The composer's list prefetched the translations: no query per answer.
        return next((v for v in canned_reply.variants.all() if v.language == language), canned_reply)
    root_id = canned_reply.variant_of_id or canned_reply.pk
    found = (CannedReply.objects.filter(Q(pk=root_id) | Q(variant_of_id=root_id), language=language)
             .order_by("pk").first())
    return found or canned_reply


def render_canned_reply(*, canned_reply: CannedReply, conversation: Conversation, agent: Agent | None,
                        by_customer_language: bool = True) -> str:
    """The answer's text, in the customer's language where a translation exists, with its variables
    filled for ``conversation`` in one pass: a value that itself looks like a variable (a customer
    called "{agent_name}") is never expanded."""
    if by_customer_language:
        canned_reply = variant_for_language(canned_reply, conversation.customer.language)
    return render_variables(canned_reply.text, conversation=conversation, agent=agent)


# --- rules and macros --------------------------------------------------------------------------

def rules_for(agent: Agent) -> QuerySet[AutomationRule]:
    """The workspace's rules, in the order they run; supervisors and admins only."""
    require_role(agent, Role.SUPERVISOR)
    return AutomationRule.objects.filter(workspace_id=agent.workspace_id).order_by("position", "pk")


def access_rule(*, agent: Agent, rule_id: int) -> AutomationRule:
    found = rules_for(agent).filter(pk=rule_id).first()
    if found is None:
        raise NotFound(_("Rule not found."), field="rule")
    return found


def runs_of_rule(rule: AutomationRule) -> QuerySet[RuleRun]:
    return RuleRun.objects.filter(rule=rule).select_related("conversation")


def macros_for(agent: Agent, *, active_only: bool = False) -> QuerySet[Macro]:
    """Every agent sees the workspace's macros (to apply them); supervisors and admins edit them."""
    qs = Macro.objects.filter(workspace_id=agent.workspace_id)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("name", "pk")


def access_macro(*, agent: Agent, macro_id: int) -> Macro:
    found = macros_for(agent).filter(pk=macro_id).first()
    if found is None:
        raise NotFound(_("Macro not found."), field="macro")
    return found


def public_actions(actions: list[dict]) -> list[dict]:
    """Actions as they are shown: a webhook's secret is never sent back, only whether there is one."""
    shown = []
    for action in actions:
        if action.get("type") == "webhook":
            action = {k: v for k, v in action.items() if k != "secret"} | {"signed": bool(action.get("secret"))}
        shown.append(action)
    return shown
