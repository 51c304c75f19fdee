"""The chat's limits per visitor and per IP (fixed windows: layan/ratelimits.py)."""

from __future__ import annotations

import math

from django.utils.translation import gettext as _

from layan.errors import LayanError
from layan.ratelimits import count_in_window


class RateLimited(LayanError):
    status = 429

    def __init__(self, retry_after: int):
        super().__init__(_("Too many messages; please wait %(seconds)s seconds and try again.")
                         % {"seconds": retry_after}, field=None)
        self.code = "rate_limited"
        self.retry_after = retry_after


def hit(scope: str, key: str, *, limit: int, window: int) -> None:
    """Count one use of ``scope`` by ``key``; raise RateLimited past ``limit`` in the window."""
    counted = count_in_window(f"livechat:{scope}:{key}", window_seconds=window)
    if counted.count > limit:
        raise RateLimited(retry_after=math.ceil(counted.retry_after))
