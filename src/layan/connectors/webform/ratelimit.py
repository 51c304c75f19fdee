"""Hourly submission counters per client IP and per email address (layan/ratelimits.py)."""

from __future__ import annotations

import hashlib
import math

from layan.ratelimits import count_in_window

WINDOW_SECONDS = 3600


class SubmissionLimitReached(Exception):
    def __init__(self, scope: str, retry_after: int):
        super().__init__(scope)
        self.scope = scope  # "ip" | "email"
        self.retry_after = retry_after


def count_submission(*, public_id: str, scope: str, key: str, limit: int, now: float | None = None) -> int:
    """Count one submission by ``key``; raise SubmissionLimitReached past ``limit`` this hour."""
    # Hashed: an email address never appears in a cache key (Redis keys show up in monitoring).
    digest = hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()[:32]
    counted = count_in_window(f"webform:{public_id}:{digest}", window_seconds=WINDOW_SECONDS, now=now)
    if counted.count > limit:
        raise SubmissionLimitReached(scope, retry_after=math.ceil(counted.retry_after))
    return counted.count
