"""Normalise identity values so the same person is found whichever way they wrote it.

Phones become E.164 with Indonesia as the default region: ``0812-3456-7890``,
``+62 812 3456 7890`` and ``6281234567890`` are all ``+6281234567890``.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from layan.errors import ErrorCode, InvalidInput

DEFAULT_REGION = "ID"
PHONE_KINDS = frozenset({"phone", "whatsapp"})
_PHONE_NOISE = re.compile(r"[\s().\-/]")


def normalise_phone(raw: str, *, region: str = DEFAULT_REGION) -> str:
    text = _PHONE_NOISE.sub("", (raw or "").strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    candidates = [text]
    # A number written with its country code but without "+" (as WhatsApp sends them).
    if text.isdigit() and not text.startswith("0"):
        candidates = ["+" + text, text]
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise InvalidInput(
        _("%(value)s is not a valid phone number.") % {"value": raw},
        code=ErrorCode.INVALID_IDENTITY,
        field="phone",
    )


def normalise_email(raw: str) -> str:
    value = (raw or "").strip().lower()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise InvalidInput(
            _("%(value)s is not a valid email address.") % {"value": raw},
            code=ErrorCode.INVALID_IDENTITY,
            field="email",
        ) from exc
    return value


def normalise_identity(kind: str, raw: str) -> str:
    """The canonical value of an identity of ``kind``; raises InvalidInput when it has none."""
    if kind in PHONE_KINDS:
        return normalise_phone(raw)
    if kind == "email":
        return normalise_email(raw)
    value = (raw or "").strip()
    if kind in {"telegram", "instagram"}:
        value = value.lstrip("@").strip().lower() if not value.isdigit() else value
    if not value or len(value) > 320:
        raise InvalidInput(_("An identity needs a value of at most 320 characters."),
                           code=ErrorCode.INVALID_IDENTITY, field="value")
    # Control characters mean nothing in an id, and PostgreSQL cannot store NUL at all.
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise InvalidInput(_("An identity cannot contain control characters."),
                           code=ErrorCode.INVALID_IDENTITY, field="value")
    return value
