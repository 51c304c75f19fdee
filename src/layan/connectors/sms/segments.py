"""How many SMS a text costs (pure): the GSM 03.38 7-bit alphabet when every character is in it,
else UCS-2. The composer's counter (web/static/layan/workspace.js, `smsSegments`) mirrors these
rules character for character; tests/web/test_sms_counter_in_browser.py holds them equal."""

from __future__ import annotations

from dataclasses import dataclass

GSM_7 = "GSM-7"
UCS_2 = "UCS-2"

# The GSM 03.38 basic set: one 7-bit unit each (in table order, 0x00-0x7F, without the escape).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: an escape and the character, two units that never part across segments.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

# (one-segment capacity, capacity of each part of a longer message): a multipart SMS spends
# some of every part on the header that joins the parts again.
CAPACITY = {GSM_7: (160, 153), UCS_2: (70, 67)}


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # GSM-7 | UCS-2
    characters: int  # what a person counts: Unicode code points
    units: int  # 7-bit units (GSM-7) or UTF-16 code units (UCS-2) the text takes
    segments: int  # SMS billed; 0 for an empty text
    remaining: int  # units still free in the last segment before another one starts

    def as_dict(self) -> dict:
        return {"encoding": self.encoding, "characters": self.characters, "units": self.units,
                "segments": self.segments, "remaining": self.remaining}


def _gsm_units(char: str) -> int | None:
    if char in GSM_BASIC:
        return 1
    if char in GSM_EXTENSION:
        return 2
    return None


def _ucs2_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1  # outside the BMP: a surrogate pair


def count_segments(text: str) -> SegmentCount:
    """The encoding, size and segment count of ``text`` as an SMS."""
    gsm = [_gsm_units(c) for c in text]
    if all(u is not None for u in gsm):
        encoding, sizes = GSM_7, gsm
    else:
        encoding, sizes = UCS_2, [_ucs2_units(c) for c in text]
    single, part = CAPACITY[encoding]
    units = sum(sizes)
    if units == 0:
        return SegmentCount(encoding, 0, 0, 0, single)
    if units <= single:
        return SegmentCount(encoding, len(text), units, 1, single - units)
    # Fill parts in order; a character that does not fit whole starts the next part.
    segments, used = 1, 0
    for size in sizes:
        if used + size > part:
            segments, used = segments + 1, 0
        used += size
    return SegmentCount(encoding, len(text), units, segments, part - used)


def summary(text: str) -> str:
    """What the composer shows under an SMS reply, in the active language (the composer's script
    fills the same msgid, web/templates/web/conversation.html, as the agent types)."""
    from django.utils.translation import gettext as _

    count = count_segments(text.replace("\r\n", "\n"))  # a textarea's line break, as the browser counts it
    return _("{characters} characters · {segments} SMS ({encoding})").format(
        characters=count.characters, segments=count.segments, encoding=count.encoding)
