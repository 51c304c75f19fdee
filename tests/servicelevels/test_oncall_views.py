"""The on-call page: everyone sees who is on call now and for 14 days; supervisors and admins add
and remove overrides (times read in the rotation's timezone); agents cannot."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from layan.accounts.models import AuditEntry
from layan.servicelevels.oncall_models import OnCallOverride

pytestmark = pytest.mark.usefixtures("english_agents")

WIB = ZoneInfo("Asia/Jakarta")
TWO_AM = datetime(2026, 12, 9, 2, 0, tzinfo=WIB)


def client_for(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def test_an_agent_sees_who_is_on_call_now_and_the_next_fourteen_days(world, rotation, django_assert_max_num_queries):
    client = client_for(world.agent)
    with time_machine.travel(TWO_AM, tick=False), django_assert_max_num_queries(20):
        response = client.get("/oncall/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<p data-testid="oncall-now"><strong>On call now:</strong> Sari</p>' in html
    # 02:00 → 08:00 Sari, then 12-hour shifts for 14 days: 1 partial + 27 full + 1 partial = 29 rows
    assert html.count("<tr><td>") == 29
    assert "<tr><td>Wed 9 Dec 02:00</td><td>Wed 9 Dec 08:00</td>" in html
    assert 'data-testid="oncall-override-form"' not in html  # agents view only


def test_a_supervisor_adds_a_night_swap_read_in_wib_and_it_shows_as_an_override(world, rotation):
    client = client_for(world.supervisor)
    with time_machine.travel(TWO_AM, tick=False):
        response = client.post(f"/oncall/{rotation.pk}/overrides", {
            "agent": world.agent.pk, "starts_at": "2026-12-10T20:00", "ends_at": "2026-12-11T08:00",
            "note": "tukar malam"})
        assert response.status_code == 302
        override = OnCallOverride.objects.get()
        assert (override.agent_id, override.starts_at, override.ends_at, override.created_by_id) == (
            world.agent.pk, datetime(2026, 12, 10, 20, 0, tzinfo=WIB), datetime(2026, 12, 11, 8, 0, tzinfo=WIB),
            world.supervisor.pk)
        html = client.get("/oncall/").content.decode()
    assert "Budi: Thu 10 Dec 20:00 – Fri 11 Dec 08:00 · tukar malam" in html
    assert '<td>Budi <span class="badge">override</span></td>' in html
    assert AuditEntry.objects.filter(action="oncall.override_added", object_id=str(rotation.pk)).count() == 1


def test_an_override_ending_before_it_starts_is_refused_with_the_reason(world, rotation):
    client = client_for(world.supervisor)
    response = client.post(f"/oncall/{rotation.pk}/overrides", {
        "agent": world.agent.pk, "starts_at": "2026-12-10T20:00", "ends_at": "2026-12-10T08:00"})
    assert response.status_code == 400
    assert "An override ends after it starts." in response.content.decode()
    assert not OnCallOverride.objects.exists()


def test_an_agent_cannot_add_or_remove_overrides(world, rotation):
    from layan.accounts.actors import Actor
    from layan.servicelevels.oncall import add_override

    kept = add_override(actor=Actor.for_agent(world.supervisor), rotation=rotation, agent=world.agent,
                        starts_at=datetime(2026, 12, 10, 20, 0, tzinfo=WIB),
                        ends_at=datetime(2026, 12, 11, 8, 0, tzinfo=WIB))
    client = client_for(world.agent)
    response = client.post(f"/oncall/{rotation.pk}/overrides", {
        "agent": world.agent.pk, "starts_at": "2026-12-12T20:00", "ends_at": "2026-12-13T08:00"})
    assert response.status_code == 403
    assert client.post(f"/oncall/overrides/{kept.pk}/remove").status_code == 403
    assert list(OnCallOverride.objects.values_list("pk", flat=True)) == [kept.pk]


def test_a_supervisor_removes_an_override(world, rotation):
    from layan.accounts.actors import Actor
    from layan.servicelevels.oncall import add_override

    override = add_override(actor=Actor.for_agent(world.supervisor), rotation=rotation, agent=world.agent,
                            starts_at=datetime(2026, 12, 10, 20, 0, tzinfo=WIB),
                            ends_at=datetime(2026, 12, 11, 8, 0, tzinfo=WIB))
    response = client_for(world.supervisor).post(f"/oncall/overrides/{override.pk}/remove")
    assert response.status_code == 302
    assert not OnCallOverride.objects.exists()
    assert AuditEntry.objects.filter(action="oncall.override_removed").count() == 1


def test_another_workspaces_rotation_and_overrides_are_not_found(world, other_world, rotation):
    from layan.accounts.actors import Actor
    from layan.servicelevels.oncall import add_override

    override = add_override(actor=Actor.for_agent(world.supervisor), rotation=rotation, agent=world.agent,
                            starts_at=datetime(2026, 12, 10, 20, 0, tzinfo=WIB),
                            ends_at=datetime(2026, 12, 11, 8, 0, tzinfo=WIB))
    client = client_for(other_world.admin)
    assert "Darurat 24/7" not in client.get("/oncall/").content.decode()
    assert client.post(f"/oncall/{rotation.pk}/overrides", {
        "agent": other_world.agent.pk, "starts_at": "2026-12-12T20:00",
        "ends_at": "2026-12-13T08:00"}).status_code == 404
    assert client.post(f"/oncall/overrides/{override.pk}/remove").status_code == 404
    assert OnCallOverride.objects.count() == 1


def test_the_nav_links_to_the_on_call_page(world):
    assert 'href="/oncall/"' in client_for(world.agent).get("/me/notifications/").content.decode()


def test_a_supervisor_creates_a_rotation_with_members_in_order_from_the_page(world):
    from layan.servicelevels.oncall_models import OnCallRotation

    response = client_for(world.supervisor).post("/oncall/rotations", {
        "name": "Malam CS", "team": world.team.pk, "timezone": "Asia/Makassar", "shift_hours": "24",
        "handover_time": "07:00", "starts_on": "2026-12-07", "emergency_tag": "Darurat",
        "escalate_after_minutes": "10", "member_0": world.agent.pk, "phone_0": "0812-9999-0001",
        "member_1": "", "member_2": world.supervisor.pk, "phone_2": ""})
    assert response.status_code == 302
    rotation = OnCallRotation.objects.get()
    assert (rotation.name, rotation.team_id, rotation.timezone, rotation.shift_hours, str(rotation.handover_time),
            rotation.emergency_tag, rotation.escalate_after_minutes) == (
        "Malam CS", world.team.pk, "Asia/Makassar", 24, "07:00:00", "darurat", 10)
    assert list(rotation.members.order_by("position").values_list("agent_id", "phone")) == [
        (world.agent.pk, "+6281299990001"), (world.supervisor.pk, "")]


def test_a_second_workspace_rotation_is_refused_with_the_reason(world, rotation):
    response = client_for(world.admin).post("/oncall/rotations", {
        "name": "Lagi", "starts_on": "2026-12-07", "member_0": world.agent.pk})
    assert response.status_code == 400
    assert "That team (or the workspace) already has an on-call rotation." in response.content.decode()


def test_an_agent_cannot_create_a_rotation_or_change_members(world, rotation):
    from layan.servicelevels.oncall_models import OnCallRotation

    client = client_for(world.agent)
    assert client.post("/oncall/rotations", {"name": "X", "team": world.team.pk, "starts_on": "2026-12-07",
                                             "member_0": world.agent.pk}).status_code == 403
    assert client.post(f"/oncall/{rotation.pk}/members", {"member_0": world.agent.pk}).status_code == 403
    assert OnCallRotation.objects.count() == 1
    assert rotation.members.count() == 2


def test_a_supervisor_reorders_the_members_and_changes_a_phone(world, rotation):
    response = client_for(world.supervisor).post(f"/oncall/{rotation.pk}/members", {
        "member_0": world.other_agent.pk, "phone_0": "+6281299990009", "member_1": world.agent.pk, "phone_1": ""})
    assert response.status_code == 302
    assert list(rotation.members.order_by("position").values_list("agent_id", "phone")) == [
        (world.other_agent.pk, "+6281299990009"), (world.agent.pk, "")]


def test_members_with_a_phone_that_is_no_number_are_refused_and_kept_as_they_were(world, rotation):
    response = client_for(world.supervisor).post(f"/oncall/{rotation.pk}/members", {
        "member_0": world.agent.pk, "phone_0": "bukan nomor"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<details open>" in html
    assert list(rotation.members.order_by("position").values_list("agent_id", flat=True)) == [
        world.agent.pk, world.other_agent.pk]
