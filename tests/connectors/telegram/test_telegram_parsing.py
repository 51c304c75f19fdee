"""The pure update parser: what it reads from the Bot API's shapes, and that any bytes at all give
a result or a ValueError, never another exception."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layan.connectors.telegram.parsing import ParsedUpdate, parse_update, split_provider_id

from .conftest import payload


def test_a_photo_names_its_largest_size_for_download():
    parsed = parse_update(payload("photo_with_caption"), inbox_key="kotak")

    assert parsed.file.file_id == "AgACAgUAAxkBAAIBZmcFOTO-besar"
    assert (parsed.file.filename, parsed.file.content_type, parsed.file.file_size) == ("foto.jpg", "image/jpeg", 70211)


def test_a_sticker_is_a_webp_file_and_an_edit_downloads_nothing():
    assert parse_update(payload("sticker"), inbox_key="k").file.content_type == "image/webp"
    assert parse_update(payload("edited_message"), inbox_key="k").file is None


def test_the_sender_name_falls_back_to_the_username():
    update = json.loads(payload("text_message"))
    update["message"]["from"] = {"id": 582914736, "is_bot": False, "first_name": "", "username": "siti_rahayu"}

    parsed = parse_update(json.dumps(update).encode(), inbox_key="k")

    assert parsed.message.sender_name == "siti_rahayu"


def test_a_reply_names_the_message_it_answers_in_the_same_chat():
    parsed = parse_update(payload("reply_to_message"), inbox_key="kotak")

    assert parsed.message.in_reply_to == ("kotak:582914736:5001",)


def test_provider_ids_split_back_into_inbox_chat_and_message_even_for_an_edit():
    assert split_provider_id("kotak:582914736:101") == ("kotak", "582914736", 101)
    assert split_provider_id("kotak:582914736:101:edit:734562009") == ("kotak", "582914736", 101)
    assert split_provider_id("wamid.HBgN") is None
    assert split_provider_id("") is None


@pytest.mark.parametrize("raw", [b"", b"[]", b'{"message": {}}', b'{"update_id": "1"}', b'{"update_id": true}',
                                 b'{"update_id": 1, "message": "teks"}', b'{"update_id": 1, "message": {}}'])
def test_what_is_not_an_update_is_a_value_error(raw):
    with pytest.raises(ValueError):  # noqa: PT011 - each says its own why
        parse_update(raw, inbox_key="k")


def test_a_service_message_is_ignored_with_what_it_carried():
    update = {"update_id": 7, "message": {"message_id": 3, "chat": {"id": 5, "type": "private"}, "date": 1,
                                          "from": {"id": 5, "is_bot": False, "first_name": "Siti"},
                                          "pinned_message": {"message_id": 2}}}

    parsed = parse_update(json.dumps(update).encode(), inbox_key="k")

    assert parsed.message is None
    assert parsed.ignored_reason == "a service message with nothing to read (pinned_message)"


def _check(raw: bytes) -> None:
    try:
        result = parse_update(raw, inbox_key="kotak")
    except ValueError:
        return
    assert isinstance(result, ParsedUpdate)
    assert (result.message is None) == bool(result.ignored_reason)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_give_an_update_or_a_value_error(raw):
    _check(raw)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                    max_leaves=20)
FIELDS = ["message_id", "from", "chat", "date", "text", "caption", "photo", "document", "voice", "audio", "video",
          "video_note", "animation", "sticker", "location", "venue", "contact", "poll", "dice", "reply_to_message",
          "edit_date", "id", "type", "first_name", "last_name", "username", "is_bot", "file_id", "file_name",
          "mime_type", "file_size", "width", "height", "duration", "emoji", "latitude", "longitude", "options",
          "question", "title", "phone_number"]
MESSAGE_LIKE = st.recursive(JSON, lambda inner: st.dictionaries(st.sampled_from(FIELDS), inner, max_size=8),
                            max_leaves=15)


@settings(max_examples=150, deadline=None)
@given(update_id=st.integers(), kind=st.sampled_from(["message", "edited_message", "channel_post", "x"]),
       message=st.dictionaries(st.sampled_from(FIELDS), MESSAGE_LIKE, max_size=10),
       chat_id=st.integers(), message_id=st.integers(), private=st.booleans())
def test_any_update_shaped_json_gives_an_update_or_a_value_error(update_id, kind, message, chat_id, message_id,
                                                                  private):
    if private:  # often far enough in to reach the readers of each kind of message
        message = {**message, "chat": {"id": chat_id, "type": "private"}, "message_id": message_id}
    _check(json.dumps({"update_id": update_id, kind: message}).encode())
