"""A real Dovecot IMAP server for the tests: Debian's `dovecot` binary, a throwaway configuration in
a temporary directory, one test user, listening on 127.0.0.1 on a free port.

Without the binary the tests skip with the reason (make test installs it when run as root); with
CI=true they fail instead, so CI can never pass without them.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

USERNAME = "cs@toko.test"
PASSWORD = "rahasia-imap-123"  # a test user's password, not a secret
SKIP_REASON = "dovecot not installed (Debian package dovecot-imapd; make test installs it when run as root)"

# Dovecot refuses to run mail processes as root, so when the tests run as root the mailbox belongs
# to an unprivileged system user; Debian's package creates dovecot (internal processes) and
# dovenull (login processes). Not root, everything runs as the current user.
_MAIL_USER_CANDIDATES = ("dovecot", "nobody")


@dataclass(frozen=True)
class DovecotServer:
    host: str
    port: int  # plain IMAP, STARTTLS offered when tls is on
    imaps_port: int | None  # implicit TLS, when tls is on
    username: str
    password: str
    directory: Path
    ca_file: Path | None  # the self-signed certificate clients must trust, when tls is on

    @property
    def log(self) -> str:
        path = self.directory / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def dovecot_binary() -> str:
    """The dovecot binary, or skip (fail with CI=true) when it is not installed."""
    binary = os.environ.get("LAYAN_DOVECOT") or shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires the IMAP tests: {SKIP_REASON}")
        pytest.skip(SKIP_REASON)
    return binary


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def _mail_user() -> tuple[int, int, str, str]:
    """(uid, gid, internal user, login user) for the configuration."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        # Not root: every process runs as us; Dovecot allows that when both users are us.
        return me.pw_uid, me.pw_gid, me.pw_name, me.pw_name
    for name in _MAIL_USER_CANDIDATES:
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            login = "dovenull" if _user_exists("dovenull") else name
            return entry.pw_uid, entry.pw_gid, name, login
    raise RuntimeError("no unprivileged user for Dovecot's mail processes (tried dovecot, nobody)")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30)
    key.chmod(0o600)
    return cert, key


def _oauth2_lines(directory: Path, introspection_url: str | None) -> tuple[str, str]:
    """(extra auth mechanisms, an oauth2 passdb) that check bearer tokens at ``introspection_url``."""
    if not introspection_url:
        return "", ""
    settings = directory / "oauth2.conf.ext"
    settings.write_text(f"introspection_mode = post\nintrospection_url = {introspection_url}\n"
                        "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
                        "force_introspection = yes\n")
    return " xoauth2 oauthbearer", (f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
                                     f"  args = {settings}\n}}\n")


def _config(directory: Path, *, port: int, imaps_port: int | None, tls: tuple[Path, Path] | None,
            introspection_url: str | None = None) -> str:
    uid, gid, internal_user, login_user = _mail_user()
    oauth_mechanisms, oauth_passdb = _oauth2_lines(directory, introspection_url)
    ssl_lines = "ssl = no\n"
    if tls is not None:
        cert, key = tls
        ssl_lines = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}\n"
    imaps = f"inet_listener imaps {{\n    address = 127.0.0.1\n    port = {imaps_port}\n  }}" if imaps_port \
        else "inet_listener imaps {\n    port = 0\n  }"
    return f"""\
protocols = imap
listen = 127.0.0.1
base_dir = {directory}/run
state_dir = {directory}/state
instance_name = layan-test-{port}
log_path = {directory}/dovecot.log
info_log_path = {directory}/dovecot.log
default_internal_user = {internal_user}
default_internal_group = {_group_of(internal_user)}
default_login_user = {login_user}
first_valid_uid = {uid}
last_valid_uid = 0
first_valid_gid = 0
{ssl_lines}disable_plaintext_auth = no
auth_mechanisms = plain login{oauth_mechanisms}
mail_location = maildir:{directory}/mail/%n
{oauth_passdb}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {directory}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={directory}/mail/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  {imaps}
  chroot =
}}
"""


def _group_of(user: str) -> str:
    return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name


@contextlib.contextmanager
def running_dovecot(*, tls: bool = False, introspection_url: str | None = None, timeout: float = 10.0
                    ) -> Iterator[DovecotServer]:
    """Start Dovecot, yield where it listens, stop it and remove its directory afterwards. With an
    ``introspection_url`` it also accepts XOAUTH2 bearer tokens that URL vouches for."""
    binary = dovecot_binary()
    # Not under pytest's tmp_path: that is private to the test's user, and the mail processes run
    # as an unprivileged user when the tests run as root.
    directory = Path(tempfile.mkdtemp(prefix="layan-dovecot-"))
    try:
        yield from _run(binary, directory, tls=tls, introspection_url=introspection_url, timeout=timeout)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _run(binary: str, directory: Path, *, tls: bool, introspection_url: str | None, timeout: float
         ) -> Iterator[DovecotServer]:
    uid, gid, _, _ = _mail_user()
    directory.chmod(0o755)
    for sub in ("run", "state"):
        (directory / sub).mkdir()
    (directory / "mail").mkdir()
    os.chown(directory / "mail", uid, gid)
    (directory / "users").write_text(f"{USERNAME}:{PASSWORD}::::::\n")
    certificate = self_signed_certificate(directory) if tls else None
    # Another test may take a free port between our probe and Dovecot's bind: try a few times.
    last_log = ""
    for _attempt in range(3):
        port = _free_port()
        imaps_port = _free_port() if tls else None
        config = directory / "dovecot.conf"
        config.write_text(_config(directory, port=port, imaps_port=imaps_port, tls=certificate,
                                  introspection_url=introspection_url))
        # Its own process group, so that stopping it stops its children too, at once.
        process = subprocess.Popen([binary, "-F", "-c", str(config)], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            if _accepts("127.0.0.1", port) and (imaps_port is None or _accepts("127.0.0.1", imaps_port)):
                break
            time.sleep(0.05)
        if process.poll() is None and _accepts("127.0.0.1", port):
            try:
                yield DovecotServer(host="127.0.0.1", port=port, imaps_port=imaps_port,
                                    username=USERNAME, password=PASSWORD, directory=directory,
                                    ca_file=certificate[0] if certificate else None)
            finally:
                _stop(process)
            return
        output = _stop(process)
        log = directory / "dovecot.log"
        last_log = output + (log.read_text(errors="replace") if log.exists() else "")
        if "in use" not in last_log:
            break
    raise RuntimeError(f"dovecot did not start:\n{last_log}")


def _stop(process: subprocess.Popen) -> str:
    """Stop Dovecot; what it printed. A graceful SIGTERM costs its master about a second per
    server, and the directory is thrown away anyway, so the whole process group is killed."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    output = process.stdout.read().decode(errors="replace") if process.stdout else ""
    if process.stdout:
        process.stdout.close()
    return output
