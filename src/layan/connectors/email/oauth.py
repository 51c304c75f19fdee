"""XOAUTH2 access tokens for Google and Microsoft 365 mailboxes (IMAP and SMTP): a refresh token
from the environment is exchanged at the provider's token endpoint (RFC 6749 §6), and the access
token is cached until shortly before it expires.

Settings (``imap.oauth2`` / ``smtp.oauth2``): ``provider`` (google | microsoft), ``client_id``,
``client_secret_env`` and ``refresh_token_env`` (names of environment variables), ``tenant`` for
Microsoft, or ``token_url`` for any other provider that speaks the same protocol.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.parse
import urllib.request

from django.core.cache import cache
from django.utils.translation import gettext as _

TOKEN_URLS = {
    "google": "https://oauth2.googleapis.com/token",
    "microsoft": "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
}
SCOPES = {  # what Microsoft needs named; Google takes the scopes the refresh token was granted
    "microsoft": "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send "
                 "offline_access",
}
TIMEOUT_SECONDS = 20
EXPIRY_MARGIN_SECONDS = 120  # refresh a little early: a token must not expire mid-session


class OAuthConfigError(ValueError):
    """The oauth2 settings cannot be used (the message says which and why); retrying will not help."""


class OAuthTokenError(Exception):
    """The token endpoint refused or could not be reached. ``retryable`` is False when the grant
    itself was refused (a revoked or expired refresh token): a person must sign in again."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def _variable(oauth2: dict, key: str) -> str:
    name = str(oauth2.get(key) or "").strip()
    if not name:
        raise OAuthConfigError(_("The oauth2 settings name no %(key)s (an environment variable).") % {"key": key})
    value = os.environ.get(name, "")
    if not value:
        raise OAuthConfigError(_("The environment variable %(name)s, named in the oauth2 settings, is not set.")
                               % {"name": name})
    return value


def token_url(oauth2: dict) -> str:
    if oauth2.get("token_url"):
        return str(oauth2["token_url"])
    provider = str(oauth2.get("provider") or "").lower()
    if provider not in TOKEN_URLS:
        raise OAuthConfigError(_("Unknown oauth2 provider %(provider)s: use google or microsoft, or give a "
                                 "token_url.") % {"provider": provider or "-"})
    tenant = str(oauth2.get("tenant") or "common")
    return TOKEN_URLS[provider].format(tenant=urllib.parse.quote(tenant, safe=""))


def access_token(oauth2: dict) -> str:
    """A valid access token for these settings, from the cache or freshly refreshed."""
    if not isinstance(oauth2, dict):
        raise OAuthConfigError(_("The oauth2 settings must be an object."))
    client_id = str(oauth2.get("client_id") or "").strip()
    if not client_id:
        raise OAuthConfigError(_("The oauth2 settings have no client_id."))
    refresh_token = _variable(oauth2, "refresh_token_env")
    secret = _variable(oauth2, "client_secret_env") if oauth2.get("client_secret_env") else ""
    url = token_url(oauth2)
    key = "layan:oauth2:" + hashlib.sha256(f"{url}\0{client_id}\0{refresh_token}".encode()).hexdigest()
    cached = cache.get(key)
    if cached:
        return cached
    form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token}
    if secret:
        form["client_secret"] = secret
    scope = oauth2.get("scope") or SCOPES.get(str(oauth2.get("provider") or "").lower())
    if scope:
        form["scope"] = scope
    token, lifetime = _refresh(url, form)
    cache.set(key, token, max(30, lifetime - EXPIRY_MARGIN_SECONDS))
    return token


def _refresh(url: str, form: dict) -> tuple[str, int]:
    request = urllib.request.Request(  # noqa: S310 - the URL is https by default, an operator's choice otherwise
        url, data=urllib.parse.urlencode(form).encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            body = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        detail = _error_detail(exc)
        # 400/401 with invalid_grant or invalid_client: the grant is gone; a 5xx may pass.
        raise OAuthTokenError(_("The token endpoint refused the refresh token: %(detail)s") % {"detail": detail},
                              retryable=exc.code >= 500 or exc.code == 429) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise OAuthTokenError(_("The token endpoint could not be reached: %(error)s") % {"error": exc},
                              retryable=True) from exc
    token = body.get("access_token") if isinstance(body, dict) else None
    if not token:
        raise OAuthTokenError(_("The token endpoint answered without an access token."), retryable=True)
    try:
        lifetime = int(body.get("expires_in") or 3600)
    except (TypeError, ValueError):
        lifetime = 3600
    return str(token), lifetime


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read() or b"{}")
    except (ValueError, OSError):
        body = {}
    if isinstance(body, dict) and body.get("error"):
        return " ".join(str(body[k]) for k in ("error", "error_description") if body.get(k))
    return f"HTTP {exc.code}"


def xoauth2_string(username: str, token: str) -> str:
    """The SASL XOAUTH2 initial response, before base64 (smtplib and imaplib encode it)."""
    return f"user={username}\x01auth=Bearer {token}\x01\x01"
