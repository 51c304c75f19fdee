"""Operator admin for automation: canned replies, workspace-aware like every Layan admin."""

from __future__ import annotations

from django.contrib import admin

from layan.accounts.admin import WorkspaceAwareAdmin
from layan.automation.models import CannedReply


@admin.register(CannedReply)
class CannedReplyAdmin(WorkspaceAwareAdmin):
    list_display = ("shortcut", "title", "workspace", "team", "language", "usage_count", "updated_at")
    list_display_links = ("shortcut", "title")
    list_filter = ("workspace", "language")
    list_select_related = ("workspace", "team")
    search_fields = ("shortcut", "title")
    raw_id_fields = ("team", "created_by")
    readonly_fields = ("usage_count", "created_by", "created_at", "updated_at")
    ordering = ("workspace", "shortcut")
