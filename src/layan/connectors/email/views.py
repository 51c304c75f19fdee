"""The raw-MIME webhook: mail relays post each received mail here; it is stored, then processed."""

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from layan.connectors.email.webhook import (
    SIGNATURE_HEADER,
    body_signature_valid,
    mailgun_signature_valid,
)
from layan.connectors.ingress import store_raw_email
from layan.connectors.selectors import inbox_for_webhook


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "field": None}}, status=status)


@csrf_exempt  # a machine posts here; the signature is the check
@require_POST
def receive_raw_email(request, public_id: str):
    inbox = inbox_for_webhook(public_id=public_id, kind="email")
    if inbox is None:
        return _error(404, "not_found", _("Inbox not found."))
    limit = settings.LAYAN_MAX_EMAIL_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return _error(413, "too_large", _("A mail is at most %(mb)s MB.") % {"mb": limit // 2**20})
    if request.content_type == "multipart/form-data":  # Mailgun's "forward" with the raw MIME
        raw = request.POST.get("body-mime", "").encode("utf-8", errors="surrogateescape")
        valid = mailgun_signature_valid(inbox, timestamp=request.POST.get("timestamp", ""),
                                        token=request.POST.get("token", ""),
                                        signature=request.POST.get("signature", ""))
        event_id = f"mailgun:{request.POST.get('token')}" if valid else None
    else:
        raw = request.read(limit + 1)
        valid = body_signature_valid(inbox, raw, request.headers.get(SIGNATURE_HEADER))
        event_id = request.headers.get("X-Layan-Delivery-Id") or None
    if not valid:
        return _error(401, "bad_signature", _("The signature does not match this inbox's key."))
    if not raw.strip():
        return _error(400, "invalid", _("The request carries no mail."))
    if len(raw) > limit:
        return _error(413, "too_large", _("A mail is at most %(mb)s MB.") % {"mb": limit // 2**20})
    event, created = store_raw_email(inbox=inbox, raw=raw, source="webhook", event_id=event_id and event_id[:255])
    return JsonResponse({"status": "stored" if created else "duplicate", "event_id": event.pk},
                        status=202 if created else 200)
