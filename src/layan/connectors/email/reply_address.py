"""How a mail names its conversation: a signed per-conversation reply address
(``support+c1234.<signature>@toko.id``) that only a recipient of our mail can know, and the
``[#1234]`` token in the subject, which is guessable and so trusted less (conversations/threading.py).
"""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

SIGNATURE_CHARS = 12  # 48 bits of HMAC: not guessable by mail, short enough to read
_PLUS_PART = re.compile(r"^c(?P<number>[1-9][0-9]{0,11})\.(?P<signature>[0-9a-f]+)$")
_SUBJECT_TOKEN = re.compile(r"\[#(?P<number>[1-9][0-9]{0,11})\]")


def reply_secret() -> bytes:
    """The key reply addresses are signed with, derived from SECRET_KEY for this purpose alone."""
    return hmac.new(settings.SECRET_KEY.encode(), b"layan-email-reply-address", hashlib.sha256).digest()


def _signature(base_address: str, number: int, secret: bytes) -> str:
    # The inbox address is signed too: conversation numbers repeat across workspaces, addresses do not.
    digest = hmac.new(secret, f"{base_address.lower()}:{number}".encode(), hashlib.sha256).hexdigest()
    return digest[:SIGNATURE_CHARS]


def conversation_reply_address(*, address: str, conversation_number: int, secret: bytes) -> str:
    """The inbox ``address`` with the conversation's signed plus-part."""
    local, _at, domain = address.lower().partition("@")
    local = local.split("+", 1)[0]
    signature = _signature(f"{local}@{domain}", conversation_number, secret)
    return f"{local}+c{conversation_number}.{signature}@{domain}"


def conversation_from_address(address: str, *, own_addresses: frozenset[str], secret: bytes) -> int | None:
    """The conversation number of a valid signed reply address of one of ``own_addresses``."""
    local, _at, domain = address.strip().lower().partition("@")
    base_local, plus, tag = local.partition("+")
    base = f"{base_local}@{domain}"
    if not plus or base not in own_addresses:
        return None
    match = _PLUS_PART.match(tag)
    if match is None:
        return None
    number = int(match["number"])
    if not hmac.compare_digest(_signature(base, number, secret), match["signature"]):
        return None
    return number


def conversation_from_subject(subject: str) -> int | None:
    """The number in the last ``[#1234]`` token of a subject (replies quote older tokens first)."""
    found = _SUBJECT_TOKEN.findall(subject or "")
    return int(found[-1]) if found else None


def subject_with_token(subject: str, number: int) -> str:
    """``subject`` carrying ``[#number]`` once, at the end."""
    bare = _SUBJECT_TOKEN.sub("", subject or "").strip()
    bare = re.sub(r"\s{2,}", " ", bare)
    return f"{bare} [#{number}]".strip()
