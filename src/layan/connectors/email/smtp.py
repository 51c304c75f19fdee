"""Handing a built mail to an email inbox's SMTP relay: TLS, STARTTLS or plain, a password from
the environment or XOAUTH2, and every failure sorted into "try again later" (4xx, a dropped
connection, a timeout) or "this will never work" (5xx) with the server's own words as the reason.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from layan.connectors.base import SendError
from layan.connectors.email.oauth import (
    OAuthConfigError,
    OAuthTokenError,
    access_token,
    xoauth2_string,
)

SECURITIES = ("tls", "starttls", "none")
DEFAULT_PORTS = {"tls": 465, "starttls": 587, "none": 25}
TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # tls | starttls | none
    username: str = ""  # empty: no AUTH (a relay that trusts this host)
    password: str | None = field(default=None, repr=False)
    oauth2: dict | None = field(default=None, repr=False)
    timeout: float = TIMEOUT_SECONDS


def smtp_settings(inbox_settings: dict) -> SmtpSettings | None:
    """The inbox's "smtp" settings, checked (None when it has none: the installation's mail
    backend sends). A setting that cannot work is a permanent SendError naming it."""
    config = (inbox_settings or {}).get("smtp")
    if not config:
        return None

    def refuse(message: str):
        raise SendError(_("The inbox's SMTP settings cannot be used: %(problem)s") % {"problem": message},
                        retryable=False)

    if not isinstance(config, dict):
        refuse(_("they must be an object."))
    host = str(config.get("host") or "").strip()
    if not host:
        refuse(_("no host."))
    security = str(config.get("security") or "starttls").lower()
    if security not in SECURITIES:
        refuse(_("unknown security %(security)s (use tls, starttls or none).") % {"security": security})
    try:
        port = int(config.get("port") or DEFAULT_PORTS[security])
    except (TypeError, ValueError):
        refuse(_("the port must be a number."))
    if not 0 < port < 65536:
        refuse(_("the port must be between 1 and 65535."))
    username = str(config.get("username") or "").strip()
    oauth2 = config.get("oauth2") or None
    password = None
    if oauth2 is not None:
        if not isinstance(oauth2, dict) or not username:
            refuse(_("oauth2 needs an object and a username."))
    elif config.get("password_env"):
        variable = str(config["password_env"]).strip()
        password = os.environ.get(variable)
        if not password:
            refuse(_("the environment variable %(name)s, which should hold the password, is not set.")
                   % {"name": variable})
        if not username:
            refuse(_("a password needs a username."))
    try:
        timeout = float(config.get("timeout") or TIMEOUT_SECONDS)
    except (TypeError, ValueError):
        refuse(_("the timeout must be a number of seconds."))
    return SmtpSettings(host=host, port=port, security=security, username=username, password=password,
                        oauth2=oauth2, timeout=timeout)


def send_over_smtp(config: SmtpSettings, *, envelope_from: str, recipients: list[str], data: bytes) -> dict:
    """Send one mail; returns the recipients the server refused while accepting others
    ({address: (code, reply)}). Raises SendError, retryable or not, when nobody got it."""
    where = {"host": config.host, "port": config.port}
    try:
        client = _connect(config)
    except (OSError, smtplib.SMTPException) as exc:
        raise smtp_send_error(exc, _("Cannot reach the SMTP server %(host)s:%(port)s: %(error)s"), where) from exc
    try:
        _login(client, config)
        return client.sendmail(envelope_from, recipients, data)
    except SendError:
        raise
    except (OSError, smtplib.SMTPException) as exc:
        raise smtp_send_error(exc, _("The SMTP server %(host)s did not take the mail: %(error)s"), where) from exc
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def _connect(config: SmtpSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if config.security == "tls":
        return smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=context)
    client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    if config.security == "starttls":
        client.ehlo()
        client.starttls(context=context)  # refused or failing: an SMTPException, never plain text
        client.ehlo()
    return client


def _login(client: smtplib.SMTP, config: SmtpSettings) -> None:
    if config.oauth2 is not None:
        try:
            token = access_token(config.oauth2)
        except OAuthConfigError as exc:
            raise SendError(str(exc), retryable=False) from exc
        except OAuthTokenError as exc:
            raise SendError(str(exc), retryable=exc.retryable) from exc
        client.ehlo_or_helo_if_needed()
        client.auth("XOAUTH2", lambda challenge=None: xoauth2_string(config.username, token),
                    initial_response_ok=True)
    elif config.password is not None:
        client.login(config.username, config.password)


def smtp_send_error(exc: BaseException, template: str, where: dict) -> SendError:
    """A SendError with the server's words; 5xx replies are permanent, everything else passes."""
    code, text = _reply(exc)
    return SendError(template % {**where, "error": text}, retryable=not (code and 500 <= code < 600))


def _reply(exc: BaseException) -> tuple[int | None, str]:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # Nobody was accepted: permanent only if every refusal was permanent.
        codes = [code for code, _msg in exc.recipients.values()]
        details = "; ".join(f"{address}: {code} {_text(message)}" for address, (code, message) in exc.recipients.items())
        return (min(codes) if codes and all(c >= 500 for c in codes) else 450), details
    if isinstance(exc, smtplib.SMTPNotSupportedError):  # no STARTTLS or AUTH: the settings are wrong
        return 530, str(exc)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code, f"{exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, socket.timeout | TimeoutError):
        return None, _("no answer in time")
    return None, str(exc) or type(exc).__name__


def _text(message) -> str:
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
