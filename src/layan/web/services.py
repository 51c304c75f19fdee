"""Writers for the agent workspace's own data: saved inbox views."""

from __future__ import annotations

from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from layan.accounts.models import Agent
from layan.errors import Conflict, ErrorCode, InvalidInput
from layan.web.inbox import InboxQuery
from layan.web.models import SavedView

MAX_SAVED_VIEWS = 30


def save_view(*, agent: Agent, name: str, query: InboxQuery) -> SavedView:
    """Keep the inbox query under a name (the cursor is not kept: a saved view starts at the top)."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Give the view a name."), field="name")
    if len(name) > 80:
        raise InvalidInput(_("A view's name is at most 80 characters."), field="name")
    if SavedView.objects.filter(agent=agent).count() >= MAX_SAVED_VIEWS:
        raise InvalidInput(_("You can keep at most %(n)s views.") % {"n": MAX_SAVED_VIEWS}, field="name")
    params = urlencode({"view": query.view, **query.params, "sort": query.sort})
    try:
        with transaction.atomic():
            return SavedView.objects.create(workspace_id=agent.workspace_id, agent=agent, name=name, query=params)
    except IntegrityError as exc:
        raise Conflict(_("You already have a view named %(name)s.") % {"name": name}, code=ErrorCode.DUPLICATE,
                       field="name") from exc


def delete_view(*, view: SavedView) -> None:
    view.delete()
