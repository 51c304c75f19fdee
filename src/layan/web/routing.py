from django.urls import path

from layan.connectors.livechat.consumers import LivechatConsumer
from layan.web.consumers import AgentEventsConsumer

# Agents: same-host origin, session cookie (wrapped in asgi.py).
websocket_urlpatterns = [
    path("ws/agent/", AgentEventsConsumer.as_asgi()),
]

# Visitors of customers' websites: any origin the inbox allows, checked by the consumer itself.
WIDGET_WEBSOCKET_PREFIX = "/ws/widget/"
widget_websocket_urlpatterns = [
    path("ws/widget/<str:public_id>/", LivechatConsumer.as_asgi()),
]
