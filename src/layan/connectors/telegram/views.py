"""The Telegram webhook, `/hooks/telegram/<inbox public id>/`: Telegram posts each update with the
secret given to setWebhook in `X-Telegram-Bot-Api-Secret-Token`; the update is stored under its
update_id before anything reads it, so Telegram's retries are stored once."""

import hmac
import json

from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from layan.connectors.hooks import read_body, stored_answer, webhook_error
from layan.connectors.ingress import store_inbound_event
from layan.connectors.selectors import inbox_config, inbox_for_webhook

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


def _update_id(body: bytes) -> int | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    update_id = data.get("update_id") if isinstance(data, dict) else None
    return update_id if isinstance(update_id, int) and not isinstance(update_id, bool) else None


@csrf_exempt  # Telegram posts here; the secret token is the check
@require_POST
def telegram_webhook(request, public_id: str):
    inbox = inbox_for_webhook(public_id=public_id, kind="telegram")
    if inbox is None:
        return webhook_error(404, "not_found", _("Inbox not found."))
    config = inbox_config(inbox=inbox)
    secret = config.secret("secret_token_env") if config is not None else ""
    given = request.headers.get(SECRET_HEADER, "")
    # An inbox without its secret accepts nothing: anyone could post updates to it otherwise.
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return webhook_error(403, "bad_secret_token", _("The secret token does not match this inbox's."))
    body = read_body(request)
    if body is None:
        return webhook_error(413, "too_large", _("The delivery is too large."))
    # A body without an update id is still stored (processing rejects it with the reason): what a
    # verified sender posted is kept, and only a real update has an id to deduplicate on.
    update_id = _update_id(body)
    event, created = store_inbound_event(inbox=inbox, payload=body, source="webhook",
                                         event_id=f"tg:{update_id}" if update_id is not None else None)
    return stored_answer(event, created)
