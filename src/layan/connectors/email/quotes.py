"""Separating what is new in a plain-text reply from the quoted history and the signature.

The history starts at the first of:

- an attribution line, English or Indonesian, possibly wrapped over two lines
  (``On Mon, Nov 3, 2026 at 10:00 AM Siti <siti@contoh.id> wrote:``,
  ``Pada Sen, 3 Nov 2026 pukul 10.00 Siti <siti@contoh.id> menulis:``);
- an Outlook header block (``From:/Sent:/To:/Subject:`` or ``Dari:/Dikirim:/Kepada:/Subjek:``);
- a separator: ``-----Original Message-----``, ``-----Pesan Asli-----``, a line of underscores;
- lines quoted with ``>`` (when new text is interleaved with them, the quoted lines are
  taken out and the rest kept).

A forwarded message (``---------- Forwarded message ---------``, ``Pesan terusan``,
``Begin forwarded message:``) is not history: when its marker comes first, the forward is
kept as part of the new text.

The signature is what follows a ``-- `` line, or a mobile footer (``Sent from my iPhone``,
``Dikirim dari iPhone saya``, ...) near the end of the new text.
"""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(r"^\s*(on|pada|le|am)\b.*\b(wrote|menulis|a écrit|schrieb)\s*:\s*$",
                          re.IGNORECASE)
_ATTRIBUTION_START = re.compile(r"^\s*(on|pada)\s+\S", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(r"\b(wrote|menulis)\s*:\s*$", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(original message|pesan asli|pesan asal|reply message)\s*-{2,}|_{10,})\s*$",
    re.IGNORECASE)
_FORWARD = re.compile(
    r"^\s*(-{2,}\s*(forwarded message|pesan terusan|forwarded by)\b.*|begin forwarded message\s*:"
    r"|mulai pesan terusan\s*:)\s*$", re.IGNORECASE)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(from|dari)\s*:\*?\s*\S", re.IGNORECASE)
_OUTLOOK_FIELD = re.compile(
    r"^\s*\*?(sent|date|to|cc|subject|dikirim|tanggal|kepada|subjek|perihal|terkirim)\s*:",
    re.IGNORECASE)
_MOBILE = re.compile(
    r"^\s*(sent from|sent via|sent with|dikirim dari|dikirim melalui|dikirim via|get outlook for"
    r"|dapatkan outlook untuk|diketik dari)\b", re.IGNORECASE)


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _outlook_block_at(lines: list[str], index: int) -> bool:
    if not _OUTLOOK_FROM.match(lines[index]):
        return False
    window = [line for line in lines[index + 1:index + 8] if line.strip()]
    return sum(1 for line in window[:6] if _OUTLOOK_FIELD.match(line)) >= 2


def _history_start(lines: list[str]) -> tuple[int | None, bool]:
    """Index where the history starts and whether it is a forward (to be kept)."""
    for index, line in enumerate(lines):
        if _FORWARD.match(line):
            return index, True
        if _ATTRIBUTION.match(line) or _SEPARATOR.match(line) or _outlook_block_at(lines, index):
            return index, False
        if (_ATTRIBUTION_START.match(line) and index + 1 < len(lines)
                and _ATTRIBUTION_END.search(lines[index + 1])
                and len(line) + len(lines[index + 1]) < 300
                and not _is_quoted(lines[index + 1])):
            return index, False
        if _is_quoted(line):
            return index, False
    return None, False


def _split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].rstrip() == "--" or lines[index] == "-- ":
            return lines[:index], lines[index + 1:]
    content = [i for i, line in enumerate(lines) if line.strip()]
    for index in content[-3:]:
        if _MOBILE.match(lines[index]):
            return lines[:index], lines[index:]
    return lines, []


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip()


FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|fw|tr|wg|terusan|penerusan)\s*:", re.IGNORECASE)


def split_reply(text: str, *, forward: bool = False) -> tuple[str, str, str]:
    """``(new_text, quoted_text, signature)`` of a plain-text message body; never raises.

    ``forward``: the message is a forward (its subject starts with ``Fwd:``, ``FW:``...), so the
    header block that starts the forwarded message, however it looks (Outlook writes the same
    ``From:/Sent:`` block for forwards as for replies), is new content, not history."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    start, is_forward = _history_start(lines)
    is_forward = is_forward or forward
    if start is None:
        new, signature = _split_signature(lines)
        return _join(new), "", _join(signature)
    head, rest = lines[:start], lines[start:]
    if is_forward:
        new, signature = _split_signature(head)
        kept = "\n\n".join(part for part in (_join(new), _join(rest)) if part)
        return kept, "", _join(signature)
    if _is_quoted(rest[0]):
        unquoted = [line for line in rest if not _is_quoted(line)]
        answers, _signature = _split_signature(unquoted)
        if _join(answers):
            # Interleaved answers: keep the unquoted lines, take the quoted ones out.
            new, signature = _split_signature([*head, *unquoted])
            return _join(new), _join([line for line in rest if _is_quoted(line)]), _join(signature)
    new, signature = _split_signature(head)
    return _join(new), _join(rest), _join(signature)
