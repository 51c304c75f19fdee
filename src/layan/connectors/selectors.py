"""Reads for inboxes."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from layan.accounts.models import Agent
from layan.connectors.models import Inbox
from layan.errors import NotFound


def list_inboxes(*, agent: Agent) -> QuerySet[Inbox]:
    return Inbox.objects.filter(workspace_id=agent.workspace_id).order_by("id")


def access_inbox(*, agent: Agent, inbox_id: int) -> Inbox:
    inbox = list_inboxes(agent=agent).filter(pk=inbox_id).first()
    if inbox is None:
        raise NotFound(_("Inbox not found."), field="inbox")
    return inbox


def inbox_for_webhook(*, public_id: str, kind: str) -> Inbox | None:
    """The active inbox a provider's webhook names by its public id (never the database id)."""
    return Inbox.objects.select_related("workspace").filter(public_id=public_id, kind=kind, is_active=True).first()


def inbox_by_id(*, inbox_id: int) -> Inbox:
    """An inbox for the system's own work (sending, polling), whatever its state."""
    return Inbox.objects.get(pk=inbox_id)


def webhook_path(*, inbox: Inbox) -> str:
    """The one URL scheme for provider webhooks: /hooks/<kind>/<inbox public id>/."""
    return f"/hooks/{inbox.kind}/{inbox.public_id}/"


def inbox_config(*, inbox: Inbox):
    """The inbox's config row (connectors/<kind>/models.py), or None when it has none yet."""
    from layan.connectors.registry import config_model_for

    model = config_model_for(inbox.kind)
    return model.objects.filter(inbox=inbox).first() if model is not None else None


def access_inbox_by_public_id(*, agent: Agent, public_id: str) -> Inbox:
    inbox = list_inboxes(agent=agent).filter(public_id=public_id).first()
    if inbox is None:
        raise NotFound(_("Inbox not found."), field="inbox")
    return inbox


# Kinds a provider calls back on /hooks/<kind>/<public id>/ (live chat is a widget, not a webhook).
WEBHOOK_KINDS = ("email", "whatsapp", "sms", "telegram", "messenger", "instagram", "voice", "webform", "api")


def webhook_url(*, inbox: Inbox) -> str | None:
    """The absolute URL to give the provider (LAYAN_BASE_URL + the one scheme), or None."""
    from django.conf import settings

    if inbox.kind not in WEBHOOK_KINDS:
        return None
    return settings.LAYAN_BASE_URL + webhook_path(inbox=inbox)


def secret_statuses(*, config) -> list[tuple[str, str, bool]]:
    """For each secret a config names: (field, environment variable, whether it is set). Never the value."""
    import os

    statuses = []
    for name in type(config).secret_env_fields:
        env = str(getattr(config, name) or "")
        statuses.append((name, env, bool(env and os.environ.get(env))))
    return statuses
