"""Twilio's webhook signature (`X-Twilio-Signature`): base64 of HMAC-SHA1, keyed with the
account's auth token, over the full URL Twilio called followed by every POST parameter's name and
value, sorted by name. Shared by SMS and Voice."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable


def twilio_signature(*, url: str, params: Iterable[tuple[str, str]], auth_token: str) -> str:
    data = url + "".join(f"{name}{value}" for name, value in sorted(params, key=lambda p: (p[0], p[1])))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_is_valid(*, url: str, params: Iterable[tuple[str, str]], header: str, auth_token: str) -> bool:
    if not auth_token or not header:
        return False
    return hmac.compare_digest(twilio_signature(url=url, params=params, auth_token=auth_token), header)


def request_params(request) -> list[tuple[str, str]]:
    """A form-encoded POST's parameters as Twilio signed them (repeated names kept)."""
    return [(name, value) for name in request.POST for value in request.POST.getlist(name)]
