"""A web-form inbox's settings: where the form may be embedded, which fields it shows, what it
says after sending, its spam limits, and the email inbox its replies leave from."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from layan.connectors.config import InboxConfig

FORM_FIELDS = ("name", "email", "phone", "subject", "message")
DEFAULT_FIELDS = list(FORM_FIELDS)


def _default_fields() -> list[str]:
    return list(DEFAULT_FIELDS)


def normalise_origin(origin: str) -> str:
    """``https://Toko.example:443/page`` -> ``https://toko.example``; '' when it is no web origin."""
    from urllib.parse import urlsplit

    parts = urlsplit(str(origin).strip().lower())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        return ""
    if any(c in parts.netloc for c in " ;,'\"*"):
        return ""  # it goes into a CSP header: nothing that could add a source or a directive
    default_port = {"http": 80, "https": 443}[parts.scheme]
    try:
        port = parts.port
    except ValueError:
        return ""
    host = parts.hostname if port in (None, default_port) else f"{parts.hostname}:{port}"
    return f"{parts.scheme}://{host}"


class WebFormConfig(InboxConfig):
    # Sites that may show the form in an <iframe> (CSP frame-ancestors); none: only opened directly.
    allowed_origins = models.JSONField(_("allowed origins"), default=list, blank=True,
                                       help_text=_("Websites that may embed the form, e.g. https://tokomaju.co.id"))
    fields = models.JSONField(_("fields"), default=_default_fields, blank=True,
                              help_text=_("Which fields the form shows: name, email, phone, subject, message."))
    success_message = models.TextField(_("success message"), blank=True,
                                       help_text=_("Shown after sending; empty: the standard thank-you."))
    submissions_per_ip_per_hour = models.PositiveIntegerField(_("submissions per IP address per hour"), default=10)
    submissions_per_email_per_hour = models.PositiveIntegerField(_("submissions per email address per hour"),
                                                                 default=5)
    # A person needs a few seconds to fill in a form; a bot posts at once.
    minimum_fill_seconds = models.PositiveIntegerField(_("minimum fill time (seconds)"), default=3)
    reply_inbox = models.ForeignKey("connectors.Inbox", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("reply inbox"),
                                    help_text=_("The email inbox replies are sent from; empty: the "
                                                "workspace's first email inbox."))

    class Meta:
        verbose_name = _("web form settings")
        verbose_name_plural = _("web form settings")

    def clean(self):
        errors = {}
        origins = self.allowed_origins
        if isinstance(origins, str):  # one per line, as an admin types them
            origins = [line for line in origins.splitlines() if line.strip()]
        if not isinstance(origins, list):
            errors["allowed_origins"] = _("Give a list of origins.")
        else:
            cleaned = [normalise_origin(o) for o in origins]
            bad = [str(o) for o, c in zip(origins, cleaned, strict=True) if not c]
            if bad:
                errors["allowed_origins"] = _("%(value)s is not a website origin (https://host).") % {"value": bad[0]}
            else:
                self.allowed_origins = list(dict.fromkeys(cleaned))
        fields = self.fields
        if not isinstance(fields, list) or any(f not in FORM_FIELDS for f in fields):
            errors["fields"] = _("Fields are some of: name, email, phone, subject, message.")
        elif "message" not in fields or not ({"email", "phone"} & set(fields)):
            errors["fields"] = _("The form needs the message and an email address or a phone number.")
        else:
            self.fields = [f for f in FORM_FIELDS if f in fields]
        if self.reply_inbox_id is not None and self.reply_inbox is not None:
            inbox = self.inbox if self.inbox_id else None
            if self.reply_inbox.kind != "email" or (inbox and self.reply_inbox.workspace_id != inbox.workspace_id):
                errors["reply_inbox"] = _("Replies leave from an email inbox of this workspace.")
        if errors:
            raise ValidationError(errors)

    def origins(self) -> tuple[str, ...]:
        return tuple(o for o in (normalise_origin(x) for x in self.allowed_origins or ()) if o)

    def shown_fields(self) -> tuple[str, ...]:
        shown = tuple(f for f in FORM_FIELDS if f in (self.fields or DEFAULT_FIELDS))
        if "message" not in shown or not ({"email", "phone"} & set(shown)):
            return tuple(FORM_FIELDS)  # a broken setting must not make a form nobody can answer
        return shown
