"""The form token: signed with the installation's SECRET_KEY and bound to one inbox, it carries when
the page was served (a submission faster than a person can type is spam) and a random id that makes
the submission's event id (a double click or a resend of the same page stores one submission).

It replaces Django's CSRF cookie on purpose: the form runs inside other sites' iframes, where
third-party cookies are often blocked, and it acts with no one's credentials, so there is no
session a forged request could ride on. See docs/channels/webform.md.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from django.core import signing

MAX_AGE_SECONDS = 24 * 3600  # a page left open over a long lunch still sends


@dataclass(frozen=True)
class FormToken:
    nonce: str
    issued_at: int  # unix seconds


class BadFormToken(ValueError):
    """Missing, forged, for another form, or too old."""


def _salt(public_id: str) -> str:
    return f"layan.webform:{public_id}"


def issue_form_token(*, public_id: str, issued_at: float | None = None) -> str:
    issued = int(time.time() if issued_at is None else issued_at)
    return signing.dumps({"n": secrets.token_urlsafe(12), "t": issued}, salt=_salt(public_id), compress=False)


def read_form_token(*, public_id: str, token: str, now: float | None = None) -> FormToken:
    try:
        data = signing.loads(token or "", salt=_salt(public_id), max_age=MAX_AGE_SECONDS)
        token_data = FormToken(nonce=str(data["n"]), issued_at=int(data["t"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadFormToken(str(exc)) from exc
    current = time.time() if now is None else now
    if not (current - MAX_AGE_SECONDS <= token_data.issued_at <= current + 60) or not token_data.nonce:
        raise BadFormToken("issued at an impossible time")
    return token_data
