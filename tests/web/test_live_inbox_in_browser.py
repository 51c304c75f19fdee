"""The agent's day in a real browser against `layan serve` as a real process (ASGI, WebSockets and
the worker inside): a conversation created elsewhere appears in the open inbox without a reload,
the agent searches, moves with the keyboard, opens it, sees a colleague's reply arrive live,
replies and solves."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from layan_server import EMAIL, PASSWORD, layan, served_install
from shop_site import ShopPage

pytestmark = pytest.mark.slow

COLLEAGUE = "sari@toko-serve.test"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    colleague = ("createagent", "--workspace", "toko-serve", "--email", COLLEAGUE, "--role", "agent",
                 "--password", PASSWORD, "--name", "Sari Dewi")
    with served_install(tmp_path_factory, colleague) as running:
        yield running


@pytest.fixture
def api(server):
    with httpx.Client(base_url=f"{server.base_url}/api/v1", timeout=10,
                      headers={"Authorization": f"Bearer {server.token}"}) as client:
        yield client


def logged_in(chromium, server, email):
    context = chromium.new_context(base_url=server.base_url, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    page.wait_for_function("document.documentElement.dataset.live === 'on'")
    return context, page


@pytest.fixture
def agent_page(chromium, server):
    context, page = logged_in(chromium, server, EMAIL)
    yield page
    context.close()


@pytest.fixture
def colleague_page(chromium, server):
    context, page = logged_in(chromium, server, COLLEAGUE)
    yield page
    context.close()


def test_the_inbox_and_the_thread_update_live_and_the_agent_answers_with_the_keyboard(agent_page, api):
    page = agent_page
    page.evaluate("window.notReloaded = true")  # gone if the page reloads

    created = api.post("/conversations", json={
        "subject": "Tas rotan rusak saat diterima", "customer": {"name": "Made Wirawan", "phone": "0813-9999-1111"},
        "message": {"text": "Halo, tas yang saya terima sobek di bagian tali."}})
    assert created.status_code == 201
    number = created.json()["number"]
    page.wait_for_selector("text=Tas rotan rusak saat diterima")
    assert page.evaluate("window.notReloaded") is True

    page.fill("#q", "rotan")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"q=rotan"))
    assert page.locator("#rows tr.row").count() == 1
    page.locator("body").press("j")
    page.locator("body").press("Enter")
    page.wait_for_url(re.compile(rf"/c/{number}/$"))

    page.evaluate("window.notReloaded = true")
    colleague = api.post(f"/conversations/{created.json()['id']}/notes", json={"text": "Foto sudah diminta via WA"})
    assert colleague.status_code == 201
    page.wait_for_selector("text=Foto sudah diminta via WA")
    assert page.evaluate("window.notReloaded") is True

    page.locator("body").press("r")
    assert page.evaluate("document.activeElement.id") == "reply-text"
    page.keyboard.type("Mohon maaf Kak Made, kami kirim tas pengganti hari ini.")
    page.click("#solve-button")
    page.wait_for_selector("text=Mohon maaf Kak Made, kami kirim tas pengganti hari ini.")
    assert page.inner_text("[data-testid=status]") == "Selesai"
    shown = api.get(f"/conversations/{created.json()['id']}").json()
    assert shown["status"] == "solved"


def test_a_second_agent_sees_who_is_already_replying(agent_page, colleague_page, api):
    created = api.post("/conversations", json={
        "subject": "Salah kirim ukuran", "customer": {"name": "Nur Aini", "phone": "0812-7777-2222"},
        "message": {"text": "Ukuran yang datang M, saya pesan L."}}).json()
    for page in (agent_page, colleague_page):
        page.goto(f"/c/{created['number']}/")
        page.wait_for_function("document.documentElement.dataset.live === 'on'")

    colleague_page.fill("#reply-text", "Baik Kak, kami tukar ya")
    colleague_page.type("#reply-text", ".")

    agent_page.wait_for_selector("#collision:not([hidden])")
    assert agent_page.inner_text("#collision") == "Sari Dewi sedang membalas percakapan ini."
    assert colleague_page.locator("#collision").is_hidden()  # nobody warns you about yourself


def test_a_conversation_assigned_to_the_agent_rings_and_notifies(chromium, server, api):
    context, page = logged_in(chromium, server, COLLEAGUE)
    context.grant_permissions(["notifications"])
    try:
        created = api.post("/conversations", json={
            "subject": "Minta faktur pajak", "customer": {"name": "Rudi", "email": "rudi@contoh.id"},
            "message": {"text": "Tolong kirim faktur pajak bulan lalu."}}).json()
        colleague_id = next(a["id"] for a in api.get("/agents").json() if a["email"] == COLLEAGUE)

        assert api.post(f"/conversations/{created['id']}/assign", json={"assignee": colleague_id}).status_code == 200

        page.wait_for_function("(window.layanNotifications || []).length === 1")
        assert page.evaluate("window.layanNotifications") == [created["id"]]
        assert page.evaluate("Notification.permission") == "granted"
    finally:
        context.close()


@pytest.fixture(scope="module")
def shop(server):
    """A shop's page on its own origin embedding the chat widget of a live chat inbox."""
    site = ShopPage()
    public_id = layan(server.env, "shell", "-c", (
        "from layan.accounts.actors import Actor\n"
        "from layan.accounts.models import Workspace\n"
        "from layan.connectors.services import create_inbox\n"
        "ws = Workspace.objects.get(slug='toko-serve')\n"
        f"inbox = create_inbox(actor=Actor.system(ws), kind='livechat', name='Chat toko', "
        f"settings={{'allowed_origins': ['{site.url}']}})\n"
        "print(inbox.public_id)")).strip().splitlines()[-1]
    site.embed(layan_url=server.base_url, inbox_public_id=public_id)
    yield site
    site.stop()


def test_a_chat_from_the_shops_site_appears_in_the_open_inbox_and_the_answer_in_the_widget(
        chromium, agent_page, shop):
    page = agent_page
    page.evaluate("window.notReloaded = true")
    visitor = chromium.new_context(locale="id-ID")
    customer = visitor.new_page()
    customer.set_default_timeout(10_000)
    try:
        customer.goto(shop.url)
        customer.get_by_role("button", name="Buka obrolan").click()
        customer.get_by_label("Pesan").fill("Kopi gayo 250 gram masih ada, Kak?")
        customer.get_by_role("button", name="Kirim").click()

        page.wait_for_selector("text=Kopi gayo 250 gram masih ada, Kak?")
        assert page.evaluate("window.notReloaded") is True
        page.click("text=Kopi gayo 250 gram masih ada, Kak?")
        page.wait_for_url(re.compile(r"/c/\d+/$"))
        page.fill("#reply-text", "Masih ada, Kak. Mau dikirim ke mana?")
        page.click("button[value=send]")

        expect(customer.locator(".m.agent")).to_contain_text("Masih ada, Kak. Mau dikirim ke mana?")
    finally:
        visitor.close()


@pytest.mark.parametrize("width", [390, 680])  # a phone, and a laptop at 200% zoom
def test_the_inbox_and_the_conversation_fit_a_narrow_screen(chromium, server, api, width):
    created = api.post("/conversations", json={
        "subject": "Layar kecil", "customer": {"name": "Dewi", "phone": "0812-5555-1212"},
        "message": {"text": "Halo dari ponsel."}}).json()
    context = chromium.new_context(base_url=server.base_url, locale="id-ID", viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto("/login/")
        page.fill("#id_username", EMAIL)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))
        for path in ("/", f"/c/{created['number']}/"):
            page.goto(path)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
            assert page.locator("#reply-text, #q").first.is_visible()
    finally:
        context.close()
