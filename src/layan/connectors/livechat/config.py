"""A livechat inbox's settings (the Inbox.settings JSON), read into one typed value.

Everything has a safe default: no allowed origins means no site may embed the widget.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRECHAT_FIELDS = ("name", "email", "whatsapp")
DEFAULT_COLOUR = "#0f766e"
DEFAULT_RATE_LIMIT = {"messages_per_minute": 20, "ip_messages_per_minute": 60, "sessions_per_hour": 30}


@dataclass(frozen=True)
class WidgetConfig:
    allowed_origins: frozenset[str] = frozenset()
    colour: str = DEFAULT_COLOUR
    greeting: dict[str, str] = field(default_factory=dict)  # language -> text
    prechat_fields: tuple[str, ...] = ()
    prechat_required: bool = False
    office_hours: dict | None = None  # {"timezone": ..., "days": {"mon": [["08:00", "17:00"]], ...}}
    identity_secret_env: str = ""
    leave_message_inbox: str = ""  # public id of the email inbox that takes "leave a message"
    rate_limit: dict = field(default_factory=lambda: dict(DEFAULT_RATE_LIMIT))

    @property
    def identity_secret(self) -> str:
        return os.environ.get(self.identity_secret_env, "") if self.identity_secret_env else ""

    def public(self, *, now: datetime | None = None) -> dict:
        """What the widget may know about its inbox (never the secret's name or the origins)."""
        return {"colour": self.colour, "greeting": self.greeting,
                "prechat": {"fields": list(self.prechat_fields), "required": self.prechat_required},
                "open": self.is_open(now=now), "leave_message": bool(self.office_hours)}

    def is_open(self, *, now: datetime | None = None) -> bool:
        """Inside office hours; without a schedule the chat is always open."""
        if not self.office_hours:
            return True
        try:
            zone = ZoneInfo(self.office_hours.get("timezone") or "Asia/Jakarta")
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("Asia/Jakarta")
        local = (now or timezone.now()).astimezone(zone)
        spans = (self.office_hours.get("days") or {}).get(DAYS[local.weekday()]) or []
        clock = local.strftime("%H:%M")
        return any(isinstance(s, list | tuple) and len(s) == 2 and str(s[0]) <= clock < str(s[1]) for s in spans)

    def allows_origin(self, origin: str | None) -> bool:
        return bool(origin) and normalise_origin(origin) in self.allowed_origins


def normalise_origin(origin: str) -> str:
    parts = urlsplit(origin.strip().lower())
    if not parts.scheme or not parts.netloc:
        return ""
    default_port = {"http": ":80", "https": ":443"}.get(parts.scheme, "")
    netloc = parts.netloc[: -len(default_port)] if default_port and parts.netloc.endswith(default_port) else parts.netloc
    return f"{parts.scheme}://{netloc}"


def widget_config(settings: dict | None) -> WidgetConfig:
    raw = settings or {}
    prechat = raw.get("prechat") or {}
    fields = tuple(f for f in (prechat.get("fields") or ()) if f in PRECHAT_FIELDS)
    greeting = raw.get("greeting") or {}
    if isinstance(greeting, str):
        greeting = {"id": greeting, "en": greeting}
    colour = str(raw.get("colour") or DEFAULT_COLOUR)
    if not (colour.startswith("#") and len(colour) in (4, 7) and all(c in "0123456789abcdefABCDEF" for c in colour[1:])):
        colour = DEFAULT_COLOUR  # it goes into CSS: only a hex colour, never arbitrary text
    return WidgetConfig(
        allowed_origins=frozenset(o for o in (normalise_origin(str(x)) for x in raw.get("allowed_origins") or ()) if o),
        colour=colour,
        greeting={str(k): str(v)[:500] for k, v in greeting.items() if k in ("id", "en")},
        prechat_fields=fields,
        prechat_required=bool(prechat.get("required")) and bool(fields),
        office_hours=raw.get("office_hours") or None,
        identity_secret_env=str(raw.get("identity_secret_env") or ""),
        leave_message_inbox=str(raw.get("leave_message_inbox") or ""),
        rate_limit={**DEFAULT_RATE_LIMIT, **(raw.get("rate_limit") or {})},
    )
