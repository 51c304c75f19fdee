"""Operators and workspace admins edit calendars and policies here; clocks and breaches are history.
The on-call part registers itself in oncall_admin.py."""

from django.contrib import admin

from layan.accounts.admin import ReadOnlyAdminMixin, WorkspaceAwareAdmin
from layan.servicelevels import oncall_admin  # noqa: F401 - registers the on-call models
from layan.servicelevels.models import (
    BusinessCalendar,
    BusinessHours,
    CalendarClosure,
    ConversationServiceLevel,
    Escalation,
    EscalationRun,
    ServiceLevelBreach,
    ServiceLevelClock,
    ServiceLevelPolicy,
    TeamCalendar,
)


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


class CalendarClosureInline(admin.TabularInline):
    model = CalendarClosure
    extra = 0


class TeamCalendarInline(admin.TabularInline):
    model = TeamCalendar
    extra = 0
    raw_id_fields = ("team",)


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(WorkspaceAwareAdmin):
    list_display = ("name", "workspace", "timezone", "holiday_country", "is_default")
    list_select_related = ("workspace",)
    list_filter = ("is_default",)
    search_fields = ("name",)
    raw_id_fields = ("workspace",)
    inlines = [BusinessHoursInline, CalendarClosureInline, TeamCalendarInline]


class EscalationInline(admin.TabularInline):
    model = Escalation
    extra = 0
    raw_id_fields = ("team",)


@admin.register(ServiceLevelPolicy)
class ServiceLevelPolicyAdmin(WorkspaceAwareAdmin):
    list_display = ("name", "workspace", "position", "is_active", "hours", "first_response_minutes",
                    "next_response_minutes", "resolution_minutes")
    list_select_related = ("workspace",)
    list_filter = ("is_active", "hours")
    search_fields = ("name",)
    raw_id_fields = ("workspace", "calendar", "teams")
    inlines = [EscalationInline]


@admin.register(ServiceLevelClock)
class ServiceLevelClockAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("conversation", "metric", "cycle", "state", "due_at", "breached_at")
    list_select_related = ("conversation",)
    list_filter = ("metric", "state")
    raw_id_fields = ("workspace", "conversation", "policy", "calendar")
    show_full_result_count = False


@admin.register(ServiceLevelBreach)
class ServiceLevelBreachAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("conversation", "metric", "cycle", "due_at", "breached_at", "achieved_at")
    list_select_related = ("conversation",)
    list_filter = ("metric",)
    raw_id_fields = ("workspace", "conversation", "policy")
    show_full_result_count = False


@admin.register(ConversationServiceLevel)
class ConversationServiceLevelAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("conversation", "next_metric", "next_due_at", "breached", "paused")
    list_select_related = ("conversation",)
    raw_id_fields = ("workspace", "conversation", "policy")
    show_full_result_count = False


@admin.register(EscalationRun)
class EscalationRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("escalation", "conversation", "metric", "due_at", "ran_at")
    list_select_related = ("escalation", "conversation")
    raw_id_fields = ("escalation", "conversation")
    show_full_result_count = False
