"""Writers for WhatsApp inboxes: the template sync from the Graph API (`GET /<waba id>/message_templates`).
Meta is asked first, outside any transaction; the answer replaces the inbox's templates in one."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layan.accounts.actors import Actor
from layan.accounts.services import record_audit
from layan.connectors.models import Inbox, InboxKind
from layan.connectors.whatsapp import graph
from layan.connectors.whatsapp.models import TemplateStatus, WhatsAppTemplate
from layan.connectors.whatsapp.selectors import whatsapp_config
from layan.connectors.whatsapp.templating import body_text, parameter_count
from layan.errors import InvalidInput, ProviderError

MAX_TEMPLATE_PAGES = 50  # 100 a page: far beyond what one business account holds
TEMPLATE_FIELDS = "id,name,language,status,category,components"


@dataclass(frozen=True)
class TemplateSync:
    created: int
    updated: int
    removed: int
    approved: int


def fetch_templates(*, inbox: Inbox) -> list[dict]:
    """Every template of the inbox's business account, as the Graph API lists them (all pages)."""
    config = whatsapp_config(inbox_id=inbox.pk) if inbox.kind == InboxKind.WHATSAPP else None
    if config is None or not config.business_account_id:
        raise InvalidInput(_("Set the inbox's business_account_id before syncing its templates."),
                           field="business_account_id")
    token = config.secret("access_token_env")
    if not token:
        raise InvalidInput(_("The inbox's access token is not set (access_token_env)."), field="access_token_env")
    url = (f"{config.api_base()}/{config.business_account_id}/message_templates?"
           + urlencode({"fields": TEMPLATE_FIELDS, "limit": 100}))
    items: list[dict] = []
    for _page in range(MAX_TEMPLATE_PAGES):
        try:
            answer = graph.call(url, token=token)
        except graph.GraphError as exc:
            raise ProviderError(_("Meta did not list the templates: %(reason)s") % {"reason": exc.reason}) from exc
        items += [t for t in answer.get("data") or [] if isinstance(t, dict)]
        url = str((answer.get("paging") or {}).get("next") or "")
        if not url:
            break
    return items


def sync_templates(*, actor: Actor, inbox: Inbox) -> TemplateSync:
    """Copy the inbox's templates from Meta: new ones are added, changed ones updated, ones Meta no
    longer lists removed. Audited."""
    if inbox.workspace_id != actor.workspace.pk:
        raise InvalidInput(_("Not found in this workspace."), field="inbox")
    items = fetch_templates(inbox=inbox)
    result = store_templates(inbox=inbox, items=items)
    record_audit(actor=actor, action="whatsapp.templates_synced", object_type="inbox", object_id=inbox.pk,
                 after={"created": result.created, "updated": result.updated, "removed": result.removed,
                        "approved": result.approved})
    return result


@transaction.atomic
def store_templates(*, inbox: Inbox, items: list[dict]) -> TemplateSync:
    """Make the inbox's stored templates exactly ``items`` (Graph API shapes)."""
    now = timezone.now()
    existing = {(t.name, t.language): t for t in WhatsAppTemplate.objects.select_for_update().filter(inbox=inbox)}
    seen, created, updated = set(), 0, 0
    for item in items:
        name, language = str(item.get("name") or "")[:512], str(item.get("language") or "")[:16]
        if not name or not language or (name, language) in seen:
            continue
        seen.add((name, language))
        components = item.get("components") if isinstance(item.get("components"), list) else []
        body = body_text(components)
        status = str(item.get("status") or "").upper()
        values = {"provider_id": str(item.get("id") or "")[:64], "category": str(item.get("category") or "")[:32],
                  "status": status if status in TemplateStatus.values else TemplateStatus.OTHER,
                  "body_text": body, "parameter_count": min(parameter_count(body), 100),
                  "components": components, "synced_at": now}
        row = existing.get((name, language))
        if row is None:
            WhatsAppTemplate.objects.create(workspace_id=inbox.workspace_id, inbox=inbox, name=name,
                                            language=language, **values)
            created += 1
            continue
        for key, value in values.items():
            setattr(row, key, value)
        row.save(update_fields=list(values))
        updated += 1
    gone = [t.pk for key, t in existing.items() if key not in seen]
    if gone:
        WhatsAppTemplate.objects.filter(pk__in=gone).delete()
    approved = sum(1 for item in items if str(item.get("status") or "").upper() == TemplateStatus.APPROVED)
    return TemplateSync(created=created, updated=updated, removed=len(gone), approved=approved)
