"""An emergency pages the agent on call at that instant: in the workspace, by email and by SMS
through the inbox's provider (a fake Twilio on 127.0.0.1), once per conversation; it is assigned
to them; nobody acknowledging while they are offline escalates to the next person."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client

from layan.accounts.actors import Actor
from layan.accounts.models import AuditEntry, Notification
from layan.connectors.fake_provider import Answer
from layan.conversations.models import Conversation
from layan.conversations.services import set_priority, tag
from layan.servicelevels.oncall import escalate_due_pages, page_emergency, redrive_page_deliveries
from layan.servicelevels.oncall_models import OnCallPage, OnCallPageDelivery

from .conftest import BUDI_PHONE, INBOX_NUMBER, SARI_PHONE, post_sms

pytestmark = pytest.mark.usefixtures("english_agents")

WIB = ZoneInfo("Asia/Jakarta")
TWO_AM = datetime(2026, 12, 9, 2, 0, tzinfo=WIB)  # Sari's night shift (20:00–08:00)
TEN_AM = datetime(2026, 12, 9, 10, 0, tzinfo=WIB)  # Budi's day shift


def oncall_notifications():
    return list(Notification.objects.filter(kind="on_call").order_by("pk").values_list("agent__display_name", "title"))


def test_an_emergency_at_two_in_the_morning_notifies_the_night_on_call_agent_once(
        world, rotation, sms_inbox, twilio, django_capture_on_commit_callbacks):
    # Given a customer's SMS arrives through Twilio's webhook at 02:00 WIB
    with time_machine.travel(TWO_AM, tick=False), django_capture_on_commit_callbacks(execute=True):
        post_sms(sms_inbox, sid="SM" + "a" * 32, text="Listrik di toko padam total, mesin kasir mati!")
        conversation = Conversation.objects.get()
        assert oncall_notifications() == []  # not urgent yet: nobody is woken
        # When a rule (the system) raises it to urgent in that same minute
        set_priority(actor=Actor.system(world.workspace), conversation=conversation, priority="urgent")

    # Then Sari, on call by rotation at 02:00 (not Budi, the day agent), is notified in the workspace
    page = OnCallPage.objects.get()
    assert (page.agent_id, page.reason, page.level) == (world.other_agent.pk, "urgent", 0)
    assert oncall_notifications() == [("Sari", f"Emergency: conversation #{conversation.number} needs you now")]
    notification = Notification.objects.get(kind="on_call")
    assert notification.body == "You are on call. Listrik di toko padam total, mesin kasir mati!"
    assert notification.url == f"/oncall/pages/{page.pk}/"
    # ... by email
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([world.other_agent.user.email], f"Emergency: conversation #{conversation.number} needs you now")]
    assert f"/oncall/pages/{page.pk}/" in mail.outbox[0].body
    # ... and by SMS at Twilio's Messages API, with the exact body
    sent = [r for r in twilio.requests if r.method == "POST" and r.path.endswith("/Messages.json")]
    assert len(sent) == 1
    form = {k: v[0] for k, v in sent[0].form().items()}
    assert form["To"] == SARI_PHONE
    assert form["From"] == INBOX_NUMBER
    assert form["Body"] == (f"Layan emergency #{conversation.number}: Listrik di toko padam total, mesin kasir mati! "
                            f"http://127.0.0.1:8000/oncall/pages/{page.pk}/")
    delivery = OnCallPageDelivery.objects.get()
    assert (delivery.channel, delivery.status, delivery.attempts, delivery.to) == ("sms", "sent", 1, SARI_PHONE)
    assert delivery.provider_message_id.startswith("SM")
    # ... and the conversation is hers, with the audit trail saying why
    conversation.refresh_from_db()
    assert conversation.assignee_id == world.other_agent.pk
    actions = list(AuditEntry.objects.filter(object_type="conversation", object_id=str(conversation.pk))
                   .order_by("pk").values_list("action", "actor_kind"))
    assert ("oncall.paged", "system") in actions
    assert ("conversation.assigned", "system") in actions

    # When Twilio delivers the same webhook again, and the customer writes once more
    with time_machine.travel(TWO_AM + timedelta(minutes=3), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        post_sms(sms_inbox, sid="SM" + "a" * 32, text="Listrik di toko padam total, mesin kasir mati!")
        post_sms(sms_inbox, sid="SM" + "b" * 32, text="Tolong cepat ya")
    # Then nobody is notified again
    assert oncall_notifications() == [("Sari", f"Emergency: conversation #{conversation.number} needs you now")]
    assert len(mail.outbox) == 1
    assert len([r for r in twilio.requests if r.path.endswith("/Messages.json")]) == 1
    assert OnCallPage.objects.count() == 1


def test_the_same_emergency_at_ten_in_the_morning_goes_to_the_day_agent(world, rotation, receive,
                                                                         django_capture_on_commit_callbacks):
    with time_machine.travel(TEN_AM, tick=False), django_capture_on_commit_callbacks(execute=True):
        result = receive(world.email_inbox, "rina@contoh.id", subject="Server down")
        set_priority(actor=world.actor, conversation=result.conversation, priority="urgent")
    assert oncall_notifications() == [("Budi", f"Emergency: conversation #{result.conversation.number} needs you now")]


def test_an_override_pages_whoever_covers_that_night(world, rotation, receive, django_capture_on_commit_callbacks):
    from layan.servicelevels.oncall import add_override

    add_override(actor=Actor.for_agent(world.supervisor), rotation=rotation, agent=world.supervisor,
                 starts_at=datetime(2026, 12, 8, 20, 0, tzinfo=WIB), ends_at=datetime(2026, 12, 9, 8, 0, tzinfo=WIB),
                 note="tukar malam")
    with time_machine.travel(TWO_AM, tick=False), django_capture_on_commit_callbacks(execute=True):
        result = receive(world.email_inbox, "rina@contoh.id", subject="Server down")
        set_priority(actor=world.actor, conversation=result.conversation, priority="urgent")
    assert oncall_notifications() == [("Supervisor",
                                       f"Emergency: conversation #{result.conversation.number} needs you now")]


def test_the_emergency_tag_pages_as_urgent_does_and_other_updates_do_not(world, rotation, receive,
                                                                         django_capture_on_commit_callbacks):
    with time_machine.travel(TWO_AM, tick=False), django_capture_on_commit_callbacks(execute=True):
        result = receive(world.email_inbox, "rina@contoh.id", subject="Kebocoran gas")
        set_priority(actor=world.actor, conversation=result.conversation, priority="high")
        tag(actor=world.actor, conversation=result.conversation, add=["pengiriman"])
        assert oncall_notifications() == []
        tag(actor=world.actor, conversation=result.conversation, add=["darurat"])
    page = OnCallPage.objects.get()
    assert (page.reason, page.agent_id) == ("tag", world.other_agent.pk)


def test_a_conversation_created_urgent_pages_at_once(world, rotation, django_capture_on_commit_callbacks):
    from layan.conversations.services import create_conversation
    from layan.customers.services import IdentityInput

    with time_machine.travel(TWO_AM, tick=False), django_capture_on_commit_callbacks(execute=True):
        created = create_conversation(actor=world.actor, inbox=world.email_inbox, customer_name="Rina",
                                      customer_identities=[IdentityInput(kind="email", value="rina@contoh.id")],
                                      subject="Pipa pecah", text="Air di mana-mana", priority="urgent")
    assert OnCallPage.objects.get().conversation_id == created.conversation.pk


def test_an_already_assigned_emergency_keeps_its_assignee(world, rotation, receive,
                                                          django_capture_on_commit_callbacks):
    from layan.conversations.services import assign_conversation

    with time_machine.travel(TWO_AM, tick=False), django_capture_on_commit_callbacks(execute=True):
        result = receive(world.email_inbox, "rina@contoh.id", subject="Server down")
        assign_conversation(actor=world.actor, conversation=result.conversation, assignee=world.agent)
        set_priority(actor=world.actor, conversation=result.conversation, priority="urgent")
    result.conversation.refresh_from_db()
    assert result.conversation.assignee_id == world.agent.pk
    assert OnCallPage.objects.get().agent_id == world.other_agent.pk


def test_paging_twice_for_the_same_conversation_pages_once(world, rotation, receive):
    result = receive(world.email_inbox, "rina@contoh.id", subject="Server down")
    set_priority(actor=world.actor, conversation=result.conversation, priority="urgent")
    first = page_emergency(conversation_id=result.conversation.pk, at=TWO_AM)
    again = page_emergency(conversation_id=result.conversation.pk, at=TWO_AM)
    assert first is not None
    assert again is None
    assert Notification.objects.filter(kind="on_call").count() == 1


def test_twilio_failing_with_500_is_tried_again_and_the_page_sent_exactly_once(
        world, rotation, sms_inbox, twilio, receive, django_capture_on_commit_callbacks):
    twilio.scripted = [Answer(500, {"code": 20500, "message": "Internal Server Error"})]
    with time_machine.travel(TWO_AM, tick=False), django_capture_on_commit_callbacks(execute=True):
        result = receive(world.email_inbox, "rina@contoh.id", subject="Server down")
        set_priority(actor=world.actor, conversation=result.conversation, priority="urgent")
    delivery = OnCallPageDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("queued", 1)
    assert delivery.error.startswith("Twilio refused the SMS: 20500")
    with time_machine.travel(TWO_AM + timedelta(seconds=10), tick=False):
        assert redrive_page_deliveries() == 0  # not due before its backoff
    with time_machine.travel(TWO_AM + timedelta(seconds=31), tick=False):
        assert redrive_page_deliveries() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("sent", 2, "")
    assert len([r for r in twilio.requests if r.path.endswith("/Messages.json")]) == 2  # one refused, one sent
    assert len(twilio.messages) == 1


def test_a_permanent_refusal_marks_the_page_failed_with_twilios_reason(
        world, rotation, sms_inbox, twilio, receive, django_capture_on_commit_callbacks):
    twilio.scripted = [Answer(400, {"code": 21211, "message": "Invalid 'To' Phone Number"})]
    with time_machine.travel(TWO_AM, tick=False), django_capture_on_commit_callbacks(execute=True):
        result = receive(world.email_inbox, "rina@contoh.id", subject="Server down")
        set_priority(actor=world.actor, conversation=result.conversation, priority="urgent")
    delivery = OnCallPageDelivery.objects.get()
    assert (delivery.status, delivery.error) == ("failed", "Twilio refused the SMS: 21211 Invalid 'To' Phone Number")
    with time_machine.travel(TWO_AM + timedelta(hours=1), tick=False):
        assert redrive_page_deliveries() == 0


def test_without_a_phone_on_the_membership_no_sms_is_sent(world, rotation, sms_inbox, twilio, receive,
                                                         django_capture_on_commit_callbacks):
    from layan.servicelevels.oncall import set_rotation_members

    set_rotation_members(actor=world.actor, rotation=rotation, members=[(world.agent, BUDI_PHONE),
                                                                        (world.other_agent, "")])
    with time_machine.travel(TWO_AM, tick=False), django_capture_on_commit_callbacks(execute=True):
        result = receive(world.email_inbox, "rina@contoh.id", subject="Server down")
        set_priority(actor=world.actor, conversation=result.conversation, priority="urgent")
    assert oncall_notifications() == [("Sari", f"Emergency: conversation #{result.conversation.number} needs you now")]
    assert OnCallPageDelivery.objects.count() == 0
    assert twilio.requests == []


def _urgent_at_two(world, receive, captured):
    with time_machine.travel(TWO_AM, tick=False), captured(execute=True):
        result = receive(world.email_inbox, "rina@contoh.id", subject="Server down")
        set_priority(actor=world.actor, conversation=result.conversation, priority="urgent")
    return result.conversation


def test_nobody_acknowledging_while_the_on_call_agent_is_offline_escalates_to_the_next(
        world, rotation, sms_inbox, twilio, receive, django_capture_on_commit_callbacks):
    conversation = _urgent_at_two(world, receive, django_capture_on_commit_callbacks)  # Sari is offline
    with time_machine.travel(TWO_AM + timedelta(minutes=14), tick=False):
        assert escalate_due_pages() == 0
    with time_machine.travel(TWO_AM + timedelta(minutes=15), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        assert escalate_due_pages() == 1
    page = OnCallPage.objects.get()
    assert (page.agent_id, page.level) == (world.agent.pk, 1)
    assert [n[0] for n in oncall_notifications()] == ["Sari", "Budi"]
    assert Notification.objects.get(agent=world.agent).body == "You are on call after escalation (nobody acknowledged). Server down"
    assert [(d.to, d.level, d.status) for d in OnCallPageDelivery.objects.order_by("pk")] == [
        (SARI_PHONE, 0, "sent"), (BUDI_PHONE, 1, "sent")]
    conversation.refresh_from_db()
    assert conversation.assignee_id == world.agent.pk
    # Everyone in the two-person rotation was paged: no further escalation
    with time_machine.travel(TWO_AM + timedelta(minutes=45), tick=False):
        assert escalate_due_pages() == 0
    assert OnCallPage.objects.get().escalate_at is None


def test_an_online_on_call_agent_is_not_escalated_past(world, rotation, receive, django_capture_on_commit_callbacks):
    from layan.accounts.services import set_availability

    _urgent_at_two(world, receive, django_capture_on_commit_callbacks)
    set_availability(actor=Actor.for_agent(world.other_agent), agent=world.other_agent, availability="online")
    with time_machine.travel(TWO_AM + timedelta(minutes=16), tick=False):
        assert escalate_due_pages() == 0
    assert OnCallPage.objects.get().agent_id == world.other_agent.pk


def test_acknowledge_from_the_page_stops_the_escalation(world, rotation, receive, django_capture_on_commit_callbacks):
    _urgent_at_two(world, receive, django_capture_on_commit_callbacks)
    page = OnCallPage.objects.get()
    client = Client()
    client.force_login(world.other_agent.user)
    response = client.get(f"/oncall/pages/{page.pk}/")
    assert response.status_code == 200
    assert b'data-testid="oncall-acknowledge"' in response.content
    with time_machine.travel(TWO_AM + timedelta(minutes=5), tick=False):
        response = client.post(f"/oncall/pages/{page.pk}/acknowledge")
    assert response.status_code == 302
    page.refresh_from_db()
    assert (page.acknowledged_by_id, page.escalate_at) == (world.other_agent.pk, None)
    with time_machine.travel(TWO_AM + timedelta(minutes=30), tick=False):
        assert escalate_due_pages() == 0
    assert "Acknowledged by Sari" in client.get(f"/oncall/pages/{page.pk}/").content.decode()


def test_a_page_of_another_workspace_is_not_found_and_cannot_be_acknowledged(
        world, other_world, rotation, receive, django_capture_on_commit_callbacks):
    _urgent_at_two(world, receive, django_capture_on_commit_callbacks)
    page = OnCallPage.objects.get()
    client = Client()
    client.force_login(other_world.admin.user)
    assert client.get(f"/oncall/pages/{page.pk}/").status_code == 404
    assert client.post(f"/oncall/pages/{page.pk}/acknowledge").status_code == 404
    page.refresh_from_db()
    assert page.acknowledged_at is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_subscribers_for_one_emergency_page_once(world, rotation, receive):
    from django.db import connection

    from at_once import at_once

    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL; SQLite serialises writers")
    result = receive(world.email_inbox, "rina@contoh.id", subject="Server down")
    Conversation.objects.filter(pk=result.conversation.pk).update(priority="urgent")
    pages = at_once(lambda: page_emergency(conversation_id=result.conversation.pk, at=TWO_AM), times=5)
    assert len([p for p in pages if p is not None]) == 1
    assert Notification.objects.filter(kind="on_call").count() == 1


WA_TOKEN_ENV = "LAYAN_TEST_ONCALL_WA_TOKEN"
ONCALL_TEMPLATE = {"name": "panggilan_darurat", "language": "id", "status": "APPROVED", "category": "UTILITY",
                   "id": "1180099", "components": [{"type": "BODY", "text": "Darurat {{1}}: {{2}}. Buka Layan."}]}


def _whatsapp_paging(world, graph, monkeypatch, template: dict):
    from layan.connectors.services import configure_inbox
    from layan.connectors.whatsapp.services import store_templates

    monkeypatch.setenv(WA_TOKEN_ENV, "EAAG-akses")
    configure_inbox(actor=world.actor, inbox=world.whatsapp_inbox, values={
        "phone_number_id": "106540352242922", "access_token_env": WA_TOKEN_ENV, "graph_url": graph.url,
        "api_version": "v21.0"})
    store_templates(inbox=world.whatsapp_inbox, items=[template])


def test_a_whatsapp_page_is_the_rotations_approved_template_with_number_and_summary(
        world, rotation, receive, monkeypatch, django_capture_on_commit_callbacks):
    from layan.connectors.whatsapp.fake_provider import FakeGraphApi

    rotation.whatsapp_template = "panggilan_darurat"
    rotation.save(update_fields=["whatsapp_template"])
    with FakeGraphApi(access_token="EAAG-akses") as graph:
        _whatsapp_paging(world, graph, monkeypatch, ONCALL_TEMPLATE)
        conversation = _urgent_at_two(world, receive, django_capture_on_commit_callbacks)
        assert graph.messages_sent() == [{
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": SARI_PHONE.lstrip("+"),
            "type": "template", "template": {
                "name": "panggilan_darurat", "language": {"code": "id"},
                "components": [{"type": "body", "parameters": [
                    {"type": "text", "text": f"#{conversation.number}"}, {"type": "text", "text": "Server down"}]}]}}]
    delivery = OnCallPageDelivery.objects.get()
    assert (delivery.channel, delivery.status, delivery.provider_message_id) == ("whatsapp", "sent", "wamid.layan1")


def test_without_an_approved_template_the_whatsapp_page_fails_with_the_reason_and_sends_nothing(
        world, rotation, receive, monkeypatch, django_capture_on_commit_callbacks):
    from layan.connectors.whatsapp.fake_provider import FakeGraphApi

    rotation.whatsapp_template = "panggilan_darurat"
    rotation.save(update_fields=["whatsapp_template"])
    with FakeGraphApi(access_token="EAAG-akses") as graph:
        _whatsapp_paging(world, graph, monkeypatch, {**ONCALL_TEMPLATE, "status": "PENDING"})
        _urgent_at_two(world, receive, django_capture_on_commit_callbacks)
        assert graph.messages_sent() == []
    delivery = OnCallPageDelivery.objects.get()
    assert (delivery.status, delivery.error) == (
        "failed", "The WhatsApp template panggilan_darurat (id) is not approved for this inbox.")


def test_a_page_twilio_keeps_refusing_with_500_fails_after_five_attempts(
        world, rotation, sms_inbox, twilio, receive, django_capture_on_commit_callbacks):
    twilio.scripted = [Answer(503, {"code": 20503, "message": "Service Unavailable"})] * 5
    _urgent_at_two(world, receive, django_capture_on_commit_callbacks)
    for minutes in (1, 2, 4, 8):  # past each backoff: 30 s, 60 s, 120 s, 240 s
        with time_machine.travel(TWO_AM + timedelta(minutes=minutes, seconds=30), tick=False):
            redrive_page_deliveries()
    delivery = OnCallPageDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 5)
    assert delivery.error == "Twilio refused the SMS: 20503 Service Unavailable"
    assert twilio.messages == {}


def test_a_phone_that_is_no_number_is_refused_for_the_rotation(world, rotation):
    from layan.errors import InvalidInput
    from layan.servicelevels.oncall import set_rotation_members

    with pytest.raises(InvalidInput) as refused:
        set_rotation_members(actor=world.actor, rotation=rotation, members=[(world.agent, "bukan nomor")])
    assert refused.value.field == "members"
    assert list(rotation.members.values_list("agent_id", "phone")) == [
        (world.agent.pk, BUDI_PHONE), (world.other_agent.pk, SARI_PHONE)]


def test_a_local_phone_is_kept_in_e164(world, rotation):
    from layan.servicelevels.oncall import set_rotation_members

    set_rotation_members(actor=world.actor, rotation=rotation, members=[(world.agent, "0812-9999-0001")])
    assert list(rotation.members.values_list("phone", flat=True)) == ["+6281299990001"]


def _postgres_only():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL; SQLite serialises writers")


@pytest.mark.django_db(transaction=True)
def test_five_workers_sending_one_page_delivery_at_once_send_one_sms(world, rotation, sms_inbox, twilio, receive,
                                                                    monkeypatch):
    from at_once import at_once
    from layan.servicelevels import oncall
    from layan.servicelevels.oncall import send_page_delivery

    _postgres_only()
    monkeypatch.setattr(oncall, "_enqueue", lambda delivery_id: None)  # the doorbell stays silent: workers race
    result = receive(world.email_inbox, "rina@contoh.id", subject="Server down")
    Conversation.objects.filter(pk=result.conversation.pk).update(priority="urgent")
    with time_machine.travel(TWO_AM, tick=False):
        page_emergency(conversation_id=result.conversation.pk, at=TWO_AM)
        delivery = OnCallPageDelivery.objects.get()
        assert delivery.status == "queued"
        statuses = at_once(lambda: send_page_delivery(delivery_id=delivery.pk), times=5)
    assert statuses.count("sent") >= 1
    assert len(twilio.messages) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_escalating_at_once_escalate_once(world, rotation, receive):
    from at_once import at_once

    _postgres_only()
    result = receive(world.email_inbox, "rina@contoh.id", subject="Server down")
    Conversation.objects.filter(pk=result.conversation.pk).update(priority="urgent")
    page_emergency(conversation_id=result.conversation.pk, at=TWO_AM)
    counts = at_once(lambda: escalate_due_pages(now=TWO_AM + timedelta(minutes=20)), times=4)
    assert sum(counts) == 1
    page = OnCallPage.objects.get()
    assert (page.agent_id, page.level) == (world.agent.pk, 1)
    assert Notification.objects.filter(kind="on_call", agent=world.agent).count() == 1


def test_the_conversation_shows_the_open_emergency_and_acknowledge_brings_the_agent_back(
        world, rotation, receive, django_capture_on_commit_callbacks):
    conversation = _urgent_at_two(world, receive, django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(world.other_agent.user)
    html = client.get(f"/c/{conversation.number}/").content.decode()
    assert 'data-testid="oncall-banner"' in html
    assert "On call, paged: Sari" in html
    response = client.post(f"/oncall/pages/{OnCallPage.objects.get().pk}/acknowledge",
                           {"next": f"/c/{conversation.number}/"})
    assert (response.status_code, response["Location"]) == (302, f"/c/{conversation.number}/")
    assert 'data-testid="oncall-banner"' not in client.get(f"/c/{conversation.number}/").content.decode()


def test_acknowledge_never_sends_the_agent_to_another_site(world, rotation, receive,
                                                          django_capture_on_commit_callbacks):
    _urgent_at_two(world, receive, django_capture_on_commit_callbacks)
    page = OnCallPage.objects.get()
    client = Client()
    client.force_login(world.other_agent.user)
    response = client.post(f"/oncall/pages/{page.pk}/acknowledge", {"next": "https://jahat.example/"})
    assert response["Location"] == f"/oncall/pages/{page.pk}/"


def test_a_message_on_a_conversation_that_is_no_emergency_costs_three_queries(world, rotation, receive,
                                                                              django_assert_num_queries):
    from layan import events
    from layan.servicelevels.oncall import page_for_event

    result = receive(world.email_inbox, "rina@contoh.id", subject="Tanya ongkir")
    event = events.MessageReceived(workspace_id=world.workspace.pk, conversation_id=result.conversation.pk,
                                   message_id=result.message.pk)
    with django_assert_num_queries(3):  # the conversation, its rotation, the emergency tag
        page_for_event(event)
    assert not OnCallPage.objects.exists()


def test_an_update_of_other_fields_costs_no_query(world, rotation, django_assert_num_queries):
    from layan import events
    from layan.servicelevels.oncall import page_for_event

    with django_assert_num_queries(0):
        page_for_event(events.ConversationUpdated(workspace_id=world.workspace.pk, conversation_id=1,
                                                  fields=("subject",)))


def test_the_admin_refuses_a_member_from_another_workspace_and_keeps_phones_in_e164(world, other_world, rotation):
    from django.core.exceptions import ValidationError

    from layan.servicelevels.oncall_models import OnCallMember

    stranger = OnCallMember(rotation=rotation, agent=other_world.agent, position=5)
    with pytest.raises(ValidationError) as refused:
        stranger.clean()
    assert list(refused.value.message_dict) == ["agent"]
    member = OnCallMember(rotation=rotation, agent=world.supervisor, position=5, phone="0812 9999 0003")
    member.clean()
    assert member.phone == "+6281299990003"
