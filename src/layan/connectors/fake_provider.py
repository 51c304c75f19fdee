"""A loopback HTTP server that stands in for a provider's API: the tests point an inbox at it to
assert the exact request the provider would receive, and `make demo FAKE_PROVIDERS=1` points the
demo's inboxes at it so replies "send" without reaching the internet. Each connector subclasses
it with the provider's documented answers (connectors/<kind>/fake_provider.py)."""

from __future__ import annotations

import json
import select
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class RecordedRequest:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    # Held (see FakeProviderServer.hold_next) and the client hung up before any answer: the
    # provider never accepted it.
    abandoned: bool = False

    def json(self):
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode(), keep_blank_values=True)


@dataclass
class Answer:
    status: int = 200
    body: bytes | dict | list | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


class Hold:
    """The next request, kept unanswered: ``arrived`` is set when it is in, and it is answered once
    ``release()`` is called — or dropped unanswered if the client hangs up first (a killed worker)."""

    def __init__(self):
        self.arrived = threading.Event()
        self.released = threading.Event()

    def release(self) -> None:
        self.released.set()


def _peer_closed(connection: socket.socket) -> bool:
    readable, _, _ = select.select([connection], [], [], 0)
    if not readable:
        return False
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class FakeProviderServer:
    """Records every request; answers from ``scripted`` first (one per request, e.g. two 500s),
    then from ``answer()``, which subclasses implement as the provider documents it."""

    name = "provider"

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.requests: list[RecordedRequest] = []
        self.scripted: list[Answer] = []
        self.holds: list[Hold] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                split = urlsplit(self.path)
                recorded = RecordedRequest(method=self.command, path=split.path, query=parse_qs(split.query),
                                           headers={k: v for k, v in self.headers.items()},
                                           body=self.rfile.read(length) if length else b"")
                with fake._lock:
                    fake.requests.append(recorded)
                    hold = fake.holds.pop(0) if fake.holds else None
                if hold is not None:
                    hold.arrived.set()
                    while not hold.released.wait(0.02):
                        if _peer_closed(self.connection):
                            recorded.abandoned = True
                            self.close_connection = True
                            return
                with fake._lock:
                    scripted = fake.scripted.pop(0) if fake.scripted else None
                answer = scripted or fake.answer(recorded)
                body = answer.body
                if isinstance(body, dict | list):
                    body = json.dumps(body).encode()
                elif isinstance(body, str):
                    body = body.encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815 - http.server's names

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True, name=f"fake-{self.name}")

    def answer(self, request: RecordedRequest) -> Answer:  # pragma: no cover - subclasses answer
        return Answer(404, {"error": "not found"})

    def hold_next(self) -> Hold:
        hold = Hold()
        with self._lock:
            self.holds.append(hold)
        return hold

    def start(self) -> FakeProviderServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeProviderServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
