"""The Indonesian catalogue is complete, keeps every placeholder, is compiled, and is what users get.

The .po files are parsed here with a small reader (no polib: it is not a dependency). The .mo files
are gitignored; `scripts/run-tests` (and `make demo`) compile them with `layan compilemessages`.
"""

from __future__ import annotations

import ast
import gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import layan

LOCALE = Path(layan.__file__).resolve().parent / "locale"
ID_PO = LOCALE / "id" / "LC_MESSAGES" / "django.po"
ID_MO = LOCALE / "id" / "LC_MESSAGES" / "django.mo"

COMPILE_HINT = "run `layan compilemessages --ignore=.venv` (scripts/run-tests does) before the tests"


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def where(self) -> str:
        return f"django.po:{self.line} msgid {self.msgid!r}"


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def _unquote(literal: str) -> str:
    # PO escapes (\" \\ \n \t) are a subset of Python's string escapes.
    return ast.literal_eval(literal)


def parse_po(path: Path) -> list[Entry]:
    """Every non-obsolete entry of a PO file, the header (msgid "") included."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None

    def finish():
        nonlocal current, target
        if current is not None and target is not None:
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):  # obsolete entry
            continue
        if current is None:
            current = Entry(line=number)
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, literal = match.groups()
            if keyword in ("msgctxt", "msgid") and target is not None and target[0] == "msgstr":
                # A new entry without a blank line in between.
                entries.append(current)
                current = Entry(line=number)
            current.line = current.line or number
            if keyword.startswith("msgstr"):
                target = ("msgstr", int(index) if index is not None else 0)
                current.msgstr[target[1]] = _unquote(literal)
            else:
                target = (keyword, None)
                setattr(current, keyword, _unquote(literal))
        elif line.startswith('"') and target is not None:
            kind, index = target
            if kind == "msgstr":
                current.msgstr[index] += _unquote(line)
            else:
                setattr(current, kind, getattr(current, kind) + _unquote(line))
        else:
            raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    finish()
    return entries


# printf-style (%(name)s, %(seconds).1f, %s, %d, %%), str.format-style ({name}, {0}) and HTML tags.
_PLACEHOLDER = re.compile(
    r"%(?:\([^)]+\))?[-#0 +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[diouxXeEfFgGcrsa%]"
    r"|\{[A-Za-z0-9_.\[\]]*(?:![rsa])?(?::[^{}]*)?\}"
    r"|</?[A-Za-z][^<>]*>"
)


def placeholders(text: str) -> Counter:
    return Counter(_PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def catalogue() -> tuple[Entry, list[Entry]]:
    entries = parse_po(ID_PO)
    headers = [e for e in entries if e.msgid == "" and e.msgctxt is None]
    assert len(headers) == 1, "the id catalogue needs exactly one header entry"
    messages = [e for e in entries if e not in headers]
    assert messages, "the id catalogue is empty: run `layan makemessages -l id -l en`"
    return headers[0], messages


def test_parser_reads_multiline_plural_and_flagged_entries(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: id\\n"\n\n'
        '#, fuzzy, python-format\nmsgid ""\n"Hello %(name)s, "\n"welcome."\nmsgstr "Halo %(name)s."\n\n'
        'msgid "%(n)d token"\nmsgid_plural "%(n)d tokens"\nmsgstr[0] "%(n)d token"\n\n'
        '#~ msgid "gone"\n#~ msgstr "hilang"\n',
        encoding="utf-8",
    )
    header, first, plural = parse_po(po)
    assert header.msgstr == {0: "Language: id\n"}
    assert (first.msgid, first.flags) == ("Hello %(name)s, welcome.", {"fuzzy", "python-format"})
    assert plural.msgid_plural == "%(n)d tokens"
    assert plural.msgstr == {0: "%(n)d token"}
    assert placeholders("%(seconds).1f s, %s, %d%%, {name}, <b>x</b>") == Counter(
        ["%(seconds).1f", "%s", "%d", "%%", "{name}", "<b>", "</b>"])


def test_header_declares_indonesian_utf8_and_one_plural_form(catalogue):
    header, _ = catalogue
    assert "fuzzy" not in header.flags
    fields = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)
    assert fields.get("Language") == "id"
    assert fields.get("Project-Id-Version", "").startswith("Layan")
    assert "charset=UTF-8" in fields.get("Content-Type", "")
    assert fields.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"


def test_every_message_is_translated_and_none_is_fuzzy(catalogue):
    _, messages = catalogue
    untranslated = [e.where for e in messages if not e.msgstr or any(not s.strip() for s in e.msgstr.values())]
    fuzzy = [e.where for e in messages if "fuzzy" in e.flags]
    assert untranslated == [], f"{len(untranslated)} untranslated in the id catalogue: {untranslated}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy in the id catalogue: {fuzzy}"


def test_plural_messages_have_the_single_indonesian_form(catalogue):
    _, messages = catalogue
    for entry in messages:
        if entry.msgid_plural is not None:
            assert set(entry.msgstr) == {0}, f"{entry.where}: Indonesian has one plural form, msgstr[0]"


def test_translations_keep_every_placeholder(catalogue):
    _, messages = catalogue
    wrong = [
        f"{entry.where}: {sorted(placeholders(source).elements())} != "
        f"{sorted(placeholders(translation).elements())} in {translation!r}"
        for entry in messages
        for source in (entry.msgid, *([entry.msgid_plural] if entry.msgid_plural is not None else []))
        for translation in entry.msgstr.values()
        if placeholders(source) != placeholders(translation)
    ]
    assert wrong == [], "\n".join(wrong)


def test_compiled_catalogue_matches_the_po_file(catalogue):
    _, messages = catalogue
    assert ID_MO.exists(), f"{ID_MO} is missing: {COMPILE_HINT}"
    with ID_MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in messages:
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            got = compiled._catalog.get(key)
        else:
            got = compiled._catalog.get((key, 0))
        if got != entry.msgstr[0]:
            stale.append(entry.where)
    assert stale == [], f"django.mo is out of date with django.po ({COMPILE_HINT}): {stale}"


def test_api_errors_are_in_indonesian_for_accept_language_id(api):
    response = api.get("/conversations/999999", headers={"HTTP_ACCEPT_LANGUAGE": "id"})
    assert response.status_code == 404, response.content
    assert response.headers["Content-Language"] == "id"
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert error["message"] == "Percakapan tidak ditemukan.", COMPILE_HINT


def test_api_errors_are_in_english_for_accept_language_en(api):
    response = api.get("/conversations/999999", headers={"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"})
    assert response.status_code == 404, response.content
    assert response.json()["error"]["message"] == "Conversation not found."


def test_unauthenticated_api_error_is_in_indonesian(db):
    from django.test import Client

    response = Client().get("/api/v1/conversations", HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 401, response.content
    assert response.json()["error"]["message"] == (
        "Autentikasi diperlukan: kirim 'Authorization: Bearer <token>' atau masuk terlebih dahulu.")
