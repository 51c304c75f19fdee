"""Twilio Voice status callbacks, `/hooks/voice/<inbox public id>/`: form-encoded POSTs signed
with the account's auth token (X-Twilio-Signature), stored before anything reads them, answered
with empty TwiML."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from layan.connectors.hooks import MAX_BODY_BYTES, webhook_error
from layan.connectors.ingress import store_inbound_event
from layan.connectors.selectors import inbox_config, inbox_for_webhook
from layan.connectors.twilio.signature import request_params, signature_is_valid
from layan.connectors.voice.parsing import parse_status_callback

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


@csrf_exempt  # Twilio posts here; the signature is the check
@require_POST
def voice_status_callback(request, public_id: str):
    inbox = inbox_for_webhook(public_id=public_id, kind="voice")
    if inbox is None:
        return webhook_error(404, "not_found", _("Inbox not found."))
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return webhook_error(413, "too_large", _("The delivery is too large."))
    body = request.body  # read first: the parameters below are parsed from it
    config = inbox_config(inbox=inbox)
    token = config.secret("auth_token_env") if config is not None else ""
    # Twilio signs the URL it called and the POST parameters; both as this request has them.
    if not signature_is_valid(url=request.build_absolute_uri(), params=request_params(request),
                              header=request.headers.get("X-Twilio-Signature", ""), auth_token=token):
        return webhook_error(403, "bad_signature", _("The signature does not match this inbox's auth token."))
    try:
        update = parse_status_callback(body)
    except ValueError:
        return webhook_error(400, "not_a_call", _("This is not a Twilio Voice status callback."))
    # A retried callback is the same change of the same call: stored once.
    store_inbound_event(inbox=inbox, payload=body, source="webhook", event_id=f"twilio-voice:{update.event_id}")
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")
