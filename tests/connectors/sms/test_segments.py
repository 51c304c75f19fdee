"""What a text costs as SMS: GSM-7 (extension characters two units, 160 alone or 153 per part) or
UCS-2 (UTF-16 code units, 70 alone or 67 per part), a character never split across parts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from layan.connectors.sms.segments import (
    GSM_BASIC,
    GSM_EXTENSION,
    SegmentCount,
    count_segments,
    summary,
)

GSM_TEXT = st.text(alphabet=sorted(GSM_BASIC | GSM_EXTENSION), max_size=800)
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=400)


@pytest.mark.parametrize(("text", "expected"), [
    ("", SegmentCount("GSM-7", 0, 0, 0, 160)),
    ("Terima kasih, pesanan Anda sudah dikirim.", SegmentCount("GSM-7", 41, 41, 1, 119)),
    ("a" * 160, SegmentCount("GSM-7", 160, 160, 1, 0)),
    ("a" * 161, SegmentCount("GSM-7", 161, 161, 2, 145)),
    ("a" * 306, SegmentCount("GSM-7", 306, 306, 2, 0)),
    ("a" * 307, SegmentCount("GSM-7", 307, 307, 3, 152)),
    ("Harga €5", SegmentCount("GSM-7", 8, 9, 1, 151)),
    ("€" * 80, SegmentCount("GSM-7", 80, 160, 1, 0)),
    # 76 euros fill 152 of a part's 153 units; the 77th does not split, it starts the next part.
    ("€" * 81, SegmentCount("GSM-7", 81, 162, 2, 143)),
    ("a" * 152 + "€" + "a" * 10, SegmentCount("GSM-7", 163, 164, 2, 141)),
    ("Kode {promo} [diskon] ~50% | ^_^ \\o/", SegmentCount("GSM-7", 36, 45, 1, 115)),
    ("Café à São Paulo", SegmentCount("UCS-2", 16, 16, 1, 54)),  # ã is not GSM
    ("Paket sudah sampai 👍", SegmentCount("UCS-2", 20, 21, 1, 49)),
    ("Pesanan dikirim hari ini. Terima kasih 🙏", SegmentCount("UCS-2", 40, 41, 1, 29)),
    ("x" * 70 + "’", SegmentCount("UCS-2", 71, 71, 2, 63)),  # a typographic apostrophe costs the GSM rate
    ("x" * 66 + "😀" + "x" * 10, SegmentCount("UCS-2", 77, 78, 2, 55)),  # the pair moves whole to the second part
    ("é" * 160, SegmentCount("GSM-7", 160, 160, 1, 0)),
])
def test_exact_counts(text, expected):
    assert count_segments(text) == expected


def test_the_composer_line_names_characters_segments_and_encoding():
    from django.utils import translation

    with translation.override("en"):
        assert summary("Halo Kak 👋") == "10 characters · 1 SMS (UCS-2)"
        assert summary("a\r\nb") == "3 characters · 1 SMS (GSM-7)"


@given(GSM_TEXT)
def test_gsm_text_stays_gsm_and_its_units_count_extensions_twice(text):
    count = count_segments(text)
    assert count.encoding == "GSM-7"
    assert count.characters == len(text)
    assert count.units == len(text) + sum(c in GSM_EXTENSION for c in text)


@given(ANY_TEXT)
def test_one_character_outside_gsm_makes_it_ucs2_in_utf16_code_units(text):
    count = count_segments(text)
    outside = any(c not in GSM_BASIC and c not in GSM_EXTENSION for c in text)
    assert count.encoding == ("UCS-2" if outside else "GSM-7")
    if outside:
        assert count.units == len(text.encode("utf-16-le")) // 2


@given(ANY_TEXT | GSM_TEXT)
def test_segments_hold_the_units_and_only_the_last_has_room(text):
    count = count_segments(text)
    single, part = (160, 153) if count.encoding == "GSM-7" else (70, 67)
    if count.units == 0:
        assert (count.segments, count.remaining) == (0, single)
    elif count.units <= single:
        assert (count.segments, count.remaining) == (1, single - count.units)
    else:
        assert count.segments >= 2
        # Whole characters only: each full part may leave one unit unused before a 2-unit character.
        assert (count.segments - 1) * (part - 1) < count.units <= count.segments * part
        assert 0 <= count.remaining < part


@given(ANY_TEXT | GSM_TEXT, ANY_TEXT | GSM_TEXT)
def test_more_text_never_costs_fewer_segments(text, more):
    before, after = count_segments(text), count_segments(text + more)
    if before.encoding == after.encoding:
        assert after.segments >= before.segments
