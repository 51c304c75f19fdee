"""Operator admin for the agent workspace's own data."""

from django.contrib import admin

from layan.accounts.admin import WorkspaceAwareAdmin
from layan.web.models import SavedView


@admin.register(SavedView)
class SavedViewAdmin(WorkspaceAwareAdmin):
    list_display = ("name", "agent", "workspace", "query", "created_at")
    list_filter = ("workspace",)
    list_select_related = ("workspace", "agent")
    search_fields = ("name", "agent__display_name")
    autocomplete_fields = ("workspace", "agent")
    readonly_fields = ("created_at",)
    ordering = ("-id",)
