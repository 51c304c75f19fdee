"""Every API error has one shape: {"error": {"code", "message", "field"}} and the right status."""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from layan.errors import ErrorCode, LayanError

logger = logging.getLogger(__name__)


def error_body(code: str, message: str, field: str | None = None) -> dict:
    return {"error": {"code": str(code), "message": message, "field": field}}


def _field_of(loc) -> str | None:
    # Ninja locations look like ("body", "payload", "customer", "name"): drop the transport parts.
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "payload", "form")]
    if parts and parts[0] in ("filters",):
        parts = parts[1:]
    return ".".join(parts) or None


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request, status, code, message, field=None):
        return api.create_response(request, error_body(code, message, field), status=status)

    @api.exception_handler(LayanError)
    def layan_error(request, exc: LayanError):
        return respond(request, exc.status, exc.code, exc.message, exc.field)

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        first = exc.errors[0] if exc.errors else {}
        field = _field_of(first.get("loc", ()))
        message = first.get("msg", _("Invalid input."))
        if first.get("type") == "missing":
            message = _("This field is required.")
        return api.create_response(
            request,
            {"error": {"code": ErrorCode.VALIDATION_ERROR.value, "message": message, "field": field,
                       "details": [{"field": _field_of(e.get("loc", ())), "message": e.get("msg", "")}
                                   for e in exc.errors]}},
            status=422,
        )

    @api.exception_handler(AuthenticationError)
    def not_authenticated(request, exc):
        return respond(request, 401, ErrorCode.NOT_AUTHENTICATED,
                       _("Authentication required: send 'Authorization: Bearer <token>' or log in."))

    @api.exception_handler(AuthorizationError)
    def not_authorised(request, exc):
        return respond(request, 403, ErrorCode.PERMISSION_DENIED, _("You are not allowed to do this."))

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        if exc.status_code == 400 and "parse request body" in str(exc):
            return respond(request, 400, ErrorCode.MALFORMED_JSON, _("The request body is not valid JSON."))
        if exc.status_code == 403:
            return respond(request, 403, ErrorCode.PERMISSION_DENIED, str(exc))
        return respond(request, exc.status_code, ErrorCode.INVALID_INPUT, str(exc))

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, 404, ErrorCode.NOT_FOUND, _("Not found."))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc):
        return respond(request, 413, ErrorCode.PAYLOAD_TOO_LARGE, _("The request body is too large."))

    @api.exception_handler(Exception)
    def unexpected(request, exc):
        logger.exception("unhandled API error on %s %s", request.method, request.path)
        return respond(request, 500, "internal_error", _("Something went wrong on our side; it was logged."))
