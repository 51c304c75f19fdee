"""Cursor pagination through the API stays stable while rows are inserted between pages."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from layan.accounts.actors import Actor
from layan.conversations.models import Conversation
from layan.conversations.services import receive_inbound_message
from layan.customers.services import IdentityInput, create_customer

_senders = itertools.count(1)


def _new_conversations(world, inbound, count: int) -> list[int]:
    return [receive_inbound_message(inbox=world.email_inbox,
                                    inbound=inbound(f"pelanggan{next(_senders)}@contoh.id")).conversation.pk
            for _ in range(count)]


def _walk(api, path: str, params: dict, between_pages=None, max_pages: int = 50) -> list[list[int]]:
    """Every page's ids, following next_cursor; ``between_pages()`` runs after each page."""
    pages, cursor = [], None
    for _ in range(max_pages):
        response = api.get(path, {**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        if between_pages:
            between_pages()
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("sort", ["-created", "created", "-updated", "updated"])
def test_paging_conversations_while_new_ones_arrive_never_repeats_or_skips(world, inbound, api, sort):
    existing = _new_conversations(world, inbound, 12)
    inserted = []

    pages = _walk(api, "/conversations", {"limit": 5, "sort": sort},
                  between_pages=lambda: inserted.extend(_new_conversations(world, inbound, 2)))

    seen = [pk for page in pages for pk in page]
    assert len(seen) == len(set(seen)), "a conversation was listed twice"
    assert set(existing) <= set(seen), "a conversation that existed before paging was skipped"
    assert all(len(page) == 5 for page in pages[:-1])
    old_order = [pk for pk in seen if pk in existing]
    expected = sorted(existing, reverse=sort.startswith("-"))
    assert old_order == expected
    if sort.startswith("-"):
        assert set(seen).isdisjoint(inserted)  # newer than the cursor: they belong before page one
    else:
        assert seen[-len(inserted):] == inserted  # later than everything: they come at the end


@pytest.mark.parametrize("sort", ["-updated", "updated"])
def test_conversations_with_the_same_activity_time_are_ordered_by_id_across_pages(world, inbound, api, sort):
    existing = _new_conversations(world, inbound, 11)
    Conversation.objects.filter(pk__in=existing).update(last_message_at=timezone.now())

    pages = _walk(api, "/conversations", {"limit": 3, "sort": sort})

    seen = [pk for page in pages for pk in page]
    assert seen == sorted(existing, reverse=sort == "-updated")
    assert [len(page) for page in pages] == [3, 3, 3, 2]


def test_paging_customers_while_new_ones_are_added_never_repeats_or_skips(world, api):
    actor = Actor.for_agent(world.admin)
    counter = itertools.count(1)

    def add_customers(count: int) -> list[int]:
        return [create_customer(actor=actor, name=f"Pelanggan {n}",
                                identities=[IdentityInput("email", f"c{n}@contoh.id")]).pk
                for n in (next(counter) for _ in range(count))]

    existing = add_customers(13)
    inserted = []

    pages = _walk(api, "/customers", {"limit": 5}, between_pages=lambda: inserted.extend(add_customers(3)))

    seen = [pk for page in pages for pk in page]
    assert seen == sorted(existing, reverse=True)
    assert set(seen).isdisjoint(inserted)
    assert [len(page) for page in pages] == [5, 5, 3]


def test_paging_a_search_keeps_the_filter_on_every_page(world, api):
    actor = Actor.for_agent(world.admin)
    for n in range(8):
        create_customer(actor=actor, name=f"Siti {n}" if n % 2 else f"Rudi {n}")

    pages = _walk(api, "/customers", {"limit": 2, "q": "siti"})

    everything = api.get("/customers", {"q": "siti", "limit": 100}).json()["items"]
    assert sorted(c["name"] for c in everything) == ["Siti 1", "Siti 3", "Siti 5", "Siti 7"]
    assert pages == [[c["id"] for c in everything[:2]], [c["id"] for c in everything[2:]]]


def test_paging_a_thread_while_messages_arrive_returns_each_message_once_in_order(world, inbound, api):
    first = receive_inbound_message(inbox=world.email_inbox, inbound=inbound("siti@contoh.id"))
    for _ in range(6):
        receive_inbound_message(inbox=world.email_inbox, inbound=inbound("siti@contoh.id"))

    def new_message():
        receive_inbound_message(inbox=world.email_inbox, inbound=inbound("siti@contoh.id"))

    pages = _walk(api, f"/conversations/{first.conversation.pk}/messages", {"limit": 3}, between_pages=new_message)

    seen = [pk for page in pages for pk in page]
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == Conversation.objects.get(pk=first.conversation.pk).message_count


def test_a_cursor_from_another_sort_is_refused_with_a_clear_error(world, inbound, api):
    _new_conversations(world, inbound, 3)
    cursor = api.get("/conversations", {"limit": 1, "sort": "-updated"}).json()["next_cursor"]

    response = api.get("/conversations", {"limit": 1, "sort": "-created", "cursor": cursor})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"
    assert response.json()["error"]["field"] == "cursor"
