"""Accounts data: users, workspaces (tenants), agent memberships, teams, tags, tokens, audit."""

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. Their role lives on each workspace membership (`Agent`)."""

    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff (operator)"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.email


class Workspace(models.Model):
    """One tenant. Every tenant table carries a foreign key to it."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    timezone = models.CharField(_("timezone"), max_length=64, default="Asia/Jakarta")
    language = models.CharField(_("language"), max_length=8, default="id")
    # Human-facing conversation numbers are allocated from here under the row lock.
    last_conversation_number = models.PositiveBigIntegerField(default=0, editable=False, verbose_name=_("last conversation number"))
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENT = "agent", _("Agent")


class Availability(models.TextChoices):
    """Whether an agent takes conversations now: shown to colleagues, used by the chat widget's
    office-hours notice and, later, by routing."""

    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class Agent(models.Model):
    """A user's membership of a workspace, with their role there."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="agents", verbose_name=_("workspace"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    display_name = models.CharField(_("display name"), max_length=200)
    language = models.CharField(_("language"), max_length=8, default="id")
    timezone = models.CharField(_("timezone"), max_length=64, default="Asia/Jakarta")
    availability = models.CharField(_("availability"), max_length=8, choices=Availability.choices,
                                    default=Availability.OFFLINE)
    availability_changed_at = models.DateTimeField(_("availability changed"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Kept with F() by accounts.notifications, so every page shows the count without a query.
    unread_notifications = models.PositiveIntegerField(_("unread notifications"), default=0)
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="agent_unique_user_per_workspace"),
        ]

    def __str__(self):
        return self.display_name

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_supervisor_or_admin(self) -> bool:
        return self.role in (Role.ADMIN, Role.SUPERVISOR)


class Team(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="teams", verbose_name=_("workspace"))
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(Agent, through="TeamMembership", related_name="teams", verbose_name=_("members"))
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="team_unique_name_per_workspace"),
        ]

    def __str__(self):
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, verbose_name=_("team"))
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, verbose_name=_("agent"))

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [
            models.UniqueConstraint(fields=["team", "agent"], name="team_membership_unique"),
        ]

    def __str__(self):
        return f"{self.agent} @ {self.team}"


class Tag(models.Model):
    """The workspace's tag vocabulary, shared by conversations and customers."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="tags", verbose_name=_("workspace"))
    name = models.CharField(_("name"), max_length=64)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="tag_unique_name_per_workspace"),
        ]

    def __str__(self):
        return self.name


class APIToken(models.Model):
    """A bearer token for the API, acting as one agent in one workspace.

    Only the SHA-256 of the token is stored; the token is shown once when created. Tokens carry
    256 bits of randomness, so a fast hash is enough (there is nothing to brute-force).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("workspace"))
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("agent"))
    name = models.CharField(_("name"), max_length=120, blank=True)
    prefix = models.CharField(max_length=16, db_index=True, verbose_name=_("prefix"))
    key_hash = models.CharField(max_length=64, unique=True, verbose_name=_("key hash"))
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.prefix}… ({self.agent})"


class ActorKind(models.TextChoices):
    AGENT = "agent", _("Agent")
    CUSTOMER = "customer", _("Customer")
    SYSTEM = "system", _("System")


class AuditEntry(models.Model):
    """One state change: who, what, when, before and after. Written in the change's transaction."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit_entries", verbose_name=_("workspace"))
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices, verbose_name=_("actor kind"))
    actor_agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("actor agent"))
    via_token = models.ForeignKey(APIToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("via token"))
    action = models.CharField(max_length=64, verbose_name=_("action"))
    object_type = models.CharField(max_length=64, verbose_name=_("object type"))
    object_id = models.CharField(max_length=64, verbose_name=_("object ID"))
    before = models.JSONField(default=dict, blank=True, verbose_name=_("before"))
    after = models.JSONField(default=dict, blank=True, verbose_name=_("after"))
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["workspace", "object_type", "object_id", "id"], name="audit_object_idx"),
            models.Index(fields=["workspace", "-created_at"], name="audit_recent_idx"),
        ]

    def __str__(self):
        return f"{self.action} {self.object_type}:{self.object_id}"


class Notification(models.Model):
    """Something an agent must know: an SLA warning or breach, an emergency while on call, an
    automation rule's notice. Shown in the workspace (live) and, unless the sender says not, mailed."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", verbose_name=_("workspace"))
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("agent"))
    kind = models.CharField(_("kind"), max_length=32)  # e.g. sla_warning, sla_breached, on_call, automation
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    conversation_id = models.BigIntegerField(_("conversation"), null=True, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # Set by a sender that may repeat itself (a retried task): one notification per agent and key.
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_status = models.CharField(_("email"), max_length=16, blank=True)  # "", queued, sent, failed, skipped
    email_error = models.TextField(_("email error"), blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["agent", "dedupe_key"], condition=~models.Q(dedupe_key=""),
                                    name="notification_unique_key_per_agent"),
        ]
        indexes = [models.Index(fields=["agent", "-id"], name="notification_agent_idx")]

    def __str__(self):
        return self.title
