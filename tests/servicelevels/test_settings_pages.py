"""The service-level settings pages through the Django test client: supervisors and admins manage
business calendars (split shifts, exceptions, teams, the coming holidays) and policies
(conditions, targets, escalations, order); bad input is refused with a clear message and writes
nothing; agents get 403 and other workspaces' objects 404; every change is audited; and a policy
made on the page gives the next conversation its clock."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from layan.accounts.models import AuditEntry
from layan.servicelevels.models import (
    BusinessCalendar,
    BusinessHours,
    CalendarClosure,
    Escalation,
    ServiceLevelClock,
    ServiceLevelPolicy,
    TeamCalendar,
)

pytestmark = pytest.mark.usefixtures("english_agents")

JAKARTA = ZoneInfo("Asia/Jakarta")
PAGE = "/settings/service-levels/"
NEW_CALENDAR = "/settings/service-levels/calendars/new"
NEW_POLICY = "/settings/service-levels/policies/new"
OFFICE_WEEK = ["08:00-12:00, 13:00-17:00"] * 5 + ["08:00-12:00", ""]


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=JAKARTA)


def client_for(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def calendar_form(**overrides) -> dict:
    week = overrides.pop("week", OFFICE_WEEK)
    form = {"name": "Kantor Jakarta", "timezone": "Asia/Jakarta", "holiday_country": "ID", "holiday_subdivision": "",
            "closed_dates": "", "open_dates": "", **{f"hours-{day}": text for day, text in enumerate(week)}}
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def policy_form(**overrides) -> dict:
    form = {"name": "Standar", "is_active": "on", "first_response_minutes": "30", "next_response_minutes": "",
            "resolution_minutes": "", "hours": "business", "calendar": "", "warning_minutes": "",
            "escalation_rows": "0"}
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def make_calendar(world, name="Kantor", *, default=False) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(workspace=world.workspace, name=name, is_default=default)
    BusinessHours.objects.bulk_create([BusinessHours(calendar=calendar, weekday=d, opens_at=time(8), closes_at=time(17))
                                       for d in range(5)])
    return calendar


def make_policy(world, name="Standar", **fields) -> ServiceLevelPolicy:
    fields.setdefault("first_response_minutes", 30)
    return ServiceLevelPolicy.objects.create(workspace=world.workspace, name=name, **fields)


def errors_of(response) -> str:
    html = response.content.decode()
    start = html.index('data-testid="form-error">') + len('data-testid="form-error">')
    return html[start:html.index("</p>", start)]


# --- calendars -------------------------------------------------------------------------------------


def test_a_supervisor_creates_a_calendar_with_split_shifts_exceptions_and_teams(world):
    client = client_for(world.supervisor)
    response = client.post(NEW_CALENDAR, calendar_form(
        is_default="on", teams=[str(world.team.pk)],
        closed_dates="2026-12-24 Cuti bersama Natal\n\n2026-12-31 Tutup buku",
        open_dates="2026-08-17 Buka saat Hari Kemerdekaan"))

    assert (response.status_code, response["Location"]) == (302, PAGE)
    calendar = BusinessCalendar.objects.get(workspace=world.workspace)
    assert (calendar.name, calendar.timezone, calendar.holiday_country, calendar.is_default) == (
        "Kantor Jakarta", "Asia/Jakarta", "ID", True)
    hours = [(h.weekday, h.opens_at, h.closes_at) for h in calendar.hours.order_by("weekday", "opens_at")]
    assert hours == [item for day in range(5) for item in ((day, time(8), time(12)), (day, time(13), time(17)))] + [
        (5, time(8), time(12))]
    assert [(c.date, c.kind, c.name) for c in calendar.closures.order_by("date")] == [
        (date(2026, 8, 17), "open", "Buka saat Hari Kemerdekaan"), (date(2026, 12, 24), "closed", "Cuti bersama Natal"),
        (date(2026, 12, 31), "closed", "Tutup buku")]
    assert list(TeamCalendar.objects.values_list("team_id", "calendar_id")) == [(world.team.pk, calendar.pk)]
    entry = AuditEntry.objects.get(action="servicelevels.calendar_created")
    assert (entry.actor_agent, entry.object_type, entry.object_id, entry.before) == (
        world.supervisor, "business_calendar", str(calendar.pk), {})
    assert entry.after["hours"]["monday"] == "08:00-12:00, 13:00-17:00"
    assert entry.after["hours"]["sunday"] == ""
    assert entry.after["teams"] == [world.team.pk]

    listing = client.get(PAGE).content.decode()
    assert "Calendar Kantor Jakarta created." in listing
    assert "Monday: 08:00-12:00, 13:00-17:00<br>" in listing
    assert "Sunday: closed<br>" in listing


def test_closing_at_midnight_is_written_24_00_and_kept(world):
    client = client_for(world.admin)
    client.post(NEW_CALENDAR, calendar_form(week=["16:00-24:00", "00:00-08:00, 16:00-00:00", "", "", "", "", ""]))

    calendar = BusinessCalendar.objects.get()
    assert [(h.weekday, h.opens_at, h.closes_at) for h in calendar.hours.order_by("weekday", "opens_at")] == [
        (0, time(16), time(0)), (1, time(0), time(8)), (1, time(16), time(0))]
    form = client.get(f"/settings/service-levels/calendars/{calendar.pk}/").content.decode()
    assert 'name="hours-1" value="00:00-08:00, 16:00-24:00"' in form


@pytest.mark.parametrize(("monday", "message"), [
    ("17:00-08:00", "Monday: 17:00-08:00 closes before it opens. Hours past midnight are two ranges: until 24:00 on "
                    "this day and from 00:00 on the next."),
    ("25:00-26:00", "Monday: 25:00 is not a time of day (00:00 to 23:59, or 24:00 to close at midnight)."),
    ("08:00-08:60", "Monday: 08:60 is not a time of day (00:00 to 23:59, or 24:00 to close at midnight)."),
    ("08:00-12:00, 11:00-13:00", "Monday: 08:00-12:00 and 11:00-13:00 overlap."),
    ("09:00-09:00", "Monday: 09:00-09:00 closes before it opens. Hours past midnight are two ranges: until 24:00 on "
                    "this day and from 00:00 on the next."),
    ("eight to five", "Monday: “eight to five” is not a time range; write it like 08:00-17:00, several separated by "
                      "commas."),
])
def test_bad_weekly_hours_are_refused_with_a_clear_error_and_nothing_is_written(world, monday, message):
    response = client_for(world.supervisor).post(NEW_CALENDAR, calendar_form(week=[monday] + OFFICE_WEEK[1:]))

    assert response.status_code == 400
    assert errors_of(response) == message
    assert f'value="{monday}"' in response.content.decode()  # what was typed stays in the form
    assert BusinessCalendar.objects.count() == BusinessHours.objects.count() == 0
    assert AuditEntry.objects.filter(action__startswith="servicelevels.").count() == 0


@pytest.mark.parametrize(("overrides", "message"), [
    ({"timezone": "Mars/Olympus_Mons"}, "Unknown time zone: Mars/Olympus_Mons"),
    ({"holiday_country": "XX"}, "No public holidays are known for country code XX."),
    ({"holiday_country": "US", "holiday_subdivision": "ZZ"}, "ZZ is not a region of US known for holidays"),
    ({"name": "  "}, "Give it a name."),
    ({"closed_dates": "2026-12-24 Cuti bersama\n24-12-2026 Natal"},
     "Line 2: “24-12-2026 Natal” does not start with a date written as YYYY-MM-DD."),
    ({"closed_dates": "2026-02-30 Tidak ada"}, "Line 1: “2026-02-30 Tidak ada” does not start with a date written "
                                                "as YYYY-MM-DD."),
    ({"closed_dates": "2026-12-24 A\n2026-12-24 B"}, "Line 2: 2026-12-24 is listed twice."),
    ({"closed_dates": "2026-12-24 Tutup", "open_dates": "2026-12-24 Buka"}, "2026-12-24 cannot be both closed and open."),
])
def test_bad_calendar_settings_are_refused_with_a_clear_error_and_nothing_is_written(world, overrides, message):
    response = client_for(world.supervisor).post(NEW_CALENDAR, calendar_form(**overrides))

    assert response.status_code == 400
    assert errors_of(response).startswith(message)
    assert BusinessCalendar.objects.count() == CalendarClosure.objects.count() == 0
    assert AuditEntry.objects.filter(action__startswith="servicelevels.").count() == 0


def test_a_calendar_name_taken_in_the_workspace_is_refused(world):
    make_calendar(world, "Kantor Jakarta")
    response = client_for(world.supervisor).post(NEW_CALENDAR, calendar_form())

    assert response.status_code == 409
    assert errors_of(response) == "A calendar named Kantor Jakarta already exists."
    assert BusinessCalendar.objects.count() == 1


def test_a_team_of_another_workspace_is_refused(world, other_world):
    response = client_for(world.supervisor).post(NEW_CALENDAR, calendar_form(teams=[str(other_world.team.pk)]))

    assert response.status_code == 400
    assert errors_of(response) == "Choose teams of this workspace."
    assert BusinessCalendar.objects.count() == TeamCalendar.objects.count() == 0


def test_editing_a_calendar_replaces_its_hours_exceptions_and_teams_and_moves_the_default(world):
    old_default = make_calendar(world, "Lama", default=True)
    calendar = make_calendar(world, "Kantor")
    CalendarClosure.objects.create(calendar=calendar, date=date(2026, 12, 24), name="Cuti bersama")
    TeamCalendar.objects.create(team=world.other_team, calendar=old_default)
    TeamCalendar.objects.create(team=world.team, calendar=calendar)

    response = client_for(world.supervisor).post(f"/settings/service-levels/calendars/{calendar.pk}/", calendar_form(
        name="Kantor Makassar", timezone="Asia/Makassar", is_default="on", week=["09:00-18:00"] * 6 + [""],
        closed_dates="2026-12-26 Cuti bersama", teams=[str(world.other_team.pk)]))

    assert response.status_code == 302
    calendar.refresh_from_db()
    old_default.refresh_from_db()
    assert (calendar.name, calendar.timezone, calendar.is_default, old_default.is_default) == (
        "Kantor Makassar", "Asia/Makassar", True, False)
    assert calendar.hours.count() == 6
    assert list(calendar.closures.values_list("date", flat=True)) == [date(2026, 12, 26)]
    # The team chosen here left its old calendar; the team not chosen any more has none.
    assert dict(TeamCalendar.objects.values_list("team_id", "calendar_id")) == {world.other_team.pk: calendar.pk}
    entry = AuditEntry.objects.get(action="servicelevels.calendar_updated")
    assert (entry.before["name"], entry.after["name"]) == ("Kantor", "Kantor Makassar")
    assert (entry.before["exceptions"], entry.after["exceptions"]) == (
        [["2026-12-24", "closed", "Cuti bersama"]], [["2026-12-26", "closed", "Cuti bersama"]])


def test_the_calendar_page_shows_the_next_ten_public_holidays_of_its_country(world):
    calendar = make_calendar(world)
    CalendarClosure.objects.create(calendar=calendar, date=date(2026, 12, 25), kind="open", name="Buka")
    with time_machine.travel(wib(2026, 12, 2, 10, 0), tick=False):
        html = client_for(world.supervisor).get(f"/settings/service-levels/calendars/{calendar.pk}/").content.decode()

    listed = html[html.index('data-testid="coming-holidays"'):]
    listed = listed[:listed.index("</ul>")]
    assert listed.count("<li>") == 10
    assert "<li>Fri 25 Dec 2026 — Christmas Day <span class=\"muted\">(worked through)</span></li>" in listed
    assert "<li>Fri 1 Jan 2027 — New Year&#x27;s Day</li>" in listed


def test_deleting_a_calendar_is_refused_while_a_policy_or_a_team_uses_it(world):
    calendar = make_calendar(world, "Kantor")
    policy = make_policy(world, "Gold", calendar=calendar)
    TeamCalendar.objects.create(team=world.team, calendar=calendar)
    client = client_for(world.supervisor)
    url = f"/settings/service-levels/calendars/{calendar.pk}/delete"

    response = client.post(url, follow=True)
    assert "Kantor is used by the policies Gold; choose another calendar there first." in response.content.decode()
    policy.delete()
    response = client.post(url, follow=True)
    assert ("Kantor is used by the teams Layanan Pelanggan; give them another calendar first."
            in response.content.decode())
    assert BusinessCalendar.objects.filter(pk=calendar.pk).exists()
    assert AuditEntry.objects.filter(action="servicelevels.calendar_deleted").count() == 0

    TeamCalendar.objects.all().delete()
    response = client.post(url, follow=True)
    assert "Calendar Kantor deleted." in response.content.decode()
    assert not BusinessCalendar.objects.filter(pk=calendar.pk).exists()
    entry = AuditEntry.objects.get(action="servicelevels.calendar_deleted")
    assert (entry.object_id, entry.before["name"]) == (str(calendar.pk), "Kantor")


def test_the_default_calendar_is_kept_while_business_hours_policies_fall_back_to_it(world):
    calendar = make_calendar(world, "Kantor", default=True)
    make_policy(world, "Standar", hours="business")
    response = client_for(world.supervisor).post(f"/settings/service-levels/calendars/{calendar.pk}/delete",
                                                 follow=True)

    assert ("Kantor is the default calendar of the policies Standar, which run in business hours without a calendar "
            "of their own; make another calendar the default first.") in response.content.decode()
    assert BusinessCalendar.objects.filter(pk=calendar.pk).exists()


# --- policies --------------------------------------------------------------------------------------


def test_a_supervisor_creates_a_policy_with_conditions_targets_and_escalations(world):
    calendar = make_calendar(world)
    make_policy(world, "Sudah ada", position=4)
    response = client_for(world.supervisor).post(NEW_POLICY, policy_form(
        name="VIP WhatsApp", priorities=["urgent", "high"], channels=["whatsapp"], customer_tiers=["vip"],
        types=["complaint"], teams=[str(world.team.pk)], first_response_minutes="15", next_response_minutes="60",
        resolution_minutes="480", hours="business", calendar=str(calendar.pk), warning_minutes="5",
        escalation_rows="4",
        **{"esc-0-trigger": "warning", "esc-0-metric": "first_response", "esc-0-action": "notify_assignee",
           "esc-1-trigger": "breach", "esc-1-metric": "", "esc-1-action": "reassign",
           "esc-1-team": str(world.other_team.pk),
           "esc-2-trigger": "breach", "esc-2-metric": "resolution", "esc-2-action": "raise_priority",
           "esc-2-priority": "urgent",
           "esc-3-trigger": "breach", "esc-3-action": ""}))

    assert (response.status_code, response["Location"]) == (302, PAGE)
    policy = ServiceLevelPolicy.objects.get(name="VIP WhatsApp")
    # Stored in the choices' own order, whatever order the form sent.
    assert (policy.priorities, policy.channels, policy.customer_tiers, policy.types) == (
        ["high", "urgent"], ["whatsapp"], ["vip"], ["complaint"])
    assert list(policy.teams.all()) == [world.team]
    assert (policy.first_response_minutes, policy.next_response_minutes, policy.resolution_minutes,
            policy.warning_minutes, policy.hours, policy.calendar, policy.is_active, policy.position) == (
        15, 60, 480, 5, "business", calendar, True, 5)
    assert [(e.trigger, e.metric, e.action, e.team, e.priority) for e in policy.escalations.order_by("id")] == [
        ("warning", "first_response", "notify_assignee", None, ""), ("breach", "", "reassign", world.other_team, ""),
        ("breach", "resolution", "raise_priority", None, "urgent")]
    entry = AuditEntry.objects.get(action="servicelevels.policy_created")
    assert (entry.actor_agent, entry.object_id, entry.after["first_response_minutes"], len(entry.after["escalations"])) == (
        world.supervisor, str(policy.pk), 15, 3)

    listing = client_for(world.supervisor).get(PAGE).content.decode()
    assert "Priority: High, Urgent<br>Channel: WhatsApp<br>Customer tier: VIP<br>Type: Complaint<br>" \
           "Team: Layanan Pelanggan" in listing
    assert "First response 15 min<br>" in listing


@pytest.mark.parametrize(("overrides", "message"), [
    ({"first_response_minutes": ""}, "Give at least one target: first response, next response or resolution."),
    ({"first_response_minutes": "abc"}, "Give a whole number of minutes."),
    ({"first_response_minutes": "0"}, "Give a number of minutes from 1 to 525600."),
    ({"warning_minutes": "30"}, "The warning comes before the shortest target (30 minutes): give fewer minutes."),
    ({"priorities": ["critical"]}, "Choose from: low, normal, high, urgent"),
    ({"channels": ["pigeon"]}, "Choose from: email, livechat, whatsapp, sms, telegram, messenger, instagram, voice, "
                               "webform, api"),
    ({"hours": "sometimes"}, "Choose business hours or 24/7."),
    ({"calendar": "999999"}, "Choose a calendar of this workspace."),
    ({"name": ""}, "Give it a name."),
    ({"escalation_rows": "1", "esc-0-trigger": "breach", "esc-0-action": "reassign", "esc-0-team": ""},
     "Escalation 1: choose the team to reassign to."),
    ({"escalation_rows": "1", "esc-0-trigger": "warning", "esc-0-action": "notify_team"},
     "Escalations on warning need a warning time: give the minutes before the target."),
    ({"escalation_rows": "1", "esc-0-trigger": "breach", "esc-0-action": "explode"},
     "Escalation 1: choose an action."),
])
def test_bad_policy_settings_are_refused_with_a_clear_error_and_nothing_is_written(world, overrides, message):
    response = client_for(world.supervisor).post(NEW_POLICY, policy_form(**overrides))

    assert response.status_code == 400
    assert errors_of(response) == message
    assert ServiceLevelPolicy.objects.count() == Escalation.objects.count() == 0
    assert AuditEntry.objects.filter(action__startswith="servicelevels.").count() == 0


def test_another_workspaces_team_or_calendar_cannot_be_chosen_for_a_policy(world, other_world):
    foreign_calendar = make_calendar(other_world)
    client = client_for(world.supervisor)

    assert errors_of(client.post(NEW_POLICY, policy_form(teams=[str(other_world.team.pk)]))) == \
        "Choose teams of this workspace."
    assert errors_of(client.post(NEW_POLICY, policy_form(calendar=str(foreign_calendar.pk)))) == \
        "Choose a calendar of this workspace."
    assert errors_of(client.post(NEW_POLICY, policy_form(**{
        "escalation_rows": "1", "esc-0-trigger": "breach", "esc-0-action": "reassign",
        "esc-0-team": str(other_world.team.pk)}))) == "Choose teams of this workspace."
    assert ServiceLevelPolicy.objects.count() == 0


def test_editing_a_policy_keeps_unchanged_escalations_and_drops_removed_ones(world):
    policy = make_policy(world, warning_minutes=5)
    kept = Escalation.objects.create(policy=policy, trigger="breach", action="notify_supervisors")
    Escalation.objects.create(policy=policy, trigger="warning", action="notify_assignee")

    form = client_for(world.supervisor).get(f"/settings/service-levels/policies/{policy.pk}/").content.decode()
    assert 'name="escalation_rows" value="5"' in form  # two existing rows and three empty ones
    response = client_for(world.supervisor).post(f"/settings/service-levels/policies/{policy.pk}/", policy_form(
        name="Standar 24/7", hours="always", first_response_minutes="45", escalation_rows="2",
        **{"esc-0-trigger": "breach", "esc-0-action": "notify_supervisors",
           "esc-1-trigger": "breach", "esc-1-action": "raise_priority"}))

    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.name, policy.hours, policy.first_response_minutes, policy.warning_minutes, policy.is_active) == (
        "Standar 24/7", "always", 45, 0, True)
    # The kept escalation is the same row, so what it already ran does not run again.
    assert [(e.pk == kept.pk, e.action) for e in policy.escalations.order_by("id")] == [
        (True, "notify_supervisors"), (False, "raise_priority")]
    entry = AuditEntry.objects.get(action="servicelevels.policy_updated")
    assert (entry.before["first_response_minutes"], entry.after["first_response_minutes"]) == (30, 45)


def test_a_policy_left_unticked_as_active_is_saved_off(world):
    client_for(world.supervisor).post(NEW_POLICY, policy_form(is_active=None))
    assert ServiceLevelPolicy.objects.get().is_active is False


def test_policies_move_up_and_down_and_the_list_shows_them_in_order(world):
    first, second, third = (make_policy(world, name, position=n) for n, name in enumerate(("A", "B", "C")))
    client = client_for(world.supervisor)

    client.post(f"/settings/service-levels/policies/{third.pk}/move", {"direction": "up"})
    assert list(ServiceLevelPolicy.objects.order_by("position").values_list("name", flat=True)) == ["A", "C", "B"]
    client.post(f"/settings/service-levels/policies/{first.pk}/move", {"direction": "down"})
    assert list(ServiceLevelPolicy.objects.order_by("position").values_list("name", flat=True)) == ["C", "A", "B"]
    client.post(f"/settings/service-levels/policies/{second.pk}/move", {"direction": "down"})  # already last
    assert list(ServiceLevelPolicy.objects.order_by("position").values_list("position", flat=True)) == [0, 1, 2]

    html = client.get(PAGE).content.decode()
    assert html.index(f'data-policy="{third.pk}"') < html.index(f'data-policy="{first.pk}"') < html.index(
        f'data-policy="{second.pk}"')
    entries = AuditEntry.objects.filter(action="servicelevels.policy_moved").order_by("pk")
    assert [e.after["order"] for e in entries] == [[first.pk, third.pk, second.pk], [third.pk, first.pk, second.pk]]


def test_deleting_a_policy_removes_it_with_its_escalations_and_is_audited(world):
    policy = make_policy(world)
    Escalation.objects.create(policy=policy, trigger="breach", action="notify_supervisors")
    response = client_for(world.admin).post(f"/settings/service-levels/policies/{policy.pk}/delete", follow=True)

    assert "Policy Standar deleted." in response.content.decode()
    assert ServiceLevelPolicy.objects.count() == Escalation.objects.count() == 0
    entry = AuditEntry.objects.get(action="servicelevels.policy_deleted")
    assert (entry.actor_agent, entry.object_id, entry.before["name"]) == (world.admin, str(policy.pk), "Standar")


def test_the_pages_say_how_changes_treat_running_clocks(world):
    html = client_for(world.supervisor).get(NEW_POLICY).content.decode()
    assert ("Clocks already running keep their due times until the conversation next changes (a message, a reply, "
            "its status, priority, type or team): then the policy matching at that moment applies") in html


# --- who may, and how fast -------------------------------------------------------------------------


def test_agents_get_403_on_every_page_and_write_nothing(world):
    calendar = make_calendar(world)
    policy = make_policy(world)
    client = client_for(world.agent)
    gets = [PAGE, NEW_CALENDAR, NEW_POLICY, f"/settings/service-levels/calendars/{calendar.pk}/",
            f"/settings/service-levels/policies/{policy.pk}/"]
    posts = [(NEW_CALENDAR, calendar_form(name="Baru")), (NEW_POLICY, policy_form(name="Baru")),
             (f"/settings/service-levels/calendars/{calendar.pk}/", calendar_form(name="Diubah")),
             (f"/settings/service-levels/calendars/{calendar.pk}/delete", {}),
             (f"/settings/service-levels/policies/{policy.pk}/", policy_form(name="Diubah")),
             (f"/settings/service-levels/policies/{policy.pk}/move", {"direction": "down"}),
             (f"/settings/service-levels/policies/{policy.pk}/delete", {})]

    assert [client.get(url).status_code for url in gets] == [403] * len(gets)
    assert [client.post(url, data).status_code for url, data in posts] == [403] * len(posts)
    assert list(BusinessCalendar.objects.values_list("name", flat=True)) == ["Kantor"]
    assert list(ServiceLevelPolicy.objects.values_list("name", flat=True)) == ["Standar"]
    assert AuditEntry.objects.filter(action__startswith="servicelevels.").count() == 0


def test_the_nav_link_is_shown_to_supervisors_and_admins_only(world):
    link = f'<a href="{PAGE}">Service levels</a>'
    assert link in client_for(world.supervisor).get(PAGE).content.decode()
    assert link in client_for(world.admin).get("/").content.decode()
    assert link not in client_for(world.agent).get("/").content.decode()


def test_another_workspaces_calendars_and_policies_are_404_and_untouched(world, other_world):
    calendar = make_calendar(other_world, "Rahasia")
    policy = make_policy(other_world, "Rahasia")
    client = client_for(world.supervisor)

    assert client.get(f"/settings/service-levels/calendars/{calendar.pk}/").status_code == 404
    assert client.get(f"/settings/service-levels/policies/{policy.pk}/").status_code == 404
    assert [client.post(url, data).status_code for url, data in [
        (f"/settings/service-levels/calendars/{calendar.pk}/", calendar_form(name="Diubah")),
        (f"/settings/service-levels/calendars/{calendar.pk}/delete", {}),
        (f"/settings/service-levels/policies/{policy.pk}/", policy_form(name="Diubah")),
        (f"/settings/service-levels/policies/{policy.pk}/move", {"direction": "up"}),
        (f"/settings/service-levels/policies/{policy.pk}/delete", {})]] == [404] * 5
    assert "Rahasia" not in client.get(PAGE).content.decode()
    assert list(BusinessCalendar.objects.values_list("name", flat=True)) == ["Rahasia"]
    assert list(ServiceLevelPolicy.objects.values_list("name", flat=True)) == ["Rahasia"]


def _add_settings(world, n: int, offset: int) -> None:
    for i in range(offset, offset + n):
        calendar = make_calendar(world, f"Kalender {i}")
        CalendarClosure.objects.create(calendar=calendar, date=date(2026, 12, 24), name="Cuti bersama")
        TeamCalendar.objects.update_or_create(team=world.team if i % 2 else world.other_team,
                                              defaults={"calendar": calendar})
        policy = make_policy(world, f"Kebijakan {i}", position=i, calendar=calendar, warning_minutes=5)
        policy.teams.set([world.team])
        Escalation.objects.create(policy=policy, trigger="breach", action="reassign", team=world.other_team)


def test_the_list_page_runs_the_same_queries_for_one_or_many_calendars_and_policies(world):
    client = client_for(world.supervisor)
    _add_settings(world, 1, 0)
    client.get(PAGE)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(PAGE).status_code == 200
    _add_settings(world, 6, 1)
    with CaptureQueriesContext(connection) as many:
        html = client.get(PAGE).content.decode()

    assert (html.count('data-calendar="'), html.count('data-policy="')) == (7, 7)
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    # session, user, agent; calendars with hours, exceptions, team links and teams; policies with
    # teams, escalations and their teams (calendars are joined).
    assert len(few) == 12


# --- the real path ---------------------------------------------------------------------------------


def test_a_policy_made_on_the_pages_gives_a_received_conversation_its_clock(world, settle, receive):
    client = client_for(world.supervisor)
    client.post(NEW_CALENDAR, calendar_form(week=["08:00-17:00"] * 5 + ["", ""], is_default="on"))
    response = client.post(NEW_POLICY, policy_form(first_response_minutes="30", channels=["email"]))
    assert response.status_code == 302

    # Friday 16:50 WIB, 30 business minutes on Mon–Fri 08:00–17:00: 10 on Friday, 20 on Monday.
    with time_machine.travel(wib(2026, 8, 7, 16, 50), tick=False):
        conversation = settle(receive, world.email_inbox, "siti@contoh.id").conversation
    clock = ServiceLevelClock.objects.get(conversation=conversation, metric="first_response")
    assert (clock.due_at, clock.business_hours, clock.policy.name) == (wib(2026, 8, 10, 8, 20), True, "Standar")

    # A closure added on the page afterwards moves only the next conversation's due time.
    calendar = BusinessCalendar.objects.get()
    client.post(f"/settings/service-levels/calendars/{calendar.pk}/", calendar_form(
        week=["08:00-17:00"] * 5 + ["", ""], is_default="on", closed_dates="2026-08-10 Cuti bersama"))
    with time_machine.travel(wib(2026, 8, 7, 16, 55), tick=False):
        later = settle(receive, world.email_inbox, "budi@contoh.id").conversation
    assert ServiceLevelClock.objects.get(conversation=later, metric="first_response").due_at == wib(2026, 8, 11, 8, 25)
