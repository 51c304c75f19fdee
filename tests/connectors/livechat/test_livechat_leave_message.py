"""Office hours and the "leave a message" fallback, which becomes an email conversation."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from layan.connectors.livechat.config import widget_config
from layan.connectors.models import Inbox
from layan.conversations.models import Conversation
from layan.customers.models import Identity

from .conftest import SITE, visitor_token

pytestmark = pytest.mark.django_db

WEEKDAYS_9_TO_5 = {"timezone": "Asia/Jakarta",
                   "days": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}


@pytest.mark.parametrize(("utc", "is_open"), [
    (datetime(2026, 11, 2, 2, 0, tzinfo=UTC), True),  # Monday 09:00 in Jakarta
    (datetime(2026, 11, 2, 9, 59, tzinfo=UTC), True),  # Monday 16:59
    (datetime(2026, 11, 2, 10, 0, tzinfo=UTC), False),  # Monday 17:00: closed
    (datetime(2026, 11, 1, 3, 0, tzinfo=UTC), False),  # Sunday
    (datetime(2026, 11, 1, 23, 30, tzinfo=UTC), False),  # Monday 06:30 in Jakarta, Sunday in UTC
])
def test_office_hours_follow_the_inboxs_timezone(utc, is_open):
    assert widget_config({"office_hours": WEEKDAYS_9_TO_5}).is_open(now=utc) is is_open


def test_without_office_hours_the_chat_is_always_open():
    assert widget_config({}).is_open() is True
    assert widget_config({}).public()["leave_message"] is False


def leave(inbox, token, **body):
    return Client().post(f"/widget/{inbox.public_id}/leave-message", content_type="application/json",
                         data=json.dumps({"token": token, "client_id": "tinggal-0001", "name": "Siti Rahma",
                                          "email": "Siti@Contoh.id", "text": "Tolong hubungi saya besok.", **body}),
                         HTTP_ORIGIN=SITE)


def test_a_message_left_outside_office_hours_becomes_an_email_conversation(world, livechat_inbox):
    Inbox.objects.filter(pk=livechat_inbox.pk).update(
        settings={**livechat_inbox.settings, "office_hours": {"timezone": "Asia/Jakarta", "days": {}}})
    token = visitor_token(livechat_inbox)

    response = leave(livechat_inbox, token)
    again = leave(livechat_inbox, token)  # a double click, a retried request

    assert response.status_code == 201
    assert again.json()["number"] == response.json()["number"]
    conversation = Conversation.objects.select_related("customer").get()
    assert conversation.inbox_id == world.email_inbox.pk
    assert conversation.channel == "email"
    assert conversation.customer.name == "Siti Rahma"
    with translation.override(world.workspace.language):
        assert conversation.subject == gettext("Message left on the chat widget")  # the agents' language
    assert list(conversation.messages.values_list("text", flat=True)) == ["Tolong hubungi saya besok."]
    assert list(Identity.objects.filter(customer=conversation.customer).values_list("kind", "value")) == [
        ("email", "siti@contoh.id")]


def test_a_left_message_needs_a_valid_email_and_a_session(livechat_inbox, database_rows):
    before = database_rows()

    bad_email = leave(livechat_inbox, visitor_token(livechat_inbox), email="bukan-email")
    no_session = leave(livechat_inbox, "palsu")

    assert bad_email.status_code == 400
    assert bad_email.json()["error"]["field"] == "email"
    assert no_session.status_code == 400
    assert no_session.json()["error"]["code"] == "not_authenticated"
    assert database_rows() == before
