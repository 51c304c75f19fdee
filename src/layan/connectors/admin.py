"""Operator admin for inboxes (one per channel account)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from layan.accounts.admin import WorkspaceAwareAdmin
from layan.connectors.models import Inbox


@admin.register(Inbox)
class InboxAdmin(WorkspaceAwareAdmin):
    list_display = ("name", "kind", "workspace", "default_team", "threading_policy", "reopen_window_days",
                    "is_active", "created_at")
    list_filter = ("workspace", "kind", "threading_policy", "is_active")
    list_select_related = ("workspace", "default_team")
    search_fields = ("name", "=public_id")
    autocomplete_fields = ("workspace", "default_team")
    readonly_fields = ("public_id", "created_at")
    fieldsets = (
        (None, {"fields": ("workspace", "kind", "name", "public_id", "is_active")}),
        (_("Routing and threading"), {"fields": ("default_team", "threading_policy", "reopen_window_days")}),
        (_("Channel settings"), {"fields": ("settings",)}),
        (_("History"), {"fields": ("created_at",)}),
    )
    ordering = ("workspace__name", "name")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # Its conversations and messages were received on this kind of channel.
        return ("kind", *fields) if obj is not None else fields
