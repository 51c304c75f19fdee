from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.views.i18n import set_language

from layan.web import (
    call_views,
    canned_views,
    contact_center_views,
    customer_views,
    inbox_settings_views,
    notification_views,
    oncall_views,
    views,
    whatsapp_views,
)

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/bulk", views.inbox_bulk, name="inbox-bulk"),
    path("inbox/counts", views.inbox_counts, name="inbox-counts"),
    path("inbox/views", views.inbox_save_view, name="inbox-save-view"),
    path("inbox/views/<int:view_id>/delete", views.inbox_delete_view, name="inbox-delete-view"),
    path("c/<int:number>/", views.conversation_page, name="conversation"),
    path("c/<int:number>/note", views.conversation_note, name="conversation-note"),
    path("c/<int:number>/details", views.conversation_details, name="conversation-details"),
    path("c/<int:number>/messages/<int:message_id>/retry", views.message_retry, name="message-retry"),
    path("c/<int:number>/call", call_views.conversation_log_call, name="conversation-call"),
    path("attachments/<int:attachment_id>/preview", views.attachment_preview, name="attachment-preview"),
    path("canned/", canned_views.canned_lookup, name="canned"),
    path("whatsapp/inboxes/<int:inbox_id>/templates/sync", whatsapp_views.whatsapp_templates_sync,
         name="whatsapp-templates-sync"),
    path("oncall/", oncall_views.oncall_schedule, name="oncall"),
    path("oncall/rotations", oncall_views.oncall_rotation_create, name="oncall-rotation-create"),
    path("oncall/<int:rotation_id>/members", oncall_views.oncall_rotation_members, name="oncall-rotation-members"),
    path("oncall/<int:rotation_id>/overrides", oncall_views.oncall_override_add, name="oncall-override-add"),
    path("oncall/overrides/<int:override_id>/remove", oncall_views.oncall_override_remove,
         name="oncall-override-remove"),
    path("oncall/pages/<int:page_id>/", oncall_views.oncall_page, name="oncall-page"),
    path("oncall/pages/<int:page_id>/acknowledge", oncall_views.oncall_page_acknowledge,
         name="oncall-page-acknowledge"),
    path("customers/", customer_views.customer_list, name="customers"),
    path("customers/<int:customer_id>/", customer_views.customer_profile, name="customer"),
    path("customers/<int:customer_id>/identities", customer_views.customer_identity_add, name="customer-identity-add"),
    path("customers/<int:customer_id>/identities/<int:identity_id>/remove", customer_views.customer_identity_remove,
         name="customer-identity-remove"),
    path("customers/<int:customer_id>/merge/", customer_views.customer_merge, name="customer-merge"),
    path("customers/<int:customer_id>/call", call_views.customer_log_call, name="customer-call"),
    path("contact-center/", contact_center_views.contact_center, name="contact-center"),
    path("contact-center/queues", contact_center_views.contact_center_queues, name="contact-center-queues"),
    path("settings/inboxes/", inbox_settings_views.inbox_list, name="settings-inboxes"),
    path("settings/inboxes/new", inbox_settings_views.inbox_create, name="settings-inbox-create"),
    path("settings/inboxes/<str:public_id>/", inbox_settings_views.inbox_page, name="settings-inbox"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", auth_views.PasswordResetView.as_view(
        template_name="web/password_reset_form.html", email_template_name="web/password_reset_email.txt",
        subject_template_name="web/password_reset_subject.txt", success_url=reverse_lazy("web:password-reset-done")),
        name="password-reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(
        template_name="web/password_reset_done.html"), name="password-reset-done"),
    path("password-reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        template_name="web/password_reset_confirm.html", success_url=reverse_lazy("web:password-reset-complete")),
        name="password-reset-confirm"),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(
        template_name="web/password_reset_complete.html"), name="password-reset-complete"),
    path("workspace/", views.switch_workspace, name="switch-workspace"),
    path("me/", views.profile, name="profile"),
    path("me/notifications/", notification_views.notification_list, name="notifications"),
    path("me/notifications/read", notification_views.notifications_read, name="notifications-read"),
    path("me/availability", views.availability, name="availability"),
    path("i18n/setlang/", set_language, name="set-language"),
    path("healthz", views.healthz, name="healthz"),
]
