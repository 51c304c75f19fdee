"""A stand-in for Twilio Voice: it plays a call's status callbacks (ringing, in-progress, then how
the call ended; a voicemail adds the recording callback) to a webhook URL, signed with the auth
token as Twilio signs them, and it serves the recordings those callbacks link to
(`GET /2010-04-01/Accounts/<AccountSid>/Recordings/<RecordingSid>.mp3`), so the demo's
voicemail links play. Tests use `callbacks()` + `signature()` with Django's test client; the
demo uses `play()`, which posts over HTTP."""

from __future__ import annotations

import itertools
import secrets
import urllib.error
import urllib.request
from email.utils import format_datetime
from urllib.parse import urlencode

from django.utils import timezone

from layan.connectors.fake_provider import Answer, FakeProviderServer, RecordedRequest
from layan.connectors.twilio.signature import twilio_signature

API_VERSION = "2010-04-01"
# A few bytes that start like an MP3 frame: enough for a browser to offer the file.
FAKE_MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + bytes(400)

# How each ending looks as Twilio reports it: the CallStatus values in order, and whether the
# caller left a voicemail (Twilio answers, records, then the call completes).
SEQUENCES = {
    "answered": ("ringing", "in-progress", "completed"),
    "voicemail": ("ringing", "in-progress", "completed"),
    "no-answer": ("ringing", "no-answer"),
    "busy": ("ringing", "busy"),
    "canceled": ("ringing", "canceled"),
    "failed": ("failed",),
}


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


class FakeTwilioVoice(FakeProviderServer):
    name = "twilio-voice"

    def __init__(self, *, account_sid: str = "AC" + "0" * 32, auth_token: str = "", business_number: str = "",
                 host: str = "127.0.0.1", port: int = 0):
        super().__init__(host=host, port=port)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.business_number = business_number
        self.sent: list[tuple[dict[str, str], int]] = []  # callbacks posted by play(), with our answer
        self._counter = itertools.count(1)

    # --- what Twilio would post -----------------------------------------------------------------
    def callbacks(self, *, customer: str, ending: str = "answered", direction: str = "inbound",
                  duration: int = 252, call_sid: str | None = None,
                  recording_duration: int = 17, separate_recording: bool = False) -> list[dict[str, str]]:
        """The status callbacks of one call, in the order Twilio sends them. A voicemail's recording
        comes with the completed callback, or (``separate_recording``) after it, as a recording
        status callback of its own."""
        if ending not in SEQUENCES:
            raise ValueError(f"unknown ending {ending!r}; one of {sorted(SEQUENCES)}")
        call_sid = call_sid or _sid("CA")
        inbound = direction == "inbound"
        caller, called = (customer, self.business_number) if inbound else (self.business_number, customer)
        base = {"AccountSid": self.account_sid, "ApiVersion": API_VERSION, "CallSid": call_sid,
                "From": caller, "To": called, "Caller": caller, "Called": called, "Direction": direction,
                "CallbackSource": "call-progress-events"}
        result = []
        statuses = SEQUENCES[ending]
        for number, status in enumerate(statuses):
            params = {**base, "CallStatus": status, "SequenceNumber": str(number),
                      "Timestamp": format_datetime(timezone.now(), usegmt=True)}
            if status == "completed":
                talked = recording_duration + 5 if ending == "voicemail" else duration
                params["CallDuration"] = str(talked)
                params["Duration"] = str((talked + 59) // 60)
                if ending == "voicemail" and not separate_recording:
                    params.update(self._recording(recording_duration))
            elif status in ("no-answer", "busy", "canceled", "failed"):
                params["CallDuration"] = "0"
            result.append(params)
        if ending == "voicemail" and separate_recording:
            result.append({"AccountSid": self.account_sid, "CallSid": call_sid, "RecordingStatus": "completed",
                           "RecordingSource": "RecordVerb", "RecordingChannels": "1",
                           "RecordingStartTime": format_datetime(timezone.now(), usegmt=True),
                           **self._recording(recording_duration)})
        return result

    def _recording(self, seconds: int) -> dict[str, str]:
        recording_sid = _sid("RE")
        return {"RecordingSid": recording_sid, "RecordingDuration": str(seconds),
                "RecordingUrl": self.recording_url(recording_sid)}

    def recording_url(self, recording_sid: str) -> str:
        """Where Twilio keeps a recording (RecordingUrl: without the extension)."""
        return f"{self.url}/{API_VERSION}/Accounts/{self.account_sid}/Recordings/{recording_sid}"

    def signature(self, url: str, params: dict[str, str]) -> str:
        return twilio_signature(url=url, params=list(params.items()), auth_token=self.auth_token)

    def play(self, webhook_url: str, callbacks: list[dict[str, str]], timeout: float = 10) -> list[int]:
        """POST each callback to ``webhook_url`` over HTTP, signed; returns the status codes."""
        codes = []
        for params in callbacks:
            request = urllib.request.Request(  # noqa: S310 - the operator's own Layan URL
                webhook_url, data=urlencode(params).encode(), method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded",
                         "X-Twilio-Signature": self.signature(webhook_url, params),
                         "User-Agent": "TwilioProxy/1.1"})
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                    code = response.status
            except urllib.error.HTTPError as exc:
                code = exc.code
            self.sent.append((params, code))
            codes.append(code)
        return codes

    # --- Twilio's REST API, as far as Layan reads it -------------------------------------------
    def answer(self, request: RecordedRequest) -> Answer:
        prefix = f"/{API_VERSION}/Accounts/{self.account_sid}/Recordings/"
        if request.method == "GET" and request.path.startswith(prefix) and request.path.endswith(".mp3"):
            return Answer(200, FAKE_MP3, content_type="audio/mpeg")
        return Answer(404, {"code": 20404, "message": f"The requested resource {request.path} was not found",
                            "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404})
