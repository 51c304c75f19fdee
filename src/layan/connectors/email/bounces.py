"""Recognising automatic replies, mailing-list mail and bounces (delivery status notifications).

Decisions:

- An **auto-reply** is mail a program sent without a person: ``Auto-Submitted`` with any value
  but ``no``; ``X-Autoreply`` / ``X-Autorespond``; ``X-Auto-Response-Suppress: All`` (Exchange
  puts it on its own out-of-office replies; the narrower values such as ``OOF`` or ``DR`` only ask
  for no automatic answer and Outlook sets them on mail people write too, so they do not count);
  ``Precedence: bulk`` or ``junk``; a subject that *starts* like an out-of-office reply in English
  or Indonesian ("Out of Office", "Automatic reply", "Auto:", "Balasan otomatis", "Sedang cuti",
  "Di luar kantor"); a subject merely mentioning one is not enough. A bounce is an auto-reply
  too (reason ``bounce``): nobody should answer either automatically.
- **Mailing-list** mail (``List-Id``, ``List-Unsubscribe`` or ``Precedence: list``) is marked
  ``is_list`` and is *not* an auto-reply: people write to lists, and a customer may well write
  to a support address through one. The caller decides what to do with it.
- A **bounce** is a ``multipart/report; report-type=delivery-status``, or, for servers that
  send non-standard ones, mail from ``MAILER-DAEMON``/``postmaster`` (or with a typical
  failure subject) such as "Undelivered Mail Returned to Sender". A status ``5.x.x`` is
  permanent, ``4.x.x`` temporary; without a status, a failure subject counts as permanent and a
  "delayed" one as temporary.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

_OUT_OF_OFFICE = re.compile(
    r"^\W*(out of (the )?office|automatic reply|auto(matic)?[ -]?reply|autoreply|auto-response|auto\s*:"
    r"|vacation (reply|response|notice)|away from (the )?office|balasan otomatis|balasan automatis"
    r"|sedang cuti|(sedang )?di luar kantor|(sedang )?tidak di kantor)", re.IGNORECASE)
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"(undelivered mail returned to sender|delivery status notification|undeliverable|"
    r"mail delivery (failed|failure|subsystem)|returned mail|delivery (has )?failed|"
    r"failure notice|delivery failure|non[- ]delivery|pesan tidak terkirim|gagal terkirim|"
    r"tidak dapat dikirim|delivery (status notification \()?delay)", re.IGNORECASE)
_DELAY_SUBJECT = re.compile(r"(delay|delayed|tertunda|warning: could not send)", re.IGNORECASE)
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_FAILURE_STATUS = re.compile(r"(?<![\d.])([45])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_SMTP_CODE = re.compile(r"\b([45])\d\d\b")
_ADDRESS = re.compile(r"<?([A-Za-z0-9._%+'=-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>?")


@dataclass(frozen=True)
class BounceInfo:
    original_message_id: str = ""
    recipient: str = ""
    status: str = ""
    action: str = ""
    diagnostic: str = ""
    is_permanent: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


def auto_reply_reason(headers: dict[str, str], subject: str) -> tuple[str, bool]:
    """``(reason, is_list)``: why this mail is automatic ("" if it is not), and whether it
    came through a mailing list. ``headers`` maps lower-case names to decoded values."""
    is_list = bool(headers.get("list-id") or headers.get("list-unsubscribe"))
    auto_submitted = (headers.get("auto-submitted") or "").strip().lower()
    precedence = (headers.get("precedence") or "").strip().lower()
    suppress = (headers.get("x-auto-response-suppress") or "").lower()
    if precedence == "list":
        is_list = True
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"auto-submitted: {auto_submitted.split(';')[0].strip()}", is_list
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder"):
        value = (headers.get(name) or "").strip().lower()
        if value and value not in {"no", "false", "0"}:
            return name, is_list
    if re.search(r"\ball\b", suppress):
        return "x-auto-response-suppress", is_list
    if precedence in {"bulk", "junk", "auto_reply"}:
        return f"precedence: {precedence}", is_list
    if subject and _OUT_OF_OFFICE.search(subject):
        return "out-of-office subject", is_list
    return "", is_list


def looks_like_bounce(*, content_type: str, report_type: str, from_address: str, subject: str) -> bool:
    if content_type == "multipart/report" and report_type.lower() == "delivery-status":
        return True
    if _BOUNCE_SENDER.match(from_address or "") and (not subject or _BOUNCE_SUBJECT.search(subject)):
        return True
    return bool(subject and re.search(
        r"^\s*(undelivered mail returned to sender|delivery status notification \(failure\)|"
        r"undeliverable:|mail delivery failed|returned mail:|delivery has failed)", subject, re.IGNORECASE))


def _fields(text: str) -> dict[str, str]:
    """Fields of a message/delivery-status body (blocks of header-like lines); later
    per-recipient values win over the per-message ones, the first recipient is used."""
    found: dict[str, str] = {}
    name = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if line[:1] in {" ", "\t"} and name:
            found[name] += " " + line.strip()
            continue
        match = re.match(r"^([A-Za-z][A-Za-z0-9-]*)\s*:\s*(.*)$", line)
        if match:
            name = match.group(1).lower()
            if name in found and name in {"final-recipient", "original-recipient", "action",
                                          "status", "diagnostic-code"}:
                name = f"_{name}"  # a second recipient: ignore
                found.setdefault(name, "")
                continue
            found[name] = match.group(2).strip()
        else:
            name = ""
    return found


def _address_of(value: str) -> str:
    value = value.split(";", 1)[1] if ";" in value else value
    match = _ADDRESS.search(value)
    return match.group(1).lower() if match else value.strip().strip("<>").lower()


def bounce_info(*, delivery_status: str, text: str, subject: str, original_message_id: str) -> BounceInfo:
    """What a bounce says: from its delivery-status part when there is one, else from its
    human-readable text."""
    fields = _fields(delivery_status) if delivery_status else {}
    recipient = _address_of(fields.get("final-recipient") or fields.get("original-recipient") or "")
    status_match = _STATUS.search(fields.get("status", ""))
    diagnostic = fields.get("diagnostic-code", "")
    if diagnostic.lower().startswith("smtp;"):
        diagnostic = diagnostic[5:].strip()
    if not status_match:
        status_match = _FAILURE_STATUS.search(diagnostic) or _FAILURE_STATUS.search(text or "")
    if not recipient:
        for line in (text or "").splitlines():
            stripped = line.strip()
            if not stripped or re.match(r"^(from|to|subject|date|message-id|reply-to|return-path|"
                                        r"received|cc)\s*:", stripped, re.IGNORECASE):
                continue
            match = _ADDRESS.search(stripped)
            if match and not _BOUNCE_SENDER.match(match.group(1) + "@"):
                recipient = match.group(1).lower()
                break
    if not diagnostic and text:
        for line in text.splitlines():
            if _FAILURE_STATUS.search(line) or re.search(r"\b[45]\d\d\b.*(said|user|mailbox|recipient)",
                                                   line, re.IGNORECASE):
                diagnostic = line.strip()
                break
    status = ".".join(status_match.groups()) if status_match else ""
    if status:
        permanent = status.startswith("5")
    else:
        code = _SMTP_CODE.search(diagnostic)
        if code:
            permanent = code.group(1) == "5"
        else:
            action = fields.get("action", "").lower()
            permanent = not (action == "delayed" or _DELAY_SUBJECT.search(subject or ""))
    return BounceInfo(original_message_id=original_message_id, recipient=recipient, status=status,
                      action=fields.get("action", "").lower(), diagnostic=diagnostic[:1000],
                      is_permanent=permanent)
