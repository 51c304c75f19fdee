"""The visitor's WebSocket through the real ASGI application: messages in and out, resends,
scoping to the visitor's own conversation, sanitising, rate limits, typing and receipts.

Transactional tests: the consumer works through database_sync_to_async, as in production, and a
reply's outbox item is delivered after commit (Huey runs inline in tests).
"""

from __future__ import annotations

import base64
import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.test import Client

from layan.connectors.livechat import services
from layan.connectors.livechat.sessions import Visitor
from layan.connectors.models import InboundEvent, InboundEventStatus, Inbox
from layan.conversations.models import Conversation, DeliveryStatus, Direction, Message
from layan.conversations.services import reply_to_conversation
from layan.customers.models import Identity
from layan.web.realtime import workspace_group

from .conftest import SITE, WidgetSocket, run, visitor_token

pytestmark = pytest.mark.django_db(transaction=True)


def chat_message(client_id="pesan-0001", text="Halo, apakah batik parang ukuran L masih ada?", **extra):
    return {"type": "message", "client_id": client_id, "text": text, **extra}


def visitor(inbox, name="siti") -> Visitor:
    return Visitor(inbox_public_id=inbox.public_id, identity=f"{inbox.public_id}:v:{name}", verified=False)


def test_a_visitor_message_becomes_a_conversation_message(world, livechat_inbox):
    token = visitor_token(livechat_inbox)

    async def scenario():
        socket = WidgetSocket(livechat_inbox)
        ready = await socket.authenticate(token)
        assert ready["messages"] == []
        assert ready["config"]["colour"] == "#aa3300"
        await socket.send_json(chat_message(prechat={"name": "Siti Rahma", "email": "Siti@Contoh.id"}))
        ack = await socket.receive_json()
        assert ack["type"] == "ack"
        assert ack["client_id"] == "pesan-0001"
        assert ack["message"]["client_id"] == "pesan-0001"
        assert ack["message"]["from"] == "customer"
        await socket.close_socket()
        return ack["message"]["id"]

    message_id = run_and_return(scenario)
    message = Message.objects.select_related("conversation__customer").get()
    assert message.pk == message_id
    assert message.text == "Halo, apakah batik parang ukuran L masih ada?"
    assert message.direction == Direction.INBOUND
    assert message.conversation.inbox_id == livechat_inbox.pk
    assert message.conversation.channel == "livechat"
    assert message.conversation.customer.name == "Siti Rahma"
    assert message.metadata["livechat"]["prechat"] == {"name": "Siti Rahma", "email": "siti@contoh.id"}
    identity = Identity.objects.get(customer=message.conversation.customer)
    assert (identity.kind, identity.value) == ("livechat", f"{livechat_inbox.public_id}:v:siti")
    event = InboundEvent.objects.get()
    assert event.status == InboundEventStatus.PROCESSED
    assert event.source == "livechat"
    assert message.source_event_id == event.pk
    assert event.event_id == message.provider_message_id


def run_and_return(scenario):
    box = []

    async def wrapped():
        box.append(await scenario())

    run(wrapped)
    return box[0]


def test_a_resent_message_after_reconnect_is_stored_once(livechat_inbox):
    token = visitor_token(livechat_inbox)

    async def scenario():
        first = WidgetSocket(livechat_inbox)
        await first.authenticate(token)
        await first.send_json(chat_message())
        first_ack = await first.receive_json()
        await first.close_socket()  # the ack was lost with the connection, as far as the widget knows

        again = WidgetSocket(livechat_inbox)
        ready = await again.authenticate(token)
        assert [m["client_id"] for m in ready["messages"]] == ["pesan-0001"]
        await again.send_json(chat_message())
        second_ack = await again.receive_json()
        await again.close_socket()
        return first_ack, second_ack

    first_ack, second_ack = run_and_return(scenario)
    assert first_ack["message"]["id"] == second_ack["message"]["id"]
    assert Message.objects.count() == 1
    assert InboundEvent.objects.count() == 1
    assert Conversation.objects.count() == 1


def test_a_socket_from_a_site_not_in_the_allowed_origins_is_closed(livechat_inbox):
    async def scenario():
        for origin in ("https://evil.example", ""):
            connected, code = await WidgetSocket(livechat_inbox, origin=origin).connect()
            assert (connected, code) == (False, 4403)

    run(scenario)


def test_an_inactive_or_unknown_inbox_closes_the_socket(livechat_inbox):
    Inbox.objects.filter(pk=livechat_inbox.pk).update(is_active=False)

    async def scenario():
        connected, code = await WidgetSocket(livechat_inbox).connect()
        assert (connected, code) == (False, 4403)

    run(scenario)


@pytest.mark.parametrize("forged", ["", "bukan-token", "tampered", "other-inbox"])
def test_a_forged_or_foreign_token_is_refused_and_nothing_is_written(world, livechat_inbox, chat_settings, forged):
    from layan.connectors.services import create_inbox

    token = {"tampered": visitor_token(livechat_inbox)[:-3] + "abc",
             "other-inbox": visitor_token(create_inbox(actor=world.actor, kind="livechat", name="Lain",
                                                       settings=chat_settings))}.get(forged, forged)

    async def scenario():
        socket = WidgetSocket(livechat_inbox)
        assert (await socket.connect())[0]
        await socket.send_json({"type": "auth", "token": token})
        error = await socket.receive_json()
        assert error["code"] == "not_authenticated"
        assert (await socket.receive_output(2))["type"] == "websocket.close"

    run(scenario)
    assert Message.objects.count() == 0


def test_frames_before_authentication_are_refused(livechat_inbox):
    async def scenario():
        socket = WidgetSocket(livechat_inbox)
        assert (await socket.connect())[0]
        await socket.send_json(chat_message())
        assert (await socket.receive_json())["code"] == "not_authenticated"

    run(scenario)
    assert Message.objects.count() == 0


def test_a_visitor_session_reads_and_writes_only_its_own_conversation(world, livechat_inbox):
    """Budi's conversation exists; Siti's session tries Budi's ids everywhere it can name one."""
    budi = services.receive_visitor_message(inbox=livechat_inbox, visitor=visitor(livechat_inbox, "budi"),
                                            client_id="budi-0001", text="Pesanan saya #123 belum sampai",
                                            attachments=[{"filename": "resi.txt", "content_type": "text/plain",
                                                          "data": base64.b64encode(b"JNE 123").decode()}])
    budi_conversation = budi.conversation
    reply, _dup = reply_to_conversation(actor=world.actor, conversation=budi_conversation, text="Kami cek, Pak Budi.")
    assert Message.objects.get(pk=reply.pk).delivery_status == DeliveryStatus.SENT
    budi_attachment = budi.attachments.get()
    token = visitor_token(livechat_inbox, "siti")

    async def scenario():
        socket = WidgetSocket(livechat_inbox)
        ready = await socket.authenticate(token)
        assert ready["messages"] == []
        await socket.send_json({"type": "read", "message_ids": [reply.pk, budi.pk]})
        await socket.send_json({"type": "history", "after_id": 0, "conversation_id": budi_conversation.pk})
        assert (await socket.receive_json())["messages"] == []
        await socket.send_json(chat_message("siti-0001", "Halo", conversation_id=budi_conversation.pk,
                                            conversation_number=budi_conversation.number))
        ack = await socket.receive_json()
        # Reusing Budi's client id only names Siti's own message: ids are scoped by visitor.
        await socket.send_json(chat_message("budi-0001", "Halo lagi"))
        second = await socket.receive_json()
        await socket.close_socket()
        return ack, second

    ack, second = run_and_return(scenario)
    assert Message.objects.get(pk=reply.pk).delivery_status == DeliveryStatus.SENT
    siti_message = Message.objects.get(pk=ack["message"]["id"])
    assert siti_message.conversation_id != budi_conversation.pk
    assert second["message"]["id"] not in (budi.pk, reply.pk)
    assert Message.objects.get(pk=second["message"]["id"]).conversation_id == siti_message.conversation_id
    assert list(budi_conversation.messages.order_by("id").values_list("pk", flat=True)) == [budi.pk, reply.pk]

    download = Client().get(f"/widget/{livechat_inbox.public_id}/attachments/{budi_attachment.pk}",
                            HTTP_ORIGIN=SITE, HTTP_X_LAYAN_WIDGET_TOKEN=token)
    assert download.status_code == 404
    own = Client().get(f"/widget/{livechat_inbox.public_id}/attachments/{budi_attachment.pk}",
                       HTTP_ORIGIN=SITE, HTTP_X_LAYAN_WIDGET_TOKEN=visitor_token(livechat_inbox, "budi"))
    assert own.status_code == 200
    assert b"".join(own.streaming_content) == b"JNE 123"


def test_html_and_script_payloads_are_stored_as_plain_text(livechat_inbox):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)><b>tebal</b>'
    token = visitor_token(livechat_inbox)

    async def scenario():
        socket = WidgetSocket(livechat_inbox)
        await socket.authenticate(token)
        await socket.send_json(chat_message(text=payload, html=payload))
        ack = await socket.receive_json()
        await socket.close_socket()
        return ack

    ack = run_and_return(scenario)
    message = Message.objects.get()
    assert message.text == payload  # kept as the customer typed it; the widget inserts it as text
    assert message.html == ""  # the widget never delivers HTML, so none is stored
    assert ack["message"]["text"] == payload
    assert set(ack["message"]) == {"id", "client_id", "from", "author", "text", "status", "at", "attachments"}


def test_too_many_messages_from_one_visitor_are_refused_with_a_clear_error(world, livechat_inbox):
    Inbox.objects.filter(pk=livechat_inbox.pk).update(
        settings={**livechat_inbox.settings, "rate_limit": {"messages_per_minute": 2}})
    token = visitor_token(livechat_inbox)

    async def scenario():
        socket = WidgetSocket(livechat_inbox)
        await socket.authenticate(token)
        frames = []
        for n in range(3):
            await socket.send_json(chat_message(f"pesan-000{n}", f"pesan {n}"))
            frames.append(await socket.receive_json())
        await socket.close_socket()
        return frames

    frames = run_and_return(scenario)
    assert [f["type"] for f in frames] == ["ack", "ack", "error"]
    assert frames[2]["code"] == "rate_limited"
    assert frames[2]["client_id"] == "pesan-0002"
    assert frames[2]["retry_after"] > 0
    assert Message.objects.count() == 2


def test_too_many_messages_from_one_ip_are_refused_across_visitors(livechat_inbox):
    Inbox.objects.filter(pk=livechat_inbox.pk).update(
        settings={**livechat_inbox.settings, "rate_limit": {"ip_messages_per_minute": 2}})

    async def scenario():
        codes = []
        for name in ("a", "b", "c"):
            socket = WidgetSocket(livechat_inbox)
            await socket.authenticate(visitor_token(livechat_inbox, name))
            await socket.send_json(chat_message(f"pesan-{name}0000"))
            codes.append((await socket.receive_json()).get("code", "ok"))
            await socket.close_socket()
        return codes

    assert run_and_return(scenario) == ["ok", "ok", "rate_limited"]
    assert Message.objects.count() == 2


def test_an_agent_reply_is_pushed_to_the_visitors_socket_and_receipts_move_its_status_forward(world,
                                                                                              livechat_inbox):
    token = visitor_token(livechat_inbox)

    async def scenario():
        socket = WidgetSocket(livechat_inbox)
        await socket.authenticate(token)
        await socket.send_json(chat_message())
        ack = await socket.receive_json()
        conversation = await sync_to_async(Conversation.objects.get)()
        reply, _dup = await sync_to_async(reply_to_conversation)(actor=world.actor, conversation=conversation,
                                                                 text="Masih ada, Kak <3")
        pushed = await socket.receive_json()
        assert pushed["type"] == "message"
        assert pushed["message"]["id"] == reply.pk
        assert pushed["message"]["from"] == "agent"
        assert pushed["message"]["author"] == "Admin"
        assert pushed["message"]["text"] == "Masih ada, Kak <3"
        statuses = [await sync_to_async(lambda: Message.objects.get(pk=reply.pk).delivery_status)()]
        for receipt in ("delivered", "read", "delivered"):
            await socket.send_json({"type": receipt, "message_ids": [reply.pk, ack["message"]["id"]]})
            await socket.send_json({"type": "history", "after_id": reply.pk})  # a round trip: receipt done
            await socket.receive_json()
            statuses.append(await sync_to_async(lambda: Message.objects.get(pk=reply.pk).delivery_status)())
        await socket.close_socket()
        return statuses

    assert run_and_return(scenario) == ["sent", "delivered", "read", "read"]
    assert Message.objects.get(direction=Direction.INBOUND).delivery_status == DeliveryStatus.NONE


def test_a_visitor_typing_reaches_the_workspaces_agents_with_ids_only(world, livechat_inbox):
    token = visitor_token(livechat_inbox)

    async def scenario():
        layer = get_channel_layer()
        agents = await layer.new_channel()
        await layer.group_add(workspace_group(world.workspace.pk), agents)
        socket = WidgetSocket(livechat_inbox)
        await socket.authenticate(token)
        await socket.send_json(chat_message())
        await socket.receive_json()
        seen = []
        while True:  # the message's own events come first
            event = await layer.receive(agents)
            seen.append(event["payload"]["event"])
            if seen[-1] == "MessageReceived":
                break
        await socket.send_json({"type": "typing"})
        typing = await layer.receive(agents)
        await socket.close_socket()
        return typing

    typing = run_and_return(scenario)
    conversation = Conversation.objects.get()
    assert typing == {"type": "layan.event", "payload": {"event": "CustomerTyping", "workspace_id": world.workspace.pk,
                                                          "conversation_id": conversation.pk}}


def test_an_agent_typing_shows_in_the_visitors_widget(world, livechat_inbox):
    message = services.receive_visitor_message(inbox=livechat_inbox, visitor=visitor(livechat_inbox),
                                               client_id="pesan-0001", text="Halo")
    token = visitor_token(livechat_inbox)
    agent_page = Client()
    agent_page.force_login(world.admin.user)

    async def scenario():
        socket = WidgetSocket(livechat_inbox)
        await socket.authenticate(token)
        response = await sync_to_async(agent_page.post)(f"/widget/agent-typing/{message.conversation_id}")
        assert response.status_code == 200
        assert json.loads(response.content) == {"status": "ok", "visitors": 1}
        typing = await socket.receive_json()
        await socket.close_socket()
        return typing

    assert run_and_return(scenario) == {"type": "typing", "author": "Admin"}


def test_an_agent_who_cannot_see_the_conversation_cannot_push_typing(world, other_world, livechat_inbox):
    message = services.receive_visitor_message(inbox=livechat_inbox, visitor=visitor(livechat_inbox),
                                               client_id="pesan-0001", text="Halo")
    stranger = Client()
    stranger.force_login(other_world.admin.user)

    response = stranger.post(f"/widget/agent-typing/{message.conversation_id}")

    assert response.status_code == 404


def test_a_file_sent_from_the_widget_is_stored_as_an_attachment(livechat_inbox):
    token = visitor_token(livechat_inbox)
    data = base64.b64encode(b"%PDF-1.4 faktur").decode()

    async def scenario():
        socket = WidgetSocket(livechat_inbox)
        await socket.authenticate(token)
        await socket.send_json(chat_message(text="", attachments=[{"filename": "faktur.pdf",
                                                                  "content_type": "application/pdf",
                                                                  "data": data}]))
        ack = await socket.receive_json()
        await socket.send_json(chat_message("pesan-0002", "x", attachments=[{"filename": "a", "data": "%%%"}]))
        bad = await socket.receive_json()
        await socket.close_socket()
        return ack, bad

    ack, bad = run_and_return(scenario)
    assert [a["filename"] for a in ack["message"]["attachments"]] == ["faktur.pdf"]
    assert bad["code"] == "invalid_input"
    assert bad["field"] == "attachments"
    attachment = Message.objects.get().attachments.get()
    assert attachment.file.read() == b"%PDF-1.4 faktur"


def test_a_required_prechat_form_is_enforced_on_the_first_message(livechat_inbox):
    Inbox.objects.filter(pk=livechat_inbox.pk).update(
        settings={**livechat_inbox.settings, "prechat": {"fields": ["name", "whatsapp"], "required": True}})
    token = visitor_token(livechat_inbox)

    async def scenario():
        socket = WidgetSocket(livechat_inbox)
        await socket.authenticate(token)
        await socket.send_json(chat_message())
        refused = await socket.receive_json()
        await socket.send_json(chat_message(prechat={"name": "Siti", "whatsapp": "0812-3456-7890"}))
        accepted = await socket.receive_json()
        await socket.send_json(chat_message("pesan-0002", "lanjut"))
        later = await socket.receive_json()
        await socket.close_socket()
        return refused, accepted, later

    refused, accepted, later = run_and_return(scenario)
    assert (refused["code"], refused["field"]) == ("invalid_input", "prechat")
    assert accepted["type"] == later["type"] == "ack"
    first = Message.objects.order_by("id").first()
    assert first.metadata["livechat"]["prechat"] == {"name": "Siti", "whatsapp": "+6281234567890"}
