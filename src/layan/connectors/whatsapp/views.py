"""The WhatsApp Cloud API webhook, `/hooks/whatsapp/<inbox public id>/`: Meta's verification
handshake (GET), and deliveries (POST) signed with the app secret, stored before anything reads them."""

import hashlib
import hmac
import os

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from layan.connectors.ingress import store_inbound_event
from layan.connectors.selectors import inbox_for_webhook

MAX_BODY_BYTES = 1024 * 1024  # Meta's deliveries are a few KB; media travel by id, not inline


def _secret(inbox, key: str) -> str:
    name = str((inbox.settings or {}).get(key) or "")
    return os.environ.get(name, "") if name else ""


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "field": None}}, status=status)


@csrf_exempt  # Meta posts here; the signature is the check
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request, public_id: str):
    inbox = inbox_for_webhook(public_id=public_id, kind="whatsapp")
    if inbox is None:
        return _error(404, "not_found", _("Inbox not found."))
    if request.method == "GET":  # the subscription handshake
        token = _secret(inbox, "verify_token_env")
        given = request.GET.get("hub.verify_token", "")
        if request.GET.get("hub.mode") == "subscribe" and token and hmac.compare_digest(given, token):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return _error(403, "bad_verify_token", _("The verify token does not match this inbox's."))
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _error(413, "too_large", _("The delivery is too large."))
    secret = _secret(inbox, "app_secret_env")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest() if secret else ""
    if not (expected and hmac.compare_digest(expected, request.headers.get("X-Hub-Signature-256", ""))):
        return _error(403, "bad_signature", _("The signature does not match this inbox's app secret."))
    # Meta retries the same delivery byte for byte: its hash makes the retry a no-op.
    event, created = store_inbound_event(inbox=inbox, payload=body, source="webhook",
                                         event_id="wa:" + hashlib.sha256(body).hexdigest())
    return JsonResponse({"status": "stored" if created else "duplicate", "event_id": event.pk})
