"""Parsing a raw email into what Layan needs, without touching the database.

``parse_email(raw)`` never raises: whatever it cannot make sense of is recorded in
``ParsedEmail.warnings`` and the rest is kept, so that no customer mail is dropped.

The stdlib ``email`` package splits the MIME structure. Header values are taken raw (a
``Compat32`` policy that returns them as received) and decoded here, because real mail has
broken encoded words, raw 8-bit bytes and unknown charsets on which ``policy.default``
either raises late or silently replaces text. Bodies are decoded with the declared charset,
then UTF-8, then Windows-1252 and finally Latin-1 (which cannot fail), with a warning
whenever a fallback was needed.

``html`` is the HTML as sent, NOT sanitised: sanitise it (nh3) where it is stored.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from email.policy import Compat32
from email.utils import getaddresses, parsedate_to_datetime

from layan.connectors.email.bounces import (
    BounceInfo,
    auto_reply_reason,
    bounce_info,
    looks_like_bounce,
)
from layan.connectors.email.html_text import convert_html
from layan.connectors.email.quotes import FORWARD_SUBJECT, split_reply

MAX_DEPTH = 20  # nested multiparts / forwarded messages followed; deeper ones are attachments


class _RawHeaders(Compat32):
    """Header values exactly as received (non-ASCII bytes as surrogate escapes)."""

    def header_fetch_parse(self, name, value):
        return value


_POLICY = _RawHeaders()

# Declared names → the codec that decodes what senders actually mean by them.
_CHARSET_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "ms_kanji": "cp932", "big5": "cp950", "big-5": "cp950", "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949", "iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "iso8859-1": "cp1252", "iso_8859-1": "cp1252", "us-ascii": "ascii", "ascii": "ascii",
    "iso-8859-8-i": "iso-8859-8", "utf8": "utf-8", "unicode-1-1-utf-7": "utf-7",
    "windows-874": "cp874", "tis-620": "cp874",
}
_NO_CHARSET = {"", "unknown-8bit", "x-unknown", "unknown", "default", "charset", "none"}
_SINGLE_BYTE = {"ascii", "cp1252", "latin-1", "iso8859-15", "cp1250"}


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes = field(repr=False)
    content_id: str = ""
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.content)

    def to_dict(self) -> dict:
        return {"name": self.filename, "type": self.content_type, "size": self.size,
                "content_id": self.content_id, "inline": self.inline}


@dataclass(frozen=True)
class ParsedEmail:
    from_address: str = ""
    from_name: str = ""
    to: tuple[tuple[str, str], ...] = ()  # (address, name)
    cc: tuple[tuple[str, str], ...] = ()
    reply_to: tuple[tuple[str, str], ...] = ()
    subject: str = ""
    date: datetime | None = None
    message_id: str = ""  # with its angle brackets, as in the header: "<id@host>"
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    text: str = ""  # the whole plain text (HTML converted when there is no text part)
    html: str = ""  # raw, as sent: NOT sanitised
    new_text: str = ""  # what is new: without quoted history and signature
    quoted_text: str = ""
    signature: str = ""
    attachments: tuple[ParsedAttachment, ...] = ()
    forwarded: tuple[ParsedEmail, ...] = ()  # attached message/rfc822 parts, parsed
    is_auto_reply: bool = False
    auto_reply_reason: str = ""
    is_list: bool = False
    is_bounce: bool = False
    bounce: BounceInfo | None = None
    auto_submitted: str = ""
    precedence: str = ""
    list_id: str = ""
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """A JSON-serialisable summary (attachments as name, type and size; no content)."""

        def people(values):
            return [{"address": address, "name": name} for address, name in values]

        return {
            "from": {"address": self.from_address, "name": self.from_name},
            "to": people(self.to), "cc": people(self.cc), "reply_to": people(self.reply_to),
            "subject": self.subject,
            "date": self.date.isoformat() if self.date else None,
            "message_id": self.message_id, "in_reply_to": self.in_reply_to,
            "references": list(self.references),
            "new_text": self.new_text, "quoted_text": self.quoted_text, "signature": self.signature,
            "attachments": [a.to_dict() for a in self.attachments],
            "forwarded": [{"from": f.from_address, "subject": f.subject, "text": f.text}
                          for f in self.forwarded],
            "is_auto_reply": self.is_auto_reply, "auto_reply_reason": self.auto_reply_reason,
            "is_list": self.is_list, "is_bounce": self.is_bounce,
            "bounce": self.bounce.to_dict() if self.bounce else None,
            "auto_submitted": self.auto_submitted, "precedence": self.precedence,
            "list_id": self.list_id, "has_html": bool(self.html),
            "warnings": list(self.warnings),
        }


# ---------------------------------------------------------------- charsets


def _codec(charset: str | None) -> str | None:
    name = (charset or "").strip().strip("'\"").lower()
    if name in _NO_CHARSET:
        return None
    name = _CHARSET_ALIASES.get(name, name)
    if not name.isascii() or not name.isprintable():
        return "?" + name.encode("ascii", "backslashreplace").decode()
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return "?" + name


def decode_bytes(data: bytes, charset: str | None, warnings: list[str], where: str = "body") -> str:
    """Text of ``data``: the declared charset, else UTF-8, else Windows-1252, else Latin-1."""
    codec = _codec(charset)
    if codec and codec.startswith("?"):
        warnings.append(f"{where}: unknown charset {codec[1:]!r}, guessed")
        codec = None
    if codec in _SINGLE_BYTE and codec != "ascii" and re.search(rb"[\xc2-\xf4][\x80-\xbf]", data):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            warnings.append(f"{where}: declared {charset} but is UTF-8")
            return text
    if codec:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError, ValueError):
            warnings.append(f"{where}: not valid {charset}, guessed")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", errors="replace")
    damaged = lenient.count("\ufffd")
    if codec == "utf-8" or sum(1 for char in lenient if ord(char) > 127) - damaged > damaged:
        # Declared, or mostly well-formed, UTF-8 with some damage: keep the good characters.
        warnings.append(f"{where}: invalid UTF-8, damaged bytes replaced")
        return lenient
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        pass
    else:
        if codec is None:
            warnings.append(f"{where}: no charset declared, read as Windows-1252")
        return text
    warnings.append(f"{where}: unknown encoding, read as Latin-1")
    return data.decode("latin-1")


def _raw_bytes(value: str) -> bytes:
    return value.encode("utf-8", errors="surrogateescape")


# ---------------------------------------------------------------- headers

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*?)\?=")


def _ew_bytes(encoding: str, payload: str) -> bytes:
    if encoding.upper() == "B":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        if len(cleaned) % 4 == 1:  # one character too many to be base64: drop it
            cleaned = cleaned[:-1]
        try:
            return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
        except (binascii.Error, ValueError):
            return b""
    data = payload.replace("_", " ").encode("utf-8", errors="surrogateescape")
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), data)


def decode_header(value: str | None, warnings: list[str] | None = None, where: str = "header") -> str:
    """A header value as text: unfolded, RFC 2047 encoded words decoded (adjacent ones joined
    even when a character is split between them), raw 8-bit bytes read as UTF-8 or
    Windows-1252."""
    warnings = [] if warnings is None else warnings
    if value is None:
        return ""
    value = re.sub(r"\r?\n[ \t]", " ", str(value)).replace("\r", "").replace("\n", "")
    out: list[str] = []
    position = 0
    pending: tuple[str, bytearray] | None = None  # adjacent words in one charset

    def flush():
        nonlocal pending
        if pending:
            out.append(decode_bytes(bytes(pending[1]), pending[0], warnings, where))
            pending = None

    for match in _ENCODED_WORD.finditer(value):
        between = value[position:match.start()]
        charset = match.group(1).split("*", 1)[0]
        data = _ew_bytes(match.group(2), match.group(3))
        if between and not between.isspace() or (between and pending is None):
            flush()
            out.append(_plain(between, warnings, where))
        if pending and pending[0].lower() == charset.lower():
            pending[1].extend(data)
        else:
            flush()
            pending = (charset, bytearray(data))
        position = match.end()
    flush()
    out.append(_plain(value[position:], warnings, where))
    return "".join(out).strip()


def _plain(text: str, warnings: list[str], where: str) -> str:
    if text.isascii():
        return text
    try:
        data = text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:  # pragma: no cover - surrogateescape accepts any str we get
        return text
    return decode_bytes(data, None, warnings, where)


def _addresses(msg: Message, name: str, warnings: list[str]) -> tuple[tuple[str, str], ...]:
    values = msg.get_all(name) or []
    found: list[tuple[str, str]] = []
    try:
        pairs = getaddresses([re.sub(r"\r?\n[ \t]", " ", str(v)) for v in values])
    except Exception:  # noqa: BLE001 - a header too broken for the stdlib
        warnings.append(f"{name}: could not be parsed")
        return ()
    for display, address in pairs:
        address = _plain(address, warnings, name).strip().strip("<>").lower()
        display = decode_header(display, warnings, name).strip().strip('"').strip()
        if address and "@" not in address:  # "From: Budi": a name, not an address
            display, address = display or decode_header(address, warnings, name), ""
        if address or display:
            found.append((address, display))
    return tuple(found)


def _message_ids(value: str) -> tuple[str, ...]:
    ids = re.findall(r"<[^<>\s]+>", value or "")
    if not ids and value and value.strip() and " " not in value.strip():
        ids = [f"<{value.strip().strip('<>')}>"]
    return tuple(ids)


def _date(value: str, warnings: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        warnings.append(f"date: could not be parsed: {value[:80]!r}")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


# ---------------------------------------------------------------- body


@dataclass
class _Collected:
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    forwarded: list[ParsedEmail] = field(default_factory=list)
    delivery_status: str = ""
    original_message_id: str = ""
    warnings: list[str] = field(default_factory=list)


_GENERATED_NAMES = {
    "text/calendar": "invite.ics", "application/ics": "invite.ics",
    "application/pkcs7-signature": "smime.p7s", "application/x-pkcs7-signature": "smime.p7s",
    "application/pkcs7-mime": "smime.p7m", "application/x-pkcs7-mime": "smime.p7m",
    "application/pgp-signature": "signature.asc", "application/pgp-encrypted": "pgp-encrypted.asc",
    "application/pgp-keys": "key.asc", "application/ms-tnef": "winmail.dat",
    "application/vnd.ms-tnef": "winmail.dat", "message/delivery-status": "delivery-status.txt",
    "text/rfc822-headers": "original-headers.txt", "message/disposition-notification":
        "disposition-notification.txt",
}


def _generated_name(content_type: str, count: int) -> str:
    if content_type in _GENERATED_NAMES:
        return _GENERATED_NAMES[content_type]
    extension = {"text/plain": ".txt", "image/jpeg": ".jpg", "message/rfc822": ".eml"}.get(
        content_type) or mimetypes.guess_extension(content_type) or ".bin"
    stem = content_type.split("/")[0] if content_type.startswith(("image/", "audio/", "video/")) else "attachment"
    return f"{stem}-{count}{extension}"


def _filename(part: Message, warnings: list[str]) -> str:
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:  # noqa: BLE001
        warnings.append("attachment: filename could not be read")
        return ""
    if isinstance(name, tuple):  # an RFC 2231 value the stdlib left undecoded
        name = decode_bytes(_raw_bytes(name[2] or ""), name[0], warnings, "filename")
    name = decode_header(str(name), warnings, "filename")
    return re.sub(r"[\x00-\x1f/\\]", "_", name).strip().strip(".") or ""


def _payload_bytes(part: Message, warnings: list[str]) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        payload = None
    if payload is None:
        raw = part.get_payload()
        if isinstance(raw, str):
            return raw.encode("utf-8", errors="surrogateescape")
        warnings.append("part: payload could not be decoded")
        return b""
    cte = str(part.get("content-transfer-encoding") or "").strip().lower()
    if cte == "base64" and part.defects:
        warnings.append("part: damaged base64, decoded what could be")
    return payload


def _message_bytes(message: Message, warnings: list[str]) -> bytes:
    try:
        return message.as_bytes()
    except Exception:  # noqa: BLE001 - RecursionError on absurd nesting, encoding errors
        try:
            return message.as_string().encode("utf-8", errors="surrogateescape")
        except Exception:  # noqa: BLE001
            warnings.append("message/rfc822: attached message could not be rebuilt")
            return b""


def _html_charset(data: bytes) -> str | None:
    match = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_:.-]+)", data[:4096], re.IGNORECASE)
    return match.group(1).decode("ascii") if match else None


_MIME_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


def _content_type(part: Message, warnings: list[str]) -> str:
    content_type = part.get_content_type()
    if _MIME_TYPE.match(content_type):
        return content_type
    warnings.append("part: invalid content type, read as application/octet-stream")
    return "application/octet-stream"


def _collect(part: Message, found: _Collected, depth: int) -> None:
    content_type = _content_type(part, found.warnings)
    if part.is_multipart() and depth < MAX_DEPTH and not content_type.startswith("message/"):
        for child in part.get_payload():
            if isinstance(child, Message):
                _collect(child, found, depth + 1)
        return
    if content_type in {"message/rfc822", "message/global"}:
        _collect_message(part, found, depth)
        return
    report = _report_text(part) if content_type.startswith("message/") else None
    if content_type == "message/delivery-status":
        found.delivery_status = report or ""
    disposition = (part.get_content_disposition() or "").lower()
    name = _filename(part, found.warnings)
    if content_type in {"text/plain", "text/html"} and disposition != "attachment" and not name:
        data = _payload_bytes(part, found.warnings)
        charset = part.get_content_charset()
        if content_type == "text/html":
            found.htmls.append(decode_bytes(data, charset or _html_charset(data), found.warnings, "html"))
        else:
            found.texts.append(decode_bytes(data, charset, found.warnings, "text"))
        return
    if content_type == "text/rfc822-headers":
        headers = message_from_bytes(_payload_bytes(part, found.warnings), policy=_POLICY)
        found.original_message_id = found.original_message_id or " ".join(
            _message_ids(decode_header(headers.get("message-id"), found.warnings, "message-id"))[:1])
    content = report.encode() if report is not None else _payload_bytes(part, found.warnings)
    content_id = decode_header(part.get("content-id"), found.warnings, "content-id").strip("<> ")
    found.attachments.append(ParsedAttachment(
        filename=name or _generated_name(content_type, len(found.attachments) + 1),
        content_type=content_type, content=content, content_id=content_id,
        inline=disposition == "inline" or (bool(content_id) and disposition != "attachment")))


def _collect_message(part: Message, found: _Collected, depth: int) -> None:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner, Message):
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
        inner = message_from_bytes(data, policy=_POLICY)
    if depth >= MAX_DEPTH:
        found.warnings.append("message/rfc822: nested too deep, not followed")
        found.attachments.append(ParsedAttachment(filename="forwarded-message.eml",
                                                  content_type="message/rfc822", content=b""))
        return
    data = _message_bytes(inner, found.warnings)
    parsed = _parse(data, depth + 1)
    found.forwarded.append(parsed)
    found.original_message_id = found.original_message_id or parsed.message_id
    name = _filename(part, found.warnings)
    if not name:
        subject = re.sub(r"[^\w .,()-]+", "", parsed.subject).strip()[:80]
        name = f"{subject}.eml" if subject else "forwarded-message.eml"
    found.attachments.append(ParsedAttachment(filename=name, content_type="message/rfc822",
                                              content=data))


def _report_text(part: Message) -> str:
    """The text of a message/delivery-status (or other header-block) part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = ["\n".join(f"{k}: {decode_header(v)}" for k, v in block.items())
                  for block in payload if isinstance(block, Message)]
        return "\n\n".join(blocks)
    return decode_bytes(_payload_bytes(part, []), part.get_content_charset() or "utf-8", [], "report")


# ---------------------------------------------------------------- the whole message


def parse_email(raw: bytes) -> ParsedEmail:
    """Everything Layan uses from a raw RFC 5322 message. Never raises."""
    try:
        return _parse(raw, 0)
    except Exception as exc:  # noqa: BLE001 - the contract is to never raise
        return ParsedEmail(warnings=(f"parse error: {type(exc).__name__}: {exc}",))


def _body_root(msg: Message, warnings: list[str]) -> Message:
    """The message whose parts hold the body: ``msg`` itself, or, for a multipart that
    declares no boundary, the body re-read with the boundary its first line uses."""
    if msg.get_content_maintype() != "multipart" or msg.is_multipart():
        return msg
    payload = msg.get_payload()
    data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    match = re.search(rb"^--([^\s]{1,70})\s*$", data, re.MULTILINE)
    if not match:
        warnings.append("body: multipart without boundary, read as text")
        return message_from_bytes(b"Content-Type: text/plain\n\n" + data, policy=_POLICY)
    boundary = match.group(1).rstrip(b"-") if data.count(match.group(1).rstrip(b"-")) > 1 else match.group(1)
    warnings.append("body: multipart without boundary parameter, guessed from the body")
    header = b"Content-Type: " + msg.get_content_type().encode("utf-8", "surrogateescape") + b'; boundary="' + boundary + b'"\n\n'
    return message_from_bytes(header + data, policy=_POLICY)


def _parse(raw: bytes, depth: int) -> ParsedEmail:
    warnings: list[str] = []
    if isinstance(raw, str):
        raw = raw.encode("utf-8", errors="surrogateescape")
    if not isinstance(raw, bytes | bytearray | memoryview):
        return ParsedEmail(warnings=(f"parse error: expected bytes, got {type(raw).__name__}",))
    raw = bytes(raw)
    if not raw.strip():
        return ParsedEmail(warnings=("parse error: empty message",))
    if re.search(rb"\r(?!\n)", raw):
        warnings.append("lone CR line endings normalised")
        raw = re.sub(rb"\r(?!\n)", b"\n", raw)
    msg = message_from_bytes(raw, policy=_POLICY)

    def header(name: str) -> str:
        return decode_header(msg.get(name), warnings, name.lower())

    from_pairs = _addresses(msg, "from", warnings) or _addresses(msg, "sender", warnings)
    from_address, from_name = from_pairs[0] if from_pairs else ("", "")
    if not from_address:
        warnings.append("from: no sender address")
    subject = header("subject")
    found = _Collected(warnings=warnings)
    try:
        _collect(_body_root(msg, warnings), found, depth)
    except Exception as exc:  # noqa: BLE001 - keep the headers of a body we cannot read
        warnings.append(f"body: parse error: {type(exc).__name__}: {exc}")
    warnings.extend(f"mime: {type(defect).__name__}" for defect in msg.defects)

    text = "\n\n".join(t.strip("\n") for t in found.texts if t.strip())
    html = "\n".join(found.htmls)
    forward = bool(FORWARD_SUBJECT.match(subject))
    if text.strip():
        new_text, quoted_text, signature = split_reply(text, forward=forward)
    elif html.strip():
        text, html_new, html_quoted = convert_html(html)
        if forward:  # a forward is the new content, whatever markup wraps it
            html_new, html_quoted = text, ""
        new_text, quoted_text, signature = split_reply(html_new, forward=forward)
        quoted_text = "\n\n".join(q for q in (quoted_text, html_quoted) if q)
    else:
        new_text = quoted_text = signature = ""

    headers = {name: header(name) for name in (
        "auto-submitted", "precedence", "list-id", "list-unsubscribe", "x-autoreply",
        "x-autorespond", "x-autoresponder", "x-auto-response-suppress")}
    reason, is_list = auto_reply_reason(headers, subject)
    is_bounce = looks_like_bounce(content_type=msg.get_content_type(),
                                  report_type=str(msg.get_param("report-type") or ""),
                                  from_address=from_address, subject=subject)
    bounce = None
    if is_bounce:
        original = found.original_message_id
        if not original:
            match = re.search(r"^\s*Message-ID:\s*(<[^>\s]+>)", text, re.IGNORECASE | re.MULTILINE)
            original = match.group(1) if match else ""
        bounce = bounce_info(delivery_status=found.delivery_status, text=text, subject=subject,
                             original_message_id=original)
        reason = reason or "bounce"

    return ParsedEmail(
        from_address=from_address, from_name=from_name,
        to=_addresses(msg, "to", warnings), cc=_addresses(msg, "cc", warnings),
        reply_to=_addresses(msg, "reply-to", warnings),
        subject=subject, date=_date(header("date"), warnings),
        message_id=" ".join(_message_ids(header("message-id"))[:1]),
        in_reply_to=" ".join(_message_ids(header("in-reply-to"))[:1]),
        references=_message_ids(header("references")),
        text=text, html=html, new_text=new_text, quoted_text=quoted_text, signature=signature,
        attachments=tuple(found.attachments), forwarded=tuple(found.forwarded),
        is_auto_reply=bool(reason), auto_reply_reason=reason, is_list=is_list,
        is_bounce=is_bounce, bounce=bounce,
        auto_submitted=headers["auto-submitted"], precedence=headers["precedence"],
        list_id=headers["list-id"],
        warnings=tuple(dict.fromkeys(warnings)),
    )
