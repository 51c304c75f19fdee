"""API v1 over real HTTP: a live server, a real socket, the full middleware stack (CSRF enforced as
for any real client), JSON on the wire."""

from __future__ import annotations

import httpx
import pytest

from layan.conversations.models import Conversation, Message
from layan.customers.models import Identity

pytestmark = pytest.mark.django_db(transaction=True)

ISSUE_EXAMPLE = {
    "subject": "Paket belum sampai",
    "customer": {"name": "Siti", "phone": "0812-3456-7890", "email": "siti@contoh.id"},
    "message": {"text": "Halo, paket saya dengan resi JNE 1234567890 belum sampai sejak Senin."},
    "priority": "normal",
}


@pytest.fixture
def http(live_server, world):
    """An HTTP client of the live server, authenticated with the workspace admin's token."""
    with httpx.Client(base_url=f"{live_server.url}/api/v1", timeout=30,
                      headers={"Authorization": f"Bearer {world.tokens['admin']}"}) as client:
        yield client


@pytest.fixture
def anonymous(live_server):
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        yield client


def test_creating_a_conversation_with_the_issue_example_answers_201_with_id_and_number(http, world):
    response = http.post("/conversations", json=ISSUE_EXAMPLE)

    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["id"], int)
    assert body["number"] == 1
    assert body["subject"] == "Paket belum sampai"
    assert body["status"] == "new"
    assert body["priority"] == "normal"
    assert body["customer"]["name"] == "Siti"
    conversation = Conversation.objects.get(pk=body["id"])
    assert conversation.workspace_id == world.workspace.pk
    assert conversation.messages.get().text == ISSUE_EXAMPLE["message"]["text"]
    assert set(Identity.objects.filter(customer_id=conversation.customer_id).values_list("kind", "value")) == {
        ("phone", "+6281234567890"), ("email", "siti@contoh.id")}


def test_listing_replying_and_reading_the_thread_over_http(http):
    created = http.post("/conversations", json=ISSUE_EXAMPLE).json()

    listed = http.get("/conversations", params={"limit": 10})
    reply = http.post(f"/conversations/{created['id']}/reply",
                      json={"text": "Mohon maaf, Kak Siti. Kami cek ke kurir sekarang."})
    thread = http.get(f"/conversations/{created['id']}/messages")

    assert listed.status_code == 200, listed.text
    assert set(listed.json()) == {"items", "next_cursor"}
    assert [c["id"] for c in listed.json()["items"]] == [created["id"]]
    assert listed.json()["next_cursor"] is None
    assert reply.status_code == 201, reply.text
    assert reply.json()["direction"] == "out"
    assert reply.json()["conversation_id"] == created["id"]
    assert thread.status_code == 200
    assert [(m["direction"], m["text"][:5]) for m in thread.json()["items"]] == [("in", "Halo,"), ("out", "Mohon")]
    assert Message.objects.get(pk=reply.json()["id"]).outbox_item.status == "sent"
    assert http.get(f"/conversations/{created['id']}").json()["status"] == "open"


def test_paging_over_http_follows_next_cursor(http):
    ids = [http.post("/conversations", json={**ISSUE_EXAMPLE, "subject": f"Paket {n}"}).json()["id"] for n in range(3)]

    first = http.get("/conversations", params={"limit": 2}).json()
    second = http.get("/conversations", params={"limit": 2, "cursor": first["next_cursor"]}).json()

    assert [c["id"] for c in first["items"]] + [c["id"] for c in second["items"]] == ids[::-1]
    assert second["next_cursor"] is None


def test_openapi_document_and_interactive_docs_are_served(anonymous):
    document = anonymous.get("/api/v1/openapi.json")
    docs = anonymous.get("/api/v1/docs")

    assert document.status_code == 200
    assert document.json()["info"]["title"] == "Layan API"
    assert "/api/v1/conversations/{conversation_id}/reply" in document.json()["paths"]
    assert docs.status_code == 200
    assert "openapi.json" in docs.text


def test_errors_over_http_have_the_documented_envelope(http, anonymous, world):
    no_credentials = anonymous.post("/api/v1/conversations", json=ISSUE_EXAMPLE)
    bad_token = anonymous.post("/api/v1/conversations", json=ISSUE_EXAMPLE,
                               headers={"Authorization": "Bearer layan_tidak-ada"})
    malformed = http.post("/conversations", content=b'{"subject": "Paket', headers={"Content-Type": "application/json"})
    missing = http.get("/conversations/987654321")
    invalid = http.post("/customers", json={"email": "not-an-email"}, headers={"Accept-Language": "en"})

    for response, status, code in ((no_credentials, 401, "not_authenticated"), (bad_token, 401, "not_authenticated"),
                                   (malformed, 400, "malformed_json"), (missing, 404, "not_found"),
                                   (invalid, 400, "invalid_identity")):
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["error"]["code"] == code
        assert response.json()["error"]["message"]
    assert invalid.json()["error"] == {"code": "invalid_identity", "field": "email",
                                       "message": "not-an-email is not a valid email address."}
    assert Conversation.objects.count() == 0


def test_oversize_body_over_http_gets_413(http, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    response = http.post("/conversations", json={**ISSUE_EXAMPLE, "message": {"text": "x" * 4096}})

    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"
    assert Conversation.objects.count() == 0


def test_browser_session_over_http_needs_the_csrf_token_for_writes(anonymous, world):
    user = world.agent.user
    user.set_password("rahasia-2026")
    user.save(update_fields=["password"])
    login_page = anonymous.get("/login/")
    csrf = anonymous.cookies["csrftoken"]
    logged_in = anonymous.post("/login/", data={"username": user.email, "password": "rahasia-2026",
                                                "csrfmiddlewaretoken": csrf},
                               headers={"Referer": f"{anonymous.base_url}/login/"})
    assert login_page.status_code == 200
    assert logged_in.status_code == 302, logged_in.text
    csrf = anonymous.cookies["csrftoken"]  # rotated at login

    me = anonymous.get("/api/v1/me")
    without = anonymous.post("/api/v1/customers", json={"name": "Siti"})
    with_token = anonymous.post("/api/v1/customers", json={"name": "Siti"}, headers={"X-CSRFToken": csrf})

    assert me.status_code == 200
    assert me.json()["id"] == world.agent.pk
    assert without.status_code == 403, without.text
    assert without.json()["error"]["code"] == "permission_denied"
    assert with_token.status_code == 201, with_token.text
    assert with_token.json()["name"] == "Siti"
