"""Fixed-window counters in Django's cache (locmem embedded, Redis at scale), shared by every
limit Layan keeps: web-form submissions, outbox sends per provider. ``add()`` then ``incr()`` is
atomic on both backends, unlike a read followed by a write, so concurrent callers cannot slip past
a limit together."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class WindowCount:
    count: int  # including this call
    retry_after: float  # seconds until the window ends


def count_in_window(key: str, *, window_seconds: float, now: float | None = None) -> WindowCount:
    """Count one event under ``key`` in the current window of ``window_seconds``."""
    current = time.time() if now is None else now
    bucket = int(current // window_seconds)
    cache_key = f"layan:rl:{key}:{bucket}"
    timeout = int(window_seconds) + 60
    cache.add(cache_key, 0, timeout=timeout)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=timeout)
        count = 1
    return WindowCount(count=count, retry_after=(bucket + 1) * window_seconds - current)
