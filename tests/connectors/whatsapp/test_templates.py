"""Message templates: synced from Meta's `GET /<waba id>/message_templates` (every page), offered when
approved, and sent as `type: template` with the body parameters; a wrong or unapproved template is
refused with a clear reason before anything is written."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from wa_helpers import ACCESS_TOKEN, WABA_ID, deliver, payload

from layan.accounts.models import AuditEntry
from layan.connectors.fake_provider import Answer
from layan.connectors.whatsapp.models import WhatsAppTemplate
from layan.connectors.whatsapp.selectors import approved_templates
from layan.connectors.whatsapp.services import sync_templates
from layan.conversations import services
from layan.conversations.models import Conversation, Message
from layan.delivery.models import OutboxItem
from layan.delivery.services import deliver_outbox_item
from layan.errors import InvalidInput, ProviderError


def test_a_sync_copies_every_template_and_only_approved_ones_are_offered(world, inbox, graph):
    result = sync_templates(actor=world.actor, inbox=inbox)

    assert (result.created, result.updated, result.removed, result.approved) == (3, 0, 0, 2)
    (request,) = graph.requests
    assert (request.method, request.path, request.headers["Authorization"]) == (
        "GET", f"/v21.0/{WABA_ID}/message_templates", f"Bearer {ACCESS_TOKEN}")
    assert request.query == {"fields": ["id,name,language,status,category,components"], "limit": ["100"]}
    assert [(t.name, t.language, t.parameter_count, t.body_text) for t in approved_templates(inbox_id=inbox.pk)] == [
        ("lanjut_percakapan", "id", 0, "Halo Kak, kami ingin melanjutkan percakapan tentang pertanyaan Anda. "
                                       "Balas pesan ini kapan saja."),
        ("status_pesanan", "id", 2, "Halo {{1}}, pesanan {{2}} sudah kami kirim hari ini.")]
    assert WhatsAppTemplate.objects.get(name="promo_akhir_tahun").status == "PENDING"
    assert AuditEntry.objects.filter(action="whatsapp.templates_synced", object_id=inbox.pk).count() == 1


def test_a_second_sync_follows_every_page_updates_changes_and_removes_what_meta_dropped(world, inbox, graph):
    sync_templates(actor=world.actor, inbox=inbox)
    graph.templates = [dict(graph.templates[0], status="PAUSED")] + [
        {"name": f"info_{n}", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
         "components": [{"type": "BODY", "text": "Order {{1}}"}]} for n in range(150)]
    graph.requests.clear()

    result = sync_templates(actor=world.actor, inbox=inbox)

    assert (result.created, result.updated, result.removed) == (150, 1, 2)
    assert len(graph.requests) == 2  # 100 a page, then the `paging.next` URL Meta gave
    assert graph.requests[1].query == {"limit": ["100"], "after": ["100"]}
    assert WhatsAppTemplate.objects.filter(inbox=inbox).count() == 151
    assert WhatsAppTemplate.objects.get(name="status_pesanan").status == "PAUSED"


def test_a_sync_meta_refuses_explains_why_and_keeps_the_templates(world, inbox, graph):
    sync_templates(actor=world.actor, inbox=inbox)
    graph.scripted = [Answer(400, {"error": {"message": "Invalid OAuth access token.", "code": 190}})]

    with pytest.raises(ProviderError, match="Meta did not list the templates: 190 Invalid OAuth access token."):
        sync_templates(actor=world.actor, inbox=inbox)
    assert WhatsAppTemplate.objects.filter(inbox=inbox).count() == 3


def test_the_cli_syncs_an_inbox_named_by_its_public_id(world, inbox, graph, capsys):
    call_command("whatsapp", "templates", "sync", inbox.public_id)

    out = capsys.readouterr().out
    assert out.startswith(f"{inbox.name}: ")
    assert re.findall(r"\d+", out.removeprefix(f"{inbox.name}: ")) == ["3", "0", "0", "2"]  # new, updated, removed, approved
    assert WhatsAppTemplate.objects.filter(inbox=inbox).count() == 3
    with pytest.raises(CommandError):
        call_command("whatsapp", "templates", "sync", "tidak-ada")


@pytest.fixture
def conversation(world, inbox, graph) -> Conversation:
    sync_templates(actor=world.actor, inbox=inbox)
    deliver(inbox, payload("text_message"))
    graph.requests.clear()
    return Conversation.objects.get()


def test_a_template_reply_is_stored_rendered_and_sent_with_its_body_parameters(world, conversation, graph):
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=conversation, template={
        "name": "status_pesanan", "language": "id", "parameters": ["Siti", "INV-2041"]})

    assert reply.text == "Halo Siti, pesanan INV-2041 sudah kami kirim hari ini."
    assert reply.metadata == {"whatsapp": {"template": {"name": "status_pesanan", "language": "id",
                                                        "parameters": ["Siti", "INV-2041"]}}}
    assert deliver_outbox_item(outbox_item_id=OutboxItem.objects.get(message=reply).pk) == "sent"
    (request,) = graph.requests
    assert (request.path, request.json()) == ("/v21.0/106540352242922/messages", {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890", "type": "template",
        "template": {"name": "status_pesanan", "language": {"code": "id"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Siti"}, {"type": "text", "text": "INV-2041"}]}]}})


def test_a_template_without_parameters_is_sent_without_components(world, conversation, graph):
    reply, _dup = services.reply_to_conversation(actor=world.actor, conversation=conversation, template={
        "name": "lanjut_percakapan", "language": "id"})
    deliver_outbox_item(outbox_item_id=OutboxItem.objects.get(message=reply).pk)

    assert graph.requests[0].json()["template"] == {"name": "lanjut_percakapan", "language": {"code": "id"}}


@pytest.mark.parametrize(("template", "field", "message"), [
    ({"name": "status_pesanan", "language": "id", "parameters": ["Siti"]}, "template.parameters",
     "Template status_pesanan needs 2 parameters; 1 were given."),
    ({"name": "status_pesanan", "language": "id", "parameters": ["Siti", " "]}, "template.parameters",
     "Every template parameter needs a value."),
    ({"name": "tidak_ada", "language": "id"}, "template.name",
     "This inbox has no template tidak_ada in id; sync the templates from Meta first."),
    ({"name": "status_pesanan", "language": "en_US", "parameters": ["a", "b"]}, "template.name",
     "This inbox has no template status_pesanan in en_US; sync the templates from Meta first."),
    ({"name": "promo_akhir_tahun", "language": "id", "parameters": ["50%"]}, "template.name",
     "Template promo_akhir_tahun (id) is not approved by Meta: Pending review."),
    ({"name": "", "language": "id"}, "template.name", "A template needs a name and a language."),
])
def test_a_wrong_template_is_refused_clearly_and_writes_nothing(world, conversation, template, field, message,
                                                               settings):
    from django.utils import translation

    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        services.reply_to_conversation(actor=world.actor, conversation=conversation, template=template)

    assert (refused.value.field, refused.value.message) == (field, message)
    assert Message.objects.filter(direction="out").count() == 0


def test_a_template_is_refused_on_a_conversation_of_another_channel(world, conversation, receive):
    email = receive(world.email_inbox, "siti@contoh.id", text="Halo").conversation
    with pytest.raises(InvalidInput, match="only for WhatsApp"):
        services.reply_to_conversation(actor=world.actor, conversation=email,
                                       template={"name": "status_pesanan", "language": "id"})


def test_the_api_reply_sends_a_template(world, conversation, api):
    response = api.post(f"/conversations/{conversation.pk}/reply", {
        "template": {"name": "status_pesanan", "language": "id", "parameters": ["Siti", "INV-2041"]}})

    assert response.status_code == 201, response.content
    assert response.json()["text"] == "Halo Siti, pesanan INV-2041 sudah kami kirim hari ini."
    assert response.json()["metadata"]["whatsapp"]["template"]["name"] == "status_pesanan"
    wrong = api.post(f"/conversations/{conversation.pk}/reply", {
        "template": {"name": "status_pesanan", "language": "id", "parameters": []}})
    assert (wrong.status_code, wrong.json()["error"]["code"], wrong.json()["error"]["field"]) == (
        400, "invalid_input", "template.parameters")
