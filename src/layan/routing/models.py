"""Routing data: a queue per team, agents' skills and per-channel capacity, and the per-agent
routing row that assignments lock so that concurrent arrivals never overfill an agent.
How they are used is in docs/flows/routing.md."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from layan.accounts.models import Agent, Tag, Team, Workspace
from layan.connectors.models import Inbox, InboxKind


class ChannelGroup(models.TextChoices):
    """Capacity is counted per group: an agent can hold a few chats and, besides, more emails."""

    CHAT = "chat", _("Chats")
    EMAIL = "email", _("Emails and tickets")


# Every inbox kind belongs to exactly one group. Real-time messaging is "chat"; work the customer
# does not wait on live (mail, forms, API tickets, logged calls to return) is "email".
CHANNEL_GROUP_OF: dict[str, str] = {
    InboxKind.LIVECHAT: ChannelGroup.CHAT,
    InboxKind.WHATSAPP: ChannelGroup.CHAT,
    InboxKind.TELEGRAM: ChannelGroup.CHAT,
    InboxKind.MESSENGER: ChannelGroup.CHAT,
    InboxKind.INSTAGRAM: ChannelGroup.CHAT,
    InboxKind.SMS: ChannelGroup.CHAT,
    InboxKind.EMAIL: ChannelGroup.EMAIL,
    InboxKind.WEBFORM: ChannelGroup.EMAIL,
    InboxKind.API: ChannelGroup.EMAIL,
    InboxKind.VOICE: ChannelGroup.EMAIL,
}


def channels_of_group(group: str) -> list[str]:
    return [kind for kind, g in CHANNEL_GROUP_OF.items() if g == group]


DEFAULT_CAPACITY = {ChannelGroup.CHAT: 3, ChannelGroup.EMAIL: 10}
MAX_CAPACITY = 200


def _capacity_field(verbose_name, *, default=None):
    validators = [MinValueValidator(0), MaxValueValidator(MAX_CAPACITY)]
    if default is None:
        return models.PositiveSmallIntegerField(verbose_name, null=True, blank=True, validators=validators)
    return models.PositiveSmallIntegerField(verbose_name, default=default, validators=validators)


class RoutingSettings(models.Model):
    """The workspace's defaults: how many conversations of each group an agent holds at once."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="routing_settings",
                                     verbose_name=_("workspace"))
    chat_capacity = _capacity_field(_("chats per agent"), default=DEFAULT_CAPACITY[ChannelGroup.CHAT])
    email_capacity = _capacity_field(_("emails per agent"), default=DEFAULT_CAPACITY[ChannelGroup.EMAIL])
    updated_at = models.DateTimeField(default=now, verbose_name=_("updated"))

    class Meta:
        verbose_name = _("routing settings")
        verbose_name_plural = _("routing settings")

    def __str__(self):
        return str(self.workspace)


class Strategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")
    SKILLS_BASED = "skills_based", _("Skills-based")


class Queue(models.Model):
    """A team's queue: how its unassigned conversations are handed to its members."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="queue", verbose_name=_("team"))
    strategy = models.CharField(_("strategy"), max_length=16, choices=Strategy.choices, default=Strategy.ROUND_ROBIN)
    auto_assign = models.BooleanField(_("assign automatically"), default=False)
    # Urgent, then VIP customers and high priority, before everyone else; off: strictly oldest first.
    priority_first = models.BooleanField(_("VIP and priority first"), default=True)
    updated_at = models.DateTimeField(default=now, verbose_name=_("updated"))

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        indexes = [models.Index(fields=["workspace", "auto_assign"], name="queue_auto_idx")]

    def __str__(self):
        return str(self.team)


class AgentRouting(models.Model):
    """One row per agent: capacity overrides and the round-robin position. Every automatic
    assignment locks the candidates' rows (select_for_update), so two arrivals are decided one
    after the other and never both take an agent's last free place."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    agent = models.OneToOneField(Agent, on_delete=models.CASCADE, related_name="routing", verbose_name=_("agent"))
    chat_capacity = _capacity_field(_("chats (empty: workspace default)"))
    email_capacity = _capacity_field(_("emails (empty: workspace default)"))
    last_routed_at = models.DateTimeField(_("last assigned automatically"), null=True, blank=True)
    routed_count = models.PositiveIntegerField(_("assigned automatically"), default=0)

    class Meta:
        verbose_name = _("agent routing")
        verbose_name_plural = _("agent routing")

    def __str__(self):
        return str(self.agent)


class SkillKind(models.TextChoices):
    LANGUAGE = "language", _("Language")
    TOPIC = "topic", _("Product or topic")


class Skill(models.Model):
    """Something a conversation may need from its agent: a language (named by its code, "id",
    "en") or a product/topic ("printer")."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    kind = models.CharField(_("kind"), max_length=16, choices=SkillKind.choices, default=SkillKind.TOPIC)
    name = models.CharField(_("name"), max_length=64)
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "kind", "name"], name="skill_unique_name"),
        ]

    def __str__(self):
        return self.name


class AgentSkill(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="skills", verbose_name=_("agent"))
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="agents", verbose_name=_("skill"))
    level = models.PositiveSmallIntegerField(_("level"), default=3,
                                             validators=[MinValueValidator(1), MaxValueValidator(5)])

    class Meta:
        verbose_name = _("agent skill")
        verbose_name_plural = _("agent skills")
        constraints = [
            models.UniqueConstraint(fields=["agent", "skill"], name="agent_skill_unique"),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="agent_skill_level_range"),
        ]

    def __str__(self):
        return f"{self.agent_id}: {self.skill_id} ({self.level})"


class InboxSkill(models.Model):
    """Every conversation of this inbox needs the skill (e.g. the printer-support address)."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="+", verbose_name=_("inbox"))
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="inboxes", verbose_name=_("skill"))

    class Meta:
        verbose_name = _("inbox skill")
        verbose_name_plural = _("inbox skills")
        constraints = [models.UniqueConstraint(fields=["inbox", "skill"], name="inbox_skill_unique")]

    def __str__(self):
        return f"{self.inbox_id} needs {self.skill_id}"


class TagSkill(models.Model):
    """A conversation with this tag needs the skill (e.g. tag "printer" → skill "printer")."""

    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+", verbose_name=_("tag"))
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="tags", verbose_name=_("skill"))

    class Meta:
        verbose_name = _("tag skill")
        verbose_name_plural = _("tag skills")
        constraints = [models.UniqueConstraint(fields=["tag", "skill"], name="tag_skill_unique")]

    def __str__(self):
        return f"{self.tag_id} needs {self.skill_id}"
