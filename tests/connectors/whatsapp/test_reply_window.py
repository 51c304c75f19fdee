"""The 24-hour customer-service window: once the customer's last message is older than 24 hours
(or they never wrote), a free reply on WhatsApp, Messenger or Instagram is refused with
`reply_window_closed` and writes nothing; an approved WhatsApp template still goes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from wa_helpers import deliver, payload

from layan.connectors.services import create_inbox
from layan.connectors.whatsapp.services import sync_templates
from layan.conversations import services
from layan.conversations.models import Conversation, Message
from layan.customers.services import IdentityInput
from layan.delivery.models import OutboxItem
from layan.errors import Conflict


def _age(conversation: Conversation, hours: float) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(
        last_customer_message_at=timezone.now() - timedelta(hours=hours))


@pytest.fixture
def conversation(world, inbox, graph) -> Conversation:
    sync_templates(actor=world.actor, inbox=inbox)
    deliver(inbox, payload("text_message"))
    return Conversation.objects.get()


def test_a_free_reply_within_24_hours_is_accepted(world, conversation):
    _age(conversation, 23.9)
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=conversation, text="Baik, Kak.")
    assert reply.delivery_status == "queued"


def test_a_free_reply_after_24_hours_is_refused_and_writes_nothing(world, conversation):
    _age(conversation, 24.1)

    with pytest.raises(Conflict) as refused:
        services.reply_to_conversation(actor=world.actor, conversation=conversation, text="Maaf baru dibalas.")

    assert (refused.value.code, refused.value.status, refused.value.field) == ("reply_window_closed", 409, "text")
    assert Message.objects.filter(direction="out").count() == 0
    assert OutboxItem.objects.count() == 0


def test_a_template_after_24_hours_is_accepted(world, conversation):
    _age(conversation, 72)
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=conversation,
                                                 template={"name": "lanjut_percakapan", "language": "id"})
    assert reply.text.startswith("Halo Kak, kami ingin melanjutkan percakapan")


def test_a_conversation_the_customer_never_wrote_in_only_takes_a_template(world):
    opened = services.create_conversation(
        actor=world.actor, inbox=world.whatsapp_inbox, subject="Promo", text="Catatan awal dari telepon.",
        customer_identities=[IdentityInput("whatsapp", "0812-3456-7890")], author="customer").conversation
    Conversation.objects.filter(pk=opened.pk).update(last_customer_message_at=None)

    with pytest.raises(Conflict, match="WhatsApp"):
        services.reply_to_conversation(actor=world.actor, conversation=opened, text="Halo")


@pytest.mark.parametrize("kind", ["messenger", "instagram"])
def test_messenger_and_instagram_refuse_free_replies_after_the_human_agent_week(world, kind):
    inbox = create_inbox(actor=world.actor, kind=kind, name=f"{kind} toko")
    opened = services.create_conversation(
        actor=world.actor, inbox=inbox, subject="Tanya", text="Halo min",
        customer_identities=[IdentityInput(kind, f"{kind}-psid-1")]).conversation
    _age(opened, 25)  # past 24 hours: still allowed, sent with Meta's human-agent tag
    services.reply_to_conversation(actor=world.actor, conversation=opened, text="Halo kak")
    _age(opened, 7 * 24 + 1)

    with pytest.raises(Conflict) as refused:
        services.reply_to_conversation(actor=world.actor, conversation=opened, text="Halo")
    assert refused.value.code == "reply_window_closed"


def test_the_api_answers_409_reply_window_closed(world, conversation, api):
    _age(conversation, 30)
    response = api.post(f"/conversations/{conversation.pk}/reply", {"text": "Halo"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "reply_window_closed"
    assert Message.objects.filter(direction="out").count() == 0


def test_email_has_no_window(world, receive):
    conversation = receive(world.email_inbox, "siti@contoh.id", text="Halo").conversation
    _age(conversation, 24 * 30)
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=conversation, text="Halo lagi")
    assert reply.pk
