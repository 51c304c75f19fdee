"""Errors a user can cause. The API renders them as {"error": {"code", "message", "field"}}."""

from enum import StrEnum


class ErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    NOT_AUTHENTICATED = "not_authenticated"
    INVALID_INPUT = "invalid_input"
    VALIDATION_ERROR = "validation_error"
    CONFLICT = "conflict"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    MALFORMED_JSON = "malformed_json"
    INVALID_CURSOR = "invalid_cursor"
    ILLEGAL_TRANSITION = "illegal_status_transition"
    INVALID_IDENTITY = "invalid_identity"
    DUPLICATE = "duplicate"
    CUSTOMER_MERGED = "customer_merged"
    CONVERSATION_MERGED = "conversation_merged"
    CONVERSATION_CLOSED = "conversation_closed"
    ATTACHMENT_TOO_LARGE = "attachment_too_large"
    NO_TEXT_REPLIES = "channel_has_no_text_replies"
    REPLY_WINDOW_CLOSED = "reply_window_closed"
    PROVIDER_ERROR = "provider_error"


class LayanError(Exception):
    """Base for errors with a stable code, a human message and the field at fault."""

    status = 400
    default_code = ErrorCode.INVALID_INPUT

    def __init__(self, message: str, *, code: ErrorCode | None = None, field: str | None = None):
        super().__init__(message)
        self.message = str(message)
        self.code = code or self.default_code
        self.field = field


class InvalidInput(LayanError):
    status = 400
    default_code = ErrorCode.INVALID_INPUT


class NotFound(LayanError):
    status = 404
    default_code = ErrorCode.NOT_FOUND


class PermissionDenied(LayanError):
    status = 403
    default_code = ErrorCode.PERMISSION_DENIED


class Conflict(LayanError):
    status = 409
    default_code = ErrorCode.CONFLICT


class ProviderError(LayanError):
    """A channel provider refused or could not be reached while a person waited (a template sync)."""

    status = 502
    default_code = ErrorCode.PROVIDER_ERROR
