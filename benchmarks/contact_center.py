"""How long the contact center takes with a busy workspace: the staffing forecast alone, the live
queues fragment and the whole page, as a logged-in supervisor's browser asks for them.

    # PostgreSQL (a database `layan_bench` is created and migrated on the server of DATABASE_URL):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/layan_bench .venv/bin/python benchmarks/contact_center.py
    # embedded SQLite in a throwaway data directory:
    .venv/bin/python benchmarks/contact_center.py --conversations 20000

The workspace "bench-cc" gets --conversations spread over the last four weeks (by hour of the day
and across chat and email channels, in eight teams) and one in ten of them live (new or open,
with a customer message, half unassigned); it is made once per database (--fresh rebuilds it).
Prints the median and 95th percentile of --runs and the number of queries.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from inbox_list import ROOT, prepare_database  # noqa: E402 - after the path is set

CHANNELS = ("whatsapp", "livechat", "email", "webform", "instagram")
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 11, 10, 11, 11, 10, 9, 9, 9, 10, 10, 8, 5, 2)


def build(conversations: int, fresh: bool):
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from layan.accounts.actors import Actor
    from layan.accounts.models import Workspace
    from layan.accounts.services import (
        create_agent,
        create_team,
        create_workspace,
        set_team_members,
    )
    from layan.connectors.services import create_inbox
    from layan.conversations.models import Conversation, Direction, Message, Status
    from layan.customers.models import Customer

    call_command("migrate", verbosity=0)
    workspace = Workspace.objects.filter(slug="bench-cc").first()
    if workspace is not None and fresh:
        Conversation.objects.filter(workspace=workspace).delete()
        workspace.delete()
        workspace = None
    if workspace is not None:
        return workspace.agents.get(role="supervisor")
    workspace = create_workspace(name="Bench contact center", slug="bench-cc")
    supervisor = create_agent(workspace=workspace, email="spv@bench-cc.test", role="supervisor",
                              display_name="Supervisor")
    admin = create_agent(workspace=workspace, email="admin@bench-cc.test", role="admin", display_name="Admin")
    actor = Actor.for_agent(admin)
    teams = []
    for n in range(8):
        team = create_team(actor=actor, name=f"Tim {n}")
        members = [create_agent(workspace=workspace, email=f"a{n}-{m}@bench-cc.test", role="agent",
                                display_name=f"Agen {n}.{m}") for m in range(6)]
        set_team_members(actor=actor, team=team, agents=members)
        teams.append((team, members))
    inbox = create_inbox(actor=actor, kind="email", name="Email", settings={"addresses": ["cs@bench-cc.test"]})
    Customer.objects.bulk_create([Customer(workspace=workspace, name=f"Pelanggan {i}") for i in range(1000)])
    customers = list(Customer.objects.filter(workspace=workspace))
    rng = random.Random(6)
    now = timezone.now()
    started = time.monotonic()
    batch, live = [], []
    for number in range(1, conversations + 1):
        day = rng.randrange(28)
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        created = (now - timedelta(days=day + 1)).replace(hour=hour, minute=rng.randrange(60))
        team, members = teams[number % len(teams)]
        is_live = number % 10 == 0
        conversation = Conversation(
            workspace=workspace, number=number, subject=f"Pertanyaan {number}",
            status=rng.choice((Status.NEW, Status.OPEN)) if is_live else Status.SOLVED, customer=customers[number % 1000],
            inbox=inbox, channel=CHANNELS[number % len(CHANNELS)], team=team,
            assignee=members[number % 6] if is_live and number % 20 else None,
            created_at=created, last_message_at=created, last_customer_message_at=created,
            first_response_at=None if is_live else created + timedelta(minutes=3),
            solved_at=None if is_live else created + timedelta(minutes=3 + rng.randrange(1, 40)))
        batch.append(conversation)
        if is_live:
            live.append(conversation)
        if len(batch) == 5000:
            with transaction.atomic():
                Conversation.objects.bulk_create(batch)
            batch = []
    if batch:
        Conversation.objects.bulk_create(batch)
    Message.objects.bulk_create([
        Message(workspace=workspace, conversation=c, inbox=inbox, direction=Direction.INBOUND, author_kind="customer",
                author_customer=c.customer, text="Halo", created_at=c.created_at) for c in live], batch_size=5000)
    print(f"made {conversations} conversations in {time.monotonic() - started:.1f} s", file=sys.stderr)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return supervisor


def timed(function, runs: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    function()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        function()
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], len(queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layan.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    prepare_database(os.environ.get("DATABASE_URL"))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from layan.routing.forecast import _cache, staffing_forecast

    supervisor = build(args.conversations, args.fresh)
    client = Client()
    client.force_login(supervisor.user)

    def forecast():
        _cache.clear()  # the Erlang C results are memoised per process; time them too
        staffing_forecast(workspace=supervisor.workspace)

    def get(path):
        def request():
            assert client.get(path).status_code == 200
        return request

    print(f"# contact center, {args.conversations} conversations, {connection.vendor}, {args.runs} runs each")
    print(f"{'what':40} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for name, function in (("staffing_forecast() (Erlang C uncached)", forecast),
                           ("/contact-center/queues", get("/contact-center/queues")),
                           ("/contact-center/", get("/contact-center/"))):
        median, p95, queries = timed(function, args.runs)
        print(f"{name:40} {median:10.1f} {p95:8.1f} {queries:8d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
