"""The contact center in a real browser against `layan serve` as a real process: a conversation
that arrives while a supervisor watches is counted in its queue without a reload."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from layan_server import EMAIL, PASSWORD, served_install

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with served_install(tmp_path_factory) as running:
        yield running


def test_a_new_conversation_is_counted_as_waiting_without_a_reload(chromium, server):
    context = chromium.new_context(base_url=server.base_url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/login/")
        page.fill("#id_username", EMAIL)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))
        page.click("[data-testid=contact-center-link]")
        page.wait_for_url(re.compile(r"/contact-center/$"))
        page.wait_for_function("document.documentElement.dataset.live === 'on'")
        total = page.locator("[data-testid=queue-total] [data-testid=waiting]")
        expect(total).to_have_text("0")
        expect(page.locator("[data-testid=forecast-hour]")).to_have_count(168)
        page.evaluate("window.notReloaded = true")

        with httpx.Client(base_url=f"{server.base_url}/api/v1", timeout=10,
                          headers={"Authorization": f"Bearer {server.token}"}) as api:
            created = api.post("/conversations", json={
                "subject": "Paket belum sampai", "customer": {"name": "Made Wirawan", "phone": "0813-9999-2222"},
                "message": {"text": "Halo, paket saya belum sampai."}})
        assert created.status_code == 201

        expect(total).to_have_text("1")
        assert page.evaluate("window.notReloaded") is True
    finally:
        context.close()
