"""Realtime push: events go to the workspace's agents as ids; their pages fetch what changed."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def workspace_group(workspace_id: int) -> str:
    return f"workspace.{workspace_id}"


def push_event(event) -> None:
    """Synchronous subscriber (see layan.events): cheap, ids only, never blocks a request long."""
    layer = get_channel_layer()
    if layer is None:
        return
    payload = event.as_payload()
    payload.pop("rule_chain", None)  # automation's loop guard: nothing a screen needs
    async_to_sync(layer.group_send)(workspace_group(event.workspace_id), {"type": "layan.event", "payload": payload})
