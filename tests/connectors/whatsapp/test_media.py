"""Media both ways: a customer's file is fetched from Meta (`GET /<media id>`, then its URL with the
bearer token) and kept as the message's attachment, and never costs the message when that fails; an
agent's file is uploaded to `/<phone number id>/media` and sent by the media id Meta answered."""

from __future__ import annotations

import pytest
from wa_helpers import ACCESS_TOKEN, deliver, payload

from layan.connectors.base import InboundAttachment
from layan.connectors.fake_provider import Answer
from layan.conversations import services
from layan.conversations.models import Conversation, Message
from layan.delivery.models import OutboxItem
from layan.delivery.services import deliver_outbox_item

PDF = b"%PDF-1.4 bukti transfer BCA Rp150.000"


def test_an_inbound_document_is_downloaded_with_the_token_and_kept_as_the_attachment(inbox, graph):
    graph.add_media("2002", PDF, "application/pdf")

    deliver(inbox, payload("document"))

    message = Message.objects.get(direction="in")
    (attachment,) = message.attachments.all()
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "bukti-transfer-BCA.pdf", "application/pdf", len(PDF))
    with attachment.file.open("rb") as handle:
        assert handle.read() == PDF
    info, file = graph.requests
    assert (info.method, info.path, info.headers["Authorization"]) == ("GET", "/v21.0/2002", f"Bearer {ACCESS_TOKEN}")
    assert (file.method, file.path, file.headers["Authorization"]) == (
        "GET", "/media-download/2002", f"Bearer {ACCESS_TOKEN}")
    assert "media_error" not in message.metadata["whatsapp"]


def test_a_failed_download_still_stores_the_message_with_the_media_id_and_the_failure(inbox, graph):
    graph.scripted = [Answer(404, {"error": {"message": "(#100) Media not found", "code": 100}})]

    deliver(inbox, payload("image"))

    message = Message.objects.get(direction="in")
    assert message.text == "[gambar] Ini foto kardusnya yang penyok"
    assert message.attachments.count() == 0
    assert message.metadata["whatsapp"]["media_id"] == "2001"
    assert message.metadata["whatsapp"]["media_error"] == "100 (#100) Media not found"


def test_a_file_over_the_cap_is_not_downloaded_and_the_message_says_so(inbox, graph, monkeypatch):
    from layan.connectors.whatsapp import media

    monkeypatch.setattr(media, "MAX_MEDIA_BYTES", 10)
    graph.add_media("2004", b"x" * 11, "video/mp4")

    deliver(inbox, payload("video"))

    message = Message.objects.get(direction="in")
    assert message.attachments.count() == 0
    assert message.metadata["whatsapp"]["media_error"] == "larger than 0 MB (11 bytes)"
    assert [r.path for r in graph.requests] == ["/v21.0/2004"]  # the file itself was never fetched


def test_a_redelivered_media_message_is_not_downloaded_again(inbox, graph):
    graph.add_media("2005", b"RIFF stiker", "image/webp")
    body = payload("sticker")
    deliver(inbox, body)
    deliver(inbox, body.replace(b'"entry"', b'"entry" ', 1))  # Meta's retry, not byte-identical

    assert Message.objects.filter(direction="in").count() == 1
    assert len(graph.requests) == 2


@pytest.fixture
def conversation(inbox, graph) -> Conversation:
    deliver(inbox, payload("text_message"))
    graph.requests.clear()
    return Conversation.objects.get()


def _send(world, conversation, **reply):
    message, _dup = services.reply_to_conversation(actor=world.actor, conversation=conversation, **reply)
    status = deliver_outbox_item(outbox_item_id=OutboxItem.objects.get(message=message).pk)
    message.refresh_from_db()
    return status, message


def test_a_reply_with_a_photo_uploads_it_and_sends_it_by_media_id_with_the_text_as_caption(world, conversation,
                                                                                          graph):
    status, reply = _send(world, conversation, text="Ini foto resinya, Kak.", attachments=[
        InboundAttachment(filename="resi.jpg", content_type="image/jpeg", content=b"\xff\xd8 resi JNE")])

    assert status == "sent"
    upload, send = graph.requests
    assert (upload.method, upload.path, upload.headers["Authorization"]) == (
        "POST", "/v21.0/106540352242922/media", f"Bearer {ACCESS_TOKEN}")
    assert upload.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert graph.multipart(upload) == [
        {"name": "messaging_product", "filename": None, "content_type": None, "content": b"whatsapp"},
        {"name": "type", "filename": None, "content_type": None, "content": b"image/jpeg"},
        {"name": "file", "filename": "resi.jpg", "content_type": "image/jpeg", "content": b"\xff\xd8 resi JNE"}]
    assert (send.path, send.json()) == ("/v21.0/106540352242922/messages", {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890", "type": "image",
        "image": {"id": "9000000001", "caption": "Ini foto resinya, Kak."},
        "context": {"message_id": conversation.messages.get(direction="in").provider_message_id}})
    assert reply.provider_message_id == "wamid.layan1"


def test_a_voice_note_and_a_pdf_go_as_audio_then_document_with_the_text_sent_first(world, conversation, graph):
    status, _reply = _send(world, conversation, text="Berikut rekaman dan fakturnya.", attachments=[
        InboundAttachment(filename="rekaman.ogg", content_type="audio/ogg", content=b"OggS suara"),
        InboundAttachment(filename="faktur-INV-2041.pdf", content_type="application/pdf", content=PDF)])

    assert status == "sent"
    assert [r.path for r in graph.requests] == ["/v21.0/106540352242922/media"] * 2 + [
        "/v21.0/106540352242922/messages"] * 3
    bodies = [{k: v for k, v in body.items() if k not in ("messaging_product", "recipient_type", "to", "context")}
              for body in graph.messages_sent()]
    assert bodies == [
        {"type": "text", "text": {"body": "Berikut rekaman dan fakturnya.", "preview_url": False}},
        {"type": "audio", "audio": {"id": "9000000001"}},
        {"type": "document", "document": {"id": "9000000002", "filename": "faktur-INV-2041.pdf"}}]
    assert [("context" in body) for body in graph.messages_sent()] == [True, False, False]


def test_a_failure_after_part_of_a_reply_went_out_is_not_retried_to_avoid_sending_it_twice(world, conversation,
                                                                                           graph):
    graph.scripted = [Answer(200, {"id": "9000000001"}), Answer(200, {"messages": [{"id": "wamid.teks"}]}),
                      Answer(503, {"error": {"message": "Service unavailable", "code": 2}})]

    status, reply = _send(world, conversation, text="Teks dulu", attachments=[
        InboundAttachment(filename="suara.ogg", content_type="audio/ogg", content=b"OggS")])

    assert status == "failed"
    assert reply.delivery_error == "WhatsApp took 1 of 2 parts, then: WhatsApp refused the message: 2 Service unavailable"
