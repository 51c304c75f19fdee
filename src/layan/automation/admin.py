"""Operator admin for automation: canned replies, rules, macros and what they did, workspace-aware
like every Layan admin."""

from __future__ import annotations

from django.contrib import admin

from layan.accounts.admin import ReadOnlyAdminMixin, WorkspaceAwareAdmin
from layan.automation.models import (
    AutomationRule,
    CannedReply,
    Macro,
    RuleRun,
    StatusSince,
    TimedRuleApplication,
    WebhookDelivery,
)


@admin.register(CannedReply)
class CannedReplyAdmin(WorkspaceAwareAdmin):
    list_display = ("shortcut", "title", "workspace", "team", "language", "usage_count", "updated_at")
    list_display_links = ("shortcut", "title")
    list_filter = ("workspace", "language")
    list_select_related = ("workspace", "team")
    search_fields = ("shortcut", "title")
    raw_id_fields = ("team", "created_by", "variant_of")
    readonly_fields = ("usage_count", "created_by", "created_at", "updated_at")
    ordering = ("workspace", "shortcut")


# Rules and macros are kept on the settings page and the API, where their conditions and actions
# are checked; here operators may rename, reorder or switch them off, and read the rest.
@admin.register(AutomationRule)
class AutomationRuleAdmin(WorkspaceAwareAdmin):
    list_display = ("name", "workspace", "event", "position", "is_active", "stop_processing", "run_count",
                    "last_run_at")
    list_filter = ("workspace", "event", "is_active")
    list_select_related = ("workspace",)
    search_fields = ("name",)
    readonly_fields = ("event", "conditions", "actions", "delay_minutes", "time_anchor", "run_count", "last_run_at",
                       "created_by", "created_at", "updated_at")
    ordering = ("workspace", "position", "pk")

    def has_add_permission(self, request):
        return False


@admin.register(Macro)
class MacroAdmin(WorkspaceAwareAdmin):
    list_display = ("name", "workspace", "is_active", "usage_count", "updated_at")
    list_filter = ("workspace", "is_active")
    list_select_related = ("workspace",)
    search_fields = ("name",)
    readonly_fields = ("actions", "usage_count", "created_by", "created_at", "updated_at")
    ordering = ("workspace", "name")

    def has_add_permission(self, request):
        return False


@admin.register(RuleRun)
class RuleRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("rule", "conversation", "event", "depth", "error", "created_at")
    list_filter = ("workspace", "event")
    list_select_related = ("rule", "conversation")
    raw_id_fields = ("rule", "conversation")
    show_full_result_count = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("url", "workspace", "status", "attempts", "response_status", "next_attempt_at", "sent_at")
    list_filter = ("workspace", "status")
    list_select_related = ("workspace",)
    exclude = ("secret",)
    raw_id_fields = ("rule", "macro", "conversation")
    show_full_result_count = False


@admin.register(TimedRuleApplication)
class TimedRuleApplicationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("rule", "conversation", "anchor_at", "created_at")
    list_select_related = ("rule", "conversation")
    raw_id_fields = ("rule", "conversation")
    show_full_result_count = False


@admin.register(StatusSince)
class StatusSinceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("conversation", "workspace", "status", "since")
    list_filter = ("workspace", "status")
    list_select_related = ("conversation", "workspace")
    raw_id_fields = ("conversation",)
    show_full_result_count = False
