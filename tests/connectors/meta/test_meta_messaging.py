"""The shared Messenger/Instagram parts on their own: the parser never fails on bad input with
anything but ValueError, the stored-event id never fails at all, and the reply window decides
Meta's messaging type at its exact edges."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layan.connectors.base import SendError
from layan.connectors.meta.messaging import ParsedMessaging, delivery_event_id, parse_messaging
from layan.connectors.meta.send import reply_tagging, split_text

NOW = datetime(2025, 12, 1, 3, 0, tzinfo=UTC)

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["object", "entry", "id", "messaging", "sender", "message", "mid", "text", "attachments",
                         "type", "payload", "url", "reply_to", "story", "is_echo", "is_deleted", "reaction",
                         "postback", "delivery", "read", "watermark", "mids", "timestamp", "quick_reply"]),
        inner, max_size=6),
    max_leaves=30)


def _payloads():
    shaped = _json.map(lambda v: {"object": "page", "entry": [{"id": "1", "messaging": [v]}]})
    return st.binary(max_size=300) | _json.map(lambda v: json.dumps(v).encode()) | shaped.map(
        lambda v: json.dumps(v).encode())


@settings(max_examples=300, deadline=None)
@given(raw=_payloads(), platform=st.sampled_from(["messenger", "instagram"]))
def test_any_bytes_parse_to_a_result_or_a_value_error(raw, platform):
    try:
        parsed = parse_messaging(raw, platform=platform)
    except ValueError:
        return
    assert isinstance(parsed, ParsedMessaging)


@settings(max_examples=200, deadline=None)
@given(raw=_payloads())
def test_the_stored_event_id_is_always_given_and_fits_the_column(raw):
    event_id = delivery_event_id(raw, platform="instagram")
    assert event_id.startswith("instagram:")
    assert len(event_id) <= 255


def test_deeply_nested_json_is_refused_as_a_value_error():
    with pytest.raises(ValueError, match="nested"):
        parse_messaging(b"[" * 100_000 + b"]" * 100_000, platform="messenger")


@pytest.mark.parametrize(("ago", "expected"), [
    (timedelta(hours=24), {"messaging_type": "RESPONSE"}),
    (timedelta(hours=24, seconds=1), {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}),
    (timedelta(days=7), {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}),
])
def test_a_persons_reply_is_free_for_a_day_then_tagged_for_a_week(ago, expected):
    assert reply_tagging(last_customer_message_at=NOW - ago, automatic=False, now=NOW) == expected


@pytest.mark.parametrize(("ago", "automatic"), [
    (timedelta(days=7, seconds=1), False),  # past Meta's week
    (timedelta(hours=25), True),  # the human-agent tag is for people, not acknowledgements
    (None, False),  # the customer never wrote
])
def test_a_reply_meta_would_not_allow_is_refused_for_good(ago, automatic):
    with pytest.raises(SendError) as refused:
        reply_tagging(last_customer_message_at=NOW - ago if ago else None, automatic=automatic, now=NOW)
    assert refused.value.retryable is False


def test_a_word_longer_than_the_limit_is_cut_and_nothing_is_lost():
    pieces = split_text("a " + "x" * 25 + " b", lambda s: len(s) <= 10)
    assert all(len(p) <= 10 for p in pieces)
    assert "".join(pieces).replace(" ", "") == "a" + "x" * 25 + "b"
