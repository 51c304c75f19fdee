"""The operator admin: every Layan model is there, pages answer, history stays read-only, lists
run a fixed number of queries, and no change page renders a select of every row of a table."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.widgets import (
    AutocompleteMixin,
    ForeignKeyRawIdWidget,
    ManyToManyRawIdWidget,
)
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.forms import ModelChoiceField
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from layan.accounts.actors import Actor
from layan.accounts.models import APIToken, AuditEntry, TeamMembership, User
from layan.automation.services import create_canned_reply
from layan.connectors.base import InboundAttachment
from layan.connectors.ingress import store_raw_email
from layan.conversations import services as conversations
from layan.conversations.models import Conversation, Message
from layan.customers.services import IdentityInput
from layan.delivery.services import deliver_outbox_item
from layan.servicelevels.models import (
    BusinessCalendar,
    BusinessHours,
    CalendarClosure,
    Escalation,
    ServiceLevelPolicy,
    TeamCalendar,
)
from layan.servicelevels.oncall_models import OnCallMember
from layan.web.models import SavedView

LAYAN_APPS = ("accounts", "customers", "connectors", "conversations", "delivery", "automation", "servicelevels",
              "routing", "web")
# edited on their team's, rotation's, calendar's or policy's page
INLINE_ONLY = {TeamMembership, OnCallMember, BusinessHours, CalendarClosure, TeamCalendar, Escalation}
PASSWORD = "operator-pass-2026"

REGISTERED = [
    "accounts.User", "accounts.Workspace", "accounts.Agent", "accounts.Team", "accounts.Tag",
    "accounts.APIToken", "accounts.AuditEntry", "accounts.Notification",
    "customers.Customer", "customers.Identity",
    "connectors.Inbox", "connectors.InboundEvent", "connectors.WhatsAppConfig", "connectors.WhatsAppTemplate",
    "connectors.SmsConfig", "connectors.TelegramConfig", "connectors.MessengerConfig", "connectors.InstagramConfig",
    "connectors.VoiceConfig", "connectors.WebFormConfig", "connectors.ApiChannelConfig", "connectors.Call",
    "conversations.Conversation", "conversations.ConversationTag", "conversations.Follower",
    "conversations.Message", "conversations.Participant", "conversations.Attachment",
    "conversations.ConversationLink", "conversations.TimeEntry", "conversations.ReadMarker", "web.SavedView",
    "delivery.OutboxItem", "delivery.DeliveryAttempt",
    "servicelevels.OnCallRotation", "servicelevels.OnCallOverride", "servicelevels.OnCallPage",
    "servicelevels.OnCallPageDelivery",
    "routing.RoutingSettings", "routing.Queue", "routing.AgentRouting", "routing.Skill", "routing.AgentSkill",
    "routing.InboxSkill", "routing.TagSkill",
    "servicelevels.BusinessCalendar", "servicelevels.ServiceLevelPolicy", "servicelevels.ServiceLevelClock",
    "servicelevels.ServiceLevelBreach", "servicelevels.ConversationServiceLevel", "servicelevels.EscalationRun",
    "automation.CannedReply", "automation.AutomationRule", "automation.Macro", "automation.RuleRun",
    "automation.WebhookDelivery", "automation.TimedRuleApplication", "automation.StatusSince",
]


@pytest.fixture
def operator(db) -> User:
    return User.objects.create_superuser(email="operator@layan.test", password=PASSWORD)


@pytest.fixture
def operator_client(operator) -> Client:
    client = Client()
    assert client.login(email="operator@layan.test", password=PASSWORD)
    return client


def _open_conversation(world, *, email: str, subject: str = "Paket belum sampai", **kwargs) -> Conversation:
    return conversations.create_conversation(
        actor=world.actor, inbox=world.email_inbox, customer_name="Siti",
        customer_identities=[IdentityInput(kind="email", value=email)], subject=subject, text="Halo", **kwargs,
    ).conversation


@pytest.fixture
def history(world):
    """One of everything: a conversation with a tag, an attachment, a reply with a CC (participant)
    that was delivered (outbox item and attempt), a note with a mention (follower), a link, time and
    a received raw mail (inbound event), an agent's read marker, a team's canned reply and its routing (queue, skills, capacity)."""
    conversation = _open_conversation(
        world, email="siti@contoh.id", tags=["pengiriman"],
        attachments=[InboundAttachment(filename="resi.txt", content_type="text/plain", content=b"JNE 123")],
    )
    reply, _duplicate = conversations.reply_to_conversation(
        actor=world.actor, conversation=conversation, text="Baik, kami cek.", cc=["adik@contoh.id"])
    deliver_outbox_item(outbox_item_id=reply.outbox_item.pk)
    conversations.add_note(actor=world.actor, conversation=conversation, text="Tolong cek @budi",
                           mentions=[world.agent])
    other = _open_conversation(world, email="siti@contoh.id", subject="Paket kedua")
    conversations.link_conversations(actor=world.actor, source=other, target=conversation, kind="related")
    conversations.log_time(actor=world.actor, conversation=conversation, seconds=300, note="cek resi")
    conversations.mark_read(agent=world.agent, conversation=conversation)
    SavedView.objects.create(workspace=world.workspace, agent=world.agent, name="VIP terbuka", query="view=all&tag=vip")
    from layan.connectors.services import configure_inbox, create_inbox
    from layan.connectors.whatsapp.fake_provider import DEFAULT_TEMPLATES
    from layan.connectors.whatsapp.services import store_templates

    configure_inbox(actor=world.actor, inbox=world.whatsapp_inbox, values={"phone_number_id": "106540352242922"})
    store_templates(inbox=world.whatsapp_inbox, items=DEFAULT_TEMPLATES)
    for kind, values in (("sms", {"account_sid": "AC123", "from_number": "+6281100001111"}),
                         ("telegram", {"bot_username": "tokomaju_bot"}), ("messenger", {"page_id": "1001"}),
                         ("instagram", {"instagram_account_id": "1784"}), ("voice", {"phone_number": "+62215550100"}),
                         ("webform", {}), ("api", {"reply_webhook_url": "https://toko.example/layan"})):
        configure_inbox(actor=world.actor, inbox=create_inbox(actor=world.actor, kind=kind, name=f"Admin {kind}"),
                        values=values)
    from layan.connectors.voice.services import log_call

    log_call(actor=world.actor, customer=conversation.customer, direction="in", number="+6281234567890",
             duration_seconds=42, outcome="answered")
    store_raw_email(inbox=world.email_inbox, source="webhook",
                    raw=b"From: Rina <rina@contoh.id>\r\nSubject: Tagihan\r\n\r\nTagihan saya dobel.\r\n")
    create_canned_reply(actor=Actor.for_agent(world.supervisor), shortcut="resi", title="Nomor resi",
                        text="Halo {customer_name}, nomor resi Kakak sudah kami kirim.", team=world.team)
    from layan.accounts.notifications import notify_agents

    notify_agents(workspace_id=world.workspace.pk, agent_ids=[world.agent.pk], kind="sla_warning",
                  wording=lambda: ("SLA hampir terlewati", ""), conversation_id=conversation.pk)
    from datetime import UTC, date, datetime

    from layan.servicelevels.oncall import add_override, create_rotation, page_emergency

    rotation = create_rotation(actor=world.actor, name="Darurat", starts_on=date(2026, 1, 5),
                               members=[(world.agent, "+6281299990001")])
    add_override(actor=world.actor, rotation=rotation, agent=world.other_agent,
                 starts_at=datetime(2026, 1, 5, 20, 0, tzinfo=UTC), ends_at=datetime(2026, 1, 6, 8, 0, tzinfo=UTC))
    conversations.set_priority(actor=world.actor, conversation=other, priority="urgent")
    page_emergency(conversation_id=other.pk, at=datetime(2026, 1, 7, 2, 0, tzinfo=UTC))
    from layan.routing import services as routing

    routing.set_routing_defaults(actor=world.actor, chat_capacity=3, email_capacity=10)
    routing.configure_queue(actor=world.actor, team=world.team, strategy="least_loaded", auto_assign=False)
    printer = routing.create_skill(actor=world.actor, name="printer")
    routing.set_agent_routing(actor=world.actor, agent=world.agent, chat_capacity=2, skill_levels={printer.pk: 4})
    routing.set_skill_requirements(actor=world.actor, skill=printer, inboxes=[world.email_inbox], tag_names=["printer"])
    _service_levels(world, other)
    _automation_history(world, conversation)
    return conversation


def _service_levels(world, conversation):
    """A calendar with hours, a closure and a team, a policy with an escalation, and the clock,
    summary, breach and escalation run of a conversation that missed its target."""
    import datetime as dt

    from layan import events
    from layan.servicelevels.services import escalate_for_event, sweep_service_levels, sync_clocks

    calendar = BusinessCalendar.objects.create(workspace=world.workspace, name="Kantor", is_default=True)
    BusinessHours.objects.create(calendar=calendar, weekday=0, opens_at=dt.time(8), closes_at=dt.time(17))
    CalendarClosure.objects.create(calendar=calendar, date=dt.date(2026, 12, 24), name="Cuti bersama")
    TeamCalendar.objects.create(team=world.team, calendar=calendar)
    policy = ServiceLevelPolicy.objects.create(workspace=world.workspace, name="Semua", hours="always",
                                               first_response_minutes=1)
    Escalation.objects.create(policy=policy, trigger="breach", action="notify_supervisors")
    sync_clocks(conversation_id=conversation.pk, at=conversation.created_at)
    sweep_service_levels(now=conversation.created_at + dt.timedelta(minutes=2))
    escalate_for_event(events.ServiceLevelBreached(
        workspace_id=world.workspace.pk, conversation_id=conversation.pk, policy_id=policy.pk,
        metric="first_response", due_at=(conversation.created_at + dt.timedelta(minutes=1)).isoformat()))


def _automation_history(world, conversation):
    """A rule that ran (and a time-based one applied once), a macro, a webhook delivery and the
    time the conversation entered its status."""
    from layan import events
    from layan.automation.engine import apply_rule, record_status_since
    from layan.automation.models import TimedRuleApplication, WebhookDelivery
    from layan.automation.services import create_macro, create_rule

    supervisor = Actor.for_agent(world.supervisor)
    rule = create_rule(actor=supervisor, name="Tandai", event="time_based", delay_minutes=60,
                       time_anchor="status_changed", actions=[{"type": "add_tags", "value": ["lama"]}])
    apply_rule(rule=rule, conversation=conversation, event_name="TimePassed", chain=())
    TimedRuleApplication.objects.create(rule=rule, conversation=conversation, anchor_at=conversation.created_at)
    macro = create_macro(actor=supervisor, name="Eskalasi", actions=[{"type": "set_priority", "value": "urgent"}])
    WebhookDelivery.objects.create(workspace=world.workspace, rule=rule, macro=macro, conversation=conversation,
                                   url="https://crm.contoh.id/hook", secret="rahasia", payload={"n": 1})
    record_status_since(events.ConversationStatusChanged(workspace_id=world.workspace.pk,
                                                         conversation_id=conversation.pk, old_status="new",
                                                         new_status="open"))


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_of_the_layan_apps_is_in_the_admin():
    models = [m for label in LAYAN_APPS for m in apps.get_app_config(label).get_models()]
    missing = [m.__name__ for m in models if m not in admin.site._registry and m not in INLINE_ONLY]
    assert missing == []
    assert sorted(f"{m._meta.app_label}.{m.__name__}" for m in models if m in admin.site._registry) == sorted(
        REGISTERED)
    team_inlines = [inline.model for inline in admin.site._registry[apps.get_model("accounts.Team")].inlines]
    assert TeamMembership in team_inlines


@pytest.mark.parametrize("label", REGISTERED)
def test_changelist_and_change_page_answer_for_every_model(label, operator_client, history):
    model = apps.get_model(label)
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the history fixture made no {label}"

    listing = operator_client.get(_url(model, "changelist"))
    change = operator_client.get(_url(model, "change", obj.pk))

    assert listing.status_code == 200
    assert change.status_code == 200


def test_searching_and_filtering_lists_answer(operator_client, history, world):
    for label, query in (("conversations.Conversation", {"q": f"#{history.number}"}),
                         ("conversations.Conversation", {"q": "paket", "workspace__id__exact": world.workspace.pk}),
                         ("customers.Customer", {"q": "siti@contoh.id"}),
                         ("conversations.Message", {"conversation": history.pk}),
                         ("accounts.User", {"memberships__workspace__id__exact": world.workspace.pk})):
        response = operator_client.get(_url(apps.get_model(label), "changelist"), query)
        assert response.status_code == 200, (label, query)
    found = operator_client.get(_url(Conversation, "changelist"), {"q": f"#{history.number}"})
    assert found.context["cl"].result_count == 1


def test_audit_entries_cannot_be_added_changed_or_deleted(operator_client, history):
    entry = AuditEntry.objects.order_by("pk").first()
    before = AuditEntry.objects.count()

    add = operator_client.get(_url(AuditEntry, "add"))
    change = operator_client.post(_url(AuditEntry, "change", entry.pk), {"action": "forged"})
    delete = operator_client.post(_url(AuditEntry, "delete", entry.pk), {"post": "yes"})
    view = operator_client.get(_url(AuditEntry, "change", entry.pk))

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert view.status_code == 200
    assert b'name="_save"' not in view.content
    assert AuditEntry.objects.count() == before
    entry.refresh_from_db()
    assert entry.action != "forged"


def test_delivery_attempts_cannot_be_added_changed_or_deleted(operator_client, history):
    attempt = apps.get_model("delivery.DeliveryAttempt").objects.get()

    add = operator_client.get(_url(type(attempt), "add"))
    change = operator_client.post(_url(type(attempt), "change", attempt.pk), {"error": "forged"})
    delete = operator_client.post(_url(type(attempt), "delete", attempt.pk), {"post": "yes"})

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    attempt.refresh_from_db()
    assert attempt.error == ""


def test_message_bodies_are_read_only(operator_client, history):
    message = Message.objects.filter(conversation=history, is_note=False).order_by("pk").first()

    page = operator_client.get(_url(Message, "change", message.pk))
    post = operator_client.post(_url(Message, "change", message.pk), {"text": "rewritten history"})
    add = operator_client.get(_url(Message, "add"))

    assert page.status_code == 200
    assert b'name="text"' not in page.content
    assert b'name="html"' not in page.content
    assert (post.status_code, add.status_code) == (403, 403)
    message.refresh_from_db()
    assert message.text == "Halo"


def test_token_admin_never_shows_the_key_hash(operator_client, world):
    token = APIToken.objects.filter(workspace=world.workspace).order_by("pk").first()

    listing = operator_client.get(_url(APIToken, "changelist"))
    change = operator_client.get(_url(APIToken, "change", token.pk))
    add = operator_client.get(_url(APIToken, "add"))

    for response in (listing, change):
        assert response.status_code == 200
        assert token.key_hash.encode() not in response.content
        assert b"key_hash" not in response.content
    assert token.prefix.encode() in listing.content
    assert add.status_code == 403


def test_revoke_action_revokes_the_selected_tokens_as_the_system(operator_client, world):
    chosen = list(APIToken.objects.filter(workspace=world.workspace).order_by("pk")[:2])
    untouched = APIToken.objects.filter(workspace=world.workspace).order_by("pk")[2]

    response = operator_client.post(_url(APIToken, "changelist"), {
        "action": "revoke_tokens", "_selected_action": [t.pk for t in chosen]})

    assert response.status_code == 302
    assert all(APIToken.objects.get(pk=t.pk).revoked_at is not None for t in chosen)
    assert APIToken.objects.get(pk=untouched.pk).revoked_at is None
    audit = AuditEntry.objects.filter(action="api_token.revoked").order_by("pk")
    assert sorted((a.object_id, a.actor_kind, a.workspace_id) for a in audit) == sorted(
        (str(t.pk), "system", world.workspace.pk) for t in chosen)


def _conversation_changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_url(Conversation, "changelist"))
    assert response.status_code == 200
    return len(queries)


def _open_many(world, count: int, start: int) -> None:
    for n in range(start, start + count):
        conversation = _open_conversation(world, email=f"pelanggan{n}@contoh.id", subject=f"Pesanan {n}")
        if n % 2:
            conversations.assign_conversation(actor=world.actor, conversation=conversation, team=world.team,
                                              assignee=world.agent)
        else:
            conversations.assign_conversation(actor=world.actor, conversation=conversation,
                                              team=world.other_team, assignee=world.other_agent)


def test_conversation_changelist_runs_the_same_queries_for_3_and_30_conversations(operator_client, world):
    _open_many(world, 3, 0)
    with_three = _conversation_changelist_queries(operator_client)
    _open_many(world, 27, 3)
    with_thirty = _conversation_changelist_queries(operator_client)

    assert Conversation.objects.count() == 30
    assert with_thirty == with_three


def _operator_request(operator):
    request = RequestFactory().get("/admin/")
    request.user = operator
    return request


def _choice_widgets(form_class, skip=()):
    for name, field in form_class.base_fields.items():
        if isinstance(field, ModelChoiceField) and name not in skip:
            yield name, field.queryset.model, getattr(field.widget, "widget", field.widget)


def test_no_change_page_renders_a_select_of_a_whole_table(operator, history):
    """Every relation on a change form is a raw id or an autocomplete, except Django's own small
    tables of groups and permissions."""
    request = _operator_request(operator)
    offenders = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in LAYAN_APPS:
            continue
        obj = model._default_manager.order_by("pk").first()
        forms = [(model_admin.get_form(request, obj, change=True), ())]
        forms += [(inline.get_formset(request, obj).form, (inline.get_formset(request, obj).fk.name,))
                  for inline in model_admin.get_inline_instances(request, obj)]
        for form_class, parent in forms:
            for name, related, widget in _choice_widgets(form_class, skip=parent):
                bounded = related in (Group, Permission)
                if not bounded and not isinstance(
                        widget, (ForeignKeyRawIdWidget, ManyToManyRawIdWidget, AutocompleteMixin)):
                    offenders.append(f"{model.__name__}.{name}: {type(widget).__name__}")
    assert offenders == []


def test_a_conversation_cannot_be_given_an_agent_of_another_workspace(operator, history, other_world):
    model_admin = admin.site._registry[Conversation]
    form_class = model_admin.get_form(_operator_request(operator), history)
    data = {"subject": history.subject, "priority": "high", "type": history.type, "team": "",
            "assignee": str(other_world.agent.pk), "custom_fields": "{}"}

    form = form_class(data=data, instance=history)

    assert not form.is_valid()
    assert "assignee" in form.errors
    history.refresh_from_db()
    assert (history.assignee_id, history.priority) == (None, "normal")


def test_an_identity_added_in_the_admin_is_normalised_and_kept_in_its_customers_workspace(operator, history):
    from layan.customers.admin import IdentityForm

    customer = history.customer
    form = IdentityForm(data={"customer": customer.pk, "kind": "whatsapp", "value": "0812 9999 0000",
                              "display_value": "", "verified": ""})

    assert form.is_valid(), form.errors
    identity = form.save()
    assert (identity.value, identity.display_value, identity.workspace_id) == (
        "+6281299990000", "0812 9999 0000", customer.workspace_id)
    again = IdentityForm(data={"customer": customer.pk, "kind": "whatsapp", "value": "+62 812-9999-0000",
                               "display_value": "", "verified": ""})
    assert not again.is_valid()
    assert "value" in again.errors


def test_the_user_admin_creates_a_login_by_email(operator_client):
    response = operator_client.post(_url(User, "add"), {
        "email": "Dewi@Contoh.ID", "name": "Dewi", "usable_password": "true",
        "password1": "rahasia-panjang-2026", "password2": "rahasia-panjang-2026"})

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    user = User.objects.get(email="dewi@contoh.id")
    assert user.check_password("rahasia-panjang-2026")


def test_a_customer_added_in_the_admin_gets_its_identities_in_its_workspace(operator_client, world):
    from layan.customers.models import Customer

    response = operator_client.post(_url(Customer, "add"), {
        "workspace": world.workspace.pk, "name": "Rina", "tier": "gold", "notes": "",
        "language": "id", "timezone": "Asia/Jakarta", "preferred_channel": "", "consent": "{}",
        "attributes": "{}",
        "identities-TOTAL_FORMS": "1", "identities-INITIAL_FORMS": "0",
        "identities-0-kind": "email", "identities-0-value": " Rina@Contoh.ID ", "identities-0-display_value": "",
    })

    assert response.status_code == 302
    customer = Customer.objects.get(name="Rina")
    assert [(i.kind, i.value, i.workspace_id) for i in customer.identities.all()] == [
        ("email", "rina@contoh.id", world.workspace.pk)]


def test_a_canned_reply_cannot_be_given_a_team_of_another_workspace(operator, history, other_world):
    from layan.automation.models import CannedReply

    reply = CannedReply.objects.get()
    form_class = admin.site._registry[CannedReply].get_form(_operator_request(operator), reply)
    data = {"shortcut": reply.shortcut, "title": reply.title, "text": reply.text, "language": "",
            "team": str(other_world.team.pk)}

    form = form_class(data=data, instance=reply)

    assert not form.is_valid()
    assert "team" in form.errors
    assert CannedReply.objects.get().team_id == history.workspace.teams.get(name="Layanan Pelanggan").pk


def test_autocomplete_of_an_assignee_answers(operator_client, history, world):
    response = operator_client.get("/admin/autocomplete/", {
        "app_label": "conversations", "model_name": "conversation", "field_name": "assignee", "term": "Budi"})

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Budi"]
