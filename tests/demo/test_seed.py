"""The demo loader: a consistent Indonesian shop, loaded once, the same for the same seed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.utils import timezone

from layan.accounts.models import Agent, Tag, Team, Workspace
from layan.accounts.selectors import active_agent_for_token
from layan.connectors.models import Inbox, InboxKind
from layan.conversations.models import (
    ACTIVE_STATUSES,
    Conversation,
    Direction,
    Message,
    Status,
    TimeEntry,
)
from layan.customers.models import Customer, Identity
from layan.customers.normalise import normalise_phone
from layan.demo import texts
from layan.demo.seed import (
    DEMO_AGENTS,
    DEMO_PASSWORD,
    DEMO_SLUG,
    HISTORY_DAYS,
    TIME_LOGGED_DEFAULT,
    TIME_LOGGED_SECONDS,
    issue_demo_token,
    seed_demo,
)
from layan.errors import InvalidInput

CUSTOMERS, CONVERSATIONS = 20, 60
INDONESIAN_MOBILE = re.compile(r"\+628[1-9]\d{7,10}")


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def demo(db, fast_hashing, now):
    return seed_demo(customers=CUSTOMERS, conversations=CONVERSATIONS, now=now)


def test_seeding_creates_the_requested_numbers_of_customers_and_conversations(demo):
    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    assert demo.seeded is True
    assert (demo.customers, demo.conversations) == (CUSTOMERS, CONVERSATIONS)
    assert (workspace.name, workspace.timezone, workspace.language) == ("Toko Nusantara", "Asia/Jakarta", "id")
    assert Customer.objects.filter(workspace=workspace).count() == CUSTOMERS
    assert Conversation.objects.filter(workspace=workspace).count() == CONVERSATIONS
    assert Message.objects.filter(workspace=workspace).count() == demo.messages


def test_the_shop_has_an_agent_of_each_role_in_two_teams_and_an_inbox_of_each_kind(demo):
    agents = {a.user.email: a for a in Agent.objects.select_related("user").filter(workspace=demo.workspace)}
    assert {email: a.role for email, a in agents.items()} == {
        "admin@demo.layan.id": "admin", "supervisor@demo.layan.id": "supervisor",
        "agent1@demo.layan.id": "agent", "agent2@demo.layan.id": "agent", "agent3@demo.layan.id": "agent",
    }
    teams = {t.name: sorted(m.user.email for m in t.members.select_related("user"))
             for t in Team.objects.filter(workspace=demo.workspace)}
    assert teams == {
        "Layanan Pelanggan": ["agent1@demo.layan.id", "agent2@demo.layan.id", "supervisor@demo.layan.id"],
        "Customer Care": ["agent3@demo.layan.id", "supervisor@demo.layan.id"],
    }
    kinds = sorted(Inbox.objects.filter(workspace=demo.workspace).values_list("kind", flat=True))
    assert kinds == sorted(InboxKind.values)


def test_every_demo_agent_logs_in_with_the_demo_password(demo):
    for spec in DEMO_AGENTS:
        user = authenticate(username=spec.email, password=DEMO_PASSWORD)
        assert user is not None, spec.email
        assert user.email == spec.email


def test_conversation_numbers_are_unique_and_the_workspace_counter_is_the_highest(demo):
    numbers = list(Conversation.objects.filter(workspace=demo.workspace).order_by("number")
                   .values_list("number", flat=True))
    assert numbers == list(range(1, CONVERSATIONS + 1))
    assert Workspace.objects.get(pk=demo.workspace.pk).last_conversation_number == CONVERSATIONS


def test_phone_identities_are_valid_indonesian_mobiles_in_e164(demo):
    phones = Identity.objects.filter(workspace=demo.workspace, kind__in=["phone", "whatsapp"])
    assert phones.filter(kind="phone").count() == CUSTOMERS
    for identity in phones:
        assert INDONESIAN_MOBILE.fullmatch(identity.value), identity.value
        assert normalise_phone(identity.value) == identity.value
        assert normalise_phone(identity.display_value) == identity.value
        assert identity.display_value.startswith("08")


def test_every_customer_has_an_email_and_a_name_and_speaks_id_or_en(demo):
    customers = list(Customer.objects.filter(workspace=demo.workspace).prefetch_related("identities"))
    assert len(customers) == CUSTOMERS
    for customer in customers:
        emails = [i.value for i in customer.identities.all() if i.kind == "email"]
        assert len(emails) == 1
        assert re.fullmatch(r"[a-z0-9._]+@[a-z]+\.example", emails[0]), emails[0]
        assert customer.name.strip() == customer.name != ""
        assert customer.language in ("id", "en")


def test_every_conversation_has_one_to_six_messages_that_its_counters_match(demo):
    conversations = Conversation.objects.filter(workspace=demo.workspace).prefetch_related("messages")
    for conversation in conversations:
        thread = sorted(conversation.messages.all(), key=lambda m: (m.created_at, m.pk))
        assert 1 <= len(thread) <= 6
        assert conversation.message_count == len(thread)
        opening = thread[0]
        assert (opening.direction, opening.author_kind, opening.is_note) == (Direction.INBOUND, "customer", False)
        assert opening.author_customer_id == conversation.customer_id
        assert opening.created_at == conversation.created_at
        assert conversation.last_message_at == thread[-1].created_at
        inbound = [m.created_at for m in thread if m.direction == Direction.INBOUND]
        replies = [m.created_at for m in thread if m.direction == Direction.OUTBOUND and not m.is_note]
        assert conversation.last_customer_message_at == inbound[-1]
        assert conversation.first_response_at == (replies[0] if replies else None)
        for message in thread:
            assert not re.search(r"[{}]", message.text), message.text
            if message.direction == Direction.OUTBOUND:
                assert message.author_agent_id is not None


def test_timestamps_fall_in_the_last_sixty_days_and_fit_the_status(demo, now):
    window_start = now - timedelta(days=HISTORY_DAYS + 1)
    for conversation in Conversation.objects.filter(workspace=demo.workspace).select_related("customer"):
        assert window_start <= conversation.created_at <= conversation.last_message_at <= now
        assert conversation.customer.created_at < conversation.created_at
        assert conversation.updated_at >= conversation.last_message_at
        if conversation.status in ACTIVE_STATUSES:
            assert (conversation.solved_at, conversation.closed_at) == (None, None)
        if conversation.status == Status.NEW:
            assert conversation.first_response_at is None
        if conversation.status == Status.SOLVED:
            assert conversation.solved_at >= conversation.last_message_at
            assert conversation.closed_at is None
        if conversation.status == Status.CLOSED:
            assert conversation.last_message_at <= conversation.solved_at < conversation.closed_at <= now
        if conversation.status in (Status.SOLVED, Status.CLOSED, Status.PENDING):
            assert conversation.first_response_at is not None


def test_conversations_are_tagged_from_the_shop_vocabulary(demo):
    vocabulary = set(texts.CONVERSATION_TAGS)
    for conversation in Conversation.objects.filter(workspace=demo.workspace).prefetch_related("tags"):
        names = {t.name for t in conversation.tags.all()}
        assert names, conversation.number
        assert names <= vocabulary
    assert set(Tag.objects.filter(workspace=demo.workspace).values_list("name", flat=True)) == (
        vocabulary | set(texts.CUSTOMER_TAGS))


def test_seeding_again_without_reset_leaves_the_shop_as_it_was(demo):
    again = seed_demo(customers=CUSTOMERS, conversations=CONVERSATIONS)

    assert again.seeded is False
    assert again.workspace.pk == demo.workspace.pk
    assert (again.customers, again.conversations, again.messages) == (
        demo.customers, demo.conversations, demo.messages)
    assert Workspace.objects.filter(slug=DEMO_SLUG).count() == 1
    assert Customer.objects.count() == CUSTOMERS
    assert Conversation.objects.count() == CONVERSATIONS


def test_reset_replaces_the_shop_and_keeps_one_login_per_agent(demo, django_user_model):
    fresh = seed_demo(customers=5, conversations=10, reset=True)

    assert fresh.seeded is True
    assert fresh.workspace.pk != demo.workspace.pk
    assert Workspace.objects.filter(slug=DEMO_SLUG).count() == 1
    assert (Customer.objects.count(), Conversation.objects.count()) == (5, 10)
    assert django_user_model.objects.filter(email__endswith="@demo.layan.id").count() == len(DEMO_AGENTS)
    assert authenticate(username="agent2@demo.layan.id", password=DEMO_PASSWORD) is not None


def test_the_same_seed_loads_the_same_shop(db, fast_hashing, now):
    def snapshot():
        return (
            list(Customer.objects.order_by("id").values_list("name", "tier", "language")),
            list(Identity.objects.order_by("customer__id", "kind").values_list("kind", "value")),
            list(Conversation.objects.order_by("number").values_list("subject", "status", "channel", "created_at")),
            list(Message.objects.order_by("conversation__number", "id").values_list("text", flat=True)),
        )

    seed_demo(customers=8, conversations=25, seed=7, now=now)
    first = snapshot()
    seed_demo(customers=8, conversations=25, seed=7, now=now, reset=True)

    assert snapshot() == first


def test_a_new_demo_token_revokes_the_previous_one(demo):
    admin, first = issue_demo_token(workspace=demo.workspace)
    _admin, second = issue_demo_token(workspace=demo.workspace)

    assert admin.user.email == "admin@demo.layan.id"
    assert active_agent_for_token(first) is None
    found_agent, found_token = active_agent_for_token(second)
    assert found_agent.pk == admin.pk
    assert found_token.name == "demo"


@pytest.mark.parametrize(("customers", "conversations"), [(0, 10), (5, -1)])
def test_impossible_sizes_are_refused_before_anything_is_written(db, customers, conversations):
    with pytest.raises(InvalidInput):
        seed_demo(customers=customers, conversations=conversations)

    assert Workspace.objects.filter(slug=DEMO_SLUG).exists() is False


def test_logged_time_sits_on_solved_conversations_by_their_assignee_when_they_solved_them(demo):
    entries = TimeEntry.objects.filter(workspace=demo.workspace).select_related("conversation")

    assert entries.exists()
    for entry in entries:
        conversation = entry.conversation
        assert conversation.status in (Status.SOLVED, Status.CLOSED)
        assert (entry.agent_id, entry.created_at) == (conversation.assignee_id, conversation.solved_at)
        low, high = TIME_LOGGED_SECONDS.get(conversation.channel, TIME_LOGGED_DEFAULT)
        assert low <= entry.seconds <= high
