"""Screenshots for the README, made by the test run from the real thing: `layan serve` as a process
with the Indonesian demo data, a real Chromium in Bahasa Indonesia and in English. They are
written to docs/screenshots/ (inbox, conversation page, contact center, chat widget; -id and -en)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from layan_server import embedded_env, layan, start_server
from shop_site import ShopPage

pytestmark = pytest.mark.slow

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DEMO_LOGIN, DEMO_PASSWORD = "supervisor@demo.layan.id", "layan-demo-2026"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo workspace served by `layan serve`; the live chat inbox lets the shop page embed it."""
    data_dir = tmp_path_factory.mktemp("layan-demo-shots")
    env = embedded_env(data_dir)
    layan(env, "migrate", "--noinput")
    layan(env, "demo", "--customers", "60", "--conversations", "300")
    shop = ShopPage()
    public_id = layan(env, "shell", "-c", (
        "from layan.connectors.models import Inbox\n"
        "inbox = Inbox.objects.get(kind='livechat')\n"
        f"inbox.settings = {{**inbox.settings, 'allowed_origins': ['{shop.url}']}}\n"
        "inbox.save(update_fields=['settings'])\n"
        "print(inbox.public_id)")).strip().splitlines()[-1]  # shell may say what it imported first
    server = start_server(env, data_dir)
    shop.embed(layan_url=server.base_url, inbox_public_id=public_id)
    try:
        yield server, shop
    finally:
        server.stop()
        shop.stop()


@pytest.mark.parametrize(("language", "locale"), [("id", "id-ID"), ("en", "en-US")])
def test_screenshots_of_the_inbox_the_conversation_and_the_widget(chromium, demo, language, locale):
    server, shop = demo
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(base_url=server.base_url, locale=locale, viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/login/")
        page.fill("#id_username", DEMO_LOGIN)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))
        expect(page.locator("#rows tr.row").first).to_be_visible()
        page.screenshot(path=SCREENSHOTS / f"inbox-{language}.png")

        page.goto("/?view=all&channel=email")
        page.locator("#rows tr.row a").first.click()
        page.wait_for_url(re.compile(r"/c/\d+/$"))
        expect(page.locator("#reply-bcc")).to_be_visible()
        page.screenshot(path=SCREENSHOTS / f"conversation-{language}.png", full_page=True)

        page.goto("/contact-center/")
        expect(page.locator("[data-testid=forecast-hour]")).to_have_count(168)
        page.screenshot(path=SCREENSHOTS / f"contact-center-{language}.png")

        shop_page = context.new_page()
        shop_page.goto(shop.url)
        shop_page.get_by_role("button", name=re.compile("obrolan|chat", re.IGNORECASE)).first.click()
        shop_page.get_by_label(re.compile("^(Nama|Name)")).fill("Siti Rahma")
        shop_page.get_by_role("button", name=re.compile("Mulai|Start", re.IGNORECASE)).click()
        shop_page.get_by_label(re.compile("^(Pesan|Message)")).fill(
            "Halo, batik tulis motif parang ukuran L masih ada?" if language == "id" else
            "Hello, is the hand-drawn parang batik still available in L?")
        shop_page.get_by_role("button", name=re.compile("^(Kirim|Send)$")).click()
        expect(shop_page.locator(".m.customer")).to_have_count(1)
        expect(shop_page.locator(".m.customer")).not_to_contain_text(re.compile("sending|mengirim"))  # acknowledged
        shop_page.screenshot(path=SCREENSHOTS / f"widget-{language}.png")
    finally:
        context.close()

    for name in ("inbox", "conversation", "contact-center", "widget"):
        assert (SCREENSHOTS / f"{name}-{language}.png").stat().st_size > 10_000
