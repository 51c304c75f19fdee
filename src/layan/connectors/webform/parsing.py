"""Web-form submissions, pure (no database): checking what a visitor typed, the envelope stored as
the inbound event (the fields as posted plus the spam verdict), and the message made from it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from layan.connectors.base import InboundMessage
from layan.customers.normalise import normalise_email, normalise_phone
from layan.errors import InvalidInput

ENVELOPE_VERSION = 1
HONEYPOT_FIELD = "website"  # hidden from people; bots fill in anything called "website"
MAX_LENGTHS = {"name": 200, "email": 254, "phone": 32, "subject": 200, "message": 5000}
SPAM_REASONS = ("honeypot", "too_fast")


class FormErrors(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Submission:
    """A checked submission: email normalised, phone in E.164, texts trimmed."""

    message: str
    name: str = ""
    email: str = ""
    phone: str = ""
    subject: str = ""


@dataclass(frozen=True)
class StoredSubmission:
    submission_id: str  # the form token's random id: one page, one submission
    values: dict[str, str]  # the fields as posted (only those the form showed)
    spam: str  # "" | honeypot | too_fast
    language: str
    received_at: datetime | None


def clean_submission(values: dict[str, str], *, shown: tuple[str, ...]) -> Submission:
    """The submission, or FormErrors naming each field at fault (in the active language)."""
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for field in ("name", "email", "phone", "subject", "message"):
        value = str(values.get(field) or "").replace("\x00", "").strip() if field in shown else ""
        if field in ("name", "subject"):
            value = " ".join(value.split())  # one line: it becomes a customer's name or a subject
        if len(value) > MAX_LENGTHS[field]:
            errors[field] = _("At most %(n)s characters.") % {"n": MAX_LENGTHS[field]}
        cleaned[field] = value
    if cleaned["email"] and "email" not in errors:
        try:
            cleaned["email"] = normalise_email(cleaned["email"])
        except InvalidInput:
            errors["email"] = _("This is not a valid email address.")
    if cleaned["phone"] and "phone" not in errors:
        try:
            cleaned["phone"] = normalise_phone(cleaned["phone"])
        except InvalidInput:
            errors["phone"] = _("This is not a valid phone number.")
    if not cleaned["email"] and not cleaned["phone"] and not ({"email", "phone"} & errors.keys()):
        field = "email" if "email" in shown else "phone"
        errors[field] = (_("Give your email address or phone number so we can answer you.")
                         if {"email", "phone"} <= set(shown) else _("This field is required."))
    if not cleaned["message"] and "message" not in errors:
        errors["message"] = _("Please write your message.")
    if errors:
        raise FormErrors(errors)
    return Submission(**cleaned)


def build_envelope(*, submission_id: str, values: dict[str, str], spam: str, language: str,
                   client: dict[str, str], received_at: datetime) -> bytes:
    return json.dumps({"layan_webform": ENVELOPE_VERSION, "submission_id": submission_id, "values": values,
                       "spam": spam, "language": language, "client": client,
                       "received_at": received_at.isoformat()}, ensure_ascii=False).encode()


def parse_envelope(raw: bytes) -> StoredSubmission:
    """The stored submission. Raises ValueError when ``raw`` is not one."""
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, dict) or data.get("layan_webform") != ENVELOPE_VERSION:
        raise ValueError("not a web-form submission")
    values = data.get("values")
    submission_id = data.get("submission_id")
    if not isinstance(values, dict) or not isinstance(submission_id, str) or not submission_id:
        raise ValueError("a web-form submission without values or id")
    spam = data.get("spam") or ""
    if spam not in ("", *SPAM_REASONS):
        raise ValueError("unknown spam verdict")
    try:
        received = datetime.fromisoformat(str(data.get("received_at")))
    except ValueError:
        received = None
    if received is not None and received.tzinfo is None:
        received = None
    return StoredSubmission(submission_id=submission_id, values={str(k): str(v) for k, v in values.items()},
                            spam=spam, language=str(data.get("language") or ""), received_at=received)


def to_inbound(stored: StoredSubmission, *, submission: Submission) -> InboundMessage:
    kind, value = ("email", submission.email) if submission.email else ("phone", submission.phone)
    return InboundMessage(
        sender_kind=kind, sender_value=value, sender_name=submission.name,
        provider_message_id=f"webform:{stored.submission_id}", text=submission.message,
        subject=submission.subject, sent_at=stored.received_at,
        metadata={"webform": {k: v for k, v in (("email", submission.email), ("phone", submission.phone),
                                                ("language", stored.language)) if v}},
    )
