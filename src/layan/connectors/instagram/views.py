"""The Instagram webhook, `/hooks/instagram/<inbox public id>/` (connectors/meta/views.py does the work)."""

from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from layan.connectors.meta.views import answer_messaging_webhook


@csrf_exempt  # Meta posts here; the X-Hub-Signature-256 signature is the check
@require_http_methods(["GET", "POST"])
def instagram_webhook(request, public_id: str):
    return answer_messaging_webhook(request, public_id=public_id, platform="instagram")
