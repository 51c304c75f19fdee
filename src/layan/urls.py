"""URL map: the API, provider webhooks, the admin, the agent workspace."""

from django.contrib import admin
from django.urls import include, path

from layan.api.v1 import api
from layan.connectors.email.views import receive_raw_email
from layan.connectors.sms.views import sms_webhook
from layan.connectors.whatsapp.views import whatsapp_webhook

urlpatterns = [
    path("api/v1/", api.urls),
    path("hooks/email/<str:public_id>/", receive_raw_email, name="email-webhook"),
    path("hooks/email/<str:public_id>", receive_raw_email),  # the address before the one scheme
    path("hooks/sms/<str:public_id>/", sms_webhook, name="sms-webhook"),
    path("hooks/whatsapp/<str:public_id>/", whatsapp_webhook, name="whatsapp-webhook"),
    path("widget/", include("layan.connectors.livechat.urls")),
    path("admin/", admin.site.urls),
    path("", include("layan.web.urls")),
]
