"""How long the agent's inbox page takes with many conversations: the page as a browser asks for it
(session login, the real view, template and queries), for an admin and for an agent in a team.

    # PostgreSQL (a database `layan_bench` is created and migrated on the server of DATABASE_URL):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/layan_bench .venv/bin/python benchmarks/inbox_list.py
    # embedded SQLite in a throwaway data directory:
    .venv/bin/python benchmarks/inbox_list.py --conversations 50000

Prints, per page, the median and the 95th percentile of --runs requests and the number of queries.
The data is made once per database and reused (pass --fresh to rebuild it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/", "/?view=mine", "/?view=unassigned", "/?view=teams", "/?view=all&status=pending",
         "/?view=all&priority=urgent", "/?view=all&tag=pengiriman", "/?view=all&q=%23123", "/?view=all&sort=created",
         "/inbox/counts"]


def prepare_database(url: str | None) -> None:
    if not url:
        os.environ.setdefault("LAYAN_DATA_DIR", tempfile.mkdtemp(prefix="layan-bench-"))
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    server = url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def build(conversations: int, fresh: bool):
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from layan.accounts.actors import Actor
    from layan.accounts.models import Workspace
    from layan.accounts.services import create_agent, create_team, create_workspace, set_team_members
    from layan.connectors.services import create_inbox
    from layan.conversations.models import Conversation, ConversationTag, Status
    from layan.conversations.services import tag
    from layan.customers.models import Customer

    call_command("migrate", verbosity=0)
    existing = Workspace.objects.filter(slug="bench").first()
    if existing is not None and fresh:
        existing.delete()
        existing = None
    if existing is not None:
        workspace = existing
    else:
        workspace = create_workspace(name="Bench", slug="bench")
    admin = workspace.agents.filter(role="admin").first() or create_agent(
        workspace=workspace, email="admin@bench.test", role="admin", display_name="Admin")
    agent = workspace.agents.filter(role="agent").first() or create_agent(
        workspace=workspace, email="agent@bench.test", role="agent", display_name="Agen")
    actor = Actor.for_agent(admin)
    team = workspace.teams.first() or create_team(actor=actor, name="Layanan")
    set_team_members(actor=actor, team=team, agents=[agent])
    inbox = workspace.inboxes.first() or create_inbox(actor=actor, kind="email", name="Email",
                                                      settings={"addresses": ["cs@bench.test"]})
    have = Conversation.objects.filter(workspace=workspace).count()
    if have < conversations:
        started = time.monotonic()
        customers = list(Customer.objects.filter(workspace=workspace)[:1000])
        if not customers:
            Customer.objects.bulk_create([Customer(workspace=workspace, name=f"Pelanggan {i}") for i in range(1000)])
            customers = list(Customer.objects.filter(workspace=workspace)[:1000])
        statuses = [Status.NEW, Status.OPEN, Status.PENDING, Status.SOLVED, Status.CLOSED, Status.SOLVED]
        now = timezone.now()
        batch = []
        for number in range(have + 1, conversations + 1):
            batch.append(Conversation(
                workspace=workspace, number=number, subject=f"Pertanyaan {number}", status=statuses[number % 6],
                priority=("low", "normal", "normal", "high", "urgent")[number % 5], customer=customers[number % 1000],
                inbox=inbox, channel="email", team=team if number % 3 else None,
                assignee=agent if number % 7 == 0 else (admin if number % 11 == 0 else None),
                last_message_at=now, last_customer_message_at=now))
            if len(batch) == 5000:
                with transaction.atomic():
                    Conversation.objects.bulk_create(batch)
                batch = []
        if batch:
            Conversation.objects.bulk_create(batch)
        tagged = Conversation.objects.filter(workspace=workspace).order_by("-id").first()
        tag(actor=actor, conversation=tagged, add=["pengiriman"])
        print(f"made {conversations - have} conversations in {time.monotonic() - started:.1f} s", file=sys.stderr)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    assert ConversationTag.objects.exists()
    return admin, agent


def measure(agent, runs: int) -> list[tuple[str, float, float, int]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(agent.user)
    results = []
    for page in PAGES:
        client.get(page)  # warm caches and the session
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(page)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (page, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(page)
        times.sort()
        results.append((page, statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], len(queries)))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layan.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    prepare_database(os.environ.get("DATABASE_URL"))
    import django

    django.setup()
    from django.db import connection

    admin, agent = build(args.conversations, args.fresh)
    print(f"# inbox page, {args.conversations} conversations, {connection.vendor}, {args.runs} runs each")
    print(f"{'who':6} {'page':32} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for who, member in (("admin", admin), ("agent", agent)):
        for page, median, p95, queries in measure(member, args.runs):
            print(f"{who:6} {page:32} {median:10.1f} {p95:8.1f} {queries:8d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
