"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layan.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402 - needs Django set up first
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from layan.web.routing import (  # noqa: E402
    WIDGET_WEBSOCKET_PREFIX,
    websocket_urlpatterns,
    widget_websocket_urlpatterns,
)

agent_websocket = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
# The widget runs on customers' websites: its origin is checked per inbox by the consumer, and it
# carries no cookies, so it gets neither the host-origin check nor the session middleware.
widget_websocket = URLRouter(widget_websocket_urlpatterns)


async def websocket(scope, receive, send):
    app = widget_websocket if scope["path"].startswith(WIDGET_WEBSOCKET_PREFIX) else agent_websocket
    return await app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websocket,
    }
)
