"""SMS through Twilio Programmable Messaging: its form-encoded webhooks (an incoming SMS or MMS, and
status callbacks of Layan's sends), signed with X-Twilio-Signature, and the Messages API
(`POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP basic auth SID:token).
See docs/channels/sms.md."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from layan.connectors.base import InboundMessage, SendError
from layan.connectors.sms.providers.base import ParsedSmsRequest, SmsMedia, SmsStatusUpdate
from layan.connectors.twilio.signature import signature_is_valid

TIMEOUT_SECONDS = 30
MAX_MEDIA = 10  # Twilio's own limit per MMS

# Twilio's message statuses -> Layan's delivery statuses; the rest (accepted, scheduled,
# receiving, ...) say nothing a reply's status needs.
STATUSES = {
    "queued": "queued", "sending": "queued", "sent": "sent", "delivered": "delivered", "read": "read",
    "undelivered": "failed", "failed": "failed", "canceled": "failed",
}
INBOUND_STATUSES = {"received", "receiving"}

# What the error codes agents meet most often mean (Twilio's error dictionary, in our words).
ERROR_MEANINGS = {
    "30001": gettext_lazy("Queue overflow: Twilio could not send it in time."),
    "30002": gettext_lazy("The Twilio account is suspended."),
    "30003": gettext_lazy("Unreachable handset: the phone is off, out of coverage or cannot take SMS."),
    "30004": gettext_lazy("Blocked by the recipient or their carrier."),
    "30005": gettext_lazy("Unknown number: it does not exist or is no longer in use."),
    "30006": gettext_lazy("Landline or unreachable carrier: this number cannot receive SMS."),
    "30007": gettext_lazy("Filtered by the carrier as spam or against its rules."),
    "30008": gettext_lazy("Unknown error at the carrier."),
    "21211": gettext_lazy("Not a valid phone number."),
    "21408": gettext_lazy("Sending to this country is not enabled on the Twilio account."),
    "21610": gettext_lazy("The customer opted out (replied STOP); they get no SMS until they reply START."),
    "21612": gettext_lazy("This number cannot be reached by SMS from this sender."),
    "21614": gettext_lazy("Not a mobile number."),
}


def error_text(code: str, status: str = "") -> str:
    """What an agent reads on a failed reply: Twilio's code and what it means."""
    code = (code or "").strip()
    if not code:
        return _("Twilio reported the message as %(status)s.") % {"status": status} if status else ""
    meaning = ERROR_MEANINGS.get(code)
    if meaning is None:
        return _("%(code)s (see Twilio's error list)") % {"code": code}
    return f"{code} {meaning}"


def _params(body: bytes) -> list[tuple[str, str]]:
    return parse_qsl(body.decode("utf-8"), keep_blank_values=True)


def _sender(raw: str) -> str:
    from layan.customers.normalise import normalise_phone
    from layan.errors import InvalidInput

    if raw.startswith("whatsapp:") or raw.startswith("messenger:"):
        raise ValueError(f"{raw.partition(':')[0]} message through Twilio, not an SMS")
    try:
        return normalise_phone(raw)
    except InvalidInput as exc:
        raise ValueError(f"the sender {raw!r} is not a phone number") from exc


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def parse_twilio_request(body: bytes) -> ParsedSmsRequest:
    """An incoming SMS/MMS or a status callback. Raises ValueError when it is neither."""
    pairs = _params(body)
    params: dict[str, str] = {}
    for name, value in pairs:
        params.setdefault(name, value)
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    if not sid:
        raise ValueError("not a Twilio messaging request: no MessageSid")
    message_status = (params.get("MessageStatus") or "").lower()
    if message_status and message_status not in INBOUND_STATUSES:
        status = STATUSES.get(message_status)
        if status is None:
            return ParsedSmsRequest()
        code = params.get("ErrorCode") or ""
        error = error_text(code, message_status) if status == "failed" else ""
        return ParsedSmsRequest(statuses=(SmsStatusUpdate(provider_message_id=sid, status=status,
                                                          error_code=code, error=error),))
    if not params.get("From"):
        raise ValueError("not a Twilio messaging request: no From")
    sender = _sender(params["From"])
    media = []
    for index in range(min(_int(params.get("NumMedia")) or 0, MAX_MEDIA)):
        url = params.get(f"MediaUrl{index}") or ""
        if url:
            media.append(SmsMedia(url=url, content_type=params.get(f"MediaContentType{index}") or ""))
    facts = {"provider": "twilio", "to": params.get("To", ""), "segments": _int(params.get("NumSegments")),
             "media": [{"url": m.url, "content_type": m.content_type} for m in media]}
    if params.get("FromCountry"):
        facts["from_country"] = params["FromCountry"]
    if params.get("OptOutType"):  # Twilio's Advanced Opt-Out saw STOP, START or HELP
        facts["opt_out"] = params["OptOutType"]
    message = InboundMessage(sender_kind="phone", sender_value=sender, provider_message_id=sid,
                             text=params.get("Body", ""), metadata={"sms": facts})
    return ParsedSmsRequest(messages=(message,), media=(tuple(media),))


def _with_and_without_default_port(url: str) -> list[str]:
    """Twilio signs the URL as configured; a proxy may add or drop the scheme's default port."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None and parts.port == default:
        return [url, urlunsplit(parts._replace(netloc=host))]
    if parts.port is None and default:
        return [url, urlunsplit(parts._replace(netloc=f"{host}:{default}"))]
    return [url]


class _NoAuthAcrossHosts(urllib.request.HTTPRedirectHandler):
    """Twilio answers a media URL with a redirect to its storage: the credentials stay at Twilio."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urlsplit(newurl).netloc != urlsplit(req.full_url).netloc:
            new.remove_header("Authorization")
        return new


class TwilioSms:
    name = "twilio"
    acknowledgement = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
    acknowledgement_type = "text/xml; charset=utf-8"

    def __init__(self, config):
        self.config = config

    # --- webhooks ---------------------------------------------------------------------------
    def verify_request(self, *, url: str, body: bytes, headers: Mapping[str, str]) -> bool:
        token = self.config.secret("auth_token_env")
        try:
            params = _params(body)
        except ValueError:
            return False
        header = headers.get("X-Twilio-Signature", "")
        return any(signature_is_valid(url=candidate, params=params, header=header, auth_token=token)
                   for candidate in _with_and_without_default_port(url))

    def delivery_id(self, body: bytes) -> str | None:
        try:
            parsed = parse_twilio_request(body)
        except ValueError:
            return None
        if parsed.messages:
            return f"twilio:{parsed.messages[0].provider_message_id}"
        if parsed.statuses:
            update = parsed.statuses[0]
            return f"twilio:{update.provider_message_id}:{update.status}"
        return None

    def parse_request(self, body: bytes) -> ParsedSmsRequest:
        return parse_twilio_request(body)

    # --- the Messages API -------------------------------------------------------------------
    def _base(self) -> str:
        return str(self.config.api_base_url or "https://api.twilio.com").rstrip("/")

    def _authorization(self) -> str:
        token = self.config.secret("auth_token_env")
        return "Basic " + base64.b64encode(f"{self.config.account_sid}:{token}".encode()).decode()

    def fetch_media(self, media: SmsMedia) -> tuple[bytes, str] | None:
        # Only from the account's own API host: a webhook's URL is never a licence to fetch anywhere.
        if urlsplit(media.url).netloc != urlsplit(self._base()).netloc or not self.config.account_sid:
            return None
        limit = settings.LAYAN_MAX_ATTACHMENT_BYTES
        request = urllib.request.Request(media.url, headers={"Authorization": self._authorization()})  # noqa: S310
        opener = urllib.request.build_opener(_NoAuthAcrossHosts)
        try:
            with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                content = response.read(limit + 1)
                content_type = response.headers.get_content_type() or media.content_type
        except (urllib.error.URLError, OSError, ValueError):
            return None
        if len(content) > limit:
            return None
        return content, media.content_type or content_type

    def send(self, *, to: str, text: str, status_callback_url: str) -> str:
        sid, token = self.config.account_sid, self.config.secret("auth_token_env")
        if not sid or not token:
            raise SendError(_("The SMS inbox needs an account SID and an auth token (auth_token_env)."),
                            retryable=False)
        form = {"To": to, "Body": text, "StatusCallback": status_callback_url}
        if self.config.messaging_service_sid:
            form["MessagingServiceSid"] = self.config.messaging_service_sid
        else:
            form["From"] = self.config.from_number
        url = f"{self._base()}/2010-04-01/Accounts/{sid}/Messages.json"
        request = urllib.request.Request(  # noqa: S310 - https by default; the operator's URL otherwise
            url, data=urlencode(form).encode(), method="POST",
            headers={"Authorization": self._authorization(), "Accept": "application/json",
                     "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise SendError(_("Twilio refused the SMS: %(reason)s") % {"reason": _reason(exc)},
                            retryable=exc.code == 429 or exc.code >= 500) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SendError(_("Twilio could not be reached: %(error)s") % {"error": exc}, retryable=True) from exc
        message_sid = answer.get("sid") if isinstance(answer, dict) else None
        if not message_sid:
            raise SendError(_("Twilio answered without a message SID."), retryable=True)
        return str(message_sid)


def _reason(exc: urllib.error.HTTPError) -> str:
    """Twilio's error body is {"code", "message", "more_info", "status"}."""
    try:
        error = json.loads(exc.read() or b"{}")
    except (ValueError, OSError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    parts = [str(error[k]) for k in ("code", "message") if error.get(k)]
    return " ".join(parts) or f"HTTP {exc.code}"
