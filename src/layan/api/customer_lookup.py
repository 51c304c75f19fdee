"""Who a new conversation is with: an existing customer by id, or found/created by identity."""

from layan.api.schemas import CustomerLookupIn
from layan.customers.selectors import access_customer
from layan.customers.services import IdentityInput, find_or_create_customer


def customer_for_new_conversation(request, lookup: CustomerLookupIn):
    if lookup.id is not None:
        return access_customer(agent=request.agent, customer_id=lookup.id)
    identities = [
        IdentityInput(kind=kind, value=value)
        for kind, value in (("email", lookup.email), ("phone", lookup.phone), ("whatsapp", lookup.whatsapp))
        if value
    ]
    return find_or_create_customer(actor=request.actor, name=lookup.name, identities=identities)
