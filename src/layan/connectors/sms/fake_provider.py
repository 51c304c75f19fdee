"""A fake Twilio Messages API on 127.0.0.1 for tests and the demo: point an SMS inbox's
api_base_url at its .url. It checks HTTP basic auth (SID:token), answers a send with 201 and a new
SM… SID in status "queued" (Twilio's error JSON for what Twilio refuses), serves MMS media, and
can post signed status callbacks back to the StatusCallback URL a send gave it."""

from __future__ import annotations

import base64
import secrets
import urllib.request
from email.utils import format_datetime
from urllib.parse import urlencode

from django.utils import timezone

from layan.connectors.fake_provider import Answer, FakeProviderServer, RecordedRequest
from layan.connectors.sms.segments import count_segments
from layan.connectors.twilio.signature import twilio_signature

API_VERSION = "2010-04-01"


def twilio_error(status: int, code: int, message: str) -> Answer:
    return Answer(status, {"code": code, "message": message,
                           "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status})


class FakeTwilio(FakeProviderServer):
    name = "twilio"

    def __init__(self, *, account_sid: str = "AC" + "0" * 32,
                 auth_token: str = "fake-twilio-token", **kwargs):  # noqa: S107 - a fake's own token
        super().__init__(**kwargs)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: dict[str, dict[str, str]] = {}  # SID -> the form Layan sent
        self.media: dict[str, tuple[bytes, str]] = {}  # path -> (content, content type)

    # --- what Twilio answers ----------------------------------------------------------------
    def _authorised(self, request: RecordedRequest) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    def answer(self, request: RecordedRequest) -> Answer:
        if not self._authorised(request):
            return twilio_error(401, 20003, "Authenticate")
        messages_path = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        if request.method == "POST" and request.path == messages_path:
            return self._create_message(request)
        if request.method == "GET" and request.path in self.media:
            content, content_type = self.media[request.path]
            return Answer(200, content, content_type=content_type)
        return twilio_error(404, 20404, f"The requested resource {request.path} was not found")

    def _create_message(self, request: RecordedRequest) -> Answer:
        form = {name: values[0] for name, values in request.form().items()}
        if not form.get("To"):
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if not form.get("Body"):
            return twilio_error(400, 21602, "Message body is required.")
        sid = "SM" + secrets.token_hex(16)
        self.messages[sid] = form
        now = format_datetime(timezone.now(), usegmt=True)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        return Answer(201, {
            "account_sid": self.account_sid, "api_version": API_VERSION, "body": form["Body"],
            "date_created": now, "date_updated": now, "date_sent": None, "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "num_media": "0",
            # Twilio counts segments only once a sender is chosen: 0 through a messaging service.
            "num_segments": "0" if form.get("MessagingServiceSid") else str(count_segments(form["Body"]).segments),
            "price": None, "price_unit": "USD", "sid": sid,
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")}, "to": form["To"], "uri": uri,
        })

    # --- test and demo helpers --------------------------------------------------------------
    def add_media(self, content: bytes, content_type: str) -> str:
        """Keep a picture as if a customer's MMS carried it; its URL as Twilio would give it."""
        path = (f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/MM{secrets.token_hex(16)}"
                f"/Media/ME{secrets.token_hex(16)}")
        self.media[path] = (content, content_type)
        return self.url + path

    def sign(self, url: str, params: dict[str, str]) -> str:
        return twilio_signature(url=url, params=params.items(), auth_token=self.auth_token)

    def status_callback(self, sid: str, status: str, error_code: str = "") -> tuple[str, dict[str, str]]:
        """The StatusCallback request Twilio makes for a message it was asked to send: (url, form)."""
        sent = self.messages[sid]
        params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": self.account_sid, "MessageStatus": status,
                  "SmsStatus": status, "To": sent["To"], "From": sent.get("From", ""), "ApiVersion": API_VERSION}
        if error_code:
            params["ErrorCode"] = error_code
        return sent["StatusCallback"], params

    def post_status_callback(self, sid: str, status: str, error_code: str = "") -> int:
        """Post that callback, signed, to the URL the send named (the demo's "it was delivered")."""
        url, params = self.status_callback(sid, status, error_code)
        request = urllib.request.Request(  # noqa: S310 - the URL Layan itself gave
            url, data=urlencode(params).encode(), method="POST",
            headers={"X-Twilio-Signature": self.sign(url, params),
                     "Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
