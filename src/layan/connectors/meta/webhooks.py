"""What every Meta webhook (WhatsApp Cloud API, Messenger, Instagram) shares: the subscription
handshake (`hub.mode=subscribe`, `hub.verify_token`, `hub.challenge`) and `X-Hub-Signature-256`,
an HMAC-SHA256 of the raw body with the app secret."""

import hashlib
import hmac

from django.http import HttpResponse


def signature_is_valid(*, body: bytes, header: str, app_secret: str) -> bool:
    if not app_secret:
        return False  # an inbox without its secret accepts nothing
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header or "")


def sign(body: bytes, app_secret: str) -> str:
    """The header Meta would send (fake providers and tests use it)."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def handshake_answer(query, *, verify_token: str) -> HttpResponse | None:
    """The challenge echoed back when the verify token matches; None when it does not."""
    given = query.get("hub.verify_token", "")
    if query.get("hub.mode") == "subscribe" and verify_token and hmac.compare_digest(given, verify_token):
        return HttpResponse(query.get("hub.challenge", ""), content_type="text/plain")
    return None
