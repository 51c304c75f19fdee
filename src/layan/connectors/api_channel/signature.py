"""`X-Layan-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, both ways: the
company signs what it posts to Layan, Layan signs the replies it posts back. The time inside the
signed text makes a captured request useless after TOLERANCE_SECONDS (replay protection); several
v1 values are accepted so a secret can be rotated without a gap."""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Layan-Signature"
TOLERANCE_SECONDS = 300


def signature_header(*, body: bytes, secret: str, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def signature_is_valid(*, body: bytes, header: str, secret: str, now: float | None = None,
                       tolerance: int = TOLERANCE_SECONDS) -> bool:
    if not secret or not header:
        return False  # an inbox without its secret accepts nothing
    timestamp, candidates = None, []
    for part in header.split(","):
        key, _sep, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value.strip().lower())
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
