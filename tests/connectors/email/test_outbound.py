"""Building outbound mail (pure): whatever text reaches a header, the mail has exactly the headers
Layan writes; BCC is only in the envelope; subjects, Message-IDs and reply addresses behave."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy

from hypothesis import given, settings
from hypothesis import strategies as st

from layan.connectors.base import OutboundMessage
from layan.connectors.email.outbound import MailFile, build_mail, message_id_for, reply_subject
from layan.connectors.email.reply_address import (
    conversation_from_address,
    conversation_from_subject,
    conversation_reply_address,
    subject_with_token,
)

SECRET = b"k" * 32
OWN = frozenset({"cs@toko.test", "halo@toko.test"})
HEADERS = {"From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
           "MIME-Version", "Content-Type"}


def outbound(**changes) -> OutboundMessage:
    values = {"inbox_id": 1, "conversation_id": 1, "message_id": 42, "text": "Halo Kak",
              "html": "", "subject": "Paket belum sampai", "author_name": "Budi", "conversation_number": 7,
              "recipients": {"to": ["siti@contoh.id"], "cc": ["dewi@contoh.id"], "bcc": ["arsip@contoh.id"]},
              "thread_ids": ("<a@contoh.id>", "<b@contoh.id>")}
    return OutboundMessage(**{**values, **changes})


def build(message: OutboundMessage, **kwargs):
    options = {"sender_address": "cs@toko.test", "inbox_name": "Toko", "own": OWN,
               "reply_to": "cs+c7.abc@toko.test", "secret": SECRET, **kwargs}
    return build_mail(message, **options)


def test_bcc_is_in_the_envelope_and_nowhere_in_the_mail():
    mail = build(outbound())
    assert mail.recipients == ("siti@contoh.id", "dewi@contoh.id", "arsip@contoh.id")
    assert b"arsip@contoh.id" not in mail.data
    assert set(message_from_bytes(mail.data, policy=default_policy).keys()) == HEADERS


def test_only_bcc_recipients_get_an_undisclosed_to():
    mail = build(outbound(recipients={"to": [], "cc": [], "bcc": ["rahasia1@contoh.id", "rahasia2@contoh.id"]}))
    parsed = message_from_bytes(mail.data, policy=default_policy)
    assert str(parsed["To"]) == "undisclosed-recipients:;"
    assert b"rahasia" not in mail.data
    assert mail.recipients == ("rahasia1@contoh.id", "rahasia2@contoh.id")


def test_the_inboxs_own_addresses_and_repeats_are_never_recipients():
    mail = build(outbound(recipients={"to": ["Siti@Contoh.id", "cs@toko.test"],
                                      "cc": ["siti@contoh.id", "halo+c3.x@toko.test"], "bcc": ["dewi@contoh.id"]}))
    assert mail.recipients == ("siti@contoh.id", "dewi@contoh.id")


def test_thread_headers_answer_the_latest_message_and_keep_the_chain():
    parsed = message_from_bytes(build(outbound()).data, policy=default_policy)
    assert parsed["In-Reply-To"] == "<b@contoh.id>"
    assert parsed["References"] == "<a@contoh.id> <b@contoh.id>"
    assert parsed["Subject"] == "Re: Paket belum sampai [#7]"


def test_the_first_mail_of_a_conversation_has_no_reply_prefix_and_no_thread_headers():
    parsed = message_from_bytes(build(outbound(thread_ids=())).data, policy=default_policy)
    assert parsed["Subject"] == "Paket belum sampai [#7]"
    assert parsed["In-Reply-To"] is None


def test_a_retry_builds_the_same_message_id():
    assert build(outbound()).message_id == build(outbound()).message_id == message_id_for(
        message_id=42, domain="toko.test", secret=SECRET)
    assert message_id_for(message_id=43, domain="toko.test", secret=SECRET) != build(outbound()).message_id


def test_subjects_keep_one_reply_prefix_and_one_token():
    assert reply_subject("Re: Paket [#7]", number=7, is_reply=True) == "Re: Paket [#7]"
    assert reply_subject("RE: Paket [#3] [#7]", number=7, is_reply=True) == "RE: Paket [#7]"
    assert reply_subject("Balas: Paket", number=7, is_reply=True) == "Balas: Paket [#7]"
    assert subject_with_token("", 9) == "[#9]"
    assert conversation_from_subject("Re: [#3] Fwd: Paket [#12]") == 12
    assert conversation_from_subject("Harga #12 berapa?") is None


def test_a_signed_reply_address_names_its_conversation_and_nothing_else():
    address = conversation_reply_address(address="CS@toko.test", conversation_number=1234, secret=SECRET)
    assert address.startswith("cs+c1234.")
    assert conversation_from_address(address.upper(), own_addresses=OWN, secret=SECRET) == 1234
    forged = address.replace("c1234.", "c1235.")
    assert conversation_from_address(forged, own_addresses=OWN, secret=SECRET) is None
    # The signature belongs to the inbox address: the same number at another inbox is refused.
    moved = address.replace("cs+", "halo+")
    assert conversation_from_address(moved, own_addresses=OWN, secret=SECRET) is None
    assert conversation_from_address(address, own_addresses=frozenset({"lain@toko.test"}), secret=SECRET) is None
    assert conversation_from_address(address, own_addresses=OWN, secret=b"x" * 32) is None


header_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)


@settings(max_examples=300, deadline=None)
@given(subject=header_text, author=header_text, inbox_name=header_text, filename=header_text,
       thread=st.lists(header_text, max_size=3))
def test_no_text_in_any_field_adds_or_breaks_a_header(subject, author, inbox_name, filename, thread):
    mail = build(outbound(subject=subject, author_name=author, thread_ids=tuple(f"<{t}>" for t in thread)),
                 inbox_name=inbox_name, files=(MailFile(filename=filename, content_type="text/plain", content=b"x"),))
    parsed = message_from_bytes(mail.data, policy=default_policy)

    assert set(parsed.keys()) <= HEADERS
    assert parsed.get_all("Bcc") is None
    assert [a.addr_spec for a in parsed["From"].addresses] == ["cs@toko.test"]
    assert [a.addr_spec for a in parsed["To"].addresses] == ["siti@contoh.id"]
    assert "\n" not in str(parsed["Subject"])
    assert b"arsip@contoh.id" not in mail.data
    assert len(list(parsed.iter_attachments())) == 1
