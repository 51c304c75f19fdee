"""The API channel's intake, `/hooks/api/<inbox public id>/`: a company's system posts one
customer message as JSON signed with the inbox's shared secret (X-Layan-Signature); a bad or
stale signature is refused with 403 before anything is written, a malformed message with 400
naming the field, and a good one is stored under its message_id (a retry stores nothing new)."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from layan.connectors.api_channel.parsing import ApiPayloadError, parse_api_message
from layan.connectors.api_channel.selectors import api_channel_config
from layan.connectors.api_channel.signature import HEADER, signature_is_valid
from layan.connectors.hooks import read_body, stored_answer, webhook_error
from layan.connectors.ingress import store_inbound_event
from layan.connectors.selectors import inbox_for_webhook

MAX_BODY_BYTES = 35 * 1024 * 1024  # attachments travel inline as base64 (25 MB of file)


@csrf_exempt  # a server posts here; the signature is the check
@require_POST
def api_channel_webhook(request, public_id: str):
    inbox = inbox_for_webhook(public_id=public_id, kind="api")
    if inbox is None:
        return webhook_error(404, "not_found", _("Inbox not found."))
    body = read_body(request, limit=MAX_BODY_BYTES)
    if body is None:
        return webhook_error(413, "too_large", _("The message is too large."))
    config = api_channel_config(inbox=inbox)
    secret = config.secret("signing_secret_env") if config is not None else ""
    if not signature_is_valid(body=body, header=request.headers.get(HEADER, ""), secret=secret):
        return webhook_error(403, "bad_signature", _(
            "The signature does not match this inbox's secret, or its time is more than five minutes off."))
    try:
        message = parse_api_message(body)
    except ApiPayloadError as exc:
        return JsonResponse({"error": {"code": "invalid_input", "message": exc.message, "field": exc.field}},
                            status=400)
    event, created = store_inbound_event(inbox=inbox, payload=body, source="api",
                                         event_id=message.message.provider_message_id)
    return stored_answer(event, created)
