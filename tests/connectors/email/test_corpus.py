"""Every message of the corpus parses to what its expectation file says.

Each ``corpus/NNN-name.eml`` has a ``NNN-name.json`` with the expected sender, subject, new text
(compared after trimming whitespace at both ends), attachments (name and type) and the
auto-reply and bounce flags; optional keys check the signature, the text of a forwarded
message and the bounce details.
"""

import json
from pathlib import Path

import pytest

from layan.connectors.email.parsing import ParsedEmail, parse_email

CORPUS = Path(__file__).parent / "corpus"
MESSAGES = sorted(CORPUS.glob("*.eml"))


def test_corpus_has_at_least_a_hundred_messages_each_with_an_expectation():
    assert len(MESSAGES) >= 100
    assert all(path.with_suffix(".json").exists() for path in MESSAGES)


@pytest.mark.parametrize("path", MESSAGES, ids=[path.stem for path in MESSAGES])
def test_corpus_message_parses_as_expected(path):
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    parsed = parse_email(path.read_bytes())

    assert isinstance(parsed, ParsedEmail)
    assert parsed.from_address == expected["from_address"]
    assert parsed.subject == expected["subject"]
    assert parsed.new_text.strip() == expected["new_text"].strip()
    assert [{"name": a.filename, "type": a.content_type} for a in parsed.attachments] == \
        expected["attachments"]
    assert parsed.is_auto_reply is expected["is_auto_reply"]
    assert parsed.is_bounce is expected["is_bounce"]
    if "signature" in expected:
        assert parsed.signature == expected["signature"]
    if "forwarded_text" in expected:
        assert [f.text.strip() for f in parsed.forwarded] == [expected["forwarded_text"]]
    if "bounce" in expected:
        details = parsed.bounce.to_dict()
        assert {key: details[key] for key in expected["bounce"]} == expected["bounce"]
    if expected.get("has_warnings"):
        assert parsed.warnings
    json.dumps(parsed.to_dict())  # always serialisable
