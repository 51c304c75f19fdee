"""Service levels met today, per team, as the contact-center page shows them: a target met in
time counts as met, a recorded breach as missed; before today's midnight nothing counts."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from layan.conversations.services import reply_to_conversation
from layan.servicelevels.models import HoursKind
from layan.servicelevels.selectors import attainment_by_team
from layan.servicelevels.services import sweep_service_levels

from .conftest import wib


def test_targets_met_and_missed_today_count_per_team(world, policy, settle, receive):
    policy(first_response_minutes=30, hours=HoursKind.ALWAYS)
    world.email_inbox.default_team = world.team
    world.email_inbox.save(update_fields=["default_team"])
    with time_machine.travel(wib(2026, 12, 1, 23, 0), tick=False):  # yesterday: not today's figure
        settle(receive, world.email_inbox, "lama@contoh.id", subject="Kemarin")
    with time_machine.travel(wib(2026, 12, 2, 9, 0), tick=False):
        met = settle(receive, world.email_inbox, "siti@contoh.id", subject="Paket").conversation
        settle(receive, world.email_inbox, "budi@contoh.id", subject="Tagihan")
    with time_machine.travel(wib(2026, 12, 2, 9, 10), tick=False):
        settle(reply_to_conversation, actor=world.actor, conversation=met, text="Kami cek, Kak.")
    with time_machine.travel(wib(2026, 12, 2, 10, 0), tick=False):
        sweep_service_levels()  # Budi's and yesterday's conversations breached their 30 minutes

    today = attainment_by_team(workspace_id=world.workspace.pk, since=wib(2026, 12, 2, 0, 0))
    since_yesterday = attainment_by_team(workspace_id=world.workspace.pk, since=wib(2026, 12, 2) - timedelta(days=1))

    # A breach is dated at its due time (23:30 yesterday for the late-evening one), not when swept.
    assert today == {world.team.pk: (1, 1)}
    assert since_yesterday == {world.team.pk: (1, 2)}
