"""The routing settings page (supervisors and admins) and the inbox's "waiting in queue"."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from layan.accounts.models import AuditEntry
from layan.accounts.services import create_agent, set_team_members
from layan.routing import services as routing
from layan.routing.models import AgentRouting, AgentSkill, InboxSkill, Queue, Skill, TagSkill

PAGE = reverse("web:settings-routing")


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the page's English words, whatever the Indonesian catalogue says."""
    settings.LANGUAGE_CODE = "en"


def _client(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def _routing_rows() -> dict:
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in
            (Queue, AgentRouting, Skill, AgentSkill, InboxSkill, TagSkill)}


def test_a_supervisor_sees_every_queue_skill_and_agent(world):
    printer = routing.create_skill(actor=world.actor, name="printer")
    routing.set_agent_routing(actor=world.actor, agent=world.agent, chat_capacity=4, skill_levels={printer.pk: 4})

    page = _client(world.supervisor).get(PAGE)

    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-team="{world.team.pk}"' in html
    assert f'data-team="{world.other_team.pk}"' in html
    assert f'data-skill="{printer.pk}"' in html
    assert f'id="chat-{world.agent.pk}" name="chat_capacity" type="number" min="0" max="200" value="4"' in html
    assert '<option value="4" selected>4</option>' in html
    assert "0/4 chats, 0/10 emails" in html


@pytest.mark.parametrize("role", ["agent", "other_agent"])
def test_an_agent_may_neither_see_nor_change_routing(world, role):
    member = getattr(world, role)
    before = _routing_rows()
    client = _client(member)

    page = client.get(PAGE)
    change = client.post(reverse("web:settings-routing-queue", args=[world.team.pk]),
                         {"strategy": "least_loaded", "auto_assign": "on"})
    skill = client.post(reverse("web:settings-routing-skill-create"), {"name": "printer", "kind": "topic"})

    assert (page.status_code, change.status_code, skill.status_code) == (403, 403, 403)
    assert _routing_rows() == before


def test_the_routing_link_is_shown_to_supervisors_only(world):
    assert PAGE in _client(world.supervisor).get(reverse("web:home")).content.decode()
    assert PAGE not in _client(world.agent).get(reverse("web:home")).content.decode()


def test_a_supervisor_turns_on_automatic_least_loaded_assignment_for_a_team(world):
    response = _client(world.supervisor).post(reverse("web:settings-routing-queue", args=[world.team.pk]),
                                              {"strategy": "least_loaded", "auto_assign": "on"})

    assert response.status_code == 302
    queue = Queue.objects.get(team=world.team)
    assert (queue.strategy, queue.auto_assign, queue.priority_first) == ("least_loaded", True, False)
    entry = AuditEntry.objects.filter(action="routing.queue_changed").get()
    assert (entry.actor_agent_id, entry.after) == (
        world.supervisor.pk, {"strategy": "least_loaded", "auto_assign": True, "priority_first": False})


def test_an_unknown_strategy_is_refused_with_a_message(world):
    client = _client(world.supervisor)

    response = client.post(reverse("web:settings-routing-queue", args=[world.team.pk]), {"strategy": "random"},
                           follow=True)

    assert "Unknown routing strategy." in response.content.decode()
    assert not Queue.objects.exists()


def test_another_workspaces_team_agent_or_skill_is_not_found(world, other_world):
    theirs = routing.create_skill(actor=other_world.actor, name="printer")
    client = _client(world.supervisor)

    responses = [
        client.post(reverse("web:settings-routing-queue", args=[other_world.team.pk]), {"strategy": "round_robin"}),
        client.post(reverse("web:settings-routing-agent", args=[other_world.agent.pk]), {"chat_capacity": "1"}),
        client.post(reverse("web:settings-routing-skill-delete", args=[theirs.pk])),
        client.post(reverse("web:settings-routing-skill-requirements", args=[theirs.pk]), {"tags": "x"}),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert Skill.objects.filter(pk=theirs.pk).exists()
    assert not Queue.objects.exists()


def test_a_supervisor_adds_skills_and_says_what_needs_them(world):
    client = _client(world.supervisor)

    client.post(reverse("web:settings-routing-skill-create"), {"name": "Printer", "kind": "topic"})
    client.post(reverse("web:settings-routing-skill-create"), {"name": "en", "kind": "language"})
    duplicate = client.post(reverse("web:settings-routing-skill-create"), {"name": "printer", "kind": "topic"},
                            follow=True)
    printer = Skill.objects.get(name="printer")
    client.post(reverse("web:settings-routing-skill-requirements", args=[printer.pk]),
                {"inbox": [str(world.email_inbox.pk)], "tags": "printer, Tinta"})

    assert sorted(Skill.objects.values_list("kind", "name")) == [("language", "en"), ("topic", "printer")]
    assert "The skill printer already exists." in duplicate.content.decode()
    assert list(InboxSkill.objects.values_list("inbox_id", "skill_id")) == [(world.email_inbox.pk, printer.pk)]
    assert sorted(TagSkill.objects.values_list("tag__name", flat=True)) == ["printer", "tinta"]
    page = client.get(PAGE).content.decode()
    assert 'value="printer, tinta"' in page


def test_a_supervisor_sets_an_agents_capacity_and_skill_levels(world):
    printer = routing.create_skill(actor=world.actor, name="printer")
    english = routing.create_skill(actor=world.actor, name="en", kind="language")
    client = _client(world.supervisor)

    client.post(reverse("web:settings-routing-agent", args=[world.agent.pk]),
                {"chat_capacity": "2", "email_capacity": "", f"skill_{printer.pk}": "5", f"skill_{english.pk}": "0"})
    client.post(reverse("web:settings-routing-agent", args=[world.other_agent.pk]),
                {"chat_capacity": "", "email_capacity": "7", f"skill_{english.pk}": "3"})
    refused = client.post(reverse("web:settings-routing-agent", args=[world.agent.pk]),
                          {"chat_capacity": "-1"}, follow=True)

    rows = {r.agent_id: (r.chat_capacity, r.email_capacity) for r in AgentRouting.objects.all()}
    assert rows == {world.agent.pk: (2, None), world.other_agent.pk: (None, 7)}
    assert sorted(AgentSkill.objects.values_list("agent_id", "skill__name", "level")) == sorted([
        (world.agent.pk, "printer", 5), (world.other_agent.pk, "en", 3)])
    assert "Capacity must be between 0 and 200." in refused.content.decode()


def test_default_capacities_are_saved_and_refused_when_out_of_range(world):
    client = _client(world.supervisor)

    client.post(reverse("web:settings-routing-defaults"), {"chat_capacity": "4", "email_capacity": "12"})
    refused = client.post(reverse("web:settings-routing-defaults"), {"chat_capacity": "x", "email_capacity": "12"},
                          follow=True)

    settings = world.workspace.routing_settings
    settings.refresh_from_db()
    assert (settings.chat_capacity, settings.email_capacity) == (4, 12)
    assert "Capacity must be a whole number." in refused.content.decode()


def test_the_page_runs_the_same_queries_however_many_agents_and_skills(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    routing.create_skill(actor=world.actor, name="printer")
    client = _client(world.supervisor)
    client.get(PAGE)  # warm the session and the translations

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PAGE).status_code == 200
        return len(queries)

    few = count()
    skills = [routing.create_skill(actor=world.actor, name=f"produk {n}") for n in range(4)]
    agents = [create_agent(workspace=world.workspace, email=f"a{n}@tokomaju.test", display_name=f"A{n}")
              for n in range(6)]
    set_team_members(actor=world.actor, team=world.team, agents=[world.agent, *agents])
    for agent in agents:
        routing.set_agent_routing(actor=world.actor, agent=agent, chat_capacity=2,
                                  skill_levels={s.pk: 2 for s in skills})
    routing.set_skill_requirements(actor=world.actor, skill=skills[0], inboxes=[world.email_inbox], tag_names=["a"])

    assert count() == few == 16


# --- the inbox -------------------------------------------------------------------------------------


def test_the_inbox_shows_unassigned_team_conversations_as_waiting_in_queue(world, receive):
    from layan.accounts.actors import Actor
    from layan.conversations import services as conversations

    waiting = receive(world.email_inbox, "siti@contoh.id").conversation
    conversations.assign_conversation(actor=world.actor, conversation=waiting, team=world.team)
    taken = receive(world.email_inbox, "rina@contoh.id").conversation
    conversations.assign_conversation(actor=Actor.for_agent(world.agent), conversation=taken, team=world.team,
                                      assignee=world.agent)
    loose = receive(world.email_inbox, "dewi@contoh.id").conversation  # no team: nobody's queue

    html = _client(world.supervisor).get(reverse("web:home"), {"view": "all"}).content.decode()

    rows = {c.pk: html.split(f'data-conversation="{c.pk}"')[1].split("</tr>")[0] for c in (waiting, taken, loose)}
    assert "Waiting in queue · Layanan Pelanggan" in rows[waiting.pk]
    assert "Waiting in queue" not in rows[taken.pk]
    assert "Budi" in rows[taken.pk]
    assert "Waiting in queue" not in rows[loose.pk]
    page = _client(world.agent).get(reverse("web:conversation", args=[waiting.number])).content.decode()
    assert "Waiting in queue · Layanan Pelanggan" in page
