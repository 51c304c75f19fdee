"""Automation data: canned replies (saved answers agents insert into the reply composer)."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from layan.accounts.models import Agent, Team, Workspace

SHORTCUT_PATTERN = r"^[a-z0-9][a-z0-9_-]*\Z"
SHORTCUT_MAX_LENGTH = 50
TITLE_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 10_000

validate_shortcut = RegexValidator(
    SHORTCUT_PATTERN,
    _("A shortcut may only contain lower-case letters, digits, hyphens and underscores, "
      "and starts with a letter or digit."),
)


class CannedReplyLanguage(models.TextChoices):
    ANY = "", _("Any language")
    INDONESIAN = "id", _("Indonesian")
    ENGLISH = "en", _("English")


class CannedReply(models.Model):
    """A saved answer, inserted by typing ``/`` and its shortcut. The text may hold the
    placeholders {customer_name}, {agent_name} and {conversation_number}."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="canned_replies",
                                  verbose_name=_("workspace"))
    shortcut = models.CharField(_("shortcut"), max_length=SHORTCUT_MAX_LENGTH, validators=[validate_shortcut])
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    text = models.TextField(_("text"), max_length=TEXT_MAX_LENGTH)
    # A relevance filter, not a secret: when the team is deleted the answer becomes the workspace's
    # rather than vanishing with it.
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="canned_replies",
                             verbose_name=_("team"))
    language = models.CharField(_("language"), max_length=8, choices=CannedReplyLanguage.choices, blank=True,
                                default=CannedReplyLanguage.ANY)
    created_by = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))
    usage_count = models.PositiveIntegerField(_("usage count"), default=0)
    created_at = models.DateTimeField(default=now, verbose_name=_("created"))
    updated_at = models.DateTimeField(default=now, verbose_name=_("updated"))

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        constraints = [
            # Also the index of the composer's lookup by shortcut prefix.
            models.UniqueConstraint(fields=["workspace", "shortcut"], name="canned_reply_unique_shortcut"),
            models.CheckConstraint(condition=models.Q(language__in=["", "id", "en"]),
                                   name="canned_reply_known_language"),
        ]
        indexes = [
            models.Index(fields=["workspace", "team"], name="canned_reply_team_idx"),
            models.Index(fields=["workspace", "-usage_count", "shortcut"], name="canned_reply_usage_idx"),
        ]

    def __str__(self):
        return f"/{self.shortcut}"
