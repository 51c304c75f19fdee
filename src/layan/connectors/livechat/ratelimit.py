"""Fixed-window counters in Django's cache (locmem embedded, Redis at scale): per visitor and per IP."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.utils.translation import gettext as _

from layan.errors import LayanError


class RateLimited(LayanError):
    status = 429

    def __init__(self, retry_after: int):
        super().__init__(_("Too many messages; please wait %(seconds)s seconds and try again.")
                         % {"seconds": retry_after}, field=None)
        self.code = "rate_limited"
        self.retry_after = retry_after


def hit(scope: str, key: str, *, limit: int, window: int) -> None:
    """Count one use of ``scope`` by ``key``; raise RateLimited past ``limit`` in the window."""
    now = int(time.time())
    bucket = now // window
    cache_key = f"layan:livechat:rl:{scope}:{key}:{bucket}"
    # add() then incr() is atomic on Redis and locmem, unlike get-then-set.
    cache.add(cache_key, 0, timeout=window + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window + 5)
        count = 1
    if count > limit:
        raise RateLimited(retry_after=(bucket + 1) * window - now)
