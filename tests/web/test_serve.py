"""`layan serve` as a real process: HTTP, the API, the login form, WebSockets and the worker inside."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from websockets.asyncio.client import connect

from layan_server import (
    DISPLAY_NAME,
    EMAIL,
    PASSWORD,
    prepared_data_dir,
    served_install,
    start_server,
)

pytestmark = pytest.mark.slow

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with served_install(tmp_path_factory) as running:
        yield running


@pytest.fixture
def api(server):
    with httpx.Client(base_url=f"{server.base_url}/api/v1", timeout=10,
                      headers={"Authorization": f"Bearer {server.token}"}) as client:
        yield client


def new_conversation(api: httpx.Client, text: str) -> dict:
    response = api.post("/conversations", json={
        "subject": "Paket belum sampai",
        "customer": {"name": "Siti Rahayu", "phone": "0812-3456-7890"},
        "message": {"text": text},
    })
    assert response.status_code == 201, response.text
    return response.json()


def log_in(client: httpx.Client) -> None:
    """Log in through the real form, as a browser does: the CSRF token from the page's cookie."""
    form = client.get("/login/")
    assert form.status_code == 200
    response = client.post("/login/", data={
        "csrfmiddlewaretoken": client.cookies["csrftoken"], "username": EMAIL, "password": PASSWORD, "next": "/",
    })
    assert response.status_code == 302, response.text
    assert response.headers["location"] == "/"


def test_me_answers_the_agent_the_token_belongs_to(api):
    response = api.get("/me")

    assert response.status_code == 200
    me = response.json()
    assert (me["email"], me["role"], me["display_name"]) == (EMAIL, "admin", DISPLAY_NAME)


def test_api_docs_and_openapi_schema_are_served(server):
    docs = httpx.get(f"{server.base_url}/api/v1/docs", timeout=10)
    schema = httpx.get(f"{server.base_url}/api/v1/openapi.json", timeout=10)

    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Layan API"
    assert "/api/v1/me" in schema.json()["paths"]


def test_a_wrong_token_gets_401_json(server):
    response = httpx.get(f"{server.base_url}/api/v1/me", timeout=10,
                         headers={"Authorization": "Bearer layan_this-is-not-a-real-token"})

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_reply_is_sent_by_the_worker_running_inside_the_server(api):
    conversation = new_conversation(api, "Halo kak, pesanan saya belum sampai.")
    reply = api.post(f"/conversations/{conversation['id']}/reply", json={"text": "Baik kak, kami cek dulu ya."})
    assert reply.status_code == 201, reply.text
    assert reply.json()["delivery_status"] == "queued"

    status, deadline = "queued", time.monotonic() + 30
    while status == "queued" and time.monotonic() < deadline:
        time.sleep(0.2)
        thread = api.get(f"/conversations/{conversation['id']}/messages").json()["items"]
        status = next(m["delivery_status"] for m in thread if m["id"] == reply.json()["id"])

    assert status == "sent"


def test_logging_in_through_the_form_opens_the_inbox(server):
    anonymous = httpx.get(f"{server.base_url}/", timeout=10)
    assert anonymous.status_code == 302
    assert anonymous.headers["location"] == "/login/?next=/"

    with httpx.Client(base_url=server.base_url, timeout=10) as browser:
        log_in(browser)
        home = browser.get("/")

    assert home.status_code == 200
    assert f"Signed in as {DISPLAY_NAME} (Admin)." in home.text


def test_websocket_says_hello_then_pushes_a_conversation_created_over_the_api(server, api):
    me = api.get("/me").json()
    with httpx.Client(base_url=server.base_url, timeout=10) as browser:
        log_in(browser)
        session_id = browser.cookies["sessionid"]

    async def listen() -> tuple[dict, dict, dict]:
        async with connect(f"ws://127.0.0.1:{server.port}/ws/agent/", origin=f"http://127.0.0.1:{server.port}",
                           additional_headers={"Cookie": f"sessionid={session_id}"}, open_timeout=10) as socket_:
            hello = json.loads(await asyncio.wait_for(socket_.recv(), timeout=10))
            conversation = await asyncio.to_thread(new_conversation, api, "Kak, bisa bayar COD?")
            while True:
                frame = json.loads(await asyncio.wait_for(socket_.recv(), timeout=10))
                if frame["event"] == "ConversationCreated" and frame["conversation_id"] == conversation["id"]:
                    return hello, conversation, frame

    hello, conversation, frame = asyncio.run(listen())

    assert hello["event"] == "hello"
    assert hello["agent_id"] == me["id"]
    assert frame == {"event": "ConversationCreated", "workspace_id": hello["workspace_id"],
                     "conversation_id": conversation["id"]}


def test_sigterm_stops_the_server_and_lets_the_worker_finish(tmp_path_factory):
    data_dir, env, _token = prepared_data_dir(tmp_path_factory)
    running = start_server(env, data_dir)
    try:
        running.process.terminate()
        returncode = running.process.wait(timeout=30)
    finally:
        running.stop()

    output = running.output()
    assert returncode == 0, output
    assert "Layan is running at " in output
    assert "Stopping the background worker…" in output
    assert "All workers have stopped." in output
    assert "Traceback" not in output
