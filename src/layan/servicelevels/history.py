"""Service-level history for loaders of past conversations (the demo): what fell due before they
were loaded, recorded as the sweeper would have recorded it then. See docs/flows/servicelevels.md."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce

from layan.servicelevels.models import (
    ClockState,
    ConversationServiceLevel,
    ServiceLevelBreach,
    ServiceLevelClock,
)


@transaction.atomic
def record_past_due_as_history(*, workspace_id: int, now: datetime) -> tuple[int, int]:
    """For loaders of past conversations (the demo): the warnings and breaches already due at
    ``now`` recorded as the sweeper would have recorded them when they fell due — breached at the
    due time — but published to nobody: their notifications and escalations belong to that past,
    and replaying them would page agents about last month. Returns (warnings, breaches).
    A live workspace leaves this to the sweeper."""
    running = ServiceLevelClock.objects.filter(workspace_id=workspace_id, state=ClockState.RUNNING)
    missed = list(running.filter(breached_at__isnull=True, due_at__lte=now).values(
        "pk", "conversation_id", "policy_id", "metric", "cycle", "target_minutes", "due_at"))
    ServiceLevelBreach.objects.bulk_create([ServiceLevelBreach(
        workspace_id=workspace_id, conversation_id=row["conversation_id"], policy_id=row["policy_id"],
        metric=row["metric"], cycle=row["cycle"], target_minutes=row["target_minutes"], due_at=row["due_at"],
        breached_at=row["due_at"]) for row in missed])
    running.filter(pk__in=[row["pk"] for row in missed]).update(
        breached_at=F("due_at"), warned_at=Coalesce(F("warned_at"), F("warn_at")), updated_at=now)
    ConversationServiceLevel.objects.filter(
        conversation_id__in={row["conversation_id"] for row in missed}).update(breached=True)
    warned = running.filter(warned_at__isnull=True, breached_at__isnull=True, warn_at__lte=now).update(
        warned_at=F("warn_at"), updated_at=now)
    return warned, len(missed)
