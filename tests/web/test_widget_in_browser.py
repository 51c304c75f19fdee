"""The chat widget in a real Chromium, embedded with its one script tag in a shop's page on another
origin: the customer opens it, fills the pre-chat form, writes, and an agent's reply appears live.

pytest-django's live server speaks WSGI only, so the widget talks to Layan's real ASGI application
served by uvicorn in a thread (HTTP and WebSocket, same test database); the shop's page comes from
a second local server, so every widget request is a real cross-origin one.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import expect

from layan.accounts.actors import Actor
from layan.connectors.services import create_inbox
from layan.conversations.models import DeliveryStatus, Message
from layan.conversations.services import reply_to_conversation
from layan_server import embedded_env
from shop_site import ShopPage

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def layan_asgi(settings, monkeypatch):
    """Layan's ASGI application on a free port, in this process (so it shares the test database)."""
    from django.db import connections

    from layan.asgi import application

    # The server's threads open their own connections; closing each after its request leaves none
    # behind to hold the test database open when it is dropped.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, ws="websockets-sansio",
                                           lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def shop_site():
    site = ShopPage()
    yield site
    site.stop()


def wait_for(fn, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_a_customer_chats_from_a_shop_page_and_the_agents_reply_appears_live(page, server_side, world,
                                                                              layan_asgi, shop_site):
    inbox = server_side(create_inbox, actor=world.actor, kind="livechat", name="Chat toko",
                        settings={"allowed_origins": [shop_site.url], "colour": "#7c2d12",
                                  "greeting": {"id": "Selamat datang di Toko Batik Maju!", "en": "Welcome!"},
                                  "prechat": {"fields": ["name", "email"], "required": True}})
    shop_site.embed(layan_url=layan_asgi, inbox_public_id=inbox.public_id, title="Toko Batik Maju")

    page.goto(shop_site.url)
    page.get_by_role("button", name="Buka obrolan").click()
    expect(page.get_by_text("Selamat datang di Toko Batik Maju!")).to_be_visible()
    page.get_by_label("Nama").fill("Siti Rahma")
    page.get_by_label("Email").fill("siti@contoh.id")
    page.get_by_role("button", name="Mulai obrolan").click()
    page.get_by_label("Pesan").fill("Halo <b>kak</b>, motif parang ukuran L ada?")
    page.get_by_role("button", name="Kirim").click()

    message = wait_for(lambda: server_side(lambda: Message.objects.select_related("conversation").first()))
    assert message.text == "Halo <b>kak</b>, motif parang ukuran L ada?"
    assert message.metadata["livechat"]["prechat"] == {"name": "Siti Rahma", "email": "siti@contoh.id"}
    # The customer's HTML is shown as the text they typed, not as markup.
    expect(page.locator(".m.customer")).to_have_text("Halo <b>kak</b>, motif parang ukuran L ada?")
    expect(page.locator(".m.customer b")).to_have_count(0)

    reply, _dup = server_side(reply_to_conversation, actor=Actor.for_agent(world.agent),
                              conversation=message.conversation, text="Ada, Kak Siti. Mau dikirim ke mana?")

    expect(page.locator(".m.agent")).to_contain_text("Ada, Kak Siti. Mau dikirim ke mana?")
    expect(page.locator(".m.agent small")).to_have_text("Budi")
    # The open widget reports the reply read.
    wait_for(lambda: server_side(lambda: Message.objects.get(pk=reply.pk).delivery_status) == DeliveryStatus.READ)

    # History is kept across page loads.
    page.reload()
    page.get_by_role("button", name="Buka obrolan").click()
    expect(page.locator(".m")).to_have_count(2)
    expect(page.locator(".m.agent")).to_contain_text("Ada, Kak Siti.")


# --- a real `layan serve` process, stopped and started under the widget ---------------------------

LAYAN = Path(sys.executable).parent / "layan"

SETUP = """
from layan.accounts.actors import Actor
from layan.accounts.services import create_agent, create_workspace
from layan.connectors.services import create_inbox
ws = create_workspace(name="Toko Restart")
admin = create_agent(workspace=ws, email="admin@restart.test", role="admin", display_name="Admin")
inbox = create_inbox(actor=Actor.for_agent(admin), kind="livechat", name="Chat", settings={"allowed_origins": [%r]})
print(inbox.public_id)
"""

COUNT = """
from layan.conversations.models import Message
print(sorted(Message.objects.values_list("text", flat=True)))
"""


def layan(env, *args, **kwargs):
    return subprocess.run([str(LAYAN), *args], env=env, check=True, timeout=120, capture_output=True, text=True,
                          **kwargs)


def serve(env, port) -> subprocess.Popen:
    process = subprocess.Popen([str(LAYAN), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in process.stdout:
        if "127.0.0.1" in line:  # "Layan is running at ...": it listens
            return process
    raise AssertionError("layan serve did not start")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


@pytest.mark.slow
def test_the_widget_survives_a_server_restart_and_delivers_the_unsent_message_once(page, shop_site, tmp_path):
    # An embedded install of its own (SQLite, in-memory layer), whichever database the suite runs on.
    env = embedded_env(tmp_path)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    layan(env, "migrate", "-v0")
    public_id = layan(env, "shell", "-c", SETUP % shop_site.url).stdout.strip().splitlines()[-1]
    port = free_port()
    shop_site.embed(layan_url=f"http://127.0.0.1:{port}", inbox_public_id=public_id, title="Toko Batik Maju")
    server = serve(env, port)
    try:
        page.goto(shop_site.url)
        page.get_by_role("button", name="Buka obrolan").click()
        page.get_by_label("Pesan").fill("Pesan pertama")
        page.get_by_role("button", name="Kirim").click()
        expect(page.locator(".m.customer").first).to_have_text("Pesan pertama")  # acknowledged: no "sending"

        stop(server)
        expect(page.get_by_text("Menyambung ulang…")).to_be_visible()
        page.get_by_label("Pesan").fill("Pesan saat server mati")
        page.get_by_role("button", name="Kirim").click()
        expect(page.locator(".m.customer").nth(1)).to_contain_text("mengirim…")

        server = serve(env, port)
        expect(page.locator(".m.customer").nth(1)).to_have_text("Pesan saat server mati", timeout=30_000)
        assert layan(env, "shell", "-c", COUNT).stdout.strip().splitlines()[-1] == "['Pesan pertama', 'Pesan saat server mati']"

        page.reload()
        page.get_by_role("button", name="Buka obrolan").click()
        expect(page.locator(".m.customer")).to_have_count(2)
        assert layan(env, "shell", "-c", COUNT).stdout.strip().splitlines()[-1] == "['Pesan pertama', 'Pesan saat server mati']"
    finally:
        stop(server)
