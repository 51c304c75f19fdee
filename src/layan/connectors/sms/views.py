"""The SMS webhook, `/hooks/sms/<inbox public id>/`: the provider posts incoming messages and status
callbacks here, signed for the inbox's account; each is stored before anything reads it."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from layan.connectors.hooks import read_body, webhook_error
from layan.connectors.ingress import store_inbound_event
from layan.connectors.selectors import inbox_config, inbox_for_webhook
from layan.connectors.sms.providers import provider_for


@csrf_exempt  # the provider posts here; its signature is the check
@require_POST
def sms_webhook(request, public_id: str):
    inbox = inbox_for_webhook(public_id=public_id, kind="sms")
    config = inbox_config(inbox=inbox) if inbox is not None else None
    if config is None:
        return webhook_error(404, "not_found", _("Inbox not found."))
    body = read_body(request)
    if body is None:
        return webhook_error(413, "too_large", _("The delivery is too large."))
    provider = provider_for(config)
    # The provider signs the URL it called: behind a proxy, Host and scheme must reach Django
    # as the provider saw them (docs/channels/sms.md).
    if not provider.verify_request(url=request.build_absolute_uri(), body=body, headers=request.headers):
        return webhook_error(403, "bad_signature", _("The signature does not match this inbox's auth token."))
    store_inbound_event(inbox=inbox, payload=body, source="webhook", event_id=provider.delivery_id(body))
    return HttpResponse(provider.acknowledgement, content_type=provider.acknowledgement_type)
