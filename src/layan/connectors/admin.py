"""Operator admin for inboxes (one per channel account) and the raw events they received."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from layan.accounts.admin import ReadOnlyAdminMixin, WorkspaceAwareAdmin
from layan.connectors.ingress import retry_inbound_event
from layan.connectors.models import InboundEvent, InboundEventStatus, Inbox


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


@admin.register(InboundEvent)
class InboundEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What channels delivered, as stored: look, and retry the failed ones after a fix."""

    list_display = ("id", "inbox", "workspace", "source", "status", "sender", "size", "attempts", "received_at")
    list_filter = ("workspace", "status", "source")
    list_select_related = ("inbox", "workspace")
    search_fields = ("=sender", "=event_id", "reason")
    date_hierarchy = "received_at"
    ordering = ("-id",)
    show_full_result_count = False
    actions = ("retry",)

    @admin.action(description=_("Process the selected failed events again"))
    def retry(self, request, queryset):
        failed = queryset.filter(status=InboundEventStatus.FAILED)
        for event in failed:
            retry_inbound_event(event=event)
        self.message_user(request, _("%(n)s events queued again.") % {"n": len(failed)})
