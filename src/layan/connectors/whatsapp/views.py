"""The WhatsApp Cloud API webhook, `/hooks/whatsapp/<inbox public id>/`: Meta's verification
handshake (GET), and deliveries (POST) signed with the app secret, stored before anything reads them."""

import hashlib

from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from layan.connectors.hooks import read_body, stored_answer, webhook_error
from layan.connectors.ingress import store_inbound_event
from layan.connectors.meta.webhooks import handshake_answer, signature_is_valid
from layan.connectors.selectors import inbox_for_webhook
from layan.connectors.whatsapp.selectors import whatsapp_config


def _secret(inbox, field_name: str) -> str:
    """The secret the inbox's config names ('' without a config: then nothing is accepted)."""
    config = whatsapp_config(inbox_id=inbox.pk)
    return config.secret(field_name) if config is not None else ""


@csrf_exempt  # Meta posts here; the signature is the check
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request, public_id: str):
    inbox = inbox_for_webhook(public_id=public_id, kind="whatsapp")
    if inbox is None:
        return webhook_error(404, "not_found", _("Inbox not found."))
    if request.method == "GET":  # the subscription handshake
        answer = handshake_answer(request.GET, verify_token=_secret(inbox, "verify_token_env"))
        if answer is not None:
            return answer
        return webhook_error(403, "bad_verify_token", _("The verify token does not match this inbox's."))
    body = read_body(request)
    if body is None:
        return webhook_error(413, "too_large", _("The delivery is too large."))
    if not signature_is_valid(body=body, header=request.headers.get("X-Hub-Signature-256", ""),
                              app_secret=_secret(inbox, "app_secret_env")):
        return webhook_error(403, "bad_signature", _("The signature does not match this inbox's app secret."))
    # Meta retries the same delivery byte for byte: its hash makes the retry a no-op.
    event, created = store_inbound_event(inbox=inbox, payload=body, source="webhook",
                                         event_id="wa:" + hashlib.sha256(body).hexdigest())
    return stored_answer(event, created)
