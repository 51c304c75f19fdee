"""Polling an email inbox's IMAP mailbox: unseen mails are stored as inbound events with their exact
bytes, and only once stored are they flagged seen, deleted or moved (see docs/flows/inbound.md)."""

from __future__ import annotations

import contextlib
import imaplib
import logging
import os
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from imap_tools import (
    BaseMailBox,
    MailBox,
    MailBoxStartTls,
    MailBoxUnencrypted,
    MailMessageFlags,
)
from imap_tools.errors import ImapToolsError
from imap_tools.message import MailMessage

from layan.connectors.email.oauth import OAuthConfigError, OAuthTokenError, access_token
from layan.connectors.ingress import store_raw_email
from layan.connectors.models import Inbox, InboxKind

logger = logging.getLogger(__name__)

SECURITIES = ("tls", "starttls", "none")
DEFAULT_PORTS = {"tls": 993, "starttls": 143, "none": 143}
DEFAULT_MAX_PER_POLL = 200
BATCH_SIZE = 50  # mails per FETCH command: bounded memory, few round trips
TIMEOUT_SECONDS = 60


class ImapConfigError(ValueError):
    """An inbox's IMAP settings cannot be used (the message says which and why)."""


class ImapConnectionError(Exception):
    """The IMAP server could not be reached, refused the login, or has no such folder."""


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: str  # tls | starttls | none
    username: str
    password: str | None = field(repr=False)
    oauth2: dict | None = field(repr=False)
    folder: str = "INBOX"
    after_fetch: str = "seen"  # seen | delete | move
    move_to: str = ""  # the folder for after_fetch "move:<folder>"
    max_per_poll: int = DEFAULT_MAX_PER_POLL


@dataclass
class FetchResult:
    stored: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)


def imap_settings(inbox_settings: dict) -> ImapSettings:
    """The inbox's "imap" settings, checked; the password is read from the named environment variable."""
    config = (inbox_settings or {}).get("imap")
    if not isinstance(config, dict):
        raise ImapConfigError(_("The inbox has no IMAP settings."))
    host = str(config.get("host") or "").strip()
    if not host:
        raise ImapConfigError(_("The IMAP settings have no host."))
    security = str(config.get("security") or "tls").lower()
    if security not in SECURITIES:
        raise ImapConfigError(_("Unknown IMAP security %(security)s: use tls, starttls or none.")
                              % {"security": security})
    try:
        port = int(config.get("port") or DEFAULT_PORTS[security])
    except (TypeError, ValueError) as exc:
        raise ImapConfigError(_("The IMAP port must be a number.")) from exc
    if not 0 < port < 65536:
        raise ImapConfigError(_("The IMAP port must be between 1 and 65535."))
    addresses = (inbox_settings or {}).get("addresses") or []
    username = str(config.get("username") or (addresses[0] if addresses else "")).strip()
    if not username:
        raise ImapConfigError(_("The IMAP settings have no username."))
    oauth2 = config.get("oauth2") or None
    password = None
    if oauth2 is None:
        variable = str(config.get("password_env") or "").strip()
        if not variable:
            raise ImapConfigError(_("The IMAP settings name no password_env (the environment variable "
                                    "holding the password) and no oauth2."))
        password = os.environ.get(variable)
        if not password:
            raise ImapConfigError(_("The environment variable %(name)s, which should hold the IMAP "
                                    "password, is not set.") % {"name": variable})
    elif not isinstance(oauth2, dict):
        raise ImapConfigError(_("The IMAP oauth2 settings must be an object."))
    after_fetch, move_to = _after_fetch(str(config.get("after_fetch") or "seen"))
    try:
        max_per_poll = int(config.get("max_per_poll") or DEFAULT_MAX_PER_POLL)
    except (TypeError, ValueError) as exc:
        raise ImapConfigError(_("max_per_poll must be a number.")) from exc
    return ImapSettings(host=host, port=port, security=security, username=username, password=password,
                        oauth2=oauth2, folder=str(config.get("folder") or "INBOX"), after_fetch=after_fetch,
                        move_to=move_to, max_per_poll=max(1, max_per_poll))


def _after_fetch(value: str) -> tuple[str, str]:
    action, _sep, target = value.partition(":")
    if action in ("seen", "delete") and not target:
        return action, ""
    if action == "move" and target.strip():
        return action, target.strip()
    raise ImapConfigError(_('Unknown after_fetch %(value)s: use "seen", "delete" or "move:<folder>".')
                          % {"value": value})


class _RawMailMessage(MailMessage):
    """A fetched mail that also keeps the bytes exactly as the server sent them: ``obj`` is
    re-serialised by the email package and would not be the mail as received."""

    def __init__(self, fetch_data: list) -> None:
        super().__init__(fetch_data)
        # imaplib hands each FETCH literal over as a (response line, literal bytes) tuple.
        self.raw = next((item[1] for item in fetch_data if isinstance(item, tuple)), b"")


def fetch_mailbox(*, inbox: Inbox) -> FetchResult:
    """Poll the inbox's IMAP folder once. Raises ImapConfigError or ImapConnectionError when it
    cannot poll at all; a mail that cannot be stored is left on the server and listed in errors."""
    config = imap_settings(inbox.settings)
    result = FetchResult()
    with _connect(config) as mailbox:
        uidvalidity = _select(mailbox, config)
        try:
            # Oldest first; no CHARSET argument, which some servers refuse.
            uids = mailbox.uids("UNSEEN", charset=None)[: config.max_per_poll]
            for start in range(0, len(uids), BATCH_SIZE):
                batch = uids[start:start + BATCH_SIZE]
                handled = _store_batch(mailbox, inbox=inbox, config=config, uidvalidity=uidvalidity,
                                       uids=batch, result=result)
                if handled:
                    _after_stored(mailbox, config, handled, result)
        except (ImapToolsError, imaplib.IMAP4.error, OSError) as exc:
            raise ImapConnectionError(_("The IMAP server %(host)s failed while fetching mail: %(error)s")
                                      % {"host": config.host, "error": exc}) from exc
    return result


def _store_batch(mailbox: BaseMailBox, *, inbox: Inbox, config: ImapSettings, uidvalidity: str,
                 uids: list[str], result: FetchResult) -> list[str]:
    """Store each fetched mail; the uids of those now safely stored (new or stored before)."""
    handled = []
    fetched = set()
    for message in mailbox.fetch(uid_list=uids, mark_seen=False, bulk=True):
        uid = message.uid
        fetched.add(uid)
        if not uid or not message.raw:
            result.errors.append(_("The server returned mail %(uid)s without content.") % {"uid": uid})
            continue
        event_id = f"imap:{config.folder}:{uidvalidity}:{uid}"
        try:
            _event, created = store_raw_email(inbox=inbox, raw=message.raw, source="imap", event_id=event_id)
        except Exception as exc:  # one bad mail must not stop the others; it stays unseen on the server
            logger.exception("storing IMAP mail %s of inbox %s failed", event_id, inbox.pk)
            result.errors.append(_("Mail %(uid)s could not be stored: %(error)s") % {"uid": uid, "error": exc})
            continue
        if created:
            result.stored += 1
        else:
            result.duplicates += 1
        handled.append(uid)
    # Mails expunged by another client between SEARCH and FETCH are simply gone: nothing to do.
    return handled


def _after_stored(mailbox: BaseMailBox, config: ImapSettings, uids: list[str], result: FetchResult) -> None:
    if config.after_fetch == "delete":
        _delete(mailbox, uids)
        return
    # Seen also before a move: if the move fails, the mail is not fetched again and again.
    _add_flag(mailbox, uids, MailMessageFlags.SEEN)
    if config.after_fetch == "move":
        try:
            if "MOVE" in mailbox.client.capabilities:
                mailbox.move(uids, config.move_to)
            else:  # imap-tools' own fallback would EXPUNGE the whole folder
                mailbox.copy(uids, config.move_to)
                _delete(mailbox, uids)
        except ImapToolsError as exc:
            result.errors.append(_("Stored mails could not be moved to %(folder)s: %(error)s")
                                 % {"folder": config.move_to, "error": exc})


def _delete(mailbox: BaseMailBox, uids: list[str]) -> None:
    _add_flag(mailbox, uids, MailMessageFlags.DELETED)
    _expunge(mailbox, uids)


def _add_flag(mailbox: BaseMailBox, uids: list[str], flag: str) -> None:
    # Not imap-tools' flag(): it EXPUNGEs the folder after every STORE, which would remove mails
    # that someone else marked deleted.
    status, data = mailbox.client.uid("STORE", ",".join(uids), "+FLAGS.SILENT", f"({flag})")
    if status != "OK":
        raise imaplib.IMAP4.error(f"UID STORE {flag}: {data!r}")


def _expunge(mailbox: BaseMailBox, uids: list[str]) -> None:
    # UID EXPUNGE (UIDPLUS) removes exactly the mails we stored; a plain EXPUNGE would also remove
    # whatever else is marked deleted in the folder, so it is the fallback only.
    if "UIDPLUS" in mailbox.client.capabilities:
        status, data = mailbox.client.uid("EXPUNGE", ",".join(uids))
        if status != "OK":
            raise imaplib.IMAP4.error(f"UID EXPUNGE: {data!r}")
    else:
        mailbox.expunge()


@contextlib.contextmanager
def _connect(config: ImapSettings) -> Iterator[BaseMailBox]:
    """A logged-in mailbox, logged out afterwards (a failing logout does not hide the real error)."""
    context = ssl.create_default_context()
    where = {"host": config.host, "port": config.port}
    try:  # imap-tools connects in the constructor
        if config.security == "tls":
            mailbox = MailBox(config.host, config.port, timeout=TIMEOUT_SECONDS, ssl_context=context)
        elif config.security == "starttls":
            mailbox = MailBoxStartTls(config.host, config.port, timeout=TIMEOUT_SECONDS, ssl_context=context)
        else:
            mailbox = MailBoxUnencrypted(config.host, config.port, timeout=TIMEOUT_SECONDS)
    except (OSError, imaplib.IMAP4.error, ImapToolsError) as exc:
        # unknown host, refused connection, timeout, a certificate not trusted, STARTTLS refused
        raise ImapConnectionError(_("Cannot connect to the IMAP server %(host)s:%(port)s: %(error)s")
                                  % {**where, "error": _describe(exc)}) from exc
    mailbox.email_message_class = _RawMailMessage
    try:
        try:
            if config.oauth2 is not None:
                mailbox.xoauth2(config.username, _oauth_token(config.oauth2), initial_folder=None)
            else:
                mailbox.login(config.username, config.password, initial_folder=None)
            _refresh_capabilities(mailbox)
        except (OSError, imaplib.IMAP4.error, ImapToolsError) as exc:
            raise ImapConnectionError(
                _("The IMAP server %(host)s refused the login of %(username)s: %(error)s")
                % {"host": config.host, "username": config.username, "error": _describe(exc)}) from exc
        yield mailbox
    finally:
        _close(mailbox)


def _refresh_capabilities(mailbox: BaseMailBox) -> None:
    # imaplib keeps the capabilities announced before login; servers announce more after it
    # (Dovecot: UIDPLUS, MOVE), and the choice between UID EXPUNGE and EXPUNGE depends on them.
    typ, data = mailbox.client.capability()
    if typ == "OK" and data and data[-1]:
        announced = data[-1].decode() if isinstance(data[-1], bytes) else str(data[-1])
        mailbox.client.capabilities = tuple(announced.upper().split())


def _select(mailbox: BaseMailBox, config: ImapSettings) -> str:
    """Select the folder; its UIDVALIDITY (a uid names the same mail only under the same one)."""
    try:
        mailbox.folder.set(config.folder)
        _typ, data = mailbox.client.response("UIDVALIDITY")
        if data and data[0]:
            return data[0].decode() if isinstance(data[0], bytes) else str(data[0])
        return str(mailbox.folder.status(config.folder, ["UIDVALIDITY"])["UIDVALIDITY"])
    except (ImapToolsError, imaplib.IMAP4.error, OSError, KeyError) as exc:
        raise ImapConnectionError(_("Cannot open the IMAP folder %(folder)s: %(error)s")
                                  % {"folder": config.folder, "error": _describe(exc)}) from exc


def _oauth_token(oauth2: dict) -> str:
    try:
        return access_token(oauth2)
    except OAuthConfigError as exc:
        raise ImapConfigError(str(exc)) from exc
    except OAuthTokenError as exc:
        raise ImapConnectionError(str(exc)) from exc


def _close(mailbox: BaseMailBox) -> None:
    try:
        mailbox.client.logout()
    except (OSError, imaplib.IMAP4.error):
        logger.debug("logging out of an IMAP server failed", exc_info=True)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return _("no answer in time")
    text = str(exc)
    return text or exc.__class__.__name__


def poll_all_email_inboxes() -> int:
    """Fetch every active email inbox that has IMAP settings; how many new mails were stored. One
    inbox failing (a wrong password, a server down) is logged and does not stop the others."""
    stored = 0
    inboxes = Inbox.objects.filter(kind=InboxKind.EMAIL, is_active=True, settings__has_key="imap").order_by("pk")
    for inbox in inboxes.iterator():
        try:
            result = fetch_mailbox(inbox=inbox)
        except Exception:
            logger.exception("polling the IMAP mailbox of inbox %s failed", inbox.pk)
            continue
        stored += result.stored
        for error in result.errors:
            logger.warning("inbox %s: %s", inbox.pk, error)
    return stored
