"""API v1: one NinjaAPI, token or session auth on every endpoint, one error shape."""

from ninja import NinjaAPI

from layan.api.accounts import router as accounts_router
from layan.api.auth import AUTH
from layan.api.automation import router as canned_replies_router
from layan.api.automation_rules import macros_router, rules_router
from layan.api.calls import router as calls_router
from layan.api.conversations import messages_router
from layan.api.conversations import router as conversations_router
from layan.api.customers import router as customers_router
from layan.api.errors import install_error_handlers
from layan.api.parser import LayanParser
from layan.api.sms import router as sms_router

api = NinjaAPI(
    title="Layan API",
    version="1",
    description=(
        "The Layan REST API. Authenticate with `Authorization: Bearer <token>` (create one with "
        "`layan token create`). Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`. Lists are "
        "`{\"items\": [...], \"next_cursor\": ...}`: pass `cursor` to get the next page."
    ),
    auth=AUTH,
    parser=LayanParser(),
    urls_namespace="api-v1",
)
install_error_handlers(api)
api.add_router("/conversations", conversations_router)
api.add_router("/customers", customers_router)
api.add_router("/canned-replies", canned_replies_router)
api.add_router("/automation-rules", rules_router)
api.add_router("/macros", macros_router)
api.add_router("/calls", calls_router)
api.add_router("/sms", sms_router)
api.add_router("/", accounts_router)
api.add_router("/", messages_router)
