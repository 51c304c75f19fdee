"""Writers for customers: create, update, identities, the one ``resolve_identity()``, merge."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layan import events
from layan.accounts.actors import Actor
from layan.accounts.models import Workspace
from layan.accounts.services import ensure_tags, record_audit, validate_language, validate_timezone
from layan.customers.models import ChannelKind, Customer, Identity, IdentityKind, Tier
from layan.customers.normalise import PHONE_KINDS, normalise_identity
from layan.errors import Conflict, ErrorCode, InvalidInput


@dataclass(frozen=True)
class IdentityInput:
    kind: str
    value: str


def _customer_snapshot(customer: Customer) -> dict:
    return {
        "name": customer.name,
        "language": customer.language,
        "timezone": customer.timezone,
        "tier": customer.tier,
        "attributes": customer.attributes,
        "consent": customer.consent,
        "preferred_channel": customer.preferred_channel,
        "notes": customer.notes,
    }


def _validate_fields(*, tier=None, preferred_channel=None, consent=None, attributes=None,
                     language=None, timezone_name=None) -> None:
    if tier is not None and tier not in Tier.values:
        raise InvalidInput(_("Unknown tier."), field="tier")
    if preferred_channel and preferred_channel not in ChannelKind.values:
        raise InvalidInput(_("Unknown channel."), field="preferred_channel")
    if consent is not None and (not isinstance(consent, dict) or any(
        k not in ChannelKind.values or not isinstance(v, bool) for k, v in consent.items()
    )):
        raise InvalidInput(_("Consent maps a channel to true or false."), field="consent")
    if attributes is not None and not isinstance(attributes, dict):
        raise InvalidInput(_("Custom attributes must be an object."), field="attributes")
    if language is not None:
        validate_language(language)
    if timezone_name is not None:
        validate_timezone(timezone_name)


@transaction.atomic
def create_customer(
    *,
    actor: Actor,
    name: str = "",
    language: str | None = None,
    timezone_name: str | None = None,
    tier: str = Tier.STANDARD,
    tags: Iterable[str] = (),
    attributes: dict | None = None,
    consent: dict | None = None,
    preferred_channel: str = "",
    notes: str = "",
    identities: Iterable[IdentityInput] = (),
) -> Customer:
    workspace = actor.workspace
    _validate_fields(tier=tier, preferred_channel=preferred_channel, consent=consent, attributes=attributes,
                     language=language, timezone_name=timezone_name)
    normalised = [(i.kind, _normalise_kind_value(i.kind, i.value), i.value) for i in identities]
    taken = _taken_identities(workspace, [(k, v) for k, v, _raw in normalised])
    if taken:
        kind, value = taken[0]
        raise Conflict(_("%(value)s already belongs to another customer.") % {"value": value},
                       code=ErrorCode.DUPLICATE, field=kind)
    customer = Customer.objects.create(
        workspace=workspace, name=(name or "").strip()[:200], language=language or workspace.language,
        timezone=timezone_name or workspace.timezone, tier=tier, attributes=attributes or {},
        consent=consent or {}, preferred_channel=preferred_channel or "", notes=notes,
    )
    try:
        with transaction.atomic():
            Identity.objects.bulk_create([
                Identity(workspace=workspace, customer=customer, kind=k, value=v, display_value=raw[:320])
                for k, v, raw in normalised
            ])
    except IntegrityError as exc:  # lost a race with another writer
        raise Conflict(_("An identity already belongs to another customer."), code=ErrorCode.DUPLICATE) from exc
    if tags:
        customer.tags.set(ensure_tags(workspace_id=workspace.pk, names=tags))
    record_audit(actor=actor, action="customer.created", object_type="customer", object_id=customer.pk,
                 after={**_customer_snapshot(customer), "identities": [f"{k}:{v}" for k, v, _r in normalised]})
    return customer


def _normalise_kind_value(kind: str, value: str, *, field: str | None = None) -> str:
    """The normalised value; ``field`` names the caller's input in the error, when it has one."""
    if kind not in IdentityKind.values:
        raise InvalidInput(_("Unknown identity kind: %(kind)s") % {"kind": kind}, field="kind")
    try:
        return normalise_identity(kind, value)
    except InvalidInput as exc:
        if field is None:
            raise
        raise InvalidInput(exc.message, code=exc.code, field=field) from exc


def _taken_identities(workspace: Workspace, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    taken = []
    for kind, value in pairs:
        if Identity.objects.filter(workspace=workspace, kind=kind, value=value).exists():
            taken.append((kind, value))
    return taken


@transaction.atomic
def update_customer(*, actor: Actor, customer: Customer, **changes) -> Customer:
    """Change any of name, language, timezone_name, tier, tags, attributes, consent,
    preferred_channel, notes. Unknown keys are a programming error."""
    allowed = {"name", "language", "timezone_name", "tier", "tags", "attributes", "consent",
               "preferred_channel", "notes"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"unknown fields {unknown}")
    _validate_fields(tier=changes.get("tier"), preferred_channel=changes.get("preferred_channel"),
                     consent=changes.get("consent"), attributes=changes.get("attributes"),
                     language=changes.get("language"), timezone_name=changes.get("timezone_name"))
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = _customer_snapshot(customer)
    fields = []
    for key, value in changes.items():
        if key == "tags":
            continue
        attr = "timezone" if key == "timezone_name" else key
        if key == "name":
            value = (value or "").strip()[:200]
        setattr(customer, attr, value if value is not None else "")
        fields.append(attr)
    if fields:
        customer.updated_at = timezone.now()
        customer.save(update_fields=[*fields, "updated_at"])
    after = _customer_snapshot(customer)
    if "tags" in changes:
        old_tags = sorted(customer.tags.values_list("name", flat=True))
        customer.tags.set(ensure_tags(workspace_id=customer.workspace_id, names=changes["tags"] or []))
        before["tags"] = old_tags
        after["tags"] = sorted(t.strip().lower() for t in changes["tags"] or [])
    record_audit(actor=actor, action="customer.updated", object_type="customer", object_id=customer.pk,
                 before=before, after=after)
    return customer


class IdentityTaken(Conflict):
    """An identity an agent adds already belongs to another customer of the workspace: most often the
    same person, known on two channels, so the answer names that customer and suggests merging."""

    def __init__(self, *, value: str, owner_id: int):
        message = " ".join((
            _("%(value)s already belongs to another customer.") % {"value": value},
            _("If it is the same person, merge customer #%(owner)s into this one.") % {"owner": owner_id},
        ))
        super().__init__(message, code=ErrorCode.DUPLICATE, field="value")
        self.owner_id = owner_id


def _owner_of(*, workspace_id: int, kind: str, value: str) -> Identity | None:
    return Identity.objects.filter(workspace_id=workspace_id, kind=kind, value=value).first()


@transaction.atomic
def add_identity(*, actor: Actor, customer: Customer, kind: str, value: str, verified: bool = False) -> Identity:
    """Give ``customer`` one more way to be reached (an email address they wrote in a chat, a phone
    number). Normalised as ``resolve_identity()`` does, so the customer's next message from it, in any
    spelling, lands on them. One that belongs to another customer raises ``IdentityTaken`` (409)."""
    if customer.merged_into_id:
        raise Conflict(_("That customer was merged into another; add it there."), code=ErrorCode.CUSTOMER_MERGED,
                       field="customer")
    normalised = _normalise_kind_value(kind, value, field="value")
    existing = _owner_of(workspace_id=customer.workspace_id, kind=kind, value=normalised)
    if existing is not None:
        if existing.customer_id == customer.pk:
            return existing
        raise IdentityTaken(value=normalised, owner_id=existing.customer_id)
    try:
        with transaction.atomic():
            identity = Identity.objects.create(workspace_id=customer.workspace_id, customer=customer, kind=kind,
                                               value=normalised, display_value=value.strip()[:320],
                                               verified=verified)
    except IntegrityError as exc:  # lost a race: whoever claimed it first keeps it
        winner = _owner_of(workspace_id=customer.workspace_id, kind=kind, value=normalised)
        if winner is not None and winner.customer_id == customer.pk:
            return winner
        if winner is None:  # claimed and removed again meanwhile
            raise Conflict(_("Could not add the identity; please retry."), field="value") from exc
        raise IdentityTaken(value=normalised, owner_id=winner.customer_id) from exc
    record_audit(actor=actor, action="customer.identity_added", object_type="customer", object_id=customer.pk,
                 after={"identity": f"{kind}:{normalised}"})
    return identity


@transaction.atomic
def remove_identity(*, actor: Actor, identity: Identity) -> None:
    record_audit(actor=actor, action="customer.identity_removed", object_type="customer",
                 object_id=identity.customer_id, before={"identity": f"{identity.kind}:{identity.value}"})
    identity.delete()


def resolve_identity(*, workspace: Workspace, kind: str, value: str, name: str = "",
                     actor: Actor | None = None) -> Identity:
    """The one way every channel turns a sender into a customer.

    Finds the identity by its normalised value or creates it with a new customer. A phone number
    already known under the other phone kind (a WhatsApp sender who once called) joins that
    customer. Safe under concurrency: the unique constraint decides, never a check-then-act.
    """
    normalised = _normalise_kind_value(kind, value)
    for _attempt in range(3):
        found = Identity.objects.select_related("customer").filter(
            workspace=workspace, kind=kind, value=normalised).first()
        if found is not None:
            return found
        try:
            with transaction.atomic():
                customer = None
                if kind in PHONE_KINDS:
                    sibling = Identity.objects.select_related("customer").filter(
                        workspace=workspace, kind__in=PHONE_KINDS - {kind}, value=normalised).first()
                    customer = sibling.customer if sibling else None
                if customer is None:
                    customer = Customer.objects.create(
                        workspace=workspace, name=(name or "").strip()[:200], language=workspace.language,
                        timezone=workspace.timezone,
                    )
                    record_audit(actor=actor or Actor.customer(workspace), action="customer.created",
                                 object_type="customer", object_id=customer.pk,
                                 after={"name": customer.name, "identities": [f"{kind}:{normalised}"]})
                identity = Identity.objects.create(workspace=workspace, customer=customer, kind=kind,
                                                   value=normalised, display_value=value[:320])
                return identity
        except IntegrityError:
            continue  # someone else created it first; read theirs
    raise Conflict(_("Could not resolve the identity; please retry."))


@transaction.atomic
def merge_customers(*, actor: Actor, source: Customer, target: Customer) -> Customer:
    """Fold ``source`` into ``target``: identities, conversations and history move; audited."""
    from layan.conversations.services import move_conversations_to_customer

    if source.pk == target.pk:
        raise InvalidInput(_("A customer cannot be merged into itself."), field="target")
    for customer, field in ((source, "source"), (target, "target")):
        if customer.workspace_id != actor.workspace.pk:
            raise InvalidInput(_("Customer not found."), field=field)
    locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[source.pk, target.pk])}
    source, target = locked[source.pk], locked[target.pk]
    if source.merged_into_id or target.merged_into_id:
        raise Conflict(_("That customer was already merged."), code=ErrorCode.CUSTOMER_MERGED)
    moved_identities = list(source.identities.values_list("kind", "value"))
    source.identities.update(customer=target)
    moved_conversations = move_conversations_to_customer(source=source, target=target)
    target.tags.add(*source.tags.all())
    target_fields = []
    for attr in ("name", "preferred_channel", "notes"):
        if not getattr(target, attr) and getattr(source, attr):
            setattr(target, attr, getattr(source, attr))
            target_fields.append(attr)
    target.attributes = {**source.attributes, **target.attributes}
    target.consent = {**source.consent, **target.consent}
    target.updated_at = timezone.now()
    target.save(update_fields=[*target_fields, "attributes", "consent", "updated_at"])
    source.merged_into = target
    source.updated_at = timezone.now()
    source.save(update_fields=["merged_into", "updated_at"])
    for customer_id in (source.pk, target.pk):
        record_audit(actor=actor, action="customer.merged", object_type="customer", object_id=customer_id,
                     before={"source": source.pk}, after={
                         "target": target.pk, "identities": [f"{k}:{v}" for k, v in moved_identities],
                         "conversations": moved_conversations})
    events.publish(events.CustomersMerged(workspace_id=target.workspace_id, source_id=source.pk,
                                          target_id=target.pk))
    return target


@transaction.atomic
def delete_customer(*, actor: Actor, customer: Customer) -> None:
    if customer.conversations.exists():
        raise Conflict(_("This customer has conversations; merge the customer instead of deleting it."),
                       field="customer")
    record_audit(actor=actor, action="customer.deleted", object_type="customer", object_id=customer.pk,
                 before=_customer_snapshot(customer))
    customer.delete()


@transaction.atomic
def find_or_create_customer(*, actor: Actor, name: str = "", identities: Iterable[IdentityInput]) -> Customer:
    """The customer these identities point to, created if none does; identities not yet known are
    added to them. Identities that belong to someone else are left alone (merging is explicit)."""
    identities = list(identities)
    if not identities:
        raise InvalidInput(_("Give the customer's id, email or phone number."), field="customer")
    normalised = [(i.kind, _normalise_kind_value(i.kind, i.value), i.value) for i in identities]
    first_kind, _first_value, first_raw = normalised[0]
    customer = resolve_identity(workspace=actor.workspace, kind=first_kind, value=first_raw, name=name,
                                actor=actor).customer
    for kind, value, raw in normalised[1:]:
        owner = Identity.objects.filter(workspace=actor.workspace, kind=kind, value=value).values_list(
            "customer_id", flat=True).first()
        if owner is None:
            try:
                with transaction.atomic():
                    Identity.objects.create(workspace=actor.workspace, customer=customer, kind=kind, value=value,
                                            display_value=raw[:320])
            except IntegrityError:
                continue  # claimed concurrently by someone else; leave it with them
    if name and not customer.name:
        customer.name = name.strip()[:200]
        customer.updated_at = timezone.now()
        customer.save(update_fields=["name", "updated_at"])
    return customer
