"""The contact-center page over real HTTP: supervisors and admins see every queue live and the
staffing forecast, agents are refused, and the page costs the same queries for two teams or six."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from layan.accounts.actors import Actor
from layan.accounts.services import (
    create_agent,
    create_team,
    set_availability,
    set_team_members,
    update_profile,
)
from layan.conversations.services import (
    add_note,
    assign_conversation,
    change_status,
    reply_to_conversation,
)

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=WIB)  # a Wednesday
_numbers = itertools.count(1)


def browser(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def arrive(receive, world, at: datetime, *, team=None, assignee=None):
    with time_machine.travel(at, tick=False):
        conversation = receive(world.whatsapp_inbox, f"+62813{next(_numbers):07d}", kind="whatsapp").conversation
        if team is not None or assignee is not None:
            conversation = assign_conversation(actor=world.actor, conversation=conversation, team=team,
                                               **({"assignee": assignee} if assignee else {}))
    return conversation


def write_again(receive, world, conversation, at: datetime):
    with time_machine.travel(at, tick=False):
        receive(world.whatsapp_inbox, conversation.customer.identities.get().value, kind="whatsapp")


def queue_rows(html: str) -> dict[str, dict[str, str]]:
    """{team id ("" for no team, "total"): {cell testid: text}} from the live table."""
    rows = {}
    for attributes, body in re.findall(r'<tr data-testid="(queue" data-team="[^"]*|queue-total)"[^>]*>(.*?)</tr>',
                                       html, re.S):
        key = "total" if attributes == "queue-total" else attributes.split('data-team="')[1]
        cells = dict(re.findall(r'data-testid="([\w-]+)"[^>]*>(.*?)</td>', body, re.S))
        rows[key] = {name: re.sub(r"<[^>]+>", "", text).strip() for name, text in cells.items()}
    return rows


@pytest.fixture
def busy(world, receive):
    """Team one (Budi, online): two waiting, one in progress, one pending, one solved. Team two
    (Sari, offline): nothing. One conversation in no team. Another workspace's queue is busy too."""
    team = world.team
    replied = arrive(receive, world, NOW.replace(hour=9, minute=0), team=team)
    with time_machine.travel(NOW.replace(hour=9, minute=5), tick=False):
        reply_to_conversation(actor=Actor.for_agent(world.agent), conversation=replied, text="Kami cek ya, Kak.")
    write_again(receive, world, replied, NOW.replace(hour=9, minute=30))  # first unanswered: 09:30
    write_again(receive, world, replied, NOW.replace(hour=9, minute=40))
    noted = arrive(receive, world, NOW.replace(hour=10, minute=0), team=team)
    with time_machine.travel(NOW.replace(hour=10, minute=1), tick=False):
        add_note(actor=Actor.for_agent(world.agent), conversation=noted, text="Cek gudang dulu.")  # no reply
    arrive(receive, world, NOW.replace(hour=10, minute=10), team=team, assignee=world.agent)
    pending = arrive(receive, world, NOW.replace(hour=8, minute=0), team=team)
    change_status(actor=world.actor, conversation=pending, status="pending")
    solved = arrive(receive, world, NOW.replace(hour=8, minute=0), team=team)
    change_status(actor=world.actor, conversation=solved, status="solved")
    arrive(receive, world, NOW.replace(hour=10, minute=25))  # no team
    set_availability(actor=Actor.for_agent(world.agent), agent=world.agent, availability="online")
    return world


def test_a_supervisor_sees_each_queue_live(busy, other_world, receive):
    arrive(receive, other_world, NOW.replace(hour=7))  # another workspace: never counted here
    with time_machine.travel(NOW, tick=False):
        response = browser(busy.supervisor).get("/contact-center/")

    assert response.status_code == 200
    rows = queue_rows(response.content.decode())
    assert list(rows) == [str(busy.other_team.pk), str(busy.team.pk), "", "total"]  # teams by name, then none
    assert rows[str(busy.team.pk)] == {"waiting": "2", "longest-wait": "1:00:00", "in-progress": "1",
                                       "agents-online": "1 / 1", "sla-today": "—"}
    assert rows[str(busy.other_team.pk)] == {"waiting": "0", "longest-wait": "—", "in-progress": "0",
                                             "agents-online": "0 / 1", "sla-today": "—"}
    assert rows[""] == {"waiting": "1", "longest-wait": "5:00", "in-progress": "0", "agents-online": "0 / 0",
                        "sla-today": "—"}
    # Four active agents in the workspace (admin, supervisor, Budi, Sari), one of them online.
    assert rows["total"] == {"waiting": "3", "longest-wait": "1:00:00", "in-progress": "1",
                             "agents-online": "1 / 4", "sla-today": "—"}


def test_waits_are_dated_in_the_viewers_timezone(busy):
    update_profile(actor=Actor.for_agent(busy.supervisor), agent=busy.supervisor, display_name="Supervisor",
                   language="en", timezone_name="Asia/Makassar")
    with time_machine.travel(NOW, tick=False):
        html = browser(busy.supervisor).get("/contact-center/queues").content.decode()

    # The first unanswered message came at 09:30 in Jakarta: 10:30 in Makassar (WITA).
    assert f'data-team="{busy.team.pk}"' in html
    assert 'data-waiting-since="2026-03-04T10:30:00+08:00"' in html


def test_the_queues_fragment_refreshes_live_over_the_websocket_and_every_ten_seconds(busy):
    with time_machine.travel(NOW, tick=False):
        html = browser(busy.admin).get("/contact-center/").content.decode()
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        fragment = browser(busy.admin).get("/contact-center/queues")

    assert ('<tbody id="rows" data-live-url="/contact-center/queues"\n'
            '           hx-get="/contact-center/queues" hx-trigger="every 10s" hx-swap="innerHTML">') in html
    assert fragment.status_code == 200
    assert queue_rows(fragment.content.decode())[str(busy.team.pk)]["longest-wait"] == "1:03:00"
    assert "<html" not in fragment.content.decode()


@pytest.mark.parametrize("path", ["/contact-center/", "/contact-center/queues"])
def test_agents_are_refused_the_contact_center(world, path):
    response = browser(world.agent).get(path)

    assert response.status_code == 403
    assert 'data-testid="contact-center-link"' not in browser(world.agent).get("/").content.decode()


def test_supervisors_and_admins_find_it_in_the_navigation(world):
    for member in (world.supervisor, world.admin):
        assert 'href="/contact-center/" data-testid="contact-center-link"' in browser(member).get("/").content.decode()


def test_someone_logged_out_is_sent_to_log_in(db):
    response = Client().get("/contact-center/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_forecast_shows_every_hour_of_the_coming_week_with_its_inputs(world, receive, settings):
    settings.LANGUAGE_CODE = "en"  # English labels and number formats, whatever the translations say
    for weeks_ago in (1, 2, 3, 4):
        for minute in (5, 35):
            arrive(receive, world, (NOW - timedelta(weeks=weeks_ago)).replace(hour=14, minute=minute))
    with time_machine.travel(NOW, tick=False):
        html = browser(world.supervisor).get("/contact-center/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    hours = re.findall(r'data-testid="forecast-hour" data-starts-at="([^"]+)"', html)
    assert len(hours) == 168
    assert (hours[0], hours[-1]) == ("2026-03-04T10:00:00+07:00", "2026-03-11T09:00:00+07:00")
    assert re.findall(r'data-testid="forecast-day" data-day="([^"]+)"', html) == [
        "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-07", "2026-03-08", "2026-03-09", "2026-03-10",
        "2026-03-11"]
    wednesday_two = re.search(r'data-starts-at="2026-03-04T14:00:00\+07:00">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'data-group="(\w+)" data-testid="(\w+)">([^<]*)</td>', wednesday_two)
    assert cells == [("chat", "expected", "2.0"), ("chat", "agents", "1"), ("chat", "rostered", "2"),
                     ("email", "expected", "0.0"), ("email", "agents", "0"), ("email", "rostered", "0")]
    peaks = re.findall(r'data-testid="day-peaks">(.*?)</span>', html, re.S)
    assert [" ".join(p.split()) for p in peaks] == (["· most rostered in an hour: Chat 2, Email 0"]
                                                    + ["· most rostered in an hour: Chat 0, Email 0"] * 7)
    inputs = re.findall(r'data-testid="(target|aht)">(.*?)</dd>', html, re.S)
    assert [(name, " ".join(re.sub(r"<[^>]+>", " ", text).split())) for name, text in inputs] == [
        ("target", "80% in 20 s"), ("aht", "6:00 (default: not enough measured)"),
        ("target", "90% in 4 h"), ("aht", "8:00 (default: not enough measured)"),
    ]


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_page_costs_the_same_queries_for_two_teams_or_six(busy, receive, django_assert_num_queries):
    client = browser(busy.supervisor)
    with time_machine.travel(NOW, tick=False):
        # session + user + agent membership (3), the queues (6: teams, counts, members, targets met and
        # missed today, all staff), the forecast (2)
        with django_assert_num_queries(11):
            client.get("/contact-center/")
        with django_assert_num_queries(9):
            client.get("/contact-center/queues")
    for n in range(4):
        team = create_team(actor=busy.actor, name=f"Tim {n}")
        member = create_agent(workspace=busy.workspace, email=f"tim{n}@toko.test", role="agent", display_name=f"T{n}")
        set_team_members(actor=busy.actor, team=team, agents=[member])
        arrive(receive, busy, NOW.replace(hour=10), team=team)
    with time_machine.travel(NOW, tick=False):
        assert _queries(client, "/contact-center/") == 11
        assert _queries(client, "/contact-center/queues") == 9
        assert len(queue_rows(client.get("/contact-center/queues").content.decode())) == 8
