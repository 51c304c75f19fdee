"""API v1: customers, their identities, merge, and their conversations."""

from __future__ import annotations

from ninja import Query, Router, Schema, Status
from pydantic import Field

from layan.accounts.models import Role
from layan.accounts.selectors import audit_trail, require_role
from layan.api import render
from layan.api.pagination import paginate
from layan.api.schemas import (
    ERRORS,
    AuditOut,
    ConversationPage,
    CustomerIn,
    CustomerMergeIn,
    CustomerOut,
    CustomerPage,
    CustomerPatch,
    IdentityIn,
)
from layan.conversations.selectors import ConversationFilters, list_conversations
from layan.customers import services
from layan.customers.selectors import access_customer, access_identity, list_customers

router = Router(tags=["customers"])


class CustomerQuery(Schema):
    q: str | None = Field(None, max_length=200, description="name, email or phone")
    tag: str | None = None
    tier: str | None = None
    cursor: str | None = None
    limit: int | None = None


def _out(request, customer_id: int) -> dict:
    return render.customer_out(access_customer(agent=request.agent, customer_id=customer_id))


@router.get("", response={200: CustomerPage, **ERRORS}, summary="List and search customers")
def list_(request, query: Query[CustomerQuery]):
    qs = list_customers(agent=request.agent, q=query.q or "", tag=query.tag or "", tier=query.tier or "")
    rows, next_cursor = paginate(qs, cursor=query.cursor, limit=query.limit)
    return {"items": [render.customer_out(c) for c in rows], "next_cursor": next_cursor}


@router.post("", response={201: CustomerOut, **ERRORS}, summary="Create a customer")
def create(request, payload: CustomerIn):
    identities = [services.IdentityInput(kind=i.kind, value=i.value) for i in payload.identities]
    for kind in ("email", "phone", "whatsapp"):
        value = getattr(payload, kind)
        if value:
            identities.insert(0, services.IdentityInput(kind=kind, value=value))
    customer = services.create_customer(
        actor=request.actor, name=payload.name, language=payload.language, timezone_name=payload.timezone,
        tier=payload.tier, tags=payload.tags, attributes=payload.attributes, consent=payload.consent,
        preferred_channel=payload.preferred_channel, notes=payload.notes, identities=identities,
    )
    return Status(201, _out(request, customer.pk))


@router.get("/{int:customer_id}", response={200: CustomerOut, **ERRORS}, summary="Get a customer")
def get(request, customer_id: int):
    return _out(request, customer_id)


@router.patch("/{int:customer_id}", response={200: CustomerOut, **ERRORS}, summary="Update a customer")
def update(request, customer_id: int, payload: CustomerPatch):
    customer = access_customer(agent=request.agent, customer_id=customer_id)
    changes = {("timezone_name" if k == "timezone" else k): getattr(payload, k)
               for k in payload.model_fields_set if getattr(payload, k) is not None}
    if changes:
        services.update_customer(actor=request.actor, customer=customer, **changes)
    return _out(request, customer_id)


@router.delete("/{int:customer_id}", response={204: None, **ERRORS},
               summary="Delete a customer with no conversations (admin)")
def delete(request, customer_id: int):
    require_role(request.agent, Role.ADMIN)
    customer = access_customer(agent=request.agent, customer_id=customer_id)
    services.delete_customer(actor=request.actor, customer=customer)
    return Status(204, None)


@router.post("/{int:customer_id}/identities", response={201: CustomerOut, **ERRORS},
             summary="Add an identity (email, phone, WhatsApp, ...)")
def add_identity(request, customer_id: int, payload: IdentityIn):
    customer = access_customer(agent=request.agent, customer_id=customer_id)
    services.add_identity(actor=request.actor, customer=customer, kind=payload.kind, value=payload.value)
    return Status(201, _out(request, customer_id))


@router.delete("/{int:customer_id}/identities/{int:identity_id}", response={200: CustomerOut, **ERRORS},
               summary="Remove an identity")
def remove_identity(request, customer_id: int, identity_id: int):
    customer = access_customer(agent=request.agent, customer_id=customer_id)
    identity = access_identity(agent=request.agent, customer=customer, identity_id=identity_id)
    services.remove_identity(actor=request.actor, identity=identity)
    return _out(request, customer_id)


@router.post("/{int:customer_id}/merge", response={200: CustomerOut, **ERRORS},
             summary="Merge another customer (source_id) into this one (supervisor or admin)")
def merge(request, customer_id: int, payload: CustomerMergeIn):
    require_role(request.agent, Role.SUPERVISOR)
    target = access_customer(agent=request.agent, customer_id=customer_id)
    source = access_customer(agent=request.agent, customer_id=payload.source_id)
    services.merge_customers(actor=request.actor, source=source, target=target)
    return _out(request, customer_id)


@router.get("/{int:customer_id}/conversations", response={200: ConversationPage, **ERRORS},
            summary="The customer's conversations")
def conversations(request, customer_id: int, cursor: str | None = None, limit: int | None = None):
    customer = access_customer(agent=request.agent, customer_id=customer_id)
    qs = list_conversations(agent=request.agent, filters=ConversationFilters(customer=customer.pk))
    rows, next_cursor = paginate(qs, cursor=cursor, limit=limit)
    return {"items": [render.conversation_out(c) for c in rows], "next_cursor": next_cursor}


@router.get("/{int:customer_id}/audit", response={200: list[AuditOut], **ERRORS}, summary="Audit trail")
def audit(request, customer_id: int):
    customer = access_customer(agent=request.agent, customer_id=customer_id)
    return list(audit_trail(agent=request.agent, object_type="customer", object_id=customer.pk))
