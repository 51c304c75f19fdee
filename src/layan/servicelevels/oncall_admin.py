"""Operator admin for the on-call line: rotations with their members, overrides, and the pages
with their SMS/WhatsApp deliveries (history: read only)."""

from __future__ import annotations

from django.contrib import admin

from layan.accounts.admin import ReadOnlyAdminMixin, WorkspaceAwareAdmin
from layan.servicelevels.oncall_models import (
    OnCallMember,
    OnCallOverride,
    OnCallPage,
    OnCallPageDelivery,
    OnCallRotation,
)


class OnCallMemberInline(admin.TabularInline):
    model = OnCallMember
    fields = ("position", "agent", "phone")
    raw_id_fields = ("agent",)
    extra = 0
    ordering = ("position",)


@admin.register(OnCallRotation)
class OnCallRotationAdmin(WorkspaceAwareAdmin):
    list_display = ("name", "workspace", "team", "timezone", "shift_hours", "handover_time", "is_active")
    list_filter = ("workspace", "is_active")
    list_select_related = ("workspace", "team")
    search_fields = ("name",)
    raw_id_fields = ("team",)
    inlines = [OnCallMemberInline]

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            instance.workspace_id = form.instance.workspace_id
            instance.save()
        for deleted in formset.deleted_objects:
            deleted.delete()


@admin.register(OnCallOverride)
class OnCallOverrideAdmin(WorkspaceAwareAdmin):
    list_display = ("rotation", "agent", "starts_at", "ends_at", "workspace")
    list_filter = ("workspace",)
    list_select_related = ("rotation", "agent", "workspace")
    raw_id_fields = ("rotation", "agent", "created_by")
    readonly_fields = ("created_by", "created_at")


@admin.register(OnCallPage)
class OnCallPageAdmin(ReadOnlyAdminMixin, WorkspaceAwareAdmin):
    list_display = ("pk", "conversation", "agent", "reason", "level", "created_at", "acknowledged_at", "workspace")
    list_filter = ("workspace", "reason")
    list_select_related = ("conversation", "agent", "workspace")


@admin.register(OnCallPageDelivery)
class OnCallPageDeliveryAdmin(ReadOnlyAdminMixin, WorkspaceAwareAdmin):
    list_display = ("pk", "page", "channel", "to", "status", "attempts", "updated_at", "workspace")
    list_filter = ("workspace", "channel", "status")
    list_select_related = ("page", "workspace")
