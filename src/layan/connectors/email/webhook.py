"""Who may post raw mail to an inbox's webhook: an HMAC-SHA256 of the body with the inbox's key,
or Mailgun's signature (HMAC of timestamp + token with the account's signing key)."""

from __future__ import annotations

import hashlib
import hmac
import os
import time

from django.conf import settings

from layan.connectors.models import Inbox

SIGNATURE_HEADER = "X-Layan-Signature"  # "sha256=<hex>"
MAILGUN_MAX_AGE_SECONDS = 15 * 60


def webhook_secret(inbox: Inbox) -> bytes:
    """The inbox's signing key: an environment variable named in settings["webhook"]["secret_env"],
    else derived from SECRET_KEY and the inbox's public id (``layan email webhook INBOX`` shows it)."""
    env = (inbox.settings.get("webhook") or {}).get("secret_env")
    if env and os.environ.get(env):
        return os.environ[env].encode()
    return hmac.new(settings.SECRET_KEY.encode(), f"layan-email-webhook:{inbox.public_id}".encode(),
                    hashlib.sha256).hexdigest().encode()


def sign_body(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def body_signature_valid(inbox: Inbox, body: bytes, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(sign_body(webhook_secret(inbox), body), header.strip())


def mailgun_signature_valid(inbox: Inbox, *, timestamp: str, token: str, signature: str, now: float | None = None
                            ) -> bool:
    env = (inbox.settings.get("webhook") or {}).get("mailgun_signing_key_env")
    key = os.environ.get(env, "") if env else ""
    if not (key and timestamp and token and signature):
        return False
    try:
        age = abs((now or time.time()) - int(timestamp))
    except ValueError:
        return False
    expected = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return age <= MAILGUN_MAX_AGE_SECONDS and hmac.compare_digest(expected, signature)
