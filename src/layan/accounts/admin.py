"""Operator admin for accounts, and the workspace-aware pieces every Layan admin module shares.

The admin is for operators of a Layan installation, not for agents (they use the workspace UI and
the API). It is workspace-aware: every list shows and filters by workspace, a saved object may
only point at objects of its own workspace, and an object never moves to another workspace.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from layan.accounts.actors import Actor
from layan.accounts.models import (
    Agent,
    APIToken,
    AuditEntry,
    Notification,
    Tag,
    Team,
    TeamMembership,
    User,
    Workspace,
)
from layan.accounts.services import revoke_api_token

# --- shared by the admin modules of every Layan app -----------------------------------------


def _values(value) -> list:
    if isinstance(value, models.Model):
        return [value]
    if isinstance(value, (list, tuple, set, models.QuerySet)):
        return [v for v in value if isinstance(v, models.Model)]
    return []


class WorkspaceScopedForm(forms.ModelForm):
    """Refuses references to another workspace's objects (an assignee, a team, a tag, ...).

    The object's workspace is its own ``workspace`` field, or, for rows that have none, the
    workspace of the object named by ``workspace_via`` (e.g. the conversation of a follower).
    """

    workspace_via: str | None = None

    def _workspace_of(self, cleaned: dict) -> tuple[int | None, str | None]:
        """The object's workspace id and the form field it was taken from (None: the instance)."""
        workspace = cleaned.get("workspace")
        if isinstance(workspace, Workspace):
            return workspace.pk, "workspace"
        if getattr(self.instance, "workspace_id", None):
            return self.instance.workspace_id, None
        if self.workspace_via:
            parent = cleaned.get(self.workspace_via)
            if parent is None and getattr(self.instance, f"{self.workspace_via}_id", None) is not None:
                parent = getattr(self.instance, self.workspace_via)
            return getattr(parent, "workspace_id", None), self.workspace_via
        return None, None

    def clean(self):
        cleaned = super().clean()
        workspace_id, source = self._workspace_of(cleaned)
        if workspace_id is None:
            return cleaned
        for name, value in list(cleaned.items()):
            if name == source:
                continue
            if any(getattr(item, "workspace_id", workspace_id) != workspace_id for item in _values(value)):
                self.add_error(name, _("This belongs to another workspace."))
        return cleaned


class WorkspaceAwareAdmin(admin.ModelAdmin):
    """Base for models with a ``workspace`` field: chosen once when adding, never changed."""

    form = WorkspaceScopedForm
    show_full_result_count = False  # no second COUNT(*) over a 100k-row table per page

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and "workspace" not in fields:
            fields = ("workspace", *fields)
        return fields


class ReadOnlyAdminMixin:
    """History: operators may look, never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- users ----------------------------------------------------------------------------------


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name")

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("A user with this email already exists."))
        return email


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("A user with this email already exists."))
        return email


class MembershipInline(admin.TabularInline):
    """Which workspaces the user works in; memberships are added and changed on the agent page."""

    model = Agent
    fk_name = "user"
    extra = 0
    fields = ("workspace", "role", "display_name", "is_active")
    readonly_fields = fields
    can_delete = False
    show_change_link = True
    verbose_name = _("workspace membership")
    verbose_name_plural = _("workspace memberships")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users log in with their email address; there is no username."""

    form = UserEditForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("name",)}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "name", "usable_password", "password1", "password2")}),
    )
    list_display = ("email", "name", "is_active", "is_staff", "is_superuser", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser", "memberships__workspace")
    search_fields = ("email", "name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    date_hierarchy = "date_joined"
    inlines = (MembershipInline,)
    show_full_result_count = False

    def get_inline_instances(self, request, obj=None):
        # A new user has no memberships yet; they are added on the agent page.
        return super().get_inline_instances(request, obj) if obj is not None else []


# --- workspaces, agents, teams, tags --------------------------------------------------------


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "timezone", "language", "last_conversation_number", "created_at")
    list_filter = ("language", "timezone")
    search_fields = ("name", "=slug")
    ordering = ("name",)
    readonly_fields = ("last_conversation_number", "created_at")
    fields = ("name", "slug", "timezone", "language", "last_conversation_number", "created_at")
    date_hierarchy = "created_at"


@admin.register(Agent)
class AgentAdmin(WorkspaceAwareAdmin):
    list_display = ("display_name", "user", "workspace", "role", "is_active", "created_at")
    list_filter = ("workspace", "role", "is_active")
    list_select_related = ("user", "workspace")
    search_fields = ("display_name", "user__email")
    autocomplete_fields = ("workspace", "user")
    readonly_fields = ("created_at",)
    ordering = ("workspace__name", "display_name")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # A membership belongs to one person; change the person by adding a new membership.
        return ("user", *fields) if obj is not None else fields


class TeamMembershipForm(WorkspaceScopedForm):
    workspace_via = "team"


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    form = TeamMembershipForm
    extra = 0
    autocomplete_fields = ("agent",)
    verbose_name = _("member")
    verbose_name_plural = _("members")


@admin.register(Team)
class TeamAdmin(WorkspaceAwareAdmin):
    list_display = ("name", "workspace", "member_count", "created_at")
    list_filter = ("workspace",)
    list_select_related = ("workspace",)
    search_fields = ("name",)
    autocomplete_fields = ("workspace",)
    readonly_fields = ("created_at",)
    fields = ("workspace", "name", "description", "created_at")
    inlines = (TeamMembershipInline,)
    ordering = ("workspace__name", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_member_count=models.Count("members"))

    @admin.display(description=_("members"), ordering="_member_count")
    def member_count(self, obj):
        return obj._member_count


@admin.register(Tag)
class TagAdmin(WorkspaceAwareAdmin):
    list_display = ("name", "workspace")
    list_filter = ("workspace",)
    list_select_related = ("workspace",)
    search_fields = ("name",)
    autocomplete_fields = ("workspace",)
    ordering = ("workspace__name", "name")


# --- API tokens -----------------------------------------------------------------------------


@admin.register(APIToken)
class APITokenAdmin(WorkspaceAwareAdmin):
    """Tokens are created with ``layan token create`` (the only time the token is shown); here they
    can be renamed and revoked. The stored hash is never shown."""

    list_display = ("prefix", "name", "agent", "workspace", "is_active", "created_at", "last_used_at",
                    "revoked_at")
    list_filter = ("workspace", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("agent", "workspace")
    search_fields = ("=prefix", "name", "agent__display_name", "agent__user__email")
    fields = ("workspace", "agent", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("agent", "prefix", "created_at", "last_used_at", "revoked_at")
    exclude = ("key_hash",)
    actions = ("revoke_tokens",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the row stays for the audit trail

    @admin.display(description=_("active"), boolean=True)
    def is_active(self, obj):
        return obj.revoked_at is None

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke_tokens(self, request, queryset):
        revoked = 0
        for token in queryset.select_related("workspace").filter(revoked_at__isnull=True):
            revoke_api_token(token=token, actor=Actor.system(token.workspace))
            revoked += 1
        self.message_user(
            request,
            ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", revoked) % {"n": revoked},
            messages.SUCCESS,
        )


# --- audit log ------------------------------------------------------------------------------


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "workspace", "action", "object_type", "object_id", "actor_kind", "actor_agent",
                    "via_token")
    list_filter = ("workspace", "actor_kind")
    list_select_related = ("workspace", "actor_agent", "via_token__agent")
    search_fields = ("action", "=object_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "workspace", "agent", "kind", "title", "read_at", "email_status")
    list_filter = ("workspace", "kind", "email_status")
    list_select_related = ("workspace", "agent")
    search_fields = ("title",)
    ordering = ("-id",)
    show_full_result_count = False
