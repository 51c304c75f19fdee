"""The agent workspace's customer pages: the list with search and filters, the profile with its
edit and identity forms, and merging a duplicate into a customer. Thin, as views.py: parse,
access_*, one service, render."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from layan import errors
from layan.accounts.actors import Actor
from layan.accounts.models import Role
from layan.accounts.selectors import require_role
from layan.api.pagination import paginate
from layan.conversations.selectors import ConversationFilters, list_conversations
from layan.customers.models import ChannelKind, Customer, IdentityKind, Tier
from layan.customers.selectors import access_customer, access_identity, customer_directory
from layan.customers.services import add_identity, merge_customers, remove_identity, update_customer
from layan.web.calls import call_panel
from layan.web.session import session_agent

PAGE_SIZE = 50
MERGE_CANDIDATES = 20
EDIT_FIELDS = ("name", "tier", "tags", "language", "preferred_channel", "notes")


def _agent_or_404(request):
    agent = session_agent(request)
    if agent is None:
        raise Http404
    return agent


def _customer_or_404(agent, customer_id) -> Customer:
    try:
        return access_customer(agent=agent, customer_id=int(customer_id))
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc


def _may_merge(agent) -> bool:
    try:
        require_role(agent, Role.SUPERVISOR)
    except errors.PermissionDenied:
        return False
    return True


def _tags(value: str) -> list[str]:
    return [t.strip() for t in (value or "").split(",") if t.strip()]


def _list_params(query) -> dict:
    """The list's narrowing parameters; an unknown tier is dropped, not an error."""
    tier = query.get("tier", "")
    return {"q": (query.get("q") or "").strip()[:200], "tier": tier if tier in Tier.values else "",
            "tag": (query.get("tag") or "").strip()[:64]}


def _query_string(params: dict, **changes) -> str:
    merged = {**params, **changes}
    return "?" + urlencode({k: v for k, v in merged.items() if v})


@login_required
@require_GET
def customer_list(request):
    """The workspace's customers, newest first, by name, email or phone (any format), tier and tag,
    in pages of 50 by cursor; ``?fragment=rows`` answers the rows alone (the "more" button)."""
    agent = _agent_or_404(request)
    params = _list_params(request.GET)
    try:
        rows, next_cursor = paginate(customer_directory(agent=agent, **params),
                                     cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE)
    except errors.LayanError:  # a stale or mangled cursor: start from the top
        return redirect(reverse("web:customers") + _query_string(params))
    context = {"agent": agent, "params": params, "rows": rows, "tiers": Tier.choices,
               "next_url": _query_string(params, cursor=next_cursor, fragment="rows") if next_cursor else None}
    if request.GET.get("fragment") == "rows":
        return render(request, "web/customers/_rows.html", context)
    return render(request, "web/customers/list.html", context)


def _form_of(customer: Customer) -> dict:
    return {"name": customer.name, "tier": customer.tier, "language": customer.language,
            "preferred_channel": customer.preferred_channel, "notes": customer.notes,
            "tags": ", ".join(sorted(t.name for t in customer.tags.all()))}


def _profile(request, agent, customer: Customer, *, status: int = 200, **extra):
    try:
        conversations, next_cursor = paginate(
            list_conversations(agent=agent, filters=ConversationFilters(customer=customer.pk)),
            cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE, sort="-updated")
    except errors.LayanError:
        return redirect("web:customer", customer_id=customer.pk)
    context = {
        "agent": agent, "customer": customer,
        "identities": sorted(customer.identities.all(), key=lambda i: (i.kind, i.pk)),
        "tag_names": sorted(t.name for t in customer.tags.all()),
        "attributes": sorted(customer.attributes.items()) if isinstance(customer.attributes, dict) else [],
        "consent": [(label, customer.consent.get(value)) for value, label in ChannelKind.choices
                    if isinstance(customer.consent, dict) and value in customer.consent],
        "conversations": conversations,
        "next_conversations": "?" + urlencode({"cursor": next_cursor}) if next_cursor else None,
        "form": _form_of(customer), "identity_form": {"kind": IdentityKind.EMAIL, "value": ""},
        "tiers": Tier.choices, "channels": ChannelKind.choices, "identity_kinds": IdentityKind.choices,
        "languages": settings.LANGUAGES, "may_merge": _may_merge(agent),
        **call_panel(identities=customer.identities.all()), **extra,
    }
    return render(request, "web/customers/profile.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def customer_profile(request, customer_id: int):
    """The profile and its conversations the agent may see. A POST saves the edit form (name, tier,
    tags, language, preferred channel, notes) all or nothing; a refused one keeps what was typed. A customer
    merged into another sends the browser to that one."""
    agent = _agent_or_404(request)
    customer = _customer_or_404(agent, customer_id)
    if customer.merged_into_id:
        return redirect("web:customer", customer_id=customer.merged_into_id)
    if request.method == "GET":
        return _profile(request, agent, customer)
    form = {name: request.POST.get(name, "") for name in EDIT_FIELDS}
    try:
        update_customer(actor=Actor.for_agent(agent), customer=customer, name=form["name"], tier=form["tier"],
                        tags=_tags(form["tags"]), language=form["language"],
                        preferred_channel=form["preferred_channel"], notes=form["notes"])
    except errors.LayanError as exc:
        return _profile(request, agent, customer, status=exc.status, form=form, edit_error=exc)
    messages.success(request, _("Customer saved."))
    return redirect("web:customer", customer_id=customer.pk)


def _local_next(request) -> str | None:
    """The page a form asked to go back to (the conversation the agent read the address in), when it
    is one of ours."""
    target = request.POST.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return None


@login_required
@require_POST
def customer_identity_add(request, customer_id: int):
    """Add an email, phone, WhatsApp, ... to the customer, from the profile or from a conversation's
    customer panel (``next`` brings the agent back there); one that belongs to another customer is
    refused with a clear reason, naming that customer so a supervisor can merge the two."""
    agent = _agent_or_404(request)
    customer = _customer_or_404(agent, customer_id)
    if customer.merged_into_id:
        return redirect("web:customer", customer_id=customer.merged_into_id)
    identity_form = {"kind": request.POST.get("kind", ""), "value": request.POST.get("value", "")}
    try:
        add_identity(actor=Actor.for_agent(agent), customer=customer, kind=identity_form["kind"],
                     value=identity_form["value"])
    except errors.LayanError as exc:
        return _profile(request, agent, customer, status=exc.status, identity_form=identity_form,
                        identity_error=exc, identity_owner=getattr(exc, "owner_id", None))
    messages.success(request, _("Identity added."))
    return redirect(_local_next(request) or reverse("web:customer", kwargs={"customer_id": customer.pk}))


@login_required
@require_POST
def customer_identity_remove(request, customer_id: int, identity_id: int):
    agent = _agent_or_404(request)
    customer = _customer_or_404(agent, customer_id)
    try:
        identity = access_identity(agent=agent, customer=customer, identity_id=identity_id)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc
    remove_identity(actor=Actor.for_agent(agent), identity=identity)
    messages.success(request, _("Identity removed."))
    return redirect("web:customer", customer_id=customer.merged_into_id or customer.pk)


@login_required
@require_http_methods(["GET", "POST"])
def customer_merge(request, customer_id: int):
    """Merge another customer into this one (supervisors and admins): find the duplicate by search,
    confirm on a page showing both, then ``merge_customers`` moves its identities and
    conversations here."""
    agent = _agent_or_404(request)
    try:
        require_role(agent, Role.SUPERVISOR)
    except errors.PermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    target = _customer_or_404(agent, customer_id)
    if target.merged_into_id:
        return redirect("web:customer-merge", customer_id=target.merged_into_id)
    source_id = request.POST.get("source") if request.method == "POST" else request.GET.get("source")
    context = {"agent": agent, "target": target}
    if not source_id:
        q = (request.GET.get("q") or "").strip()[:200]
        candidates = []
        if q:
            candidates = [c for c in customer_directory(agent=agent, q=q).order_by("-id")[:MERGE_CANDIDATES + 1]
                          if c.pk != target.pk][:MERGE_CANDIDATES]
        status = 200
        if request.method == "POST":
            context["error"] = _("Choose the customer to merge into this one.")
            status = 400
        return render(request, "web/customers/merge.html", {**context, "q": q, "candidates": candidates},
                      status=status)
    source = _customer_or_404(agent, source_id)
    counts = {c.pk: c.conversation_count
              for c in customer_directory(agent=agent).filter(pk__in=[source.pk, target.pk])}
    context = {**context, "source": source, "source_count": counts.get(source.pk, 0),
               "target_count": counts.get(target.pk, 0)}
    if request.method == "GET":
        return render(request, "web/customers/merge.html", context)
    try:
        merge_customers(actor=Actor.for_agent(agent), source=source, target=target)
    except errors.LayanError as exc:
        return render(request, "web/customers/merge.html", {**context, "error": exc.message}, status=exc.status)
    messages.success(request, _("%(source)s was merged into this customer.") % {"source": source})
    return redirect("web:customer", customer_id=target.pk)
