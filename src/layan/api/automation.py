"""API v1: canned replies — the saved answers of the reply composer — and rendering one for a
conversation."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from layan.accounts.models import Role
from layan.accounts.selectors import access_team, require_role
from layan.api.pagination import decode_cursor, encode_cursor, page_size
from layan.api.schemas import (
    ERRORS,
    CannedReplyIn,
    CannedReplyLanguageName,
    CannedReplyOut,
    CannedReplyPage,
    CannedReplyPatch,
    RenderedCannedReplyOut,
)
from layan.automation import services
from layan.automation.selectors import (
    access_canned_reply,
    canned_replies_after,
    render_canned_reply,
    search_canned_replies,
)
from layan.conversations.selectors import access_conversation
from layan.errors import ErrorCode, InvalidInput

router = Router(tags=["canned replies"])


class CannedReplyQuery(Schema):
    q: str | None = Field(None, max_length=200, description="shortcut prefix first, then title or text")
    language: CannedReplyLanguageName | None = Field(
        None, description="id or en: answers in that language and those without one")
    cursor: str | None = None
    limit: int | None = None


def _after_cursor(cursor: str) -> dict:
    rank, usage_count, shortcut = decode_cursor(cursor, 3)
    if not (isinstance(rank, int) and isinstance(usage_count, int) and isinstance(shortcut, str)):
        raise InvalidInput(_("The cursor is not valid; start again without it."), code=ErrorCode.INVALID_CURSOR,
                           field="cursor")
    return {"rank": rank, "usage_count": usage_count, "shortcut": shortcut}


def _team(request, team_id: int | None):
    return None if team_id is None else access_team(agent=request.agent, team_id=team_id)


@router.get("", response={200: CannedReplyPage, **ERRORS},
            summary="List and search the canned replies the caller may use")
def list_(request, query: Query[CannedReplyQuery]):
    size = page_size(query.limit)
    qs = search_canned_replies(agent=request.agent, q=query.q or "", language=query.language or "")
    if query.cursor:
        qs = canned_replies_after(qs, **_after_cursor(query.cursor))
    rows = list(qs[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = encode_cursor([last.rank, last.usage_count, last.shortcut])
    return {"items": rows, "next_cursor": next_cursor}


@router.post("", response={201: CannedReplyOut, **ERRORS},
             summary="Create a canned reply (supervisor or admin)")
def create(request, payload: CannedReplyIn):
    require_role(request.agent, Role.SUPERVISOR)
    reply = services.create_canned_reply(
        actor=request.actor, shortcut=payload.shortcut, title=payload.title, text=payload.text,
        team=_team(request, payload.team_id), language=payload.language,
        variant_of=None if payload.variant_of_id is None else access_canned_reply(
            agent=request.agent, canned_reply_id=payload.variant_of_id),
    )
    return Status(201, reply)


@router.get("/{int:canned_reply_id}", response={200: CannedReplyOut, **ERRORS}, summary="Get a canned reply")
def get(request, canned_reply_id: int):
    return access_canned_reply(agent=request.agent, canned_reply_id=canned_reply_id)


@router.patch("/{int:canned_reply_id}", response={200: CannedReplyOut, **ERRORS},
              summary="Update a canned reply (supervisor or admin)")
def update(request, canned_reply_id: int, payload: CannedReplyPatch):
    require_role(request.agent, Role.SUPERVISOR)
    reply = access_canned_reply(agent=request.agent, canned_reply_id=canned_reply_id)
    changes = {k: getattr(payload, k) for k in payload.model_fields_set
               if k != "team_id" and getattr(payload, k) is not None}
    if "team_id" in payload.model_fields_set:
        changes["team"] = _team(request, payload.team_id)
    if changes:
        services.update_canned_reply(actor=request.actor, canned_reply=reply, **changes)
    return access_canned_reply(agent=request.agent, canned_reply_id=canned_reply_id)


@router.delete("/{int:canned_reply_id}", response={204: None, **ERRORS},
               summary="Delete a canned reply (supervisor or admin)")
def delete(request, canned_reply_id: int):
    require_role(request.agent, Role.SUPERVISOR)
    reply = access_canned_reply(agent=request.agent, canned_reply_id=canned_reply_id)
    services.delete_canned_reply(actor=request.actor, canned_reply=reply)
    return Status(204, None)


@router.get("/{int:canned_reply_id}/render", response={200: RenderedCannedReplyOut, **ERRORS},
            summary="The canned reply's text filled in for a conversation; counts as one use")
def render(request, canned_reply_id: int, conversation: int):
    reply = access_canned_reply(agent=request.agent, canned_reply_id=canned_reply_id)
    target = access_conversation(agent=request.agent, conversation_id=conversation)
    text = render_canned_reply(canned_reply=reply, conversation=target, agent=request.agent)
    services.record_canned_reply_use(canned_reply=reply)
    return {"text": text}
