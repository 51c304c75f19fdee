"""Operator admin for conversations and everything on them.

Messages and attachments are history: they can be looked at, never written here. Conversations are
opened by channels and the API (which allocate numbers, audit and publish events), so the admin
edits only their descriptive fields; status moves through the API, which enforces the transitions.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from layan.accounts.admin import WorkspaceAwareAdmin, WorkspaceScopedForm
from layan.conversations.models import (
    Attachment,
    Conversation,
    ConversationLink,
    ConversationTag,
    Follower,
    Message,
    Participant,
    ReadMarker,
    TimeEntry,
)


@admin.display(description=_("workspace"), ordering="conversation__workspace__name")
def conversation_workspace(obj):
    return obj.conversation.workspace


class ConversationPartForm(WorkspaceScopedForm):
    """For rows without a workspace of their own: they live in their conversation's."""

    workspace_via = "conversation"


# --- conversations --------------------------------------------------------------------------


class ConversationTagInline(admin.TabularInline):
    model = ConversationTag
    form = ConversationPartForm
    extra = 0
    autocomplete_fields = ("tag",)
    verbose_name = _("tag")
    verbose_name_plural = _("tags")


class FollowerInline(admin.TabularInline):
    model = Follower
    form = ConversationPartForm
    extra = 0
    autocomplete_fields = ("agent",)
    readonly_fields = ("created_at",)
    verbose_name = _("follower")
    verbose_name_plural = _("followers")


class ParticipantInline(admin.TabularInline):
    model = Participant
    form = ConversationPartForm
    extra = 0
    fields = ("role", "address", "name", "customer")
    raw_id_fields = ("customer",)
    verbose_name = _("participant")
    verbose_name_plural = _("participants")


@admin.register(Conversation)
class ConversationAdmin(WorkspaceAwareAdmin):
    list_display = ("number", "subject", "workspace", "status", "priority", "type", "customer", "inbox", "team",
                    "assignee", "message_count", "last_message_at")
    list_display_links = ("number", "subject")
    list_filter = ("workspace", "status", "priority", "type", "inbox__kind")
    list_select_related = ("workspace", "customer", "inbox", "team", "assignee")
    search_fields = ("subject",)
    raw_id_fields = ("customer", "merged_into")
    autocomplete_fields = ("team", "assignee")
    readonly_fields = ("number", "status", "channel", "customer", "inbox", "merged_into", "thread",
                       "message_count", "created_at", "updated_at", "last_message_at", "last_customer_message_at",
                       "first_response_at", "solved_at", "closed_at")
    fieldsets = (
        (None, {"fields": ("workspace", "number", "subject", "status", "priority", "type", "thread")}),
        (_("Who"), {"fields": ("customer", "inbox", "channel", "team", "assignee")}),
        (_("Custom fields"), {"fields": ("custom_fields",)}),
        (_("History"), {"fields": ("merged_into", "message_count", "created_at", "updated_at", "last_message_at",
                                   "last_customer_message_at", "first_response_at", "solved_at", "closed_at")}),
    )
    inlines = (ConversationTagInline, FollowerInline, ParticipantInline)
    date_hierarchy = "created_at"
    ordering = ("-id",)

    def has_add_permission(self, request):
        return False  # opened by a channel or the API, which number, audit and announce it

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = search_term.strip().lstrip("#")
        if number.isdigit():
            results = results | queryset.filter(number=int(number))
        return results, may_have_duplicates

    @admin.display(description=_("messages"))
    def thread(self, obj):
        url = reverse("admin:conversations_message_changelist")
        return format_html('<a href="{}?conversation={}">{}</a>', url, obj.pk, _("Open the thread"))


# --- messages and attachments ---------------------------------------------------------------


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ("filename", "content_type", "size", "inline", "sha256", "created_at")
    readonly_fields = fields
    can_delete = False
    verbose_name = _("attachment")
    verbose_name_plural = _("attachments")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class HistoryAdmin(WorkspaceAwareAdmin):
    """Looked at, never added or changed here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(HistoryAdmin):
    list_display = ("id", "conversation", "workspace", "direction", "author_kind", "is_note", "delivery_status",
                    "created_at")
    list_filter = ("workspace", "direction", "author_kind", "is_note", "delivery_status")
    list_select_related = ("workspace", "conversation")
    search_fields = ("=provider_message_id", "=idempotency_key")
    raw_id_fields = ("conversation", "author_customer")
    fieldsets = (
        (None, {"fields": ("workspace", "conversation", "inbox", "direction", "author_kind", "author_agent",
                           "author_customer", "is_note")}),
        (_("Body"), {"fields": ("text", "html", "recipients", "mentions")}),
        (_("Delivery"), {"fields": ("delivery_status", "delivery_error", "provider_message_id",
                                    "idempotency_key", "sent_at", "created_at")}),
    )
    readonly_fields = ("workspace", "conversation", "inbox", "direction", "author_kind", "author_agent",
                       "author_customer", "is_note", "text", "html", "recipients", "mentions", "delivery_status",
                       "delivery_error", "provider_message_id", "idempotency_key", "sent_at", "created_at")
    inlines = (AttachmentInline,)
    date_hierarchy = "created_at"
    ordering = ("-id",)


@admin.register(Attachment)
class AttachmentAdmin(HistoryAdmin):
    list_display = ("filename", "content_type", "size", "message", "workspace", "inline", "created_at")
    list_filter = ("workspace", "inline")
    list_select_related = ("workspace", "message")
    search_fields = ("filename", "=sha256")
    raw_id_fields = ("message",)
    readonly_fields = ("workspace", "message", "filename", "content_type", "size", "sha256", "storage_key",
                       "content_id", "inline", "file", "created_at")
    date_hierarchy = "created_at"
    ordering = ("-id",)


# --- the rest of a conversation -------------------------------------------------------------


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    form = ConversationPartForm
    list_display = ("address", "name", "role", "conversation", conversation_workspace, "created_at")
    list_filter = ("conversation__workspace", "role")
    list_select_related = ("conversation__workspace",)
    search_fields = ("address", "name")
    raw_id_fields = ("conversation", "customer")
    readonly_fields = ("created_at",)
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(ConversationTag)
class ConversationTagAdmin(admin.ModelAdmin):
    form = ConversationPartForm
    list_display = ("conversation", "tag", conversation_workspace)
    list_filter = ("conversation__workspace",)
    list_select_related = ("conversation__workspace", "tag")
    search_fields = ("tag__name",)
    raw_id_fields = ("conversation",)
    autocomplete_fields = ("tag",)
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(Follower)
class FollowerAdmin(admin.ModelAdmin):
    form = ConversationPartForm
    list_display = ("agent", "conversation", conversation_workspace, "created_at")
    list_filter = ("conversation__workspace",)
    list_select_related = ("conversation__workspace", "agent")
    search_fields = ("agent__display_name", "agent__user__email")
    raw_id_fields = ("conversation",)
    autocomplete_fields = ("agent",)
    readonly_fields = ("created_at",)
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(ReadMarker)
class ReadMarkerAdmin(admin.ModelAdmin):
    list_display = ("agent", "conversation", conversation_workspace, "read_at")
    list_filter = ("conversation__workspace",)
    list_select_related = ("conversation__workspace", "agent")
    raw_id_fields = ("conversation", "agent")
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(ConversationLink)
class ConversationLinkAdmin(WorkspaceAwareAdmin):
    list_display = ("source", "kind", "target", "workspace", "created_at")
    list_filter = ("workspace", "kind")
    list_select_related = ("workspace", "source", "target")
    raw_id_fields = ("source", "target")
    autocomplete_fields = ("workspace",)
    readonly_fields = ("created_at",)
    ordering = ("-id",)


@admin.register(TimeEntry)
class TimeEntryAdmin(WorkspaceAwareAdmin):
    list_display = ("conversation", "agent", "seconds", "note", "workspace", "created_at")
    list_filter = ("workspace",)
    list_select_related = ("workspace", "conversation", "agent")
    search_fields = ("note", "agent__display_name")
    raw_id_fields = ("conversation",)
    autocomplete_fields = ("workspace", "agent")
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"
    ordering = ("-id",)
