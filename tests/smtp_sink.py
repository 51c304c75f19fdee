"""A real SMTP server on 127.0.0.1 (aiosmtpd) that captures what Layan sends: the envelope and the
exact bytes of every accepted mail. Its answers can be scripted (a 451 for the next DATA, a 550 for
a recipient), and it can require a password or an XOAUTH2 bearer token, over STARTTLS or TLS.
"""

from __future__ import annotations

import base64
import socket
import ssl
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class CapturedMail:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=default_policy)


@dataclass
class SinkHandler:
    captured: list[CapturedMail] = field(default_factory=list)
    data_replies: deque = field(default_factory=deque)  # the next DATA answers these, one each
    rcpt_replies: dict = field(default_factory=dict)  # address -> answer to its RCPT TO
    password: tuple[str, str] | None = None  # (username, password) that AUTH PLAIN/LOGIN accept
    bearer: tuple[str, str] | None = None  # (username, token) that AUTH XOAUTH2 accepts
    sign_ins: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook name
        reply = self.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.data_replies:
            return self.data_replies.popleft()
        login = session.login_data.decode() if isinstance(session.login_data, bytes) else session.login_data
        self.captured.append(CapturedMail(mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos),
                                          data=envelope.original_content or envelope.content, login=login))
        return "250 2.0.0 Ok: queued"

    async def auth_XOAUTH2(self, server, args):  # noqa: N802 - aiosmtpd's mechanism name
        """RFC-less but documented by Google and Microsoft: base64 of user=..^Aauth=Bearer ..^A^A."""
        if len(args) < 2:
            return AuthResult(success=False, handled=False)
        decoded = base64.b64decode(args[1]).decode()
        self.sign_ins.append(decoded)
        fields = dict(part.split("=", 1) for part in decoded.split("\x01") if "=" in part)
        username, token = fields.get("user"), fields.get("auth", "").removeprefix("Bearer ")
        if self.bearer and (username, token) == self.bearer:
            return AuthResult(success=True, auth_data=LoginPassword(username.encode(), b""))
        return AuthResult(success=False, handled=False)


def _authenticator(handler: SinkHandler):
    def check(server, session, envelope, mechanism, auth_data):
        if mechanism == "XOAUTH2":
            return AuthResult(success=False, handled=False)
        handler.sign_ins.append(mechanism)
        given = (auth_data.login.decode(), auth_data.password.decode())
        if handler.password is not None and given == handler.password:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)  # aiosmtpd answers 535
    return check


class SmtpSink:
    """``with SmtpSink() as sink:`` a server on ``sink.port``; ``sink.captured`` fills as mail arrives.
    ``tls`` = (cert, key) files: "starttls" offers STARTTLS (and requires it), "implicit" speaks TLS
    from the first byte (port 465 style)."""

    def __init__(self, *, tls: tuple | None = None, mode: str = "starttls", auth_required: bool = False):
        self.handler = SinkHandler()
        self.port = free_port()
        kwargs = {"auth_required": auth_required, "auth_require_tls": False,
                  "authenticator": _authenticator(self.handler)}
        ssl_context = None
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            if mode == "starttls":
                kwargs.update(tls_context=context, require_starttls=True)
            else:
                ssl_context = context
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, ssl_context=ssl_context,
                                     ready_timeout=10, **kwargs)

    @property
    def captured(self) -> list[CapturedMail]:
        return self.handler.captured

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
