"""`layan serve` as a real process for the tests: an embedded install (SQLite, the SQLite queue, the
in-memory channel layer) in its own data directory, with a workspace, an admin and an API token."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

LAYAN = Path(sys.executable).parent / "layan"
EMAIL = "rina@toko-serve.test"
PASSWORD = "rahasia-serve-2026"
DISPLAY_NAME = "Rina Wulandari"


def embedded_env(data_dir: Path) -> dict[str, str]:
    """An embedded install: SQLite, the SQLite queue and the in-memory channel layer in ``data_dir``."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "LAYAN_HUEY_IMMEDIATE", "DJANGO_SETTINGS_MODULE"}}
    env["LAYAN_DATA_DIR"] = str(data_dir)
    env["LAYAN_LANGUAGE"] = "en"
    return env


def layan(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([str(LAYAN), *args], env=env, capture_output=True, text=True, timeout=120,
                            stdin=subprocess.DEVNULL, check=False)
    assert result.returncode == 0, f"layan {' '.join(args)}: {result.stderr}"
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path
    token: str = ""
    env: dict[str, str] = field(default_factory=dict)  # the install's environment, for more `layan` commands

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode


def start_server(env: dict[str, str], data_dir: Path) -> Server:
    port = free_port()
    log = data_dir / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([str(LAYAN), "serve", "--port", str(port)], env=env, stdout=sink,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = Server(process=process, port=port, log=log)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise AssertionError(f"layan serve exited with {process.returncode}:\n{server.output()}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise AssertionError(f"layan serve did not answer /healthz within 60 s:\n{server.output()}")
        time.sleep(0.2)


def prepared_data_dir(tmp_path_factory) -> tuple[Path, dict[str, str], str]:
    """A migrated data dir with one workspace, its admin and a token for them."""
    data_dir = tmp_path_factory.mktemp("layan-serve")
    env = embedded_env(data_dir)
    layan(env, "migrate", "--noinput")
    slug = layan(env, "createworkspace", "--name", "Toko Serve").strip()
    layan(env, "createagent", "--workspace", slug, "--email", EMAIL, "--role", "admin", "--password", PASSWORD,
          "--name", DISPLAY_NAME)
    token = layan(env, "token", "create", "--workspace", slug, "--agent", EMAIL).strip()
    return data_dir, env, token


@contextlib.contextmanager
def served_install(tmp_path_factory, *commands: tuple[str, ...]) -> Iterator[Server]:
    """A prepared install (after running each extra `layan` command) served until the block ends."""
    data_dir, env, token = prepared_data_dir(tmp_path_factory)
    for args in commands:
        layan(env, *args)
    server = start_server(env, data_dir)
    server.token, server.env = token, env
    try:
        yield server
    finally:
        server.stop()
