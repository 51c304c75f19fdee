"""Reads for the agent workspace's own data."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from layan.accounts.models import Agent
from layan.errors import NotFound
from layan.web.models import SavedView


def saved_views(*, agent: Agent) -> QuerySet[SavedView]:
    return SavedView.objects.filter(agent=agent).order_by("name")


def access_saved_view(*, agent: Agent, view_id: int) -> SavedView:
    """Only the agent's own views: a colleague's view is as absent as another workspace's."""
    view = SavedView.objects.filter(agent=agent, pk=view_id).first()
    if view is None:
        raise NotFound(_("View not found."), field="view")
    return view
