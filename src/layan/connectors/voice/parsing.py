"""Twilio Voice status callbacks (form-encoded POSTs) to call updates (pure: no database).

Twilio posts one callback per change of a call (`CallStatus`: queued, ringing, in-progress, then
one of completed, busy, no-answer, failed, canceled), and a recording callback when a voicemail
was left (`RecordingSid`, `RecordingUrl`, `RecordingDuration`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlsplit

STATUSES = ("queued", "initiated", "ringing", "in-progress", "completed", "busy", "no-answer", "failed",
            "canceled")
TERMINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
# How far along a call is: a callback never moves a call back (a late "ringing" after "completed").
STATUS_RANK = {"": 0, "queued": 1, "initiated": 1, "ringing": 2, "in-progress": 3,
               **dict.fromkeys(TERMINAL_STATUSES, 4)}
DIRECTIONS = {"inbound": "in", "outbound-api": "out", "outbound-dial": "out"}
MAX_FIELD = 500


@dataclass(frozen=True)
class CallUpdate:
    call_sid: str
    account_sid: str
    status: str  # one of STATUSES, or "" for a recording callback that does not say
    direction: str  # "in" | "out"
    caller: str  # From, as Twilio sent it
    called: str  # To
    duration_seconds: int | None = None
    recording_sid: str = ""
    recording_url: str = ""  # the recording's audio (Twilio's URL + ".mp3")
    recording_duration: int | None = None
    timestamp: datetime | None = None

    @property
    def customer_number(self) -> str:
        """The customer's side of the call: who called in, or whom the business called."""
        return self.caller if self.direction == "in" else self.called

    @property
    def event_id(self) -> str:
        """One stored event per change of the call: Twilio's retries of it are the same event."""
        parts = [self.call_sid, self.status or "recording"]
        if self.recording_sid:
            parts.append(self.recording_sid)
        return ":".join(parts)


def _seconds(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 9:
        raise ValueError(f"not a number of seconds: {value!r}")
    return int(value)


def _recording_audio(url: str) -> str:
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError("RecordingUrl is not an http(s) URL")
    return url if url.endswith(".mp3") else url + ".mp3"


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo is not None else None


def parse_status_callback(raw: bytes) -> CallUpdate:
    """The call update in one callback body. Raises ValueError when it is not a Voice callback."""
    text = raw.decode("utf-8")
    params = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=200))
    if any(len(v) > MAX_FIELD for v in params.values()):
        raise ValueError("a field is too long for a Twilio callback")
    call_sid = params.get("CallSid", "")
    if not call_sid.startswith("CA") or not call_sid.isalnum():
        raise ValueError("no CallSid: not a Twilio Voice callback")
    status = params.get("CallStatus", "")
    if status and status not in STATUSES:
        raise ValueError(f"unknown CallStatus {status!r}")
    direction = DIRECTIONS.get(params.get("Direction", "inbound") or "inbound")
    if direction is None:
        raise ValueError(f"unknown Direction {params.get('Direction')!r}")
    recording_sid = params.get("RecordingSid", "")
    if recording_sid and (not recording_sid.startswith("RE") or not recording_sid.isalnum()):
        raise ValueError("RecordingSid is not a Twilio recording id")
    recording_url = _recording_audio(params.get("RecordingUrl", ""))
    if params.get("RecordingStatus", "completed") != "completed":
        recording_url = ""  # still recording, or nothing was said: no voicemail to link (yet)
    if not status and not recording_sid:
        raise ValueError("neither a CallStatus nor a recording")
    return CallUpdate(
        call_sid=call_sid, account_sid=params.get("AccountSid", ""), status=status, direction=direction,
        caller=params.get("From", ""), called=params.get("To", ""),
        duration_seconds=_seconds(params.get("CallDuration")), recording_sid=recording_sid,
        recording_url=recording_url,
        recording_duration=_seconds(params.get("RecordingDuration")), timestamp=_when(params.get("Timestamp")),
    )
