"""Operator admin for inboxes (one per channel account) and the raw events they received."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from layan.accounts.admin import ReadOnlyAdminMixin, WorkspaceAwareAdmin
from layan.connectors.ingress import retry_inbound_event
from layan.connectors.models import InboundEvent, InboundEventStatus, Inbox
from layan.connectors.voice.models import Call
from layan.connectors.whatsapp.models import WhatsAppConfig, WhatsAppTemplate
from layan.connectors.whatsapp.services import sync_templates


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


@admin.register(WhatsAppConfig)
class WhatsAppConfigAdmin(admin.ModelAdmin):
    list_display = ("inbox", "phone_number_id", "business_account_id", "api_version")
    list_select_related = ("inbox",)
    search_fields = ("=phone_number_id", "=business_account_id", "inbox__name")
    autocomplete_fields = ("inbox",)


@admin.register(WhatsAppTemplate)
class WhatsAppTemplateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Templates as Meta last listed them: synced, never edited here (Meta reviews every change)."""

    list_display = ("name", "language", "status", "category", "parameter_count", "inbox", "synced_at")
    list_filter = ("status", "category", "language")
    list_select_related = ("inbox",)
    search_fields = ("name", "body_text")
    raw_id_fields = ("workspace", "inbox")
    actions = ("sync",)

    @admin.action(description=_("Sync the templates of the selected templates' inboxes from Meta"))
    def sync(self, request, queryset):
        from layan.accounts.actors import Actor
        from layan.errors import LayanError

        for inbox in {t.inbox for t in queryset.select_related("inbox__workspace")}:
            try:
                sync_templates(actor=Actor.system(inbox.workspace), inbox=inbox)
            except LayanError as exc:
                self.message_user(request, f"{inbox.name}: {exc.message}", level="error")


class ChannelConfigAdmin(admin.ModelAdmin):
    """An inbox's channel settings for operators (admins edit them on the inbox's settings page)."""

    list_display = ("inbox",)
    list_select_related = ("inbox",)
    search_fields = ("inbox__name", "=inbox__public_id")
    autocomplete_fields = ("inbox",)


def _register_channel_configs() -> None:
    from layan.connectors.registry import CONFIG_MODELS

    for model in CONFIG_MODELS.values():
        if model not in admin.site._registry:
            # Other foreign keys (a callback team, a reply inbox) by id: never a select of a whole table.
            others = tuple(f.name for f in model._meta.concrete_fields if f.is_relation and f.name != "inbox")
            admin.site.register(model, type(f"{model.__name__}Admin", (ChannelConfigAdmin,), {"raw_id_fields": others}))


_register_channel_configs()


@admin.register(Call)
class CallAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Calls as agents logged them or the telephony provider reported them."""

    list_display = ("started_at", "direction", "number", "outcome", "duration_seconds", "inbox", "agent")
    list_filter = ("direction", "outcome")
    list_select_related = ("inbox", "agent")
    search_fields = ("=number", "=provider_call_sid")
    raw_id_fields = ("workspace", "inbox", "conversation", "customer", "agent", "message", "callback_conversation")
