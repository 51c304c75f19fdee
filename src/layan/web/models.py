"""What agents keep of their own workspace: saved inbox views."""

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from layan.accounts.models import Agent, Workspace


class SavedView(models.Model):
    """A named inbox query (view, filters, sort) an agent keeps in the sidebar."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="saved_views", verbose_name=_("agent"))
    name = models.CharField(_("name"), max_length=80)
    # The inbox's query string without cursor: "view=all&status=open&tag=vip".
    query = models.CharField(_("query"), max_length=1000)
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [models.UniqueConstraint(fields=["agent", "name"], name="saved_view_unique_name")]

    def __str__(self):
        return self.name
