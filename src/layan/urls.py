"""URL map: the API, provider webhooks, the admin, the agent workspace."""

from django.contrib import admin
from django.urls import include, path

from layan.api.v1 import api
from layan.connectors.api_channel.views import api_channel_webhook
from layan.connectors.email.views import receive_raw_email
from layan.connectors.instagram.views import instagram_webhook
from layan.connectors.messenger.views import messenger_webhook
from layan.connectors.sms.views import sms_webhook
from layan.connectors.telegram.views import telegram_webhook
from layan.connectors.voice.views import voice_status_callback
from layan.connectors.webform.views import webform, webform_embed_js
from layan.connectors.whatsapp.views import whatsapp_webhook

urlpatterns = [
    path("api/v1/", api.urls),
    path("hooks/email/<str:public_id>/", receive_raw_email, name="email-webhook"),
    path("hooks/email/<str:public_id>", receive_raw_email),  # the address before the one scheme
    path("hooks/sms/<str:public_id>/", sms_webhook, name="sms-webhook"),
    path("hooks/whatsapp/<str:public_id>/", whatsapp_webhook, name="whatsapp-webhook"),
    path("hooks/voice/<str:public_id>/", voice_status_callback, name="voice-webhook"),
    path("hooks/messenger/<str:public_id>/", messenger_webhook, name="messenger-webhook"),
    path("hooks/instagram/<str:public_id>/", instagram_webhook, name="instagram-webhook"),
    path("hooks/telegram/<str:public_id>/", telegram_webhook, name="telegram-webhook"),
    path("hooks/webform/<str:public_id>/", webform, name="webform"),
    path("hooks/webform/<str:public_id>/embed.js", webform_embed_js, name="webform-embed"),
    path("hooks/api/<str:public_id>/", api_channel_webhook, name="api-channel-webhook"),
    path("widget/", include("layan.connectors.livechat.urls")),
    path("admin/", admin.site.urls),
    path("", include("layan.web.urls")),
]
