from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.i18n import set_language

from layan.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/bulk", views.inbox_bulk, name="inbox-bulk"),
    path("c/<int:number>/", views.conversation_page, name="conversation"),
    path("c/<int:number>/note", views.conversation_note, name="conversation-note"),
    path("c/<int:number>/details", views.conversation_details, name="conversation-details"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("workspace/", views.switch_workspace, name="switch-workspace"),
    path("me/", views.profile, name="profile"),
    path("me/availability", views.availability, name="availability"),
    path("i18n/setlang/", set_language, name="set-language"),
    path("healthz", views.healthz, name="healthz"),
]
