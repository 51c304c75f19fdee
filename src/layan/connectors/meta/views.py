"""What the Messenger and Instagram webhooks (`/hooks/messenger/<id>/`, `/hooks/instagram/<id>/`)
share: Meta's subscription handshake (GET) and signed deliveries (POST), stored under the
message's mid before anything reads them. A forged or missing signature writes nothing."""

from django.utils.translation import gettext as _

from layan.connectors.hooks import read_body, stored_answer, webhook_error
from layan.connectors.ingress import store_inbound_event
from layan.connectors.meta.messaging import delivery_event_id
from layan.connectors.meta.webhooks import handshake_answer, signature_is_valid
from layan.connectors.selectors import inbox_config, inbox_for_webhook


def answer_messaging_webhook(request, *, public_id: str, platform: str):
    inbox = inbox_for_webhook(public_id=public_id, kind=platform)
    if inbox is None:
        return webhook_error(404, "not_found", _("Inbox not found."))
    config = inbox_config(inbox=inbox)
    if request.method == "GET":  # the subscription handshake
        token = config.secret("verify_token_env") if config is not None else ""
        answer = handshake_answer(request.GET, verify_token=token)
        if answer is not None:
            return answer
        return webhook_error(403, "bad_verify_token", _("The verify token does not match this inbox's."))
    body = read_body(request)
    if body is None:
        return webhook_error(413, "too_large", _("The delivery is too large."))
    secret = config.secret("app_secret_env") if config is not None else ""
    if not signature_is_valid(body=body, header=request.headers.get("X-Hub-Signature-256", ""), app_secret=secret):
        return webhook_error(403, "bad_signature", _("The signature does not match this inbox's app secret."))
    event, created = store_inbound_event(inbox=inbox, payload=body, source="webhook",
                                         event_id=delivery_event_id(body, platform=platform))
    return stored_answer(event, created)
