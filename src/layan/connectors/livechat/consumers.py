"""The visitor's WebSocket (/ws/widget/<public_id>/): messages both ways, typing, receipts.

The Origin is checked against the inbox's allowed origins on connect; the first frame must be
``{"type": "auth", "token": ...}`` with the token from the session endpoint (a token never goes in
a URL). Everything after that acts for that one visitor. Protocol: docs/flows/livechat.md.
"""

from __future__ import annotations

import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils.translation import gettext as _

from layan.connectors.livechat import selectors as livechat
from layan.connectors.livechat import services
from layan.connectors.livechat.config import widget_config
from layan.connectors.livechat.sessions import read_token
from layan.errors import LayanError

TYPING_EVERY_SECONDS = 2.0


def header(scope, name: bytes) -> str:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


@database_sync_to_async
def _inbox(public_id):
    return livechat.livechat_inbox(public_id=public_id)


@database_sync_to_async
def _history(inbox, visitor, after_id=0):
    return [livechat.serialise_message(m) for m in livechat.visitor_messages(inbox=inbox, visitor=visitor,
                                                                             after_id=after_id)]


@database_sync_to_async
def _receive(inbox, visitor, content, ip):
    message = services.receive_visitor_message(
        inbox=inbox, visitor=visitor, client_id=content.get("client_id"), text=content.get("text"),
        attachments=content.get("attachments") or (), prechat=content.get("prechat"), page=content.get("page") or "",
        ip=ip)
    return livechat.serialise_message(message)


@database_sync_to_async
def _one_message(inbox, visitor, message_id):
    message = livechat.visitor_message(inbox=inbox, visitor=visitor, message_id=message_id)
    return livechat.serialise_message(message) if message is not None else None


class LivechatConsumer(AsyncWebsocketConsumer):
    inbox = None
    visitor = None
    _typing_at = 0.0

    async def connect(self):
        self.inbox = await _inbox(self.scope["url_route"]["kwargs"]["public_id"])
        if self.inbox is None or not widget_config(self.inbox.settings).allows_origin(header(self.scope, b"origin")):
            await self.close(code=4403)
            return
        await self.accept()

    async def disconnect(self, code):
        if self.visitor is not None:
            await self.channel_layer.group_discard(self.visitor.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        try:
            content = json.loads(text_data or "")
        except ValueError:
            content = None
        if not isinstance(content, dict):
            await self._error("malformed_json", _("Every frame must be a JSON object."))
            return
        kind = content.get("type")
        if self.visitor is None:
            await self._authenticate(content if kind == "auth" else {})
            return
        handler = {"message": self._message, "typing": self._typing, "read": self._receipt,
                   "delivered": self._receipt, "history": self._send_history}.get(kind)
        if handler is None:
            await self._error("invalid_input", _("Unknown frame type."))
            return
        try:
            await handler(content)
        except LayanError as exc:
            await self._error(str(exc.code), exc.message, field=exc.field, client_id=content.get("client_id"),
                              retry_after=getattr(exc, "retry_after", None))

    async def _authenticate(self, content):
        visitor = read_token(content.get("token"), inbox_public_id=self.inbox.public_id)
        if visitor is None:
            await self._error("not_authenticated", _("The chat session is not valid; start a new one."))
            await self.close(code=4401)
            return
        self.visitor = visitor
        await self.channel_layer.group_add(visitor.group, self.channel_name)
        await self.send_json({"type": "ready", "config": widget_config(self.inbox.settings).public(),
                              "messages": await _history(self.inbox, visitor)})

    async def _message(self, content):
        message = await _receive(self.inbox, self.visitor, content, self._ip())
        await self.send_json({"type": "ack", "client_id": content.get("client_id"), "message": message})
        # The visitor's other tabs show it too (they ignore ids they already have).
        await self.channel_layer.group_send(self.visitor.group, {"type": "livechat.message",
                                                                 "message_id": message["id"],
                                                                 "skip": self.channel_name})

    async def _typing(self, content):
        now = time.monotonic()
        if now - self._typing_at < TYPING_EVERY_SECONDS:
            return
        self._typing_at = now
        push = await database_sync_to_async(services.visitor_typing_payload)(inbox=self.inbox, visitor=self.visitor)
        if push is not None:
            await self.channel_layer.group_send(*push)

    async def _receipt(self, content):
        status = "read" if content.get("type") == "read" else "delivered"
        await database_sync_to_async(services.record_receipts)(
            inbox=self.inbox, visitor=self.visitor, message_ids=content.get("message_ids") or [], status=status)

    async def _send_history(self, content):
        after = content.get("after_id")
        after = after if isinstance(after, int) and not isinstance(after, bool) else 0
        await self.send_json({"type": "history", "messages": await _history(self.inbox, self.visitor, after)})

    # --- channel-layer events -----------------------------------------------------------------
    async def livechat_message(self, event):
        if event.get("skip") == self.channel_name:
            return
        message = await _one_message(self.inbox, self.visitor, event["message_id"])
        if message is not None:
            await self.send_json({"type": "message", "message": message})

    async def livechat_typing(self, event):
        await self.send_json({"type": "typing", "author": event.get("author") or ""})

    # --- helpers --------------------------------------------------------------------------------
    def _ip(self) -> str:
        client = self.scope.get("client")
        return client[0] if client else ""

    async def send_json(self, content):
        await self.send(text_data=json.dumps(content))

    async def _error(self, code, message, **extra):
        await self.send_json({"type": "error", "code": code, "message": message,
                              **{k: v for k, v in extra.items() if v is not None}})
