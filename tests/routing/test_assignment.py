"""Automatic assignment: who gets a conversation entering a team's queue, by which strategy, and
what happens when agents free up, go offline or a person assigns by hand."""

from __future__ import annotations

from collections import Counter

import pytest

from layan import events
from layan.accounts.actors import Actor
from layan.conversations import services as conversations
from layan.conversations.models import Conversation
from layan.customers.services import IdentityInput
from layan.routing import services as routing
from layan.routing.models import AgentRouting, SkillKind


def _assignees(conversations_) -> list[str | None]:
    fresh = Conversation.objects.filter(pk__in=[c.pk for c in conversations_]).select_related("assignee")
    by_pk = {c.pk: c for c in fresh}
    return [by_pk[c.pk].assignee.display_name if by_pk[c.pk].assignee else None for c in conversations_]


def _capacity(desk, agent, **capacities):
    routing.set_agent_routing(actor=desk.actor, agent=agent, **capacities)


# --- round robin ------------------------------------------------------------------------------


def test_round_robin_spreads_30_conversations_over_3_agents_10_each(desk, chat):
    arrived = [chat() for _ in range(30)]

    counts = Counter(_assignees(arrived))

    assert sorted(counts) == ["Ani", "Budi", "Citra"]
    assert all(9 <= n <= 11 for n in counts.values()), counts
    assert sum(counts.values()) == 30


def test_round_robin_takes_turns_in_order_of_least_recent_assignment(desk, chat):
    arrived = [chat() for _ in range(6)]

    names = _assignees(arrived)

    assert names[:3] == names[3:]
    assert sorted(names[:3]) == ["Ani", "Budi", "Citra"]


def test_agents_who_are_away_or_offline_get_nothing(desk, chat):
    budi, ani, citra = desk.agents
    desk.offline(ani)
    desk.available("away", citra)

    arrived = [chat() for _ in range(4)]

    assert _assignees(arrived) == ["Budi"] * 4


def test_a_conversation_waits_in_the_queue_when_nobody_is_online(desk, chat):
    desk.offline(*desk.agents)

    conversation = chat()

    assert conversation.assignee_id is None
    assert conversation.team_id == desk.team.pk


def test_a_queue_without_automatic_assignment_leaves_conversations_for_agents_to_take(desk, chat):
    desk.queue(auto_assign=False)

    conversation = chat()

    assert conversation.assignee_id is None


def test_a_conversation_without_a_team_is_not_routed(desk, chat, world):
    conversation = chat(inbox=world.whatsapp_inbox)  # the world's inbox has no default team

    assert (conversation.team_id, conversation.assignee_id) == (None, None)


def test_an_automatic_assignment_is_audited_as_the_system_and_published(desk, chat, world, published):
    conversation = chat()

    trail = list(world.workspace.audit_entries.filter(object_type="conversation", object_id=str(conversation.pk),
                                                      action="conversation.assigned").values_list("actor_kind", "after"))
    assert trail == [("system", {"team": desk.team.pk, "assignee": conversation.assignee_id})]
    assigned = [e for e in published if isinstance(e, events.ConversationAssigned)]
    assert [(e.conversation_id, e.assignee_id, e.by_agent_id) for e in assigned] == [
        (conversation.pk, conversation.assignee_id, None)]


# --- capacity -----------------------------------------------------------------------------------


def test_an_agent_at_chat_capacity_gets_no_more_chats_but_still_takes_emails(desk, chat, receive,
                                                                             django_capture_on_commit_callbacks):
    budi, ani, citra = desk.agents
    desk.offline(ani, citra)
    _capacity(desk, budi, chat_capacity=2, email_capacity=1)

    chats = [chat() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        mail = receive(desk.email, "rina@contoh.id").conversation
    mail.refresh_from_db()

    assert _assignees(chats) == ["Budi", "Budi", None]
    assert mail.assignee_id == budi.pk


def test_the_workspace_default_capacity_applies_without_an_override(desk, chat):
    budi, ani, citra = desk.agents
    desk.offline(ani, citra)
    routing.set_routing_defaults(actor=desk.actor, chat_capacity=1, email_capacity=10)

    assert _assignees([chat(), chat()]) == ["Budi", None]


def test_pending_and_solved_conversations_do_not_count_towards_capacity(desk, chat,
                                                                         django_capture_on_commit_callbacks):
    budi, ani, citra = desk.agents
    desk.offline(ani, citra)
    _capacity(desk, budi, chat_capacity=1)
    first = chat()
    with django_capture_on_commit_callbacks(execute=True):
        conversations.change_status(actor=Actor.for_agent(budi), conversation=first, status="pending")

    second = chat()

    assert _assignees([first, second]) == ["Budi", "Budi"]


# --- least loaded and skills ---------------------------------------------------------------------


def test_least_loaded_gives_the_conversation_to_the_agent_with_fewest_open_chats(desk, chat):
    budi, ani, citra = desk.agents
    desk.offline(ani, citra)
    held = [chat() for _ in range(3)]  # all Budi's
    desk.online(ani, citra)
    conversations.assign_conversation(actor=desk.actor, conversation=held[0], assignee=ani)
    desk.queue(strategy="least_loaded")

    newcomer = chat()

    assert _assignees([newcomer]) == ["Citra"]


def test_a_bahasa_indonesia_conversation_never_goes_to_an_english_only_agent(desk, chat):
    budi, ani, citra = desk.agents
    indonesian = routing.create_skill(actor=desk.actor, kind=SkillKind.LANGUAGE, name="id")
    english = routing.create_skill(actor=desk.actor, kind=SkillKind.LANGUAGE, name="en")
    routing.set_agent_routing(actor=desk.actor, agent=budi, skill_levels={english.pk: 5})
    routing.set_agent_routing(actor=desk.actor, agent=ani, skill_levels={indonesian.pk: 3, english.pk: 3})
    routing.set_agent_routing(actor=desk.actor, agent=citra, skill_levels={indonesian.pk: 4})

    indonesian_chats = [chat(language="id") for _ in range(8)]
    english_chats = [chat(language="en") for _ in range(4)]

    assert set(_assignees(indonesian_chats)) == {"Ani", "Citra"}
    assert set(_assignees(english_chats)) == {"Ani", "Budi"}


def test_a_conversation_needing_a_skill_nobody_online_has_waits(desk, chat):
    budi, ani, citra = desk.agents
    english = routing.create_skill(actor=desk.actor, kind=SkillKind.LANGUAGE, name="en")
    routing.set_agent_routing(actor=desk.actor, agent=budi, skill_levels={english.pk: 5})
    desk.offline(budi)

    waiting = chat(language="en")

    assert waiting.assignee_id is None
    desk.online(budi)  # coming online pulls it
    assert _assignees([waiting]) == ["Budi"]


def test_a_conversation_tagged_printer_goes_to_the_agent_with_the_printer_skill(desk, django_capture_on_commit_callbacks):
    budi, ani, citra = desk.agents
    printer = routing.create_skill(actor=desk.actor, name="Printer")
    routing.set_skill_requirements(actor=desk.actor, skill=printer, tag_names=["printer"])
    routing.set_agent_routing(actor=desk.actor, agent=ani, skill_levels={printer.pk: 2})

    with django_capture_on_commit_callbacks(execute=True):
        created = [conversations.create_conversation(
            actor=desk.actor, inbox=desk.email, customer_name="Rina", subject="Printer macet",
            customer_identities=[IdentityInput(kind="email", value=f"rina{n}@contoh.id")],
            text="Printer saya macet", tags=["printer"]).conversation for n in range(5)]

    assert printer.name == "printer"
    assert _assignees(created) == ["Ani"] * 5


def test_every_conversation_of_an_inbox_needing_a_skill_goes_to_agents_with_it(desk, chat):
    budi, ani, citra = desk.agents
    printer = routing.create_skill(actor=desk.actor, name="printer")
    routing.set_skill_requirements(actor=desk.actor, skill=printer, inboxes=[desk.whatsapp])
    routing.set_agent_routing(actor=desk.actor, agent=citra, skill_levels={printer.pk: 4})

    assert _assignees([chat() for _ in range(3)]) == ["Citra"] * 3


def test_skills_based_prefers_the_higher_skill_level(desk, chat):
    budi, ani, citra = desk.agents
    printer = routing.create_skill(actor=desk.actor, name="printer")
    routing.set_skill_requirements(actor=desk.actor, skill=printer, inboxes=[desk.whatsapp])
    routing.set_agent_routing(actor=desk.actor, agent=budi, skill_levels={printer.pk: 2})
    routing.set_agent_routing(actor=desk.actor, agent=ani, skill_levels={printer.pk: 5})
    desk.queue(strategy="skills_based")
    _capacity(desk, ani, chat_capacity=2)

    assert _assignees([chat() for _ in range(3)]) == ["Ani", "Ani", "Budi"]


# --- the queue's order, pulling when agents free up ---------------------------------------------


def test_urgent_then_vip_then_oldest_are_taken_first_when_an_agent_frees_up(desk, chat,
                                                                           django_capture_on_commit_callbacks):
    budi, ani, citra = desk.agents
    desk.offline(*desk.agents)
    oldest = chat()
    vip = chat(tier="vip")
    urgent = chat()
    conversations.set_priority(actor=desk.actor, conversation=urgent, priority="urgent")
    _capacity(desk, budi, chat_capacity=1)

    desk.online(budi)
    after_online = _assignees([oldest, vip, urgent])
    with django_capture_on_commit_callbacks(execute=True):
        conversations.change_status(actor=Actor.for_agent(budi), conversation=urgent, status="solved")
    after_first_solved = _assignees([oldest, vip])
    with django_capture_on_commit_callbacks(execute=True):
        conversations.change_status(actor=Actor.for_agent(budi), conversation=vip, status="solved")

    assert after_online == [None, None, "Budi"]
    assert after_first_solved == [None, "Budi"]
    assert _assignees([oldest]) == ["Budi"]


def test_without_priority_first_the_queue_is_strictly_oldest_first(desk, chat):
    budi, ani, citra = desk.agents
    desk.offline(*desk.agents)
    desk.queue(priority_first=False)
    oldest = chat()
    urgent = chat()
    conversations.set_priority(actor=desk.actor, conversation=urgent, priority="urgent")
    _capacity(desk, budi, chat_capacity=1)

    desk.online(budi)

    assert _assignees([oldest, urgent]) == ["Budi", None]


def test_a_customer_reopening_an_unassigned_solved_conversation_is_routed(desk, chat, receive,
                                                                          django_capture_on_commit_callbacks):
    budi, ani, citra = desk.agents
    desk.offline(*desk.agents)
    conversation = chat()
    conversations.change_status(actor=desk.actor, conversation=conversation, status="solved")
    desk.online(ani)
    assert _assignees([conversation]) == [None]  # solved conversations do not wait

    with django_capture_on_commit_callbacks(execute=True):
        again = receive(desk.whatsapp, conversation.customer.identities.get().value, kind="whatsapp").conversation

    assert again.pk == conversation.pk
    assert _assignees([conversation]) == ["Ani"]


def test_unassigning_by_hand_puts_the_conversation_back_in_the_queue(desk, chat, world,
                                                                     django_capture_on_commit_callbacks):
    budi, ani, citra = desk.agents
    desk.offline(ani, citra)
    conversation = chat()
    with django_capture_on_commit_callbacks(execute=True):
        desk.offline(budi)
        desk.online(citra)
        conversations.assign_conversation(actor=Actor.for_agent(world.supervisor), conversation=conversation,
                                          assignee=None)

    assert _assignees([conversation]) == ["Citra"]


# --- offline agents and manual assignment ---------------------------------------------------------


def test_an_agent_going_offline_hands_back_unanswered_chats_but_keeps_answered_and_hand_assigned_ones(
        desk, chat, world, django_capture_on_commit_callbacks):
    budi, ani, citra = desk.agents
    desk.offline(ani, citra)
    unanswered, answered = chat(), chat()
    mail = chat(inbox=desk.email)  # an email nobody answered yet stays too: only chats go back
    conversations.reply_to_conversation(actor=Actor.for_agent(budi), conversation=answered, text="Baik, Kak")
    desk.available("away", budi)
    by_hand = chat()  # waits: nobody online
    conversations.assign_conversation(actor=Actor.for_agent(world.supervisor), conversation=by_hand, assignee=budi)
    desk.online(citra)
    assert _assignees([unanswered, answered, by_hand, mail]) == ["Budi"] * 4

    with django_capture_on_commit_callbacks(execute=True):
        desk.offline(budi)

    assert _assignees([unanswered, answered, by_hand, mail]) == ["Citra", "Budi", "Budi", "Budi"]


def test_a_hand_assignment_wins_over_capacity_and_is_never_taken_away(desk, chat, world):
    budi, ani, citra = desk.agents
    desk.offline(ani, citra)
    _capacity(desk, budi, chat_capacity=1)
    first = chat()
    desk.available("away", budi)  # away keeps what they have and takes nothing new
    second = chat()
    conversations.assign_conversation(actor=Actor.for_agent(world.supervisor), conversation=second, assignee=budi)
    desk.online(budi, ani)

    third = chat()

    assert _assignees([first, second, third]) == ["Budi", "Budi", "Ani"]


# --- the sweeper and the cost of a decision -------------------------------------------------------


def test_a_conversation_whose_routing_task_was_lost_is_assigned_by_the_sweeper(desk, chat, monkeypatch):
    monkeypatch.setitem(events.SUBSCRIBERS, events.ConversationCreated, [])
    monkeypatch.setitem(events.SUBSCRIBERS, events.MessageReceived, [])
    lost = chat()
    assert lost.assignee_id is None

    assigned = routing.sweep_queues()

    assert assigned == 1
    assert _assignees([lost]) in (["Budi"], ["Ani"], ["Citra"])


def _waiting_conversation(desk, chat, monkeypatch):
    monkeypatch.setitem(events.SUBSCRIBERS, events.ConversationCreated, [])
    monkeypatch.setitem(events.SUBSCRIBERS, events.MessageReceived, [])
    return chat()


@pytest.mark.parametrize("team_size", [3, 12])
def test_one_routing_decision_costs_the_same_queries_whatever_the_team_size(desk, chat, monkeypatch, world,
                                                                           team_size, django_assert_num_queries):
    from layan.accounts.services import create_agent, set_team_members

    extra = [create_agent(workspace=world.workspace, email=f"extra{n}@tokomaju.test", display_name=f"Extra {n}")
             for n in range(team_size - 3)]
    set_team_members(actor=world.actor, team=desk.team, agents=[*desk.agents, *extra])
    desk.online(*extra)
    AgentRouting.objects.filter(agent__in=[*desk.agents, *extra]).delete()
    for agent in [*desk.agents, *extra]:
        AgentRouting.objects.get_or_create(agent=agent, defaults={"workspace": world.workspace})
    printer = routing.create_skill(actor=desk.actor, name="printer")
    routing.set_skill_requirements(actor=desk.actor, skill=printer, inboxes=[desk.whatsapp])
    for agent in [*desk.agents, *extra]:
        routing.set_agent_routing(actor=desk.actor, agent=agent, skill_levels={printer.pk: 3})
    conversation = _waiting_conversation(desk, chat, monkeypatch)

    with django_assert_num_queries(18):
        result = routing.route_conversation(conversation_id=conversation.pk)

    assert result.outcome == routing.Outcome.ASSIGNED


def test_a_conversation_given_to_a_team_without_an_agent_is_routed_to_a_member(desk, chat, world,
                                                                             django_capture_on_commit_callbacks):
    loose = chat(inbox=world.whatsapp_inbox)  # no default team: nobody's queue yet
    assert loose.assignee_id is None

    with django_capture_on_commit_callbacks(execute=True):
        conversations.assign_conversation(actor=Actor.for_agent(world.supervisor), conversation=loose, team=desk.team)

    loose.refresh_from_db()
    assert loose.team_id == desk.team.pk
    assert loose.assignee_id in {a.pk for a in desk.agents}


def test_turning_automatic_assignment_on_hands_out_what_already_waits(desk, chat):
    desk.queue(auto_assign=False)
    waiting = [chat() for _ in range(3)]
    assert _assignees(waiting) == [None, None, None]

    desk.queue(auto_assign=True)

    assert sorted(_assignees(waiting)) == ["Ani", "Budi", "Citra"]
