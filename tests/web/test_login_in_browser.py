"""Logging in, switching language and logging out, in a real browser against a live server."""

from __future__ import annotations

import re

import pytest

from layan.accounts.actors import Actor
from layan.accounts.services import create_agent, create_workspace
from layan.conversations.services import create_conversation
from layan.customers.services import IdentityInput

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "rahasia-sekali-2026"


def make_agent():
    workspace = create_workspace(name="Toko Maju")
    agent = create_agent(workspace=workspace, email="budi@tokomaju.id", role="admin",
                         display_name="Budi Santoso", password=PASSWORD)
    create_conversation(actor=Actor.for_agent(agent), subject="Paket belum sampai",
                        customer_name="Siti Rahayu",
                        customer_identities=[IdentityInput("phone", "0812-3456-7890")],
                        text="Halo, paket saya belum sampai.")
    return agent


@pytest.fixture
def agent(server_side):
    return server_side(make_agent)


def log_in(page, email, password):
    page.goto("/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")


def test_wrong_password_shows_the_error_in_indonesian_and_stays_on_login(page, agent):
    log_in(page, agent.user.email, "salah")
    assert page.get_by_role("alert").inner_text() == (
        "Email dan kata sandi Anda tidak cocok. Silakan coba lagi.")
    assert page.url.endswith("/login/")


def test_agent_logs_in_sees_active_conversations_switches_to_english_and_logs_out(page, agent):
    page.goto("/")
    assert "/login/" in page.url  # the inbox needs a login
    log_in(page, agent.user.email, PASSWORD)

    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("h1").inner_text() == "Toko Maju"
    assert "Masuk sebagai Budi Santoso" in page.inner_text("main")
    row = page.locator("tbody tr").first
    assert "Paket belum sampai" in row.inner_text()
    assert "Siti Rahayu" in row.inner_text()
    assert page.get_attribute("html", "lang") == "id"

    page.select_option("#lang", "en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert "Signed in as Budi Santoso" in page.inner_text("main")

    page.click("text=Log out")
    page.goto("/")
    assert "/login/" in page.url
