"""The on-call page: who is on call now and for the next 14 days per rotation, overrides (added
and removed by supervisors and admins; agents view), open emergency pages, and a page's
"Acknowledge". Thin: parse, access_*, one service, render."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from layan import errors
from layan.accounts.actors import Actor
from layan.accounts.selectors import access_agent, access_team, list_agents, list_teams
from layan.servicelevels.oncall import (
    acknowledge_page,
    add_override,
    create_rotation,
    remove_override,
    set_rotation_members,
)
from layan.servicelevels.oncall_models import ShiftLength
from layan.servicelevels.oncall_selectors import (
    SCHEDULE_DAYS,
    access_override,
    access_page,
    access_rotation,
    list_rotations,
    open_pages,
    upcoming_overrides,
    upcoming_slots,
)
from layan.web.session import session_agent


def _agent_or_404(request):
    agent = session_agent(request)
    if agent is None:
        raise Http404
    return agent


def _local(value: str, zone: str) -> datetime | None:
    """A datetime-local form value read in the rotation's timezone."""
    try:
        naive = datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=zoneinfo.ZoneInfo(zone))


MEMBER_ROWS = 8


def _members(request, agent) -> list:
    """The (agent, phone) rows of a members form, in order; blank rows are skipped."""
    members = []
    for index in range(MEMBER_ROWS):
        raw = request.POST.get(f"member_{index}", "").strip()
        if not raw:
            continue
        try:
            member = access_agent(agent=agent, agent_id=int(raw))
        except ValueError as exc:
            raise errors.InvalidInput(_("Choose an agent."), field="members") from exc
        members.append((member, request.POST.get(f"phone_{index}", "").strip()))
    return members


def _schedule_page(request, agent, *, status=200, form=None, form_error=None, form_rotation=None,
                   members_rotation=None):
    now = timezone.now()
    rotations = []
    for rotation in list_rotations(agent=agent):
        slots = upcoming_slots(rotation, now=now)  # the first slot starts now: who is on call now
        members = list(rotation.members.select_related("agent").order_by("position")) if agent.is_supervisor_or_admin else []
        rotations.append({"rotation": rotation, "now": slots[0][1] if slots else None, "slots": slots,
                          "overrides": list(upcoming_overrides(rotation, now=now)),
                          "member_rows": [(i, members[i] if i < len(members) else None) for i in range(MEMBER_ROWS)]})
    return render(request, "web/oncall.html", {
        "agent": agent, "rotations": rotations, "days": SCHEDULE_DAYS, "pages": open_pages(agent=agent),
        "agents": list(list_agents(agent=agent).filter(is_active=True).order_by("display_name")),
        "can_manage": agent.is_supervisor_or_admin, "form": form or {}, "form_error": form_error,
        "form_rotation": form_rotation, "members_rotation": members_rotation, "teams": list(list_teams(agent=agent).order_by("name")),
        "shift_lengths": ShiftLength.choices, "member_rows": range(MEMBER_ROWS)}, status=status)


@login_required
@require_GET
def oncall_schedule(request):
    return _schedule_page(request, _agent_or_404(request))


@login_required
@require_POST
def oncall_override_add(request, rotation_id: int):
    agent = _agent_or_404(request)
    try:
        rotation = access_rotation(agent=agent, rotation_id=rotation_id)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc
    form = {key: request.POST.get(key, "") for key in ("agent", "starts_at", "ends_at", "note")}
    try:
        try:
            covering = access_agent(agent=agent, agent_id=int(form["agent"]))
        except ValueError as exc:
            raise errors.InvalidInput(_("Choose who covers."), field="agent") from exc
        add_override(actor=Actor.for_agent(agent), rotation=rotation, agent=covering,
                     starts_at=_local(form["starts_at"], rotation.timezone),
                     ends_at=_local(form["ends_at"], rotation.timezone), note=form["note"])
    except errors.LayanError as exc:
        return _schedule_page(request, agent, status=exc.status, form=form, form_error=exc,
                              form_rotation=rotation.pk)
    messages.success(request, _("Override added."))
    return redirect("web:oncall")


@login_required
@require_POST
def oncall_override_remove(request, override_id: int):
    agent = _agent_or_404(request)
    try:
        override = access_override(agent=agent, override_id=override_id)
        remove_override(actor=Actor.for_agent(agent), override=override)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc
    except errors.PermissionDenied as exc:
        messages.error(request, exc.message)
        return _schedule_page(request, agent, status=403)
    messages.success(request, _("Override removed."))
    return redirect("web:oncall")


@login_required
@require_GET
def oncall_page(request, page_id: int):
    agent = _agent_or_404(request)
    try:
        page = access_page(agent=agent, page_id=page_id)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "web/oncall_page.html", {"agent": agent, "page": page,
                                                     "deliveries": list(page.deliveries.order_by("pk"))})


@login_required
@require_POST
def oncall_page_acknowledge(request, page_id: int):
    agent = _agent_or_404(request)
    try:
        page = access_page(agent=agent, page_id=page_id)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc
    if acknowledge_page(agent=agent, page=page):
        messages.success(request, _("Acknowledged: the emergency is yours, escalation stopped."))
    else:
        messages.info(request, _("This emergency was acknowledged already."))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure()):
        return redirect(back)
    return redirect("web:oncall-page", page_id=page.pk)


@login_required
@require_POST
def oncall_rotation_create(request):
    agent = _agent_or_404(request)
    form = {key: request.POST.get(key, "").strip() for key in
            ("name", "team", "timezone", "shift_hours", "handover_time", "starts_on", "emergency_tag",
             "escalate_after_minutes", "whatsapp_template")}
    try:
        team = access_team(agent=agent, team_id=int(form["team"])) if form["team"] else None
        try:
            starts_on = date.fromisoformat(form["starts_on"])
        except ValueError as exc:
            raise errors.InvalidInput(_("Give the day of the first shift."), field="starts_on") from exc
        try:
            handover = time.fromisoformat(form["handover_time"] or "08:00")
            shift_hours = int(form["shift_hours"] or ShiftLength.WEEKLY)
            escalate_after = int(form["escalate_after_minutes"] or 15)
        except ValueError as exc:
            raise errors.InvalidInput(_("Give the hand-over as HH:MM and whole numbers of hours and minutes."),
                                      field="handover_time") from exc
        create_rotation(actor=Actor.for_agent(agent), name=form["name"], team=team, starts_on=starts_on,
                        timezone_name=form["timezone"] or agent.workspace.timezone, shift_hours=shift_hours,
                        handover_time=handover, emergency_tag=form["emergency_tag"],
                        escalate_after_minutes=escalate_after, whatsapp_template=form["whatsapp_template"],
                        members=_members(request, agent))
    except errors.LayanError as exc:
        return _schedule_page(request, agent, status=exc.status, form=form, form_error=exc, form_rotation="new")
    messages.success(request, _("Rotation created."))
    return redirect("web:oncall")


@login_required
@require_POST
def oncall_rotation_members(request, rotation_id: int):
    agent = _agent_or_404(request)
    try:
        rotation = access_rotation(agent=agent, rotation_id=rotation_id)
    except errors.NotFound as exc:
        raise Http404(exc.message) from exc
    try:
        set_rotation_members(actor=Actor.for_agent(agent), rotation=rotation, members=_members(request, agent))
    except errors.LayanError as exc:
        return _schedule_page(request, agent, status=exc.status, form_error=exc, members_rotation=rotation.pk)
    messages.success(request, _("Rotation members saved."))
    return redirect("web:oncall")
