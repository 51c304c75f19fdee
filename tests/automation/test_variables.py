"""Variables in canned replies: the {{...}} names, the older {customer_name} placeholders, missing
values (never "None"), fallbacks, one-pass rendering, the id/en version chosen by the customer's
language, and the composer's lookup answering with the text filled in."""

from __future__ import annotations

import pytest
from django.test import Client

from layan import events
from layan.accounts.actors import Actor
from layan.automation.selectors import render_canned_reply
from layan.automation.services import create_canned_reply
from layan.automation.variables import render_variables
from layan.conversations.services import assign_conversation, create_conversation
from layan.customers.services import IdentityInput, update_customer
from layan.errors import Conflict, InvalidInput


def _conversation(world, name="Siti Aminah", team=None):
    return create_conversation(actor=world.actor, customer_name=name, subject="Paket belum sampai", team=team,
                               customer_identities=[IdentityInput(kind="email", value="siti@contoh.id")],
                               text="Halo").conversation


def test_every_variable_is_filled_for_the_conversation_and_agent(world):
    conversation = _conversation(world, team=world.team)
    assign_conversation(actor=world.actor, conversation=conversation, assignee=world.agent)
    conversation.refresh_from_db()
    text = ("{{customer.first_name}}|{{customer.name}}|{{conversation.number}}|{{conversation.subject}}|"
            "{{agent.first_name}}|{{agent.name}}|{{workspace.name}}|{{conversation.team}}|{{ conversation.assignee }}")

    rendered = render_variables(text, conversation=conversation, agent=world.supervisor)

    assert rendered == (f"Siti|Siti Aminah|{conversation.number}|Paket belum sampai|Supervisor|Supervisor|Toko Maju|"
                        "Layanan Pelanggan|Budi")


def test_missing_values_render_empty_or_the_fallback_never_none(world):
    conversation = _conversation(world, name="")

    rendered = render_variables("Halo {{customer.first_name}}! Halo {{customer.first_name|Kak}}. "
                                "Tim: {{conversation.team}}. Dari {{agent.first_name|kami}}",
                                conversation=conversation, agent=None)

    assert rendered == "Halo ! Halo Kak. Tim: . Dari kami"
    assert "None" not in rendered


def test_legacy_placeholders_still_work_and_unknown_names_stay_as_written(world):
    conversation = _conversation(world)

    rendered = render_variables("{customer_name} #{conversation_number} {agent_name} {ongkir} {{order.total}}",
                                conversation=conversation, agent=world.agent)

    assert rendered == f"Siti Aminah #{conversation.number} Budi {{ongkir}} {{{{order.total}}}}"


def test_a_value_that_looks_like_a_variable_is_not_expanded(world):
    conversation = _conversation(world, name="{{agent.name}} {agent_name}")

    assert render_variables("Halo {{customer.name}}", conversation=conversation, agent=world.agent) == (
        "Halo {{agent.name}} {agent_name}")


@pytest.fixture
def pair(world):
    supervisor = Actor.for_agent(world.supervisor)
    english = create_canned_reply(actor=supervisor, shortcut="thanks", title="Thanks", language="en",
                                  text="Thank you, {{customer.first_name}}.")
    indonesian = create_canned_reply(actor=supervisor, shortcut="terima-kasih", title="Terima kasih", language="id",
                                     text="Terima kasih, {{customer.first_name}}.", variant_of=english)
    return english, indonesian


@pytest.mark.parametrize(("language", "expected"), [("id", "Terima kasih, Siti."), ("en", "Thank you, Siti.")])
def test_the_version_in_the_customers_language_is_chosen_from_either_one(world, pair, language, expected):
    conversation = _conversation(world)
    update_customer(actor=world.actor, customer=conversation.customer, language=language)
    conversation.refresh_from_db()

    for reply in pair:
        assert render_canned_reply(canned_reply=reply, conversation=conversation, agent=world.agent) == expected


def test_a_reply_without_a_version_in_the_customers_language_is_used_as_written(world):
    reply = create_canned_reply(actor=Actor.for_agent(world.supervisor), shortcut="hi", title="Hi", language="en",
                                text="Hi {{customer.first_name}}")
    conversation = _conversation(world)  # customers default to id

    assert render_canned_reply(canned_reply=reply, conversation=conversation, agent=None) == "Hi Siti"


def test_a_translation_needs_another_language_and_one_per_language(world, pair):
    english, _indonesian = pair
    supervisor = Actor.for_agent(world.supervisor)

    with pytest.raises(InvalidInput) as same:
        create_canned_reply(actor=supervisor, shortcut="thanks-2", title="T", text="T", language="en",
                            variant_of=english)
    with pytest.raises(Conflict) as second:
        create_canned_reply(actor=supervisor, shortcut="makasih", title="M", text="M", language="id",
                            variant_of=english)

    assert same.value.field == "language"
    assert second.value.field == "language"


def test_the_composer_lookup_inserts_the_rendered_text_with_variables(world):
    supervisor = Actor.for_agent(world.supervisor)
    create_canned_reply(actor=supervisor, shortcut="sapa", title="Sapa",
                        text="Halo {{customer.first_name}}, tiket #{{conversation.number}}. Salam, {{agent.first_name}}")
    conversation = _conversation(world, team=world.team)
    client = Client()
    client.force_login(world.agent.user)

    response = client.get("/canned/", {"q": "sapa", "conversation": conversation.number})

    assert response.status_code == 200
    assert [i["text"] for i in response.json()["items"]] == [f"Halo Siti, tiket #{conversation.number}. Salam, Budi"]


def test_the_rule_chain_of_an_event_survives_the_queue_payload():
    event = events.ConversationStatusChanged(workspace_id=1, conversation_id=2, old_status="new", new_status="open",
                                             rule_chain=(5, 7))

    assert events.event_from_payload(event.as_payload()) == event
    assert events.ConversationCreated(workspace_id=1, conversation_id=2).rule_chain == ()
