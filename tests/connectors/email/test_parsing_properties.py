"""parse_email never raises: random bytes and mangled corpus messages all give a ParsedEmail."""

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layan.connectors.email.parsing import ParsedEmail, parse_email

CORPUS = [path.read_bytes() for path in sorted((Path(__file__).parent / "corpus").glob("*.eml"))]
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(raw: bytes) -> None:
    parsed = parse_email(raw)
    assert isinstance(parsed, ParsedEmail)
    # The catch-all that keeps the promise must not be what keeps it: no internal error.
    assert not [w for w in parsed.warnings if "parse error" in w and "empty message" not in w]
    json.dumps(parsed.to_dict(), ensure_ascii=False).encode()  # printable as the CLI prints it


@SETTINGS
@given(st.binary(max_size=4000))
def test_random_bytes_never_raise(raw):
    _check(raw)


@SETTINGS
@given(st.lists(st.sampled_from([*"=?:;<>\"'\r\n\t -_bBqQ@.abcdefUTF8", "--", "=?utf-8?b?", "?=",
                                  "Content-Type: ", "boundary=", "\u00e9", "\udcff"]),
                max_size=200).map("".join))
def test_header_shaped_garbage_never_raises(text):
    _check(("From: " + text + "\nSubject: " + text + "\nContent-Type: multipart/mixed; " + text
            + "\n\n" + text).encode("utf-8", "surrogateescape"))


def _truncate(raw: bytes, data) -> bytes:
    return raw[: data.draw(st.integers(0, len(raw)))]


def _flip(raw: bytes, data) -> bytes:
    mangled = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 20))):
        if mangled:
            mangled[data.draw(st.integers(0, len(mangled) - 1))] = data.draw(st.integers(0, 255))
    return bytes(mangled)


def _duplicate_headers(raw: bytes, data) -> bytes:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    extra = data.draw(st.lists(st.sampled_from(lines), max_size=5))
    return b"\r\n".join([*lines, *extra]) + b"\r\n\r\n" + body


def _remove_boundaries(raw: bytes, data) -> bytes:
    lines = raw.split(b"\n")
    keep = data.draw(st.booleans())
    return b"\n".join(line for line in lines if not line.startswith(b"--") or (keep and line.endswith(b"--\r")))


def _splice(raw: bytes, data) -> bytes:
    other = data.draw(st.sampled_from(CORPUS))
    cut = data.draw(st.integers(0, len(raw)))
    return raw[:cut] + other[data.draw(st.integers(0, len(other))):]


@SETTINGS
@given(st.sampled_from(CORPUS), st.sampled_from([_truncate, _flip, _duplicate_headers, _remove_boundaries,
                                                 _splice]), st.data())
def test_mangled_corpus_messages_never_raise(raw, mangle, data):
    _check(mangle(raw, data))
