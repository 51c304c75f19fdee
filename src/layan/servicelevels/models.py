"""Business calendars, service-level policies and the clocks, breaches and escalations they make.
See docs/flows/servicelevels.md."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_package
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from layan.accounts.models import Team, Workspace
from layan.conversations.models import Conversation, ConversationType, Priority
from layan.customers.models import Tier

MIDNIGHT = time(0, 0)


def validate_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown time zone: %(zone)s") % {"zone": value}) from exc


def validate_country(value: str) -> None:
    if value and value not in holidays_package.list_supported_countries():
        raise ValidationError(_("No public holidays are known for country code %(code)s.") % {"code": value})


class BusinessCalendar(models.Model):
    """When a team works: weekly hours in a time zone, minus public holidays and closures."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    name = models.CharField(_("name"), max_length=120)
    # WIB = Asia/Jakarta, WITA = Asia/Makassar, WIT = Asia/Jayapura; any IANA zone is accepted.
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Jakarta", validators=[validate_timezone])
    holiday_country = models.CharField(_("public holidays of (country code)"), max_length=8, default="ID", blank=True,
                                       validators=[validate_country],
                                       help_text=_("ISO code, e.g. ID; empty for no public holidays."))
    holiday_subdivision = models.CharField(_("region"), max_length=16, blank=True,
                                           help_text=_("Optional province or state code whose holidays apply too."))
    is_default = models.BooleanField(_("default for the workspace"), default=False,
                                     help_text=_("Used by teams without a calendar of their own."))
    created_at = models.DateTimeField(_("created"), default=now)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="calendar_unique_name"),
            models.UniqueConstraint(fields=["workspace"], condition=Q(is_default=True), name="calendar_one_default"),
        ]

    def __str__(self):
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessHours(models.Model):
    """One open interval of a weekday; several per day make split shifts. Closing at 00:00 means
    at midnight, the end of the day."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours",
                                 verbose_name=_("calendar"))
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        ordering = ["weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="hours_weekday_range"),
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")) | Q(closes_at=MIDNIGHT),
                                   name="hours_close_after_open"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    def clean(self):
        if self.opens_at is not None and self.closes_at is not None and not (
                self.closes_at > self.opens_at or self.closes_at == MIDNIGHT):
            raise ValidationError(_("Closing time must be after opening time (00:00 means midnight)."))

    @property
    def minutes(self) -> tuple[int, int]:
        end = 24 * 60 if self.closes_at == MIDNIGHT else self.closes_at.hour * 60 + self.closes_at.minute
        return self.opens_at.hour * 60 + self.opens_at.minute, end


class ClosureKind(models.TextChoices):
    CLOSED = "closed", _("Closed (cuti bersama, company closure)")
    OPEN = "open", _("Open as usual (a holiday worked through)")


class CalendarClosure(models.Model):
    """A date that differs from the weekly hours: closed on top of public holidays, or a public
    holiday the company works through."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="closures",
                                 verbose_name=_("calendar"))
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=8, choices=ClosureKind.choices, default=ClosureKind.CLOSED)
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="closure_unique_date")]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()}"


class TeamCalendar(models.Model):
    """The calendar a team works by (at most one; the workspace default otherwise)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="business_calendar_link",
                                verbose_name=_("team"))
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="team_links",
                                 verbose_name=_("calendar"))

    class Meta:
        verbose_name = _("team calendar")
        verbose_name_plural = _("team calendars")

    def __str__(self):
        return f"{self.team_id} → {self.calendar_id}"


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class HoursKind(models.TextChoices):
    BUSINESS = "business", _("Business hours")
    ALWAYS = "always", _("24/7")


class ServiceLevelPolicy(models.Model):
    """Targets for conversations matching its conditions; the first active policy by position wins.
    An empty condition matches anything."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("Lower positions are tried first."))
    is_active = models.BooleanField(_("active"), default=True)
    priorities = models.JSONField(_("priorities"), default=list, blank=True,
                                  help_text=_("e.g. [\"urgent\", \"high\"]; empty for any."))
    channels = models.JSONField(_("channels"), default=list, blank=True,
                                help_text=_("e.g. [\"whatsapp\", \"email\"]; empty for any."))
    customer_tiers = models.JSONField(_("customer tiers"), default=list, blank=True)
    types = models.JSONField(_("conversation types"), default=list, blank=True)
    teams = models.ManyToManyField(Team, blank=True, related_name="+", verbose_name=_("teams"))
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"), null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(_("next response within (minutes)"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"), null=True, blank=True)
    hours = models.CharField(_("clock runs"), max_length=16, choices=HoursKind.choices, default=HoursKind.BUSINESS)
    calendar = models.ForeignKey(BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("calendar"),
                                 help_text=_("Empty: the conversation's team calendar, else the workspace default."))
    warning_minutes = models.PositiveIntegerField(_("warn this many minutes before"), default=0)
    created_at = models.DateTimeField(_("created"), default=now)

    class Meta:
        verbose_name = _("service-level policy")
        verbose_name_plural = _("service-level policies")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["workspace", "is_active", "position"], name="slpolicy_order_idx")]

    def __str__(self):
        return self.name

    def clean(self):
        for name, allowed in (("priorities", Priority.values), ("types", ConversationType.values),
                              ("customer_tiers", Tier.values)):
            value = getattr(self, name)
            if not isinstance(value, list) or any(v not in allowed for v in value):
                raise ValidationError({name: _("Choose from: %(values)s") % {"values": ", ".join(allowed)}})
        if not isinstance(self.channels, list) or not all(isinstance(v, str) for v in self.channels):
            raise ValidationError({"channels": _("A list of channel kinds.")})

    def target(self, metric: str) -> int | None:
        return getattr(self, f"{metric}_minutes")


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    ACHIEVED = "achieved", _("Achieved")
    CANCELLED = "cancelled", _("Cancelled")  # the target no longer applies (policy changed, merged)


class ServiceLevelClock(models.Model):
    """One target of one conversation (first response, next response or resolution), for its
    current cycle (next response starts a new cycle on each customer message awaiting an answer).

    Elapsed business time is kept incrementally — ``elapsed`` before ``running_since`` — so the
    due time is recomputed from this row alone, never from the conversation's history."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("conversation"))
    metric = models.CharField(_("metric"), max_length=16, choices=Metric.choices)
    policy = models.ForeignKey(ServiceLevelPolicy, null=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("policy"))
    cycle = models.PositiveIntegerField(_("cycle"), default=1)
    state = models.CharField(_("state"), max_length=16, choices=ClockState.choices, default=ClockState.RUNNING)
    target_minutes = models.PositiveIntegerField(_("target (minutes)"))
    business_hours = models.BooleanField(_("business hours"), default=True)
    calendar = models.ForeignKey(BusinessCalendar, null=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("calendar"))
    started_at = models.DateTimeField(_("started"))
    running_since = models.DateTimeField(_("running since"), null=True, blank=True)
    elapsed = models.DurationField(_("elapsed before"), default=0)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=now)

    class Meta:
        verbose_name = _("service-level clock")
        verbose_name_plural = _("service-level clocks")
        constraints = [
            models.UniqueConstraint(fields=["conversation", "metric"], name="slclock_unique_metric"),
        ]
        # The sweeper's two questions: which running clocks are past their warning / due time.
        indexes = [
            models.Index(fields=["due_at"], condition=Q(state="running", breached_at__isnull=True),
                         name="slclock_due_idx"),
            models.Index(fields=["warn_at"], condition=Q(state="running", warned_at__isnull=True,
                                                         breached_at__isnull=True),
                         name="slclock_warn_idx"),
        ]

    def __str__(self):
        return f"{self.conversation_id} {self.metric} #{self.cycle} {self.state}"


class ServiceLevelBreach(models.Model):
    """A target missed: kept after the clock moves on, with when it was finally met (late)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("conversation"))
    policy = models.ForeignKey(ServiceLevelPolicy, null=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("policy"))
    metric = models.CharField(_("metric"), max_length=16, choices=Metric.choices)
    cycle = models.PositiveIntegerField(_("cycle"), default=1)
    target_minutes = models.PositiveIntegerField(_("target (minutes)"))
    due_at = models.DateTimeField(_("due"))
    breached_at = models.DateTimeField(_("breached"))
    achieved_at = models.DateTimeField(_("achieved late at"), null=True, blank=True)

    class Meta:
        verbose_name = _("service-level breach")
        verbose_name_plural = _("service-level breaches")
        constraints = [
            models.UniqueConstraint(fields=["conversation", "metric", "cycle"], name="slbreach_unique_cycle"),
        ]
        indexes = [models.Index(fields=["workspace", "breached_at"], name="slbreach_recent_idx")]

    def __str__(self):
        return f"{self.conversation_id} {self.metric} #{self.cycle} breached {self.breached_at:%Y-%m-%d %H:%M}"


class ConversationServiceLevel(models.Model):
    """Per conversation, what the inbox shows and sorts by: the next due time among its running
    clocks (a breached one's due time is in the past, so it sorts first)."""

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, primary_key=True,
                                        related_name="service_level", verbose_name=_("conversation"))
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    policy = models.ForeignKey(ServiceLevelPolicy, null=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("policy"))
    next_due_at = models.DateTimeField(_("next due"), null=True, blank=True)
    next_metric = models.CharField(_("next metric"), max_length=16, choices=Metric.choices, blank=True)
    breached = models.BooleanField(_("breached"), default=False)
    paused = models.BooleanField(_("paused"), default=False)
    updated_at = models.DateTimeField(_("updated"), default=now)

    class Meta:
        verbose_name = _("conversation service level")
        verbose_name_plural = _("conversation service levels")
        indexes = [models.Index(fields=["workspace", "next_due_at"], name="slsummary_due_idx")]

    def __str__(self):
        return f"{self.conversation_id} next due {self.next_due_at}"


class Trigger(models.TextChoices):
    WARNING = "warning", _("On warning")
    BREACH = "breach", _("On breach")


class EscalationKind(models.TextChoices):
    NOTIFY_ASSIGNEE = "notify_assignee", _("Notify the assignee")
    NOTIFY_TEAM = "notify_team", _("Notify the team's members")
    NOTIFY_SUPERVISORS = "notify_supervisors", _("Notify supervisors and admins")
    REASSIGN = "reassign", _("Reassign to a team")
    RAISE_PRIORITY = "raise_priority", _("Raise the priority")


class Escalation(models.Model):
    """What a policy does when one of its targets is near (warning) or missed (breach)."""

    policy = models.ForeignKey(ServiceLevelPolicy, on_delete=models.CASCADE, related_name="escalations",
                               verbose_name=_("policy"))
    trigger = models.CharField(_("when"), max_length=8, choices=Trigger.choices)
    metric = models.CharField(_("for"), max_length=16, choices=Metric.choices, blank=True,
                              help_text=_("Empty: any target."))
    action = models.CharField(_("action"), max_length=24, choices=EscalationKind.choices)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("team"), help_text=_("The team to reassign to."))
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, blank=True,
                                help_text=_("Raise to this priority (empty: one step up)."))

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["policy", "trigger", "id"]

    def __str__(self):
        return f"{self.get_trigger_display()}: {self.get_action_display()}"

    def clean(self):
        if self.action == EscalationKind.REASSIGN and not self.team_id:
            raise ValidationError({"team": _("Choose the team to reassign to.")})


class EscalationRun(models.Model):
    """One escalation carried out for one warning or breach: the unique key makes a repeated or
    concurrent event run it once."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="+", verbose_name=_("escalation"))
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("conversation"))
    metric = models.CharField(_("metric"), max_length=16, choices=Metric.choices)
    due_at = models.DateTimeField(_("due"))
    ran_at = models.DateTimeField(_("ran"), default=now)

    class Meta:
        verbose_name = _("escalation run")
        verbose_name_plural = _("escalation runs")
        constraints = [
            models.UniqueConstraint(fields=["escalation", "conversation", "metric", "due_at"],
                                    name="escalation_run_once"),
        ]

    def __str__(self):
        return f"{self.escalation_id} on {self.conversation_id} {self.metric}"
