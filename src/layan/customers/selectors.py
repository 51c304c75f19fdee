"""Reads for customers. Every role sees the workspace's customers; other workspaces never."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from layan.accounts.models import Agent
from layan.customers.models import Customer, Identity
from layan.errors import NotFound


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
