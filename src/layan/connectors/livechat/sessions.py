"""Customer sessions of the widget: a signed token naming one livechat identity (a visitor).

The token is all a widget holds; it names the inbox and the identity, so it can only ever reach
that identity's conversations. A site's logged-in user is verified by an HMAC of their id made
with the inbox secret (``identity_secret_env`` names the variable holding it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.core import signing
from django.utils.translation import gettext as _

from layan.connectors.livechat.config import WidgetConfig
from layan.errors import InvalidInput, PermissionDenied

SALT = "layan.livechat.session"
TOKEN_MAX_AGE = 180 * 24 * 3600  # history is kept across page loads for about half a year
MAX_USER_ID_CHARS = 120


@dataclass(frozen=True)
class Visitor:
    inbox_public_id: str
    identity: str  # the livechat identity value: "<inbox>:v:<random>" or "<inbox>:u:<site user id>"
    verified: bool

    @property
    def group(self) -> str:
        """The channel-layer group of this visitor's sockets (ASCII, short, not guessable from ids)."""
        return "livechat." + hashlib.sha256(self.identity.encode()).hexdigest()[:40]


def issue_token(visitor: Visitor) -> str:
    return signing.dumps({"i": visitor.inbox_public_id, "v": visitor.identity, "u": visitor.verified}, salt=SALT,
                         compress=True)


def read_token(token: str | None, *, inbox_public_id: str) -> Visitor | None:
    """The visitor a token names, if it is ours, unexpired and for this inbox."""
    if not token or not isinstance(token, str) or len(token) > 1000:
        return None
    try:
        data = signing.loads(token, salt=SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("i") != inbox_public_id or not isinstance(data.get("v"), str):
        return None
    return Visitor(inbox_public_id=inbox_public_id, identity=data["v"], verified=bool(data.get("u")))


def user_hash(secret: str, user_id: str) -> str:
    """What the site's server puts in the page for its logged-in user: hex HMAC-SHA256 of the id."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def start_session(*, inbox_public_id: str, config: WidgetConfig, token: str | None = None,
                  user_id: str | None = None, signature: str | None = None) -> Visitor:
    """The visitor for a widget starting up: the verified site user, else the token's visitor, else
    a new anonymous visitor. A claimed user id without a valid signature is refused outright."""
    if user_id:
        user_id = str(user_id)
        secret = config.identity_secret
        if not secret:
            raise PermissionDenied(_("This chat does not accept signed-in users."), field="user_id")
        if len(user_id) > MAX_USER_ID_CHARS:
            raise InvalidInput(_("The user id is too long."), field="user_id")
        if not signature or not hmac.compare_digest(user_hash(secret, user_id), str(signature)):
            raise PermissionDenied(_("The user's identity could not be verified."), field="user_hash")
        return Visitor(inbox_public_id=inbox_public_id, identity=f"{inbox_public_id}:u:{user_id}", verified=True)
    existing = read_token(token, inbox_public_id=inbox_public_id)
    if existing is not None and not existing.verified:
        return existing
    # A verified token without its user (they logged out) starts anew: their history stays theirs.
    return Visitor(inbox_public_id=inbox_public_id, identity=f"{inbox_public_id}:v:{secrets.token_urlsafe(18)}",
                   verified=False)
