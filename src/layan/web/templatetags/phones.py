"""Click-to-call: a phone number shown in the agent workspace is a `tel:` link, E.164 in the
href (what a softphone or mobile dials) and the number as people here write it in the text
(national form for the workspace's country, international for others)."""

from __future__ import annotations

import phonenumbers
from django import template
from django.utils.html import format_html

from layan.customers.normalise import DEFAULT_REGION, PHONE_KINDS

register = template.Library()


def readable_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """+6281234567890 -> 0812-3456-7890; +6598765432 -> +65 9876 5432; anything else as given."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(number):
        return value
    style = (phonenumbers.PhoneNumberFormat.NATIONAL if phonenumbers.region_code_for_number(number) == region
             else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, style)


@register.filter
def tel_link(value: str, text: str = ""):
    """``{{ "+6281234567890"|tel_link }}`` -> <a href="tel:+6281234567890">0812-3456-7890</a>."""
    value = str(value or "")
    if not value.startswith("+") or not value[1:].isdigit():
        return value
    return format_html('<a class="tel" href="tel:{}">{}</a>', value, text or readable_phone(value))


@register.filter
def identity_value(identity):
    """An identity as shown: phone numbers (phone, WhatsApp) as tel: links, the rest as text."""
    return tel_link(identity.value) if identity.kind in PHONE_KINDS else identity.value


register.filter("readable_phone", readable_phone)
