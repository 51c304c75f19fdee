"""POST /widget/<public_id>/session: the widget's signed token, checked origins, verified site users."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from layan.connectors.livechat.sessions import read_token, user_hash

from .conftest import SECRET, SITE, visitor_token

pytestmark = pytest.mark.django_db


def post_session(inbox, body=None, origin=SITE):
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return Client().post(f"/widget/{inbox.public_id}/session", data=json.dumps(body or {}),
                         content_type="application/json", **headers)


def test_a_new_visitor_gets_a_token_and_the_inbox_settings(livechat_inbox):
    response = post_session(livechat_inbox)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SITE
    data = response.json()
    visitor = read_token(data["token"], inbox_public_id=livechat_inbox.public_id)
    assert visitor is not None
    assert visitor.verified is False
    assert visitor.identity.startswith(f"{livechat_inbox.public_id}:v:")
    assert data["config"] == {"colour": "#aa3300", "greeting": {"id": "Halo!", "en": "Hello!"},
                              "prechat": {"fields": ["name", "email"], "required": False}, "open": True,
                              "leave_message": False, "agents_online": False}
    assert data["socket"] == f"/ws/widget/{livechat_inbox.public_id}/"


def test_a_returning_visitor_keeps_their_identity(livechat_inbox):
    token = visitor_token(livechat_inbox, "lama")

    data = post_session(livechat_inbox, {"token": token}).json()

    assert read_token(data["token"], inbox_public_id=livechat_inbox.public_id).identity.endswith(":v:lama")


def test_a_site_not_in_the_allowed_origins_is_refused(livechat_inbox, database_rows):
    before = database_rows()

    for origin in ("https://evil.example", "http://toko-maju.example", None):
        response = post_session(livechat_inbox, origin=origin)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "origin_not_allowed"
        assert "Access-Control-Allow-Origin" not in response
    assert database_rows() == before


def test_a_preflight_from_an_allowed_origin_is_answered(livechat_inbox):
    response = Client().options(f"/widget/{livechat_inbox.public_id}/session", HTTP_ORIGIN=SITE)

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == SITE
    assert "X-Layan-Widget-Token" in response["Access-Control-Allow-Headers"]


def test_a_token_of_another_inbox_is_not_accepted(world, livechat_inbox, chat_settings):
    from layan.connectors.services import create_inbox

    other = create_inbox(actor=world.actor, kind="livechat", name="Chat lain", settings=chat_settings)
    foreign = visitor_token(other, "siti")

    data = post_session(livechat_inbox, {"token": foreign}).json()

    assert data["token"] != foreign
    assert read_token(data["token"], inbox_public_id=livechat_inbox.public_id).identity.split(":v:")[1] != "siti"


def test_a_signed_in_site_user_with_a_valid_hmac_is_verified(livechat_inbox):
    data = post_session(livechat_inbox, {"user_id": "pelanggan-42", "user_hash": user_hash(SECRET, "pelanggan-42")}
                        ).json()

    visitor = read_token(data["token"], inbox_public_id=livechat_inbox.public_id)
    assert visitor.verified is True
    assert visitor.identity == f"{livechat_inbox.public_id}:u:pelanggan-42"
    assert data["verified"] is True


@pytest.mark.parametrize("signature", ["", "00" * 32, user_hash("salah", "pelanggan-42"),
                                       user_hash(SECRET, "pelanggan-43")])
def test_a_claimed_user_id_with_an_invalid_hmac_is_refused(livechat_inbox, signature):
    response = post_session(livechat_inbox, {"user_id": "pelanggan-42", "user_hash": signature})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert "token" not in response.json()


def test_a_claimed_user_id_is_refused_when_the_inbox_has_no_secret(livechat_inbox, monkeypatch):
    monkeypatch.delenv("LAYAN_TEST_WIDGET_SECRET")

    response = post_session(livechat_inbox, {"user_id": "pelanggan-42", "user_hash": user_hash("", "pelanggan-42")})

    assert response.status_code == 403


def test_an_unknown_inbox_answers_404(db):
    response = Client().post("/widget/tidak-ada/session", data="{}", content_type="application/json",
                             HTTP_ORIGIN=SITE)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_too_many_sessions_from_one_ip_are_refused_with_a_clear_error(world, chat_settings, monkeypatch):
    from layan.connectors.services import create_inbox

    chat_settings["rate_limit"] = {"sessions_per_hour": 2}
    inbox = create_inbox(actor=world.actor, kind="livechat", name="Chat kecil", settings=chat_settings)

    statuses = [post_session(inbox).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    refused = post_session(inbox)
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused["Retry-After"]) > 0


def test_the_widget_script_is_served_as_javascript(db):
    response = Client().get("/widget/widget.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"attachShadow" in b"".join(response)
    assert b"innerHTML" not in b"".join(response)


def test_the_widget_learns_whether_an_agent_of_the_inbox_team_is_online(world, livechat_inbox):
    from layan.accounts.services import set_availability
    from layan.connectors.models import Inbox

    Inbox.objects.filter(pk=livechat_inbox.pk).update(default_team=world.team)
    set_availability(actor=world.actor, agent=world.other_agent, availability="online")  # another team
    livechat_inbox.refresh_from_db()
    assert post_session(livechat_inbox).json()["config"]["agents_online"] is False
    set_availability(actor=world.actor, agent=world.agent, availability="online")
    assert post_session(livechat_inbox).json()["config"]["agents_online"] is True
