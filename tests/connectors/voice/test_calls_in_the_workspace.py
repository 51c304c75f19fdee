"""Calls in the agent workspace and the API: logging a call puts it on the customer's timeline,
phone numbers are tel: links, and a phone conversation is answered by calling back, not by text."""

from __future__ import annotations

import pytest
from django.test import Client

from layan.accounts.models import AuditEntry
from layan.connectors.voice.adapter import VoiceAdapter
from layan.connectors.voice.models import Call
from layan.connectors.voice.services import call_summary, log_call
from layan.conversations import services
from layan.conversations.models import Conversation, Message
from layan.customers.services import IdentityInput, create_customer
from layan.delivery.models import OutboxItem
from layan.errors import InvalidInput


@pytest.fixture
def siti(world):
    world.workspace.language = "en"
    world.workspace.save(update_fields=["language"])
    return create_customer(actor=world.actor, name="Siti Rahayu", identities=[
        IdentityInput("phone", "0812-3456-7890"), IdentityInput("email", "siti@contoh.id")])


def agent_client(agent) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(agent.user)
    return client


def test_a_logged_call_is_a_message_in_a_new_phone_conversation_of_the_customer(world, siti):
    call = log_call(actor=world.actor, customer=siti, direction="in", duration_seconds=252, outcome="answered",
                    notes="Tanya ongkir ke Bandung.")

    message = Message.objects.get()
    assert message.text == "Inbound call · 4 min 12 s · answered\nTanya ongkir ke Bandung."
    assert message.metadata == {"call": call.pk}
    assert (message.author_kind, message.author_agent_id, message.direction) == ("agent", world.admin.pk, "in")
    conversation = message.conversation
    assert (conversation.channel, conversation.customer_id, conversation.status) == ("voice", siti.pk, "open")
    assert (call.number, call.agent_id, call.conversation_id, call.message_id) == (
        "+6281234567890", world.admin.pk, conversation.pk, message.pk)
    assert AuditEntry.objects.filter(action="call.logged", object_id=str(call.pk)).count() == 1


def test_a_second_logged_call_joins_the_open_phone_conversation(world, siti):
    first = log_call(actor=world.actor, customer=siti, direction="out", duration_seconds=30, outcome="no_answer")
    second = log_call(actor=world.actor, customer=siti, direction="out", number="+62 812 3456 7890",
                      duration_seconds=75, outcome="answered")

    assert first.conversation_id == second.conversation_id
    assert list(Message.objects.order_by("id").values_list("text", flat=True)) == [
        "Outbound call · 30 s · no answer", "Outbound call · 1 min 15 s · answered"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"direction": "sideways"}, "direction"), ({"outcome": "lovely"}, "outcome"),
    ({"duration_seconds": -1}, "duration_seconds"), ({"duration_seconds": 90000}, "duration_seconds"),
    ({"number": "12"}, "number")])
def test_a_call_with_a_bad_field_is_refused_and_writes_nothing(world, siti, changes, field):
    values = {"direction": "in", "duration_seconds": 10, "outcome": "answered", **changes}
    with pytest.raises(InvalidInput) as refused:
        log_call(actor=world.actor, customer=siti, **values)

    assert refused.value.field == field
    assert not Call.objects.exists()
    assert not Message.objects.exists()


def test_the_timeline_line_reads_like_this_in_indonesian():
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override("id"):
        assert gettext("Inbound call") != "Inbound call", "the Indonesian catalogue lacks the call texts"
        assert call_summary(direction="in", duration_seconds=252, outcome="answered") == (
            "Panggilan masuk · 4 mnt 12 dtk · terjawab")


def test_the_log_a_call_form_on_the_conversation_page_logs_into_that_conversation(world, siti):
    created = services.create_conversation(actor=world.actor, customer=siti, inbox=world.email_inbox,
                                           subject="Ongkir", text="Berapa ongkir ke Bandung?")
    client = agent_client(world.agent)
    page = client.get(f"/c/{created.conversation.number}/").content.decode()
    assert f'action="/c/{created.conversation.number}/call"' in page

    response = client.post(f"/c/{created.conversation.number}/call", {
        "direction": "out", "number": "", "minutes": "2", "seconds": "5", "outcome": "answered",
        "notes": "Sudah dijelaskan."})

    assert response.status_code == 302
    call = Call.objects.get()
    assert (call.conversation_id, call.agent_id, call.duration_seconds) == (created.conversation.pk,
                                                                             world.agent.pk, 125)
    assert created.conversation.messages.order_by("-id").first().text == (
        "Outbound call · 2 min 5 s · answered\nSudah dijelaskan.")


def test_a_refused_call_form_shows_the_reason_and_keeps_what_was_typed(world, siti):
    created = services.create_conversation(actor=world.actor, customer=siti, inbox=world.email_inbox,
                                           subject="Ongkir", text="Halo")
    response = agent_client(world.agent).post(f"/c/{created.conversation.number}/call", {
        "direction": "out", "number": "", "minutes": "dua", "seconds": "", "outcome": "answered",
        "notes": "Catatan penting"})

    page = response.content.decode()
    assert response.status_code == 400
    assert 'data-field="duration_seconds"' in page
    assert ">Catatan penting</textarea>" in page
    assert not Call.objects.exists()


def test_the_log_a_call_form_on_the_customer_page_logs_into_the_phone_conversation(world, siti):
    client = agent_client(world.agent)
    response = client.post(f"/customers/{siti.pk}/call", {
        "direction": "in", "number": "0812-3456-7890", "minutes": "0", "seconds": "40", "outcome": "answered",
        "notes": ""})

    assert response.status_code == 302
    call = Call.objects.get()
    assert (call.conversation.channel, call.customer_id, call.duration_seconds) == ("voice", siti.pk, 40)
    assert f"Call logged in conversation #{call.conversation.number}." in client.get(response.url).content.decode()


def test_logging_a_call_needs_a_login_and_csrf(world, siti):
    assert Client().post(f"/customers/{siti.pk}/call", {"direction": "in", "outcome": "answered"}).status_code == 302
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.agent.user)
    assert strict.post(f"/customers/{siti.pk}/call", {"direction": "in", "outcome": "answered"}).status_code == 403
    assert not Call.objects.exists()


def test_another_workspaces_customer_cannot_be_called_into(world, other_world, siti):
    response = agent_client(other_world.agent).post(f"/customers/{siti.pk}/call", {
        "direction": "in", "minutes": "1", "seconds": "0", "outcome": "answered"})

    assert response.status_code == 404
    assert not Call.objects.exists()


def test_phone_numbers_are_tel_links_on_the_customer_page_and_the_conversation_sidebar(world, siti):
    created = services.create_conversation(actor=world.actor, customer=siti, inbox=world.email_inbox,
                                           subject="Ongkir", text="Halo")
    client = agent_client(world.agent)
    link = '<a class="tel" href="tel:+6281234567890">0812-3456-7890</a>'

    assert link in client.get(f"/customers/{siti.pk}/").content.decode()
    assert link in client.get(f"/c/{created.conversation.number}/").content.decode()


def test_a_foreign_number_shows_in_international_form():
    from layan.web.templatetags.phones import tel_link

    assert tel_link("+6598765432") == '<a class="tel" href="tel:+6598765432">+65 9876 5432</a>'
    assert tel_link("bukan-nomor") == "bukan-nomor"


def test_a_phone_conversation_offers_call_back_and_log_a_call_instead_of_the_composer(world, siti):
    call = log_call(actor=world.actor, customer=siti, direction="in", duration_seconds=0, outcome="missed")
    page = agent_client(world.agent).get(f"/c/{call.conversation.number}/").content.decode()

    assert '<a class="button" data-testid="call-back" href="tel:+6281234567890">Call 0812-3456-7890</a>' in page
    assert 'class="card composer"' not in page
    assert f'action="/c/{call.conversation.number}/call"' in page


def test_a_reply_to_a_phone_conversation_is_refused_with_409_and_nothing_is_queued(world, siti, database_rows):
    call = log_call(actor=world.actor, customer=siti, direction="in", duration_seconds=60, outcome="answered")
    before = database_rows()

    response = world.api("agent").post(f"/conversations/{call.conversation_id}/reply", {"text": "Halo kak"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "channel_has_no_text_replies"
    assert database_rows() == before
    assert not OutboxItem.objects.exists()


def test_the_voice_adapter_fails_anything_that_reaches_it_without_retrying():
    from layan.connectors.base import OutboundMessage, SendError

    with pytest.raises(SendError) as failed:
        VoiceAdapter().send(OutboundMessage(inbox_id=1, conversation_id=1, message_id=1, recipients={"to": []},
                                            text="Halo", html="", subject="", author_name=""))
    assert failed.value.retryable is False


def test_the_api_logs_a_call_and_lists_the_customers_calls(world, siti):
    api = world.api("agent")
    created = api.post("/calls", {"customer_id": siti.pk, "direction": "out", "duration_seconds": 95,
                                  "outcome": "answered", "notes": "Konfirmasi pesanan."})

    assert created.status_code == 201, created.content
    body = created.json()
    call = Call.objects.get()
    assert {k: body[k] for k in ("id", "customer_id", "direction", "number", "outcome", "duration_seconds", "notes",
                                 "conversation_id", "message_id")} == {
        "id": call.pk, "customer_id": siti.pk, "direction": "out", "number": "+6281234567890", "outcome": "answered",
        "duration_seconds": 95, "notes": "Konfirmasi pesanan.", "conversation_id": call.conversation_id,
        "message_id": call.message_id}
    assert body["agent"] == {"id": world.agent.pk, "display_name": "Budi"}

    listed = api.get("/calls", {"customer": siti.pk})
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["items"]] == [call.pk]


@pytest.mark.parametrize(("payload", "status", "field"), [
    ({"direction": "in", "outcome": "answered", "duration_seconds": 10, "number": "123"}, 400, "number"),
    ({"direction": "in", "outcome": "hebat"}, 422, "outcome"),
    ({"direction": "in", "outcome": "answered", "duration_seconds": -5}, 422, "duration_seconds"),
])
def test_the_api_refuses_a_bad_call_with_the_error_shape_and_writes_nothing(world, siti, database_rows, payload,
                                                                          status, field):
    before = database_rows()
    response = world.api("agent").post("/calls", {"customer_id": siti.pk, **payload})

    assert response.status_code == status
    assert response.json()["error"]["field"] == field
    assert database_rows() == before


def test_the_api_refuses_another_workspaces_customer_and_lists_none_of_their_calls(world, other_world, siti, database_rows):
    before = database_rows()
    response = other_world.api("agent").post("/calls", {"customer_id": siti.pk, "direction": "in",
                                                        "outcome": "answered"})
    listed = other_world.api("agent").get("/calls", {"customer": siti.pk})

    assert response.status_code == 404
    assert (listed.status_code, listed.json()["items"]) == (200, [])
    assert database_rows() == before


def test_an_agent_does_not_see_calls_of_another_teams_conversations(world, siti):
    call = log_call(actor=world.actor, customer=siti, direction="in", duration_seconds=5, outcome="answered")
    Conversation.objects.filter(pk=call.conversation_id).update(team=world.other_team)

    assert world.api("agent").get("/calls", {"customer": siti.pk}).json()["items"] == []
    assert [c["id"] for c in world.api("supervisor").get("/calls", {"customer": siti.pk}).json()["items"]] == [call.pk]
