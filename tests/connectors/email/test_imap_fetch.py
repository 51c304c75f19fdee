"""`layan email fetch INBOX` against a real Dovecot: unseen mails become conversations with their exact
bytes kept, are flagged (or deleted, or moved) only once stored, and are never stored twice.

Transactional tests: the fetcher commits each mail before it touches the server, and processing
runs after that commit, as in production.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils.translation import override
from dovecot import USERNAME, running_dovecot  # tests/connectors/email/dovecot.py, beside this file
from imap_tools import MailBoxUnencrypted, MailMessageFlags

from layan.connectors import ingress
from layan.connectors.email import imap
from layan.connectors.email.imap import ImapConfigError, imap_settings, poll_all_email_inboxes
from layan.connectors.models import InboundEvent, Inbox, ThreadingPolicy
from layan.conversations.models import Conversation, Message
from layan.customers.models import Identity
from oauth_endpoint import OAuthEndpoint

pytestmark = pytest.mark.django_db(transaction=True)

CORPUS = Path(__file__).parent / "corpus"
PASSWORD_ENV = "LAYAN_TEST_IMAP_PASSWORD"
REPLY = (
    b"From: Siti Rahmawati <siti.rahma@contoh.id>\r\n"
    b"To: Layanan Pelanggan Toko Batik <cs@tokobatik.co.id>\r\n"
    b"Subject: Re: Tanya stok\r\n"
    b"Date: Mon, 03 Nov 2026 11:02:00 +0700\r\n"
    b"Message-ID: <m041.11@mail.contoh.id>\r\n"
    b"In-Reply-To: <m041.10@mail.contoh.id>\r\n"
    b"References: <m041.10@mail.contoh.id>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Kalau ukuran XL ada juga?\r\n"
    b"\r\n"
    b"Pada Sen, 3 Nov 2026 pukul 10.15 Siti Rahmawati <siti.rahma@contoh.id> menulis:\r\n"
    b"> Halo, batik tulis motif parang ukuran L masih ada?\r\n"
)


def corpus_mail(name: str) -> bytes:
    """A corpus mail with CRLF line ends, as it travels over IMAP."""
    return (CORPUS / name).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def mail_from(sender: str, subject: str, text: str, message_id: str) -> bytes:
    return (f"From: Pelanggan <{sender}>\r\nTo: cs@tokobatik.co.id\r\nSubject: {subject}\r\n"
            f"Date: Mon, 03 Nov 2026 09:00:00 +0700\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n").encode()


@pytest.fixture(autouse=True)
def in_english():
    """The command's output is asserted word for word, in English (the catalogue is tested apart)."""
    with override("en"):
        yield


@pytest.fixture
def dovecot():
    with running_dovecot() as server:
        yield server


@pytest.fixture
def server_mailbox(dovecot):
    """The test user's mailbox, as another mail client sees it."""
    with MailBoxUnencrypted(dovecot.host, dovecot.port).login(dovecot.username, dovecot.password) as mailbox:
        yield mailbox


def configure(inbox: Inbox, server, **imap_overrides) -> Inbox:
    settings = {"addresses": ["cs@tokobatik.co.id"],
                "imap": {"host": server.host, "port": server.port, "security": "none",
                         "username": server.username, "password_env": PASSWORD_ENV, **imap_overrides}}
    Inbox.objects.filter(pk=inbox.pk).update(settings=settings)
    inbox.refresh_from_db()
    return inbox


@pytest.fixture
def inbox(world, dovecot, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    return configure(world.email_inbox, dovecot)


def fetch(inbox: Inbox) -> str:
    out = StringIO()
    call_command("email", "fetch", str(inbox.pk), stdout=out, stderr=StringIO())
    return out.getvalue()


def flags_on_server(mailbox) -> dict[str, set[str]]:
    """Message-ID -> flags of every mail in the folder."""
    mailbox.folder.set("INBOX")
    return {message.headers["message-id"][0].strip(): set(message.flags)
            for message in mailbox.fetch(mark_seen=False, headers_only=True)}


def test_fetch_turns_an_unseen_mail_into_a_conversation_and_flags_it_seen(inbox, server_mailbox):
    raw = corpus_mail("041-no-quote-plain.eml")
    server_mailbox.append(raw, "INBOX", flag_set=[])

    output = fetch(inbox)

    assert output.strip() == f"{inbox.name}: stored 1 new mail."
    message = Message.objects.get(inbox=inbox)
    assert message.text == "Halo, batik tulis motif parang ukuran L masih ada?\nTerima kasih."
    assert message.provider_message_id == "<m041.10@mail.contoh.id>"
    assert message.conversation.subject == "Tanya stok"
    assert list(Identity.objects.filter(customer=message.conversation.customer).values_list("kind", "value")) == [
        ("email", "siti.rahma@contoh.id")]
    event = InboundEvent.objects.get(inbox=inbox)
    assert event.source == "imap"
    assert event.status == "processed"
    uidvalidity = server_mailbox.folder.status("INBOX", ["UIDVALIDITY"])["UIDVALIDITY"]
    assert event.event_id == f"imap:INBOX:{uidvalidity}:1"
    assert ingress.read_payload(event) == raw  # the bytes as the server holds them, not a re-serialisation
    assert flags_on_server(server_mailbox) == {"<m041.10@mail.contoh.id>": {MailMessageFlags.SEEN}}


def test_fetching_again_stores_nothing_more(inbox, server_mailbox):
    server_mailbox.append(corpus_mail("041-no-quote-plain.eml"), "INBOX", flag_set=[])
    fetch(inbox)

    output = fetch(inbox)

    assert output.strip() == f"{inbox.name}: stored 0 new mails."
    assert InboundEvent.objects.filter(inbox=inbox).count() == 1
    assert Message.objects.filter(inbox=inbox).count() == 1


def test_a_mail_stored_but_not_flagged_before_a_crash_is_not_stored_twice(inbox, server_mailbox):
    # Given a poll that stored the mail and died before flagging it: the mail is unseen again.
    server_mailbox.append(corpus_mail("041-no-quote-plain.eml"), "INBOX", flag_set=[])
    fetch(inbox)
    server_mailbox.folder.set("INBOX")
    server_mailbox.flag(server_mailbox.uids("ALL"), MailMessageFlags.SEEN, False)

    output = fetch(inbox)

    assert output.splitlines() == [f"{inbox.name}: stored 0 new mails.", "1 mail was already stored."]
    assert InboundEvent.objects.filter(inbox=inbox).count() == 1
    assert Message.objects.filter(inbox=inbox).count() == 1
    assert flags_on_server(server_mailbox) == {"<m041.10@mail.contoh.id>": {MailMessageFlags.SEEN}}


def test_a_reply_by_in_reply_to_joins_the_first_mails_conversation(inbox, server_mailbox):
    # "Always new" threading: only the mail's own headers can put it in the earlier conversation.
    Inbox.objects.filter(pk=inbox.pk).update(threading_policy=ThreadingPolicy.ALWAYS_NEW)
    server_mailbox.append(corpus_mail("041-no-quote-plain.eml"), "INBOX", flag_set=[])
    fetch(inbox)
    server_mailbox.append(REPLY, "INBOX", flag_set=[])

    output = fetch(inbox)

    assert output.strip() == f"{inbox.name}: stored 1 new mail."
    first, reply = Message.objects.filter(inbox=inbox).order_by("pk")
    assert reply.conversation_id == first.conversation_id
    assert reply.text == "Kalau ukuran XL ada juga?"
    assert Conversation.objects.filter(inbox=inbox).count() == 1


def test_several_unseen_mails_are_fetched_in_one_poll_and_seen_mails_are_left_alone(inbox, server_mailbox):
    for number in range(3):
        server_mailbox.append(mail_from(f"pelanggan{number}@contoh.id", f"Pertanyaan {number}", "Halo",
                                        f"<batch-{number}@contoh.id>"), "INBOX", flag_set=[])
    server_mailbox.append(mail_from("sudah.dibaca@contoh.id", "Sudah dibaca", "Halo", "<read@contoh.id>"),
                          "INBOX", flag_set=[MailMessageFlags.SEEN])

    output = fetch(inbox)

    assert output.strip() == f"{inbox.name}: stored 3 new mails."
    assert sorted(Conversation.objects.filter(inbox=inbox).values_list("subject", flat=True)) == [
        "Pertanyaan 0", "Pertanyaan 1", "Pertanyaan 2"]


def test_a_mail_that_cannot_be_stored_stays_unseen_and_the_others_are_stored(inbox, server_mailbox, monkeypatch):
    store = imap.store_raw_email

    def store_or_fail(*, raw, **kwargs):
        if b"Subject: Rusak" in raw:
            raise OSError("disk full")
        return store(raw=raw, **kwargs)

    monkeypatch.setattr(imap, "store_raw_email", store_or_fail)
    server_mailbox.append(mail_from("a@contoh.id", "Rusak", "Halo", "<broken@contoh.id>"), "INBOX", flag_set=[])
    server_mailbox.append(mail_from("b@contoh.id", "Baik", "Halo", "<fine@contoh.id>"), "INBOX", flag_set=[])

    with pytest.raises(CommandError, match="1 mail could not be stored; it stays on the server."):
        fetch(inbox)

    assert list(Conversation.objects.filter(inbox=inbox).values_list("subject", flat=True)) == ["Baik"]
    assert flags_on_server(server_mailbox) == {"<broken@contoh.id>": set(),
                                               "<fine@contoh.id>": {MailMessageFlags.SEEN}}


def test_after_fetch_delete_removes_only_the_stored_mails(inbox, dovecot, server_mailbox, monkeypatch):
    configure(inbox, dovecot, after_fetch="delete")
    store = imap.store_raw_email

    def store_or_fail(*, raw, **kwargs):
        if b"Subject: Rusak" in raw:
            raise OSError("disk full")
        return store(raw=raw, **kwargs)

    monkeypatch.setattr(imap, "store_raw_email", store_or_fail)
    server_mailbox.append(mail_from("a@contoh.id", "Baru", "Halo", "<new@contoh.id>"), "INBOX", flag_set=[])
    server_mailbox.append(mail_from("b@contoh.id", "Rusak", "Halo", "<broken@contoh.id>"), "INBOX", flag_set=[])
    server_mailbox.append(mail_from("c@contoh.id", "Dibaca", "Halo", "<read@contoh.id>"), "INBOX",
                          flag_set=[MailMessageFlags.SEEN])
    # Marked deleted by someone else's mail client but not expunged: not ours to expunge.
    server_mailbox.append(mail_from("d@contoh.id", "Dihapus", "Halo", "<deleted@contoh.id>"), "INBOX",
                          flag_set=[MailMessageFlags.SEEN, MailMessageFlags.DELETED])

    with pytest.raises(CommandError):
        fetch(inbox)

    assert list(Conversation.objects.filter(inbox=inbox).values_list("subject", flat=True)) == ["Baru"]
    assert flags_on_server(server_mailbox) == {
        "<broken@contoh.id>": set(),
        "<read@contoh.id>": {MailMessageFlags.SEEN},
        "<deleted@contoh.id>": {MailMessageFlags.SEEN, MailMessageFlags.DELETED},
    }


def test_after_fetch_move_puts_stored_mails_in_the_folder_seen(inbox, dovecot, server_mailbox):
    configure(inbox, dovecot, after_fetch="move:Processed")
    server_mailbox.folder.create("Processed")
    server_mailbox.append(corpus_mail("041-no-quote-plain.eml"), "INBOX", flag_set=[])

    fetch(inbox)

    assert Message.objects.filter(inbox=inbox).count() == 1
    assert flags_on_server(server_mailbox) == {}
    server_mailbox.folder.set("Processed")
    # The server may add \Recent to a mail it just moved; only \Seen is ours.
    assert [(m.subject, set(m.flags) - {MailMessageFlags.RECENT}) for m in server_mailbox.fetch(mark_seen=False)] == [
        ("Tanya stok", {MailMessageFlags.SEEN})]


def test_a_wrong_password_is_a_clear_error_and_stores_nothing(inbox, server_mailbox, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "salah")
    server_mailbox.append(corpus_mail("041-no-quote-plain.eml"), "INBOX", flag_set=[])

    with pytest.raises(CommandError) as error:
        fetch(inbox)

    assert str(error.value).startswith(
        f"{inbox.name}: The IMAP server 127.0.0.1 refused the login of cs@toko.test: ")
    assert InboundEvent.objects.count() == 0
    assert flags_on_server(server_mailbox) == {"<m041.10@mail.contoh.id>": set()}


def test_an_unreachable_server_is_a_clear_error(inbox, dovecot):
    configure(inbox, dovecot, port=1)  # nothing listens on port 1

    with pytest.raises(CommandError, match=r"Cannot connect to the IMAP server 127\.0\.0\.1:1: "):
        fetch(inbox)


def test_fetch_over_imaps_and_starttls_with_the_servers_certificate_trusted(world, monkeypatch):
    with running_dovecot(tls=True) as server:
        # The default TLS context trusts exactly the test server's self-signed certificate.
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
        monkeypatch.setenv(PASSWORD_ENV, server.password)
        with MailBoxUnencrypted(server.host, server.port).login(server.username, server.password) as mailbox:
            mailbox.append(corpus_mail("041-no-quote-plain.eml"), "INBOX", flag_set=[])
            mailbox.append(REPLY, "INBOX", flag_set=[])
        inbox = configure(world.email_inbox, server, security="tls", port=server.imaps_port, max_per_poll=1)
        assert fetch(inbox).strip() == f"{inbox.name}: stored 1 new mail."
        configure(inbox, server, security="starttls", port=server.port)
        assert fetch(inbox).strip() == f"{inbox.name}: stored 1 new mail."

    assert list(Message.objects.filter(inbox=inbox).order_by("pk").values_list("provider_message_id", flat=True)) == [
        "<m041.10@mail.contoh.id>", "<m041.11@mail.contoh.id>"]


def test_fetch_signs_in_with_xoauth2_using_a_refreshed_access_token(world, monkeypatch):
    """The IMAP server checks the bearer token at the provider (RFC 7662 introspection), as Google's
    and Microsoft's servers do; Layan got that token from the provider with its refresh token."""
    monkeypatch.setenv("LAYAN_TEST_IMAP_REFRESH", f"refresh-imap-{world.workspace.pk}-{id(monkeypatch)}")
    answer = (200, {"access_token": "akses-imap-1", "expires_in": 3600})
    with OAuthEndpoint(token=answer, valid={"akses-imap-1": USERNAME}) as provider, \
            running_dovecot(introspection_url=provider.introspection_url) as server:
        with MailBoxUnencrypted(server.host, server.port).login(server.username, server.password) as mailbox:
            mailbox.append(corpus_mail("041-no-quote-plain.eml"), "INBOX", flag_set=[])
        inbox = configure(world.email_inbox, server, password_env=None, oauth2={
            "provider": "google", "token_url": provider.token_url, "client_id": "layan-imap",
            "refresh_token_env": "LAYAN_TEST_IMAP_REFRESH"})
        assert fetch(inbox).strip() == f"{inbox.name}: stored 1 new mail."
        assert [form["grant_type"] for form in provider.token_requests()] == ["refresh_token"]
        assert [form["token"] for path, form in provider.requests if path == "/introspect"] == ["akses-imap-1"]


def test_a_token_the_server_does_not_accept_is_a_refused_login(world, monkeypatch):
    monkeypatch.setenv("LAYAN_TEST_IMAP_REFRESH", f"refresh-imap-bad-{world.workspace.pk}-{id(monkeypatch)}")
    with OAuthEndpoint(token=(200, {"access_token": "kedaluwarsa"})) as provider, \
            running_dovecot(introspection_url=provider.introspection_url) as server:
        inbox = configure(world.email_inbox, server, password_env=None, oauth2={
            "provider": "google", "token_url": provider.token_url, "client_id": "layan-imap",
            "refresh_token_env": "LAYAN_TEST_IMAP_REFRESH"})
        with pytest.raises(CommandError, match="refused the login of cs@toko.test"):
            fetch(inbox)
    assert not InboundEvent.objects.exists()


def test_polling_all_inboxes_goes_on_past_an_inbox_that_fails(world, inbox, dovecot, server_mailbox):
    from layan.connectors.services import create_inbox

    broken = create_inbox(actor=world.actor, kind="email", name="Email rusak")
    configure(broken, dovecot, port=1)
    server_mailbox.append(corpus_mail("041-no-quote-plain.eml"), "INBOX", flag_set=[])

    assert poll_all_email_inboxes() == 1

    assert Message.objects.filter(inbox=inbox).count() == 1


def test_fetch_names_an_unknown_inbox(world):
    with pytest.raises(CommandError, match="No email inbox with the id, public id or name Tidak ada."):
        call_command("email", "fetch", "Tidak ada")


def test_fetch_finds_the_inbox_by_public_id_and_by_name(inbox, server_mailbox):
    server_mailbox.append(corpus_mail("041-no-quote-plain.eml"), "INBOX", flag_set=[])
    for reference in (inbox.public_id, inbox.name):
        out = StringIO()
        call_command("email", "fetch", reference, stdout=out)
        assert out.getvalue().startswith(f"{inbox.name}: stored ")
    assert Message.objects.filter(inbox=inbox).count() == 1


@pytest.mark.parametrize(("imap_config", "message"), [
    ({"port": 993, "password_env": PASSWORD_ENV}, "The IMAP settings have no host."),
    ({"host": "imap.toko.id", "password_env": "LAYAN_TEST_UNSET_VARIABLE"},
     "The environment variable LAYAN_TEST_UNSET_VARIABLE, which should hold the IMAP password, is not set."),
    ({"host": "imap.toko.id", "security": "ssl", "password_env": PASSWORD_ENV},
     "Unknown IMAP security ssl: use tls, starttls or none."),
    ({"host": "imap.toko.id", "password_env": PASSWORD_ENV, "after_fetch": "archive"},
     'Unknown after_fetch archive: use "seen", "delete" or "move:<folder>".'),
])
def test_unusable_imap_settings_are_refused_with_the_reason(imap_config, message, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "rahasia")
    monkeypatch.delenv("LAYAN_TEST_UNSET_VARIABLE", raising=False)

    with pytest.raises(ImapConfigError) as error:
        imap_settings({"addresses": ["cs@toko.id"], "imap": imap_config})

    assert str(error.value) == message


def test_imap_settings_default_the_port_by_security_and_read_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "rahasia")

    config = imap_settings({"addresses": ["cs@toko.id"],
                            "imap": {"host": "imap.toko.id", "security": "starttls", "password_env": PASSWORD_ENV}})

    assert (config.host, config.port, config.security, config.username, config.password, config.folder,
            config.after_fetch) == ("imap.toko.id", 143, "starttls", "cs@toko.id", "rahasia", "INBOX", "seen")
    assert "rahasia" not in repr(config)

