"""The inbox and the conversation side panel over real HTTP: views and their counts, filters,
cursor pages, bulk actions, unread markers, all-or-nothing details, notes, and query counts that
do not grow with the data."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from layan.conversations.models import Conversation, Message, Status
from layan.conversations.services import add_note, change_status, create_conversation, tag
from layan.customers.services import IdentityInput


def browser(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def numbers(response) -> list[int]:
    return [int(n) for n in re.findall(r'data-href="/c/(\d+)/"', response.content.decode())]


def open_conversation(world, subject: str, *, email: str = "siti@contoh.id", **fields) -> Conversation:
    return create_conversation(actor=world.actor, inbox=world.email_inbox, subject=subject, customer_name="Siti",
                               customer_identities=[IdentityInput("email", email)], text=f"Halo: {subject}",
                               **fields).conversation


@pytest.fixture
def inbox_data(world):
    """Conversations for every view: mine, unassigned, another team's, solved, mentioning Budi."""
    mine = open_conversation(world, "Punya Budi", team=world.team, assignee=world.agent)
    unassigned = open_conversation(world, "Belum ada yang pegang", email="rina@contoh.id")
    team = open_conversation(world, "Tim layanan", email="tono@contoh.id", team=world.team)
    hidden = open_conversation(world, "Tim lain", email="dewi@contoh.id", team=world.other_team)
    solved = open_conversation(world, "Sudah selesai", email="andi@contoh.id", assignee=world.agent)
    change_status(actor=world.actor, conversation=solved, status=Status.SOLVED)
    mentioned = open_conversation(world, "Butuh bantuan Budi", email="joko@contoh.id", team=world.other_team,
                                  assignee=world.other_agent)
    add_note(actor=world.actor, conversation=mentioned, text="@Budi tolong cek", mentions=[world.agent])
    tag(actor=world.actor, conversation=unassigned, add=["pengiriman"])
    return {"mine": mine, "unassigned": unassigned, "team": team, "hidden": hidden, "solved": solved,
            "mentioned": mentioned}


def test_each_view_shows_its_conversations_and_every_count(world, inbox_data):
    client = browser(world.agent)
    n = {key: c.number for key, c in inbox_data.items()}

    assert sorted(numbers(client.get("/?view=mine"))) == [n["mine"]]
    assert sorted(numbers(client.get("/?view=unassigned"))) == sorted([n["unassigned"], n["team"]])
    assert sorted(numbers(client.get("/?view=teams"))) == sorted([n["mine"], n["team"]])
    # Budi sees unassigned and his team's work, and what he follows (he was mentioned), not the rest.
    assert sorted(numbers(client.get("/?view=all"))) == sorted([n["mine"], n["unassigned"], n["team"],
                                                                n["mentioned"]])
    assert numbers(client.get("/?view=mentions")) == [n["mentioned"]]
    page = client.get("/inbox/counts").content.decode()  # loaded by the inbox after its rows
    counts = dict(re.findall(r'data-testid="count-(\w+)">(\d+)<', page))
    assert counts == {"mine": "1", "unassigned": "2", "teams": "2", "all": "4", "mentions": "1"}


def test_filters_narrow_a_view_and_unknown_values_are_ignored(world, inbox_data):
    client = browser(world.admin)
    n = {key: c.number for key, c in inbox_data.items()}

    assert numbers(client.get("/?view=all&status=solved")) == [n["solved"]]
    assert numbers(client.get("/?view=all&tag=pengiriman")) == [n["unassigned"]]
    assert numbers(client.get("/?view=all&q=lain")) == [n["hidden"]]
    assert numbers(client.get(f"/?view=all&q=%23{n['team']}")) == [n["team"]]
    assert numbers(client.get("/?view=all&channel=whatsapp")) == []
    assert len(numbers(client.get("/?view=nope&status=bogus&sort=bogus"))) == 5  # all open work


def test_pages_follow_the_cursor_without_repeats(world):
    for i in range(60):
        open_conversation(world, f"Tanya {i}", email=f"p{i}@contoh.id")
    client = browser(world.admin)

    first = client.get("/?view=all&sort=-created")
    more = re.search(r'hx-get="(\?[^"]+)"', first.content.decode()).group(1).replace("&amp;", "&")
    second = client.get(f"/{more}")

    assert len(numbers(first)) == 50
    assert len(numbers(second)) == 10
    assert set(numbers(first)).isdisjoint(numbers(second))
    assert 'hx-get="?' not in second.content.decode()
    assert client.get("/?view=all&cursor=rusak")["Location"].startswith("/?view=all")


def test_the_inbox_list_makes_the_same_queries_for_10_and_for_1000_conversations(world,
                                                                                 django_assert_max_num_queries):
    template = open_conversation(world, "Contoh")
    tag(actor=world.actor, conversation=template, add=["promo"])
    client = browser(world.agent)

    def rows_of(count: int) -> int:
        existing = Conversation.objects.count()
        Conversation.objects.bulk_create([
            Conversation(workspace=world.workspace, number=1000 + existing + i, subject=f"Tanya {i}",
                         customer=template.customer, inbox=template.inbox, channel="email",
                         last_customer_message_at=timezone.now())
            for i in range(count - existing)])
        client.get("/")  # warm the session
        with django_assert_max_num_queries(40) as captured:
            response = client.get("/")
        assert response.status_code == 200
        return len(captured.captured_queries)

    assert rows_of(10) == rows_of(1000)


def test_bulk_actions_apply_to_what_the_agent_may_touch_and_report_what_they_cannot(world, inbox_data):
    client = browser(world.agent)
    visible = [inbox_data["unassigned"], inbox_data["team"]]
    selection = [c.pk for c in visible] + [inbox_data["hidden"].pk]

    response = client.post("/inbox/bulk", {"action": "assign", "assignee": "me", "conversation": selection,
                                           "next": "/?view=mine"})

    assert response["Location"] == "/?view=mine"
    assert {c.assignee_id for c in Conversation.objects.filter(pk__in=[c.pk for c in visible])} == {world.agent.pk}
    assert Conversation.objects.get(pk=inbox_data["hidden"].pk).assignee_id is None  # not his to see

    for status in (Status.SOLVED, Status.CLOSED):
        change_status(actor=world.actor, conversation=inbox_data["team"], status=status)
    client.post("/inbox/bulk", {"action": "status", "status": "solved", "conversation": [c.pk for c in visible]})
    page = client.get("/?view=mine&status=solved").content.decode()
    assert inbox_data["unassigned"].number in numbers(client.get("/?view=mine&status=solved"))
    assert f"#{inbox_data['team'].number}:" in page  # the closed one could not be solved: said so
    client.post("/inbox/bulk", {"action": "tag", "tag": "VIP", "conversation": [inbox_data["mine"].pk]})
    assert list(inbox_data["mine"].tags.values_list("name", flat=True)) == ["vip"]


def test_the_bulk_form_refuses_an_outside_redirect(world, inbox_data):
    response = browser(world.agent).post("/inbox/bulk", {"action": "tag", "tag": "x", "next": "https://jahat.test/",
                                                         "conversation": [inbox_data["mine"].pk]})
    assert response["Location"] == "/"


def test_a_customer_message_marks_the_conversation_unread_until_the_agent_opens_it(world, inbox_data, receive):
    client = browser(world.agent)
    mine = inbox_data["mine"]
    assert f'data-conversation="{mine.pk}"' in client.get("/?view=mine").content.decode()
    assert "row unread" in client.get("/?view=mine").content.decode()

    client.get(f"/c/{mine.number}/")
    assert "row unread" not in client.get("/?view=mine").content.decode()
    # Another agent's reading is theirs alone: the admin has not opened it.
    admin_row = re.search(rf'<tr class="([^"]+)" data-conversation="{mine.pk}"',
                          browser(world.admin).get("/?view=all").content.decode()).group(1)
    assert admin_row == "row unread"
    receive(world.email_inbox, "siti@contoh.id", text="Ada kabar?", in_reply_to=(
        mine.messages.get().provider_message_id,))
    Conversation.objects.filter(pk=mine.pk).update(last_customer_message_at=timezone.now())
    assert "row unread" in client.get("/?view=mine").content.decode()


def test_the_side_panel_changes_everything_at_once_or_nothing(world, inbox_data):
    client = browser(world.agent)
    conversation = inbox_data["unassigned"]
    form = {"status": "pending", "priority": "high", "type": "complaint", "team": world.team.pk,
            "assignee": world.agent.pk, "tags": "pengiriman, rusak"}

    assert client.post(f"/c/{conversation.number}/details", form).status_code == 302
    conversation.refresh_from_db()
    assert (conversation.status, conversation.priority, conversation.type, conversation.team_id,
            conversation.assignee_id) == ("pending", "high", "complaint", world.team.pk, world.agent.pk)
    assert sorted(conversation.tags.values_list("name", flat=True)) == ["pengiriman", "rusak"]

    for status in (Status.SOLVED, Status.CLOSED):
        change_status(actor=world.actor, conversation=conversation, status=status)
    refused = client.post(f"/c/{conversation.number}/details", {**form, "status": "new", "priority": "low"})
    assert refused.status_code == 409
    conversation.refresh_from_db()
    assert (conversation.status, conversation.priority) == ("closed", "high")


def test_the_side_panel_refuses_agents_and_teams_of_another_workspace(world, other_world, inbox_data):
    conversation = inbox_data["unassigned"]
    response = browser(world.agent).post(f"/c/{conversation.number}/details", {
        "status": "open", "priority": "normal", "type": "question", "team": "",
        "assignee": other_world.agent.pk, "tags": ""})
    assert response.status_code == 404
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def test_a_note_with_a_mention_is_internal_and_makes_the_colleague_follow(world, inbox_data):
    conversation = inbox_data["mine"]
    response = browser(world.agent).post(f"/c/{conversation.number}/note", {"note": "Minta tolong @Sari cek"})

    assert response.status_code == 302
    note = Message.objects.get(conversation=conversation, is_note=True)
    assert list(note.mentions.all()) == [world.other_agent]
    assert world.other_agent in conversation.followers.all()
    assert not hasattr(note, "outbox_item")
    assert browser(world.agent).post(f"/c/{conversation.number}/note", {"note": " "}).status_code == 400


def test_every_inbox_page_needs_a_login_and_a_membership(world, other_world, inbox_data):
    assert Client().get("/")["Location"].startswith("/login/")
    assert Client().post("/inbox/bulk", {"action": "tag"})["Location"].startswith("/login/")
    outsider = browser(other_world.admin)
    assert numbers(outsider.get("/?view=all")) == []
    outsider.post("/inbox/bulk", {"action": "assign", "assignee": "me",
                                  "conversation": [c.pk for c in inbox_data.values()]})
    assert not Conversation.objects.filter(assignee=other_world.admin).exists()
    assert outsider.post(f"/c/{inbox_data['mine'].number}/note", {"note": "x"}).status_code == 404


def test_merging_the_selected_keeps_the_oldest_with_every_message(world, inbox_data):
    client = browser(world.admin)
    older, newer = inbox_data["unassigned"], inbox_data["team"]

    client.post("/inbox/bulk", {"action": "merge", "conversation": [newer.pk, older.pk]})

    newer.refresh_from_db()
    assert newer.merged_into_id == older.pk
    assert sorted(Message.objects.filter(conversation=older, direction="in").values_list("text", flat=True)) == [
        "Halo: Belum ada yang pegang", "Halo: Tim layanan"]
    one = client.post("/inbox/bulk", {"action": "merge", "conversation": [older.pk]}, follow=True)
    assert Conversation.objects.filter(merged_into__isnull=False).count() == 1
    assert 'role="status"' in one.content.decode()


def test_custom_fields_are_edited_as_lines_and_a_removed_line_removes_its_field(world, inbox_data):
    client = browser(world.agent)
    conversation = inbox_data["unassigned"]
    form = {"status": "open", "priority": "normal", "type": "order", "team": "", "assignee": "", "tags": ""}

    client.post(f"/c/{conversation.number}/details", {**form, "custom_fields": "nomor pesanan: TN-118\nkurir: JNE"})
    conversation.refresh_from_db()
    assert conversation.custom_fields == {"nomor pesanan": "TN-118", "kurir": "JNE"}

    client.post(f"/c/{conversation.number}/details", {**form, "custom_fields": "kurir: SiCepat"})
    conversation.refresh_from_db()
    assert conversation.custom_fields == {"kurir": "SiCepat"}

    refused = client.post(f"/c/{conversation.number}/details", {**form, "custom_fields": "tanpa titik dua"})
    assert refused.status_code == 400
    assert "tanpa titik dua</textarea>" in refused.content.decode()  # what was typed stays
    conversation.refresh_from_db()
    assert conversation.custom_fields == {"kurir": "SiCepat"}


def test_an_agent_saves_the_current_inbox_as_a_view_and_only_they_see_it(world, inbox_data):
    client = browser(world.agent)
    saved = client.post("/inbox/views", {"name": "Pengiriman terbuka", "query": "view=all&tag=pengiriman&cursor=x"})

    assert saved["Location"] == "/?view=all&tag=pengiriman&sort=-updated"
    page = client.get("/").content.decode()
    assert '<a href="?view=all&amp;tag=pengiriman&amp;sort=-updated">Pengiriman terbuka</a>' in page
    assert numbers(client.get(saved["Location"])) == [inbox_data["unassigned"].number]
    assert "Pengiriman terbuka" not in browser(world.other_agent).get("/").content.decode()

    again = client.post("/inbox/views", {"name": "Pengiriman terbuka", "query": "view=mine"}, follow=True)
    assert 'role="status"' in again.content.decode()
    view = world.agent.saved_views.get()
    assert browser(world.other_agent).post(f"/inbox/views/{view.pk}/delete").status_code == 404
    client.post(f"/inbox/views/{view.pk}/delete")
    assert not world.agent.saved_views.exists()


def test_the_view_counts_are_one_query_whatever_the_data(world, inbox_data, django_assert_num_queries):
    client = browser(world.agent)
    client.get("/inbox/counts")
    # session, user, agent, its teams (visibility; "my teams"), four plain counts in one query and
    # the mentions count on its own
    with django_assert_num_queries(6):
        client.get("/inbox/counts")
