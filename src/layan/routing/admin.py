"""Operator admin for routing: queues, defaults, agents' routing rows and skills, workspace-aware."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from layan.accounts.admin import WorkspaceAwareAdmin, WorkspaceScopedForm
from layan.routing.models import (
    AgentRouting,
    AgentSkill,
    InboxSkill,
    Queue,
    RoutingSettings,
    Skill,
    TagSkill,
)


class SkillPartForm(WorkspaceScopedForm):
    """For rows without a workspace of their own: they live in their skill's."""

    workspace_via = "skill"


def skill_workspace(obj):
    return obj.skill.workspace


skill_workspace.short_description = _("workspace")


@admin.register(RoutingSettings)
class RoutingSettingsAdmin(WorkspaceAwareAdmin):
    list_display = ("workspace", "chat_capacity", "email_capacity", "updated_at")
    list_select_related = ("workspace",)
    readonly_fields = ("updated_at",)
    ordering = ("workspace",)


@admin.register(Queue)
class QueueAdmin(WorkspaceAwareAdmin):
    list_display = ("team", "workspace", "strategy", "auto_assign", "priority_first", "updated_at")
    list_filter = ("workspace", "strategy", "auto_assign")
    list_select_related = ("workspace", "team")
    raw_id_fields = ("team",)
    readonly_fields = ("updated_at",)
    ordering = ("workspace", "team")


@admin.register(AgentRouting)
class AgentRoutingAdmin(WorkspaceAwareAdmin):
    list_display = ("agent", "workspace", "chat_capacity", "email_capacity", "routed_count", "last_routed_at")
    list_filter = ("workspace",)
    list_select_related = ("workspace", "agent")
    search_fields = ("agent__display_name", "agent__user__email")
    raw_id_fields = ("agent",)
    readonly_fields = ("last_routed_at", "routed_count")
    ordering = ("workspace", "agent")


@admin.register(Skill)
class SkillAdmin(WorkspaceAwareAdmin):
    list_display = ("name", "kind", "workspace", "created_at")
    list_filter = ("workspace", "kind")
    list_select_related = ("workspace",)
    search_fields = ("name",)
    readonly_fields = ("created_at",)
    ordering = ("workspace", "kind", "name")


class SkillPartAdmin(admin.ModelAdmin):
    form = SkillPartForm
    list_filter = ("skill__workspace",)
    raw_id_fields = ("skill",)
    ordering = ("-id",)
    show_full_result_count = False


@admin.register(AgentSkill)
class AgentSkillAdmin(SkillPartAdmin):
    list_display = ("agent", "skill", "level", skill_workspace)
    list_select_related = ("skill__workspace", "agent")
    raw_id_fields = ("skill", "agent")


@admin.register(InboxSkill)
class InboxSkillAdmin(SkillPartAdmin):
    list_display = ("inbox", "skill", skill_workspace)
    list_select_related = ("skill__workspace", "inbox")
    raw_id_fields = ("skill", "inbox")


@admin.register(TagSkill)
class TagSkillAdmin(SkillPartAdmin):
    list_display = ("tag", "skill", skill_workspace)
    list_select_related = ("skill__workspace", "tag")
    raw_id_fields = ("skill", "tag")
