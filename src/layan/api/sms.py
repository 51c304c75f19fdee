"""API v1: SMS helpers: what a text costs as SMS before it is sent."""

from __future__ import annotations

from ninja import Query, Router, Schema
from pydantic import Field

from layan.api.schemas import ERRORS
from layan.connectors.sms.segments import count_segments, summary

router = Router(tags=["sms"])


class SegmentsQuery(Schema):
    text: str = Field("", max_length=10_000, description="the reply as the agent would send it")


class SegmentsOut(Schema):
    encoding: str = Field(description="GSM-7, or UCS-2 when a character is outside the GSM alphabet")
    characters: int = Field(description="Unicode characters in the text")
    units: int = Field(description="7-bit units (GSM-7; ^{}\\[~]|€ take two) or UTF-16 code units (UCS-2)")
    segments: int = Field(description="SMS the text is sent (and billed) as; 0 for an empty text")
    remaining: int = Field(description="units left in the last SMS before another one starts")
    summary: str = Field(description="the composer's line, in the caller's language")


@router.get("/segments", response={200: SegmentsOut, **ERRORS}, summary="Count the SMS a text takes")
def segments(request, query: Query[SegmentsQuery]):
    return {**count_segments(query.text).as_dict(), "summary": summary(query.text)}
