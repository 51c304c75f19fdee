"""Included from layan/urls.py under widget/."""

from django.urls import path

from layan.connectors.livechat import views

urlpatterns = [
    path("widget.js", views.widget_js, name="livechat-widget-js"),
    path("agent-typing/<int:conversation_id>", views.agent_typing, name="livechat-agent-typing"),
    path("<str:public_id>/session", views.session, name="livechat-session"),
    path("<str:public_id>/leave-message", views.leave_message, name="livechat-leave-message"),
    path("<str:public_id>/attachments/<int:attachment_id>", views.attachment, name="livechat-attachment"),
]
