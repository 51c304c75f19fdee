"""A shop's website on its own origin, for tests that embed the chat widget the way a customer's
site does (every widget request is then a real cross-origin one)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ShopPage:
    """A shop's website on its own origin with the widget's one script tag."""

    def __init__(self):
        shop = self
        self.html = ""

        class Page(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                body = shop.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def embed(self, *, layan_url: str, inbox_public_id: str, title: str = "Toko Nusantara") -> None:
        """Serve a page with the widget's one script tag."""
        self.html = (f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
                     f'<body style="font-family:sans-serif;background:#faf7f2"><h1>{title}</h1>'
                     f'<p>Batik, kopi dan kerajinan dari seluruh Nusantara.</p>'
                     f'<script src="{layan_url}/widget/widget.js" data-inbox="{inbox_public_id}" async></script>'
                     f'</body></html>')

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
