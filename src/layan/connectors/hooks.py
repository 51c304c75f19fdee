"""What every provider webhook view (`/hooks/<kind>/<inbox public id>/`) answers with on refusal,
and how it reads a bounded body."""

from django.http import HttpRequest, JsonResponse

MAX_BODY_BYTES = 1024 * 1024  # providers send a few KB; media travel by id or URL, not inline


def webhook_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "field": None}}, status=status)


def read_body(request: HttpRequest, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """The raw body, or None when it is larger than ``limit`` (answer 413)."""
    body = request.read(limit + 1)
    return None if len(body) > limit else body


def stored_answer(event, created: bool) -> JsonResponse:
    return JsonResponse({"status": "stored" if created else "duplicate", "event_id": event.pk})
