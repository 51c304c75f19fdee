"""Several ways to reach one sender given together (a web form's email and phone; an API sender's
id, email and phone) joined to one customer before the message is received: the customer any of
them already belongs to, so a person who wrote on another channel before stays one customer."""

from __future__ import annotations

from collections.abc import Sequence

from layan.accounts.actors import Actor
from layan.accounts.models import Workspace
from layan.customers.models import Customer, Identity
from layan.customers.normalise import PHONE_KINDS, normalise_identity
from layan.customers.services import IdentityInput, find_or_create_customer
from layan.errors import InvalidInput


def _known(workspace: Workspace, identity: IdentityInput) -> bool:
    try:
        value = normalise_identity(identity.kind, identity.value)
    except InvalidInput:
        return False
    kinds = PHONE_KINDS if identity.kind in PHONE_KINDS else {identity.kind}
    return Identity.objects.filter(workspace=workspace, kind__in=kinds, value=value).exists()


def join_identities(*, workspace: Workspace, name: str, identities: Sequence[IdentityInput]) -> Customer:
    """The customer of ``identities[0]`` (the sender's identity on this channel) if it is known,
    else of the first other one that is, else a new customer; the identities nobody holds yet are
    added to them. An identity another customer holds stays theirs (merging is an agent's call).
    Runs inside the caller's transaction; raises InvalidInput when the first one is unusable."""
    identities = [i for i in identities if i.value]
    if not identities:
        raise InvalidInput("no identity", field="sender")
    primary, others = identities[0], identities[1:]
    usable = []
    for identity in others:
        try:
            normalise_identity(identity.kind, identity.value)
        except InvalidInput:
            continue  # a mistyped phone next to a good email must not lose the message
        usable.append(identity)
    ordered = [primary, *usable]
    if not _known(workspace, primary):
        known = next((i for i in usable if _known(workspace, i)), None)
        if known is not None:
            ordered = [known, primary, *(i for i in usable if i is not known)]
    return find_or_create_customer(actor=Actor.customer(workspace), name=name, identities=ordered)
