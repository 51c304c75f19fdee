"""Hourly submission counters per client IP and per email address, in Django's cache (locmem
embedded, Redis at scale). add() then incr() is atomic on both, unlike a read followed by a write,
so concurrent submissions cannot slip past the limit together."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

WINDOW_SECONDS = 3600


class SubmissionLimitReached(Exception):
    def __init__(self, scope: str, retry_after: int):
        super().__init__(scope)
        self.scope = scope  # "ip" | "email"
        self.retry_after = retry_after


def count_submission(*, public_id: str, scope: str, key: str, limit: int, now: float | None = None) -> int:
    """Count one submission by ``key``; raise SubmissionLimitReached past ``limit`` this hour."""
    current = int(time.time() if now is None else now)
    bucket = current // WINDOW_SECONDS
    # Hashed: an email address never appears in a cache key (Redis keys show up in monitoring).
    digest = hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()[:32]
    cache_key = f"layan:webform:rl:{public_id}:{digest}:{bucket}"
    cache.add(cache_key, 0, timeout=WINDOW_SECONDS + 60)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=WINDOW_SECONDS + 60)
        count = 1
    if count > limit:
        raise SubmissionLimitReached(scope, retry_after=(bucket + 1) * WINDOW_SECONDS - current)
    return count
