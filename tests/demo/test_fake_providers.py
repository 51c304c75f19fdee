"""`make demo FAKE_PROVIDERS=1` end to end: `layan demo --fake-providers` on a small demo, `layan
serve --fake-providers` as a real process; a customer writes through the channel's real webhook, an
agent answers over the REST API, and the reply reaches "sent" with the id the fake provider made."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from urllib.parse import urlencode

import httpx
import pytest

from layan.connectors.api_channel.signature import signature_header
from layan.connectors.meta.webhooks import sign as meta_signature
from layan.connectors.twilio.signature import twilio_signature
from layan.demo.fake_providers import (
    DEMO_FAKES,
    DEMO_SECRETS,
    INSTAGRAM_ACCOUNT_ID,
    MESSENGER_PAGE_ID,
    SMS_FROM_NUMBER,
    TWILIO_ACCOUNT_SID,
    WHATSAPP_BUSINESS_ACCOUNT_ID,
    WHATSAPP_PHONE_NUMBER_ID,
)
from layan_server import LAYAN, Server, embedded_env, free_port, layan

pytestmark = pytest.mark.slow


def free_port_block(size: int) -> int:
    """The first of ``size`` consecutive ports that are free on 127.0.0.1 right now."""
    for _attempt in range(50):
        base = free_port()
        if base + size > 65535:
            continue
        probes = []
        try:
            for port in range(base, base + size):
                probe = socket.socket()
                probes.append(probe)
                probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
        return base
    raise AssertionError("no block of free ports found")


def serve(env: dict[str, str], *args: str, log) -> subprocess.Popen:
    return subprocess.Popen([str(LAYAN), "serve", *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo on fakes, served; the token `layan demo` printed and the fakes' first port."""
    data_dir = tmp_path_factory.mktemp("layan-demo-fakes")
    port, base = free_port(), free_port_block(len(DEMO_FAKES))
    env = {k: v for k, v in embedded_env(data_dir).items() if not k.startswith("LAYAN_DEMO_")}
    env["LAYAN_BASE_URL"] = f"http://127.0.0.1:{port}"  # Twilio signs the URL Layan thinks it has
    layan(env, "migrate", "--noinput")
    printed = layan(env, "demo", "--customers", "5", "--conversations", "20", "--fake-providers",
                    "--fake-providers-port", str(base))
    token = re.search(r"^\s+(layan_\S+)$", printed, re.MULTILINE)[1]
    log = data_dir / "serve.log"
    with log.open("wb") as sink:
        process = serve(env, "--port", str(port), "--fake-providers", "--fake-providers-port", str(base), log=sink)
    server = Server(process=process, port=port, log=log, token=token, env=env)
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, f"layan serve exited with {process.returncode}:\n{server.output()}"
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"layan serve did not answer within 60 s:\n{server.output()}"
        time.sleep(0.2)
    try:
        yield server, printed, base
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api(demo):
    server, _printed, _base = demo
    with httpx.Client(base_url=f"{server.base_url}/api/v1", timeout=10,
                      headers={"Authorization": f"Bearer {server.token}"}) as client:
        yield client


def inbox_of_kind(api: httpx.Client, kind: str) -> dict:
    inboxes = api.get("/inboxes")
    assert inboxes.status_code == 200, inboxes.text
    return next(i for i in inboxes.json() if i["kind"] == kind)


def conversation_ids(api: httpx.Client, inbox_id: int) -> set[int]:
    page = api.get("/conversations", params={"inbox": inbox_id, "limit": 100})
    assert page.status_code == 200, page.text
    return {c["id"] for c in page.json()["items"]}


def new_conversation(api: httpx.Client, *, inbox_id: int, known: set[int]) -> int:
    """The conversation the worker opened for the customer's message (it processes webhooks async)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        new = conversation_ids(api, inbox_id) - known
        if new:
            assert len(new) == 1, new
            return new.pop()
        time.sleep(0.2)
    raise AssertionError(f"no new conversation on inbox {inbox_id}")


def reply_until_settled(api: httpx.Client, conversation_id: int, text: str) -> dict:
    """Reply over the API and wait until the worker has sent it (or given up on it)."""
    reply = api.post(f"/conversations/{conversation_id}/reply", json={"text": text})
    assert reply.status_code == 201, reply.text
    message_id = reply.json()["id"]
    deadline = time.monotonic() + 15
    while True:
        thread = api.get(f"/conversations/{conversation_id}/messages", params={"limit": 100}).json()["items"]
        message = next(m for m in thread if m["id"] == message_id)
        if message["delivery_status"] not in ("queued", "sending") or time.monotonic() > deadline:
            return message
        time.sleep(0.2)


def test_serve_names_each_fake_provider_and_its_loopback_address(demo):
    server, printed, base = demo

    output = server.output()

    assert "Fake providers (nothing the demo sends leaves this machine):" in output
    for fake in DEMO_FAKES:
        assert re.search(rf"{re.escape(str(fake.label))}\s+http://127\.0\.0\.1:{base + fake.offset}$", output,
                         re.MULTILINE), output
    assert f"WhatsApp Business           http://127.0.0.1:{base}  (WhatsApp Cloud API (Graph API))" in printed


def test_whatsapp_reply_goes_to_the_fake_graph_api_and_is_sent(demo, api):
    server, _printed, _base = demo
    inbox = inbox_of_kind(api, "whatsapp")
    known = conversation_ids(api, inbox["id"])
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{
        "id": WHATSAPP_BUSINESS_ACCOUNT_ID, "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "6281100000701", "phone_number_id": WHATSAPP_PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": "Wulan Pratiwi"}, "wa_id": "6281298760701"}],
            "messages": [{"from": "6281298760701", "id": "wamid.demo-fake-inbound-1", "type": "text",
                          "timestamp": str(int(time.time())), "text": {"body": "Kak, pesanan saya sudah dikirim?"}}],
        }}]}]}).encode()
    webhook = httpx.post(f"{server.base_url}/hooks/whatsapp/{inbox['public_id']}/", content=body, timeout=10,
                         headers={"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(
                             body, DEMO_SECRETS["LAYAN_DEMO_WHATSAPP_APP_SECRET"])})
    assert webhook.status_code == 200, webhook.text
    conversation_id = new_conversation(api, inbox_id=inbox["id"], known=known)

    message = reply_until_settled(api, conversation_id, "Sudah kak, resi menyusul ya.")

    assert (message["delivery_status"], message["delivery_error"]) == ("sent", "")
    assert re.fullmatch(r"wamid\.layan\d+", message["provider_message_id"])  # the fake's id, not "log-…"


def test_telegram_reply_goes_to_the_fake_bot_api_and_is_sent(demo, api):
    server, _printed, _base = demo
    inbox = inbox_of_kind(api, "telegram")
    known = conversation_ids(api, inbox["id"])
    chat = {"id": 700000701, "first_name": "Bayu", "last_name": "Saputra", "type": "private"}
    update = {"update_id": 900000701, "message": {
        "message_id": 77, "from": {**chat, "is_bot": False, "language_code": "id"}, "chat": chat,
        "date": int(time.time()), "text": "Halo, toko buka hari Minggu?"}}
    webhook = httpx.post(f"{server.base_url}/hooks/telegram/{inbox['public_id']}/", json=update, timeout=10,
                         headers={"X-Telegram-Bot-Api-Secret-Token": DEMO_SECRETS["LAYAN_DEMO_TELEGRAM_SECRET_TOKEN"]})
    assert webhook.status_code == 200, webhook.text
    conversation_id = new_conversation(api, inbox_id=inbox["id"], known=known)

    message = reply_until_settled(api, conversation_id, "Buka kak, jam 09.00-17.00.")

    assert (message["delivery_status"], message["delivery_error"]) == ("sent", "")
    assert re.fullmatch(rf"{inbox['public_id']}:700000701:5\d{{3}}", message["provider_message_id"])


def test_sms_reply_goes_to_the_fake_twilio_and_is_sent(demo, api):
    server, _printed, _base = demo
    inbox = inbox_of_kind(api, "sms")
    known = conversation_ids(api, inbox["id"])
    url = f"{server.base_url}/hooks/sms/{inbox['public_id']}/"
    params = {"MessageSid": "SM" + "70" * 16, "SmsSid": "SM" + "70" * 16, "AccountSid": TWILIO_ACCOUNT_SID,
              "From": "+6281398760702", "To": SMS_FROM_NUMBER, "Body": "Stok sepatu ukuran 42 ada?",
              "NumMedia": "0", "NumSegments": "1", "ApiVersion": "2010-04-01"}
    webhook = httpx.post(url, content=urlencode(params), timeout=10, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilio_signature(url=url, params=params.items(),
                                               auth_token=DEMO_SECRETS["LAYAN_DEMO_TWILIO_AUTH_TOKEN"])})
    assert webhook.status_code == 200, webhook.text
    conversation_id = new_conversation(api, inbox_id=inbox["id"], known=known)

    message = reply_until_settled(api, conversation_id, "Ada kak, silakan dipesan.")

    assert (message["delivery_status"], message["delivery_error"]) == ("sent", "")
    assert re.fullmatch(r"SM[0-9a-f]{32}", message["provider_message_id"])


@pytest.mark.parametrize(("kind", "account_id", "secret_name"), [
    ("messenger", MESSENGER_PAGE_ID, "LAYAN_DEMO_MESSENGER_APP_SECRET"),
    ("instagram", INSTAGRAM_ACCOUNT_ID, "LAYAN_DEMO_INSTAGRAM_APP_SECRET"),
])
def test_meta_reply_goes_to_the_fake_send_api_and_is_sent(demo, api, kind, account_id, secret_name):
    server, _printed, _base = demo
    inbox = inbox_of_kind(api, kind)
    known = conversation_ids(api, inbox["id"])
    now_ms = int(time.time() * 1000)
    body = json.dumps({"object": "page" if kind == "messenger" else "instagram", "entry": [{
        "id": account_id, "time": now_ms, "messaging": [{
            "sender": {"id": "6782451960270703"}, "recipient": {"id": account_id}, "timestamp": now_ms,
            "message": {"mid": f"m_demo-fake-{kind}-1", "text": "Apakah bisa bayar di tempat?"}}]}]}).encode()
    webhook = httpx.post(f"{server.base_url}/hooks/{kind}/{inbox['public_id']}/", content=body, timeout=10,
                         headers={"Content-Type": "application/json",
                                  "X-Hub-Signature-256": meta_signature(body, DEMO_SECRETS[secret_name])})
    assert webhook.status_code == 200, webhook.text
    conversation_id = new_conversation(api, inbox_id=inbox["id"], known=known)

    message = reply_until_settled(api, conversation_id, "Bisa kak, COD tersedia.")

    assert (message["delivery_status"], message["delivery_error"]) == ("sent", "")
    assert re.fullmatch(r"m_layan\d+", message["provider_message_id"])


def test_api_channel_reply_goes_to_the_fake_company_receiver_and_is_sent(demo, api):
    server, _printed, _base = demo
    inbox = inbox_of_kind(api, "api")
    known = conversation_ids(api, inbox["id"])
    body = json.dumps({"message_id": "app-msg-demo-fake-1", "sender": {"id": "pelanggan-0701", "name": "Dewi Lestari"},
                       "text": "Poin saya belum bertambah."}).encode()
    webhook = httpx.post(f"{server.base_url}/hooks/api/{inbox['public_id']}/", content=body, timeout=10, headers={
        "Content-Type": "application/json",
        "X-Layan-Signature": signature_header(body=body, secret=DEMO_SECRETS["LAYAN_DEMO_API_SIGNING_SECRET"])})
    assert webhook.status_code in (200, 201, 202), webhook.text
    conversation_id = new_conversation(api, inbox_id=inbox["id"], known=known)

    message = reply_until_settled(api, conversation_id, "Kami cek dulu ya kak.")

    # The API channel's own id, given only once the receiver (which checks the signature) took it.
    assert (message["delivery_status"], message["delivery_error"]) == ("sent", "")
    assert message["provider_message_id"] == f"layan-{message['id']}"


def test_a_second_server_on_the_same_fake_ports_stops_with_a_clear_error(demo, tmp_path):
    server, _printed, base = demo

    result = subprocess.run([str(LAYAN), "serve", "--port", str(free_port()), "--fake-providers",
                             "--fake-providers-port", str(base)], env=server.env, capture_output=True, text=True,
                            timeout=60, stdin=subprocess.DEVNULL, check=False)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (f"Cannot start the fake WhatsApp Cloud API (Graph API) on 127.0.0.1:{base}: Address already in use."
            in result.stderr)
