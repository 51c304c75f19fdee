from django.urls import path

from layan.web.consumers import AgentEventsConsumer

websocket_urlpatterns = [
    path("ws/agent/", AgentEventsConsumer.as_asgi()),
]
