"""Reads for customers. Every role sees the workspace's customers; other workspaces never."""

from __future__ import annotations

import contextlib
import re

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from layan.accounts.models import Agent
from layan.conversations.selectors import visible_conversations
from layan.customers.models import Customer, Identity
from layan.customers.normalise import normalise_phone
from layan.errors import InvalidInput, NotFound

_PHONE_NOISE = re.compile(r"[\s().\-/]")


def customers_of(agent: Agent) -> QuerySet[Customer]:
    return Customer.objects.filter(workspace_id=agent.workspace_id)


def list_customers(*, agent: Agent, q: str = "", tag: str = "", tier: str = "",
                   include_merged: bool = False) -> QuerySet[Customer]:
    qs = customers_of(agent)
    if not include_merged:
        qs = qs.filter(merged_into__isnull=True)
    if q:
        q = q.strip()
        matching_identities = Identity.objects.filter(workspace_id=agent.workspace_id).filter(
            Q(value__icontains=q.lower()) | Q(display_value__icontains=q))
        qs = qs.filter(Q(name__icontains=q) | Q(pk__in=matching_identities.values("customer_id")))
    if tag:
        qs = qs.filter(tags__name=tag.strip().lower())
    if tier:
        qs = qs.filter(tier=tier)
    return qs.prefetch_related("identities", "tags")


def access_customer(*, agent: Agent, customer_id: int) -> Customer:
    customer = customers_of(agent).prefetch_related("identities", "tags").filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("Customer not found."), field="customer")
    return customer


def access_identity(*, agent: Agent, customer: Customer, identity_id: int) -> Identity:
    identity = Identity.objects.filter(workspace_id=agent.workspace_id, customer=customer, pk=identity_id).first()
    if identity is None:
        raise NotFound(_("Identity not found."), field="identity")
    return identity


def _identity_matches(q: str) -> Q:
    """Identities a search text points to: as stored or as given, and a phone number in any
    format (``0812-3456-7890`` finds ``+6281234567890``, ``0812 3456`` finds it in part)."""
    matches = Q(value__icontains=q.lower()) | Q(display_value__icontains=q)
    digits = _PHONE_NOISE.sub("", q)
    if digits.lstrip("+").isdigit() and len(digits.lstrip("+")) >= 4:
        with contextlib.suppress(InvalidInput):
            matches |= Q(value=normalise_phone(q))
        # A part of a number as people write it locally: 0812... is stored as +62812...
        partial = "+62" + digits[1:] if digits.startswith("0") and not digits.startswith("00") else digits
        matches |= Q(value__contains=partial)
    return matches


def customer_directory(*, agent: Agent, q: str = "", tag: str = "", tier: str = "") -> QuerySet[Customer]:
    """The workspace's customers (not merged away) for the agent's customer list, each with
    ``conversation_count`` and ``last_activity`` (latest message) over the conversations the
    agent may see; identities and tags prefetched. A constant number of queries per page."""
    qs = list_customers(agent=agent, tag=tag, tier=tier)
    q = (q or "").strip()
    if q:
        identities = Identity.objects.filter(workspace_id=agent.workspace_id).filter(_identity_matches(q))
        qs = qs.filter(Q(name__icontains=q) | Q(pk__in=identities.values("customer_id")))
    theirs = visible_conversations(agent).filter(customer_id=OuterRef("pk"), merged_into__isnull=True).order_by()
    count = theirs.values("customer_id").annotate(n=Count("pk")).values("n")
    latest = theirs.order_by("-last_message_at").values("last_message_at")[:1]
    return qs.annotate(conversation_count=Coalesce(Subquery(count, output_field=IntegerField()), 0),
                       last_activity=Subquery(latest))
