"""Operator admin for the outbox: what was sent, what waits, what failed, and every attempt.

Read-only: statuses move forward only, through the delivery services (docs/flows/outbox.md).
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from layan.accounts.admin import ReadOnlyAdminMixin, WorkspaceAwareAdmin
from layan.delivery.models import DeliveryAttempt, OutboxItem


class DeliveryAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    fields = ("number", "outcome", "started_at", "finished_at", "error")
    readonly_fields = fields
    ordering = ("number",)
    verbose_name = _("delivery attempt")
    verbose_name_plural = _("delivery attempts")


@admin.register(OutboxItem)
class OutboxItemAdmin(WorkspaceAwareAdmin):
    list_display = ("id", "message", "workspace", "status", "attempts", "next_attempt_at", "lease_expires_at",
                    "updated_at")
    list_filter = ("workspace", "status")
    list_select_related = ("workspace", "message")
    search_fields = ("=provider_message_id",)
    raw_id_fields = ("message",)
    readonly_fields = ("workspace", "message", "status", "attempts", "next_attempt_at", "lease_expires_at",
                       "provider_message_id", "last_error", "created_at", "updated_at")
    inlines = (DeliveryAttemptInline,)
    date_hierarchy = "created_at"
    ordering = ("-id",)

    def has_add_permission(self, request):
        return False  # every item is written with its reply, in the reply's transaction

    def has_change_permission(self, request, obj=None):
        return False


@admin.display(description=_("workspace"), ordering="item__workspace__name")
def item_workspace(obj):
    return obj.item.workspace


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "item", item_workspace, "number", "outcome", "started_at", "finished_at")
    list_filter = ("item__workspace", "outcome")
    list_select_related = ("item__workspace",)
    search_fields = ("error",)
    date_hierarchy = "started_at"
    ordering = ("-id",)
    show_full_result_count = False
