"""Keyset (cursor) pagination: stable under inserts, fast at any depth.

A cursor is an opaque token holding the sort key of the last row seen; the next page starts
strictly after it, so rows inserted meanwhile never shift or repeat a page.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from layan.errors import ErrorCode, InvalidInput

# sort name -> (field, descending)
SORTS = {
    "-created": ("id", True),
    "created": ("id", False),
    "-updated": ("last_message_at", True),
    "updated": ("last_message_at", False),
}


def encode_cursor(values: list) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != size:
            raise ValueError
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise InvalidInput(_("The cursor is not valid; start again without it."), code=ErrorCode.INVALID_CURSOR,
                           field="cursor") from exc
    return values


def page_size(limit: int | None) -> int:
    if limit is None:
        return settings.LAYAN_API_PAGE_SIZE
    if not 1 <= limit <= settings.LAYAN_API_MAX_PAGE_SIZE:
        raise InvalidInput(_("limit must be between 1 and %(n)s.") % {"n": settings.LAYAN_API_MAX_PAGE_SIZE},
                           field="limit")
    return limit


def paginate(qs: QuerySet, *, cursor: str | None, limit: int | None, sort: str = "-created",
             sorts: dict[str, tuple[str, bool]] = SORTS) -> tuple[list, str | None]:
    """Return (rows, next_cursor) ordered by ``sort`` with ``id`` as the tie-breaker. ``sorts``
    may add orders on fields the queryset annotates (the inbox's time to breach)."""
    if sort not in sorts:
        raise InvalidInput(_("sort must be one of: %(s)s") % {"s": ", ".join(sorts)}, field="sort")
    field, desc = sorts[sort]
    size = page_size(limit)
    order = [f"-{field}", "-id"] if desc else [field, "id"]
    if field == "id":
        order = order[:1]
    qs = qs.order_by(*order)
    if cursor:
        if field == "id":
            (last_id,) = decode_cursor(cursor, 1)
            qs = qs.filter(id__lt=last_id) if desc else qs.filter(id__gt=last_id)
        else:
            last_value, last_id = decode_cursor(cursor, 2)
            try:
                last_value = datetime.fromisoformat(last_value)
            except (TypeError, ValueError) as exc:
                raise InvalidInput(_("The cursor is not valid; start again without it."),
                                   code=ErrorCode.INVALID_CURSOR, field="cursor") from exc
            if desc:
                qs = qs.filter(Q(**{f"{field}__lt": last_value}) | Q(**{field: last_value, "id__lt": last_id}))
            else:
                qs = qs.filter(Q(**{f"{field}__gt": last_value}) | Q(**{field: last_value, "id__gt": last_id}))
    rows = list(qs[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = encode_cursor([last.id] if field == "id" else [getattr(last, field), last.id])
    return rows, next_cursor
