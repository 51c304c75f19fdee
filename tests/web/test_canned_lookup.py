"""The composer's canned-reply lookup, GET /canned/: login, the conversation's visibility, the
agent's teams, the search order and text rendered for the conversation."""

from __future__ import annotations

import pytest
from django.test import Client

from layan.accounts.actors import Actor
from layan.automation.models import CannedReply
from layan.automation.services import create_canned_reply, record_canned_reply_use
from layan.conversations.services import create_conversation
from layan.customers.services import IdentityInput


def _browser(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def _conversation(world, *, team=None, name="Siti Aminah"):
    return create_conversation(actor=world.actor, customer_name=name, subject="Ongkir", team=team,
                               customer_identities=[IdentityInput(kind="email", value="siti@contoh.id")],
                               text="Berapa ongkirnya?").conversation


@pytest.fixture
def replies(world):
    supervisor = Actor.for_agent(world.supervisor)
    made = {
        "ongkir": create_canned_reply(actor=supervisor, shortcut="ongkir", title="Ongkos kirim",
                                      text="Halo {customer_name}, ongkir gratis. Salam, {agent_name}"),
        "cek-ongkir": create_canned_reply(actor=supervisor, shortcut="cek-ongkir", title="Cek ongkir",
                                          text="Tiket #{conversation_number}", team=world.team),
        "tarif": create_canned_reply(actor=supervisor, shortcut="tarif", title="Tarif ongkir luar pulau",
                                     text="Tarif {ongkir}", team=world.other_team),
    }
    record_canned_reply_use(canned_reply=made["cek-ongkir"])
    return made


def test_lookup_answers_the_agents_replies_best_first_with_text_rendered_for_the_conversation(world, replies):
    conversation = _conversation(world, team=world.team)

    response = _browser(world.agent).get("/canned/", {"q": "ongkir", "conversation": conversation.number})

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"items": [
        {"id": replies["ongkir"].pk, "shortcut": "ongkir", "title": "Ongkos kirim",
         "text": "Halo Siti Aminah, ongkir gratis. Salam, Budi"},
        {"id": replies["cek-ongkir"].pk, "shortcut": "cek-ongkir", "title": "Cek ongkir",
         "text": f"Tiket #{conversation.number}"},
    ]}


def test_lookup_of_another_teams_agent_offers_that_teams_replies_instead(world, replies):
    conversation = _conversation(world)

    response = _browser(world.other_agent).get("/canned/", {"q": "/ongkir", "conversation": conversation.number})

    assert [i["shortcut"] for i in response.json()["items"]] == ["ongkir", "tarif"]
    assert response.json()["items"][1]["text"] == "Tarif {ongkir}"


def test_lookup_for_a_conversation_the_agent_cannot_see_is_404(world, replies):
    hidden = _conversation(world, team=world.other_team)

    response = _browser(world.agent).get("/canned/", {"q": "", "conversation": hidden.number})

    assert response.status_code == 404
    assert _browser(world.supervisor).get("/canned/", {"conversation": hidden.number}).status_code == 200


@pytest.mark.parametrize("number", ["", "abc", "987654321"], ids=["missing", "not-a-number", "unknown"])
def test_lookup_without_a_valid_conversation_number_is_404(number, world, replies):
    assert _browser(world.agent).get("/canned/", {"q": "ongkir", "conversation": number}).status_code == 404


def test_lookup_offers_only_the_replies_of_the_session_agents_own_workspace(world, other_world, replies):
    foreign = _conversation(other_world)
    create_canned_reply(actor=Actor.for_agent(other_world.supervisor), shortcut="rahasia", title="R", text="R")
    own = _conversation(world)

    theirs = _browser(other_world.admin).get("/canned/", {"conversation": foreign.number}).json()["items"]
    ours = _browser(world.admin).get("/canned/", {"conversation": own.number}).json()["items"]

    assert [i["shortcut"] for i in theirs] == ["rahasia"]
    assert {i["shortcut"] for i in ours} == {"ongkir", "cek-ongkir", "tarif"}


def test_lookup_needs_a_login_and_does_not_count_a_use(world, replies):
    conversation = _conversation(world)

    anonymous = Client().get("/canned/", {"conversation": conversation.number})
    _browser(world.agent).get("/canned/", {"conversation": conversation.number})

    assert anonymous.status_code == 302
    assert "/login/" in anonymous["Location"]
    assert CannedReply.objects.get(pk=replies["ongkir"].pk).usage_count == 0


def test_lookup_answers_with_a_fixed_number_of_queries_for_any_number_of_replies(world, replies,
                                                                                  django_assert_max_num_queries):
    conversation = _conversation(world)
    supervisor = Actor.for_agent(world.supervisor)
    for n in range(15):
        create_canned_reply(actor=supervisor, shortcut=f"jawaban-{n}", title="J", text="Halo {customer_name}")
    browser = _browser(world.agent)

    with django_assert_max_num_queries(10):
        response = browser.get("/canned/", {"conversation": conversation.number})

    assert len(response.json()["items"]) == 18 - 1  # the other team's is not the agent's
