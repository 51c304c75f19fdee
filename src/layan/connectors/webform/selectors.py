"""Reads for web-form inboxes: their settings (defaults until an admin saves some) and the email
inbox their replies leave from."""

from __future__ import annotations

from layan.connectors.models import Inbox, InboxKind
from layan.connectors.webform.models import WebFormConfig


def webform_config(*, inbox: Inbox) -> WebFormConfig:
    """The inbox's saved settings, or the defaults (an unsaved row) when it has none yet."""
    config = WebFormConfig.objects.select_related("reply_inbox").filter(inbox=inbox).first()
    return config if config is not None else WebFormConfig(inbox=inbox)


def reply_inbox_for(*, inbox: Inbox) -> Inbox | None:
    """The email inbox a web-form conversation's replies are sent from: the one its settings name,
    else the workspace's first active email inbox that has an address to send from."""
    from layan.connectors.email.config import inbox_addresses

    chosen = webform_config(inbox=inbox).reply_inbox
    if (chosen is not None and chosen.is_active and chosen.kind == InboxKind.EMAIL
            and chosen.workspace_id == inbox.workspace_id):
        return chosen
    for candidate in Inbox.objects.filter(workspace_id=inbox.workspace_id, kind=InboxKind.EMAIL,
                                          is_active=True).order_by("id"):
        if inbox_addresses(candidate.settings):
            return candidate
    return None
