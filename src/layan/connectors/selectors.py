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
