"""A local OAuth2 provider on 127.0.0.1 for the tests: a token endpoint (RFC 6749 refresh_token
grant) and, for Dovecot, an introspection endpoint (RFC 7662). It records every request."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class OAuthEndpoint:
    """``with OAuthEndpoint(token=(200, {...})) as provider:`` answers POST /token with ``token``
    and POST /introspect with ``{"active": true, "username": ...}`` for the tokens in ``valid``."""

    def __init__(self, *, token: tuple[int, dict], valid: dict[str, str] | None = None):
        self.token_answer = token
        self.valid = valid or {}  # access token -> the username it belongs to
        self.requests: list[tuple[str, dict]] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                provider.requests.append((self.path, form))
                if self.path == "/introspect":
                    username = provider.valid.get(form.get("token", ""))
                    status, payload = 200, ({"active": True, "username": username} if username else {"active": False})
                else:
                    status, payload = provider.token_answer
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        base = f"http://127.0.0.1:{self.server.server_port}"
        self.token_url, self.introspection_url = f"{base}/token", f"{base}/introspect"

    def token_requests(self) -> list[dict]:
        return [form for path, form in self.requests if path == "/token"]

    def __enter__(self) -> OAuthEndpoint:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
