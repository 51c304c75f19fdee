"""URL map: the API, the admin, the agent workspace."""

from django.contrib import admin
from django.urls import include, path

from layan.api.v1 import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("layan.web.urls")),
]
