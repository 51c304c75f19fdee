"""Every Cloud API message type (payloads/*.json, the shapes of Meta's webhook reference) parsed
into text an agent reads and the facts kept in metadata; any bytes either parse or raise ValueError."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wa_helpers import payload

from layan.connectors.whatsapp.parsing import parse_webhook

SENDER = "+6281398765432"


@pytest.mark.parametrize(("name", "text", "facts"), [
    ("image", "[gambar] Ini foto kardusnya yang penyok", {
        "type": "image", "media_id": "2001", "mime_type": "image/jpeg", "caption": "Ini foto kardusnya yang penyok",
        "sha256": "m3cQ1bZk0dW3sYV7bA2mB0F0j2pJx6bq8h3Q9f0pVnA="}),
    ("document", "[dokumen] bukti-transfer-BCA.pdf Bukti transfer", {
        "type": "document", "media_id": "2002", "mime_type": "application/pdf", "caption": "Bukti transfer",
        "filename": "bukti-transfer-BCA.pdf", "sha256": "0aQk3cHq0w6Yx8o7nE8b9r3vJp5rM2s1L4t6u8w0y2A="}),
    ("audio", "[pesan suara]", {
        "type": "audio", "media_id": "2003", "mime_type": "audio/ogg; codecs=opus", "voice": True,
        "sha256": "Yk2pQ8r4s6t8u0w2y4A6C8E0G2I4K6M8O0Q2S4U6W8Y="}),
    ("video", "[video] Video unboxing, barangnya tidak menyala", {
        "type": "video", "media_id": "2004", "mime_type": "video/mp4",
        "caption": "Video unboxing, barangnya tidak menyala", "sha256": "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5Zz0="}),
    ("sticker", "[stiker]", {
        "type": "sticker", "media_id": "2005", "mime_type": "image/webp", "animated": False,
        "sha256": "c3RpY2tlcmhhc2hzdGlja2VyaGFzaHN0aWNrZXJoYXM="}),
    ("location", "[lokasi] -7.2575, 112.7521 Rumah Jl. Darmo No. 12, Surabaya https://maps.example.id/darmo12", {
        "type": "location", "location": {"latitude": -7.2575, "longitude": 112.7521, "name": "Rumah",
                                         "address": "Jl. Darmo No. 12, Surabaya",
                                         "url": "https://maps.example.id/darmo12"}}),
    ("contacts", "[kontak] Agus Wijaya (+62 812-5555-0101)", {
        "type": "contacts", "contacts": [{"name": "Agus Wijaya", "phones": ["+62 812-5555-0101"],
                                          "emails": ["agus@contoh.id"]}]}),
    ("interactive_button_reply", "Kirim ulang", {
        "type": "interactive", "interactive": {"type": "button_reply", "id": "kirim-ulang", "title": "Kirim ulang"}}),
    ("interactive_list_reply", "JNE Reguler — Tiba 2-3 hari kerja", {
        "type": "interactive", "interactive": {"type": "list_reply", "id": "ekspedisi-jne", "title": "JNE Reguler",
                                               "description": "Tiba 2-3 hari kerja"}}),
    ("button", "Lanjutkan", {"type": "button", "button": {"text": "Lanjutkan", "payload": "LANJUTKAN"}}),
    ("reaction", "[reaksi] \U0001F64F", {"type": "reaction", "reaction_to": "wamid.layan-jawaban-1",
                                          "emoji": "\U0001F64F"}),
])
def test_each_message_type_becomes_readable_text_and_metadata(name, text, facts):
    (message,) = parse_webhook(payload(name)).messages

    assert message.text == text
    assert message.metadata == {"whatsapp": facts}
    assert (message.sender_kind, message.sender_value, message.sender_name) == ("whatsapp", SENDER, "Dewi Lestari")


def test_a_reply_to_a_business_message_keeps_what_it_answers():
    (message,) = parse_webhook(payload("interactive_button_reply")).messages
    assert message.in_reply_to == ("wamid.layan-tanya-1",)
    assert message.provider_message_id == "wamid.BUTTONREPLY1"


def test_a_removed_reaction_reads_as_removed():
    body = payload("reaction").replace("\U0001F64F".encode(), b"")
    (message,) = parse_webhook(body).messages
    assert message.text == "[reaksi dihapus]"


def test_an_unsupported_type_keeps_metas_error():
    body = json.loads(payload("text_message"))
    body["entry"][0]["changes"][0]["value"]["messages"][0] = {
        "from": "6281234567890", "id": "wamid.UNSUP", "timestamp": "1764558000", "type": "unsupported",
        "errors": [{"code": 131051, "title": "Message type unknown"}]}
    (message,) = parse_webhook(json.dumps(body).encode()).messages
    assert message.text == "[unsupported]"
    assert message.metadata["whatsapp"]["errors"] == [{"code": "131051", "title": "Message type unknown"}]


def test_the_parser_rejects_what_is_not_a_whatsapp_webhook():
    with pytest.raises(ValueError, match="not a WhatsApp"):
        parse_webhook(b'{"object": "page", "entry": []}')
    assert parse_webhook(payload("status_delivered", WAMID_PLACEHOLDER="wamid.x")).messages == ()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["object", "entry", "changes", "value", "messages", "statuses", "contacts", "type", "from",
                         "id", "text", "image", "interactive", "button_reply", "context", "errors", "metadata",
                         "reaction", "location", "profile", "wa_id", "status", "body", "timestamp"]),
        children, max_size=6),
    max_leaves=30)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_any_bytes_parse_or_raise_value_error(raw):
    with contextlib.suppress(ValueError):  # anything else fails the test
        parse_webhook(raw)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_shaped_like_a_webhook_parses_or_raises_value_error(value):
    if isinstance(value, dict):
        value["object"] = "whatsapp_business_account"
    with contextlib.suppress(ValueError):
        parse_webhook(json.dumps(value).encode())
