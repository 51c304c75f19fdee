"""What agents see over real HTTP: the inbox's SLA badge (time left, breached, paused), the inbox
sorted by time to breach across cursor pages, and the conversation page's targets with their due
times in the agent's own time zone."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import Client

from layan.conversations import services as conversations
from layan.conversations.models import Status
from layan.customers.services import IdentityInput
from layan.servicelevels.services import sweep_service_levels

JAKARTA = ZoneInfo("Asia/Jakarta")


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=JAKARTA)


def browser(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-href="/c/(\d+)/"', html)]


def _badge(html: str, number: int) -> str:
    row = re.search(rf'<tr class="row[^"]*"[^>]*data-href="/c/{number}/">(.*?)</tr>', html, re.S).group(1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.findall(r"<td>(.*?)</td>", row, re.S)[-2])).strip()


def test_the_inbox_shows_time_left_breached_and_paused_and_sorts_by_time_to_breach(world, policy, settle, receive):
    policy(first_response_minutes=60, hours="always")
    with time_machine.travel(wib(2026, 8, 10, 9, 0), tick=False):
        late = settle(receive, world.email_inbox, "siti@contoh.id").conversation
    with time_machine.travel(wib(2026, 8, 10, 9, 40), tick=False):
        soon = settle(receive, world.email_inbox, "rina@contoh.id").conversation
        later = settle(receive, world.email_inbox, "tono@contoh.id").conversation
        settle(conversations.change_status, actor=world.actor, conversation=later, status=Status.PENDING)
    with time_machine.travel(wib(2026, 8, 10, 10, 0), tick=False):
        settle(sweep_service_levels)  # the first one is due at 10:00: breached
        html = browser(world.admin).get("/?view=all&sort=sla", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert numbers(html) == [late.number, soon.number, later.number]
    assert _badge(html, late.number) == "Breached"
    assert _badge(html, soon.number) == "40 minutes"
    assert _badge(html, later.number) == "Paused"


def test_sorting_by_time_to_breach_pages_by_cursor_without_repeats(world, policy, settle, receive, monkeypatch):
    from layan.web import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    policy(first_response_minutes=60, hours="always")
    made = []
    for minute in (0, 5, 10, 15, 20):
        with time_machine.travel(wib(2026, 8, 10, 9, minute), tick=False):
            made.append(settle(receive, world.email_inbox, f"c{minute}@contoh.id").conversation.number)
    with time_machine.travel(wib(2026, 8, 10, 9, 30), tick=False):
        made.append(settle(conversations.create_conversation, actor=world.actor, inbox=world.email_inbox,
                           subject="Tanpa SLA", text="Halo", customer_name="Tono",
                           customer_identities=[IdentityInput("email", "tono@contoh.id")]).conversation.number)  # met at once: no due time
        client = browser(world.admin)
        seen, url = [], "/?view=all&sort=sla"
        while url:
            html = client.get(url if url.startswith("/") else "/" + url).content.decode()
            seen += numbers(html)
            more = re.search(r'<tr class="more"><td[^>]*><button type="button" hx-get="([^"]+)"', html)
            url = more.group(1).replace("&amp;", "&") if more else None

    assert seen == made


def test_the_conversation_page_shows_each_target_due_in_the_agents_time_zone(world, policy, settle, receive):
    policy(name="Standar", first_response_minutes=30, resolution_minutes=480)
    world.agent.timezone = "Asia/Jayapura"  # WIT, two hours ahead of WIB
    world.agent.save(update_fields=["timezone"])
    world.agent.language = "en"
    world.agent.save(update_fields=["language"])
    with time_machine.travel(wib(2026, 8, 7, 16, 50), tick=False):
        conversation = settle(receive, world.email_inbox, "siti@contoh.id").conversation
        settle(conversations.assign_conversation, actor=world.actor, conversation=conversation, team=world.team)
        html = browser(world.agent).get(f"/c/{conversation.number}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    card = re.search(r'<section class="card" aria-label="Service level">(.*?)</section>', html, re.S).group(1)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card))
    assert 'datetime="2026-08-10T10:20:00+09:00"' in card  # Monday 08:20 WIB, shown as 10:20 WIT
    assert "First response" in text
    assert "Resolution" in text
    assert "Standar: 30 min · business hours" in text
