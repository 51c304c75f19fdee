"""Bad input to API v1 gets a 4xx in the documented envelope and writes nothing.

``WRITE_ENDPOINTS`` lists every POST, PATCH and DELETE of the OpenAPI document (a completeness
test keeps it so); the transport-level failures (malformed JSON, a body that is not an object,
an oversize body, unknown ids) run against each of them, the domain-level ones are a table.
"""

from __future__ import annotations

import base64
import json
import string
from dataclasses import dataclass

import pytest
from django.test import override_settings

from layan.accounts.actors import Actor
from layan.accounts.models import Agent
from layan.automation.services import create_canned_reply, create_macro, create_rule
from layan.conversations.models import Conversation, Participant
from layan.conversations.services import (
    change_status,
    create_conversation,
    link_conversations,
    merge_conversations,
    reply_to_conversation,
)
from layan.customers.services import IdentityInput, create_customer, merge_customers

MISSING_ID = 987_654_321
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def ids(world) -> dict[str, int]:
    """A small workspace to aim bad requests at: {name: id}."""
    siti = create_customer(actor=world.actor, name="Siti", identities=[
        IdentityInput(kind="email", value="siti@contoh.id"), IdentityInput(kind="phone", value="0812-3456-7890")])
    first = create_conversation(actor=world.actor, inbox=world.email_inbox, customer=siti,
                                subject="Paket belum sampai", text="Halo, paket saya belum sampai.")
    second = create_conversation(actor=world.actor, inbox=world.whatsapp_inbox, subject="Tanya stok",
                                 customer_name="Budi", text="Ada stok?",
                                 customer_identities=[IdentityInput(kind="whatsapp", value="0813-2222-3333")])
    bare = create_customer(actor=world.actor, name="Tanpa Percakapan")
    merged_away = create_customer(actor=world.actor, name="Siti (dobel)")
    merge_customers(actor=world.actor, source=merged_away, target=bare)
    link = link_conversations(actor=world.actor, source=first.conversation, target=second.conversation,
                              kind="related")
    return {
        "conversation": first.conversation.pk,
        # A reply still queued (its delivery runs after commit, which a test transaction never reaches).
        "message": reply_to_conversation(actor=world.actor, conversation=first.conversation, text="Kami cek.")[0].pk,
        "other_conversation": second.conversation.pk,
        "customer": siti.pk,
        "identity": siti.identities.order_by("id").first().pk,
        "other_customer": second.conversation.customer_id,
        "bare_customer": bare.pk,
        "merged_customer": merged_away.pk,
        "link": link.pk,
        "team": world.team.pk,
        "agent": world.other_agent.pk,
        "participant": Participant.objects.create(conversation=first.conversation, address="ani@contoh.id",
                                                  role="cc").address,
        "canned_reply": create_canned_reply(actor=Actor.for_agent(world.supervisor), shortcut="ongkir",
                                            title="Ongkos kirim", text="Halo {customer_name}, ongkir gratis.").pk,
        "rule": create_rule(actor=Actor.for_agent(world.supervisor), name="Tandai", event="conversation_created",
                            actions=[{"type": "add_tags", "value": ["baru"]}]).pk,
        "macro": create_macro(actor=Actor.for_agent(world.supervisor), name="Naikkan",
                              actions=[{"type": "set_priority", "value": "high"}]).pk,
    }


def _placeholders(template: str) -> list[str]:
    return [name for _t, name, _s, _c in string.Formatter().parse(template) if name]


@dataclass(frozen=True)
class Write:
    method: str
    route: str  # as in the OpenAPI document, under /api/v1
    path: str  # the route with object names, filled from ``ids``
    body: object = None  # a valid body, as a function of ids
    ok: int = 200

    def url(self, ids: dict, missing: str | None = None) -> str:
        return self.path.format(**{n: (MISSING_ID if n == missing else ids[n]) for n in _placeholders(self.path)})

    def data(self, ids: dict):
        return self.body(ids) if callable(self.body) else self.body

    def __str__(self):
        return f"{self.method.upper()} {self.route}"


C = "/conversations/{conversation_id}"
NEW_CONVERSATION = {"subject": "Paket belum sampai",
                    "customer": {"name": "Siti", "phone": "0812-3456-7890", "email": "siti@contoh.id"},
                    "message": {"text": "Halo, paket saya belum sampai."}, "priority": "normal"}
WRITE_ENDPOINTS = [
    Write("post", "/teams", "/teams", {"name": "Tim Baru"}, 201),
    Write("patch", "/teams/{team_id}", "/teams/{team}", {"description": "Tim utama"}),
    Write("delete", "/teams/{team_id}", "/teams/{team}", ok=204),
    Write("post", "/inboxes", "/inboxes", {"kind": "sms", "name": "SMS"}, 201),
    Write("post", "/customers", "/customers", {"name": "Rina", "email": "rina@contoh.id"}, 201),
    Write("patch", "/customers/{customer_id}", "/customers/{customer}", {"tier": "gold"}),
    Write("delete", "/customers/{customer_id}", "/customers/{bare_customer}", ok=204),
    Write("post", "/customers/{customer_id}/identities", "/customers/{customer}/identities",
          {"kind": "whatsapp", "value": "0812-3456-7890"}, 201),
    Write("delete", "/customers/{customer_id}/identities/{identity_id}", "/customers/{customer}/identities/{identity}"),
    Write("post", "/customers/{customer_id}/merge", "/customers/{customer}/merge",
          lambda ids: {"source_id": ids["other_customer"]}),
    Write("post", "/conversations", "/conversations", NEW_CONVERSATION, 201),
    Write("patch", C, "/conversations/{conversation}", {"subject": "Paket hilang", "status": "pending"}),
    Write("post", f"{C}/reply", "/conversations/{conversation}/reply", {"text": "Kami cek dulu."}, 201),
    Write("post", f"{C}/notes", "/conversations/{conversation}/notes", {"text": "Cek resi"}, 201),
    Write("post", f"{C}/assign", "/conversations/{conversation}/assign", lambda ids: {"team": ids["team"]}),
    Write("post", f"{C}/merge", "/conversations/{conversation}/merge",
          lambda ids: {"source_id": ids["other_conversation"]}),
    Write("post", f"{C}/tags", "/conversations/{conversation}/tags", {"add": ["pengiriman"]}),
    Write("post", f"{C}/followers", "/conversations/{conversation}/followers", lambda ids: {"agent_id": ids["agent"]}),
    Write("delete", f"{C}/followers/{{agent_id}}", "/conversations/{conversation}/followers/{agent}"),
    Write("delete", f"{C}/participants/{{address}}", "/conversations/{conversation}/participants/{participant}"),
    Write("post", f"{C}/links", "/conversations/{conversation}/links",
          lambda ids: {"target_id": ids["other_conversation"], "kind": "duplicate"}),
    Write("delete", f"{C}/links/{{link_id}}", "/conversations/{conversation}/links/{link}"),
    Write("post", f"{C}/time", "/conversations/{conversation}/time", {"seconds": 600, "note": "telepon"}, 201),
    Write("post", "/messages/{message_id}/retry", "/messages/{message}/retry"),
    Write("post", "/canned-replies", "/canned-replies", {"shortcut": "resi", "title": "Resi", "text": "Cek resi"}, 201),
    Write("patch", "/canned-replies/{canned_reply_id}", "/canned-replies/{canned_reply}", {"title": "Ongkir baru"}),
    Write("delete", "/canned-replies/{canned_reply_id}", "/canned-replies/{canned_reply}", ok=204),
    Write("post", "/automation-rules", "/automation-rules",
          {"name": "Baru", "event": "conversation_created", "actions": [{"type": "set_priority", "value": "high"}]}, 201),
    Write("patch", "/automation-rules/{rule_id}", "/automation-rules/{rule}", {"name": "Tandai baru"}),
    Write("delete", "/automation-rules/{rule_id}", "/automation-rules/{rule}", ok=204),
    Write("post", "/macros", "/macros", {"name": "Tutup", "actions": [{"type": "set_status", "value": "solved"}]}, 201),
    Write("patch", "/macros/{macro_id}", "/macros/{macro}", {"name": "Naikkan prioritas"}),
    Write("delete", "/macros/{macro_id}", "/macros/{macro}", ok=204),
    Write("post", "/macros/{macro_id}/apply", "/macros/{macro}/apply", lambda ids: {"conversation_id": ids["conversation"]}),
    Write("post", "/calls", "/calls", lambda ids: {"customer_id": ids["customer"], "direction": "in",
                                                   "outcome": "answered", "duration_seconds": 95}, 201),
]
WITH_BODY = [w for w in WRITE_ENDPOINTS if w.body is not None]
WITH_PATH_IDS = [(w, name) for w in WRITE_ENDPOINTS for name in _placeholders(w.path)]


def _send(api, method: str, url: str, data=None, headers=None):
    if method == "delete":
        return api.delete(url, headers=headers)
    return getattr(api, method)(url, data, headers=headers)


def _raw(api, method: str, url: str, raw: str | bytes, headers=None):
    return api.client.generic(method.upper(), f"/api/v1{url}", raw, content_type="application/json",
                              **api.headers, **(headers or {}))


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert "Traceback" not in response.content.decode()
    return body["error"]


def test_every_write_endpoint_of_the_api_is_in_the_catalogue(api):
    doc = api.get("/openapi.json").json()
    writes = {(method.upper(), path.removeprefix("/api/v1")) for path, ops in doc["paths"].items()
              for method in ops if method in ("post", "patch", "put", "delete")}
    with_body = {(method.upper(), path.removeprefix("/api/v1")) for path, ops in doc["paths"].items()
                 for method, op in ops.items() if "requestBody" in op}

    assert writes == {(w.method.upper(), w.route) for w in WRITE_ENDPOINTS}
    assert with_body == {(w.method.upper(), w.route) for w in WITH_BODY}


@pytest.mark.parametrize("write", WRITE_ENDPOINTS, ids=str)
def test_every_catalogued_request_succeeds_when_nothing_is_wrong_with_it(write, world, ids):
    """The control for the tests below: what they break is the only thing wrong."""
    response = _send(world.api("admin"), write.method, write.url(ids), write.data(ids))

    assert response.status_code == write.ok, response.content


@pytest.mark.parametrize("raw", ["{not json", '{"text": "Halo"', "{'text': 'Halo'}", '{"text": "Halo"}}',
                                 b"\xff\xfe{}", "NaN-ish"], ids=["garbage", "truncated", "single-quotes",
                                                                  "trailing-brace", "not-utf8", "bare-word"])
@pytest.mark.parametrize("write", WITH_BODY, ids=str)
def test_malformed_json_gets_400_malformed_json_and_writes_nothing(write, raw, world, ids, database_rows):
    before = database_rows()

    response = _raw(world.api("admin"), write.method, write.url(ids), raw)

    error = _error(response, 400, "malformed_json")
    assert error["field"] is None
    assert database_rows() == before


@pytest.mark.parametrize("raw", ["[]", "[{}]", "null", '"Halo"', "42", "true"])
@pytest.mark.parametrize("write", WITH_BODY, ids=str)
def test_a_body_that_is_not_a_json_object_gets_422_and_writes_nothing(write, raw, world, ids, database_rows):
    before = database_rows()

    response = _raw(world.api("admin"), write.method, write.url(ids), raw)

    error = _error(response, 422, "validation_error")
    assert error["details"]
    assert database_rows() == before


@pytest.mark.parametrize("write", WITH_BODY, ids=str)
def test_oversize_body_gets_413_payload_too_large_and_writes_nothing(write, world, ids, database_rows):
    padded = {**write.data(ids), "padding": "x" * 4096}  # unknown keys are ignored: only the size is wrong
    before = database_rows()

    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048):
        response = _send(world.api("admin"), write.method, write.url(ids), padded)

    _error(response, 413, "payload_too_large")
    assert database_rows() == before
    assert _send(world.api("admin"), write.method, write.url(ids), padded).status_code == write.ok


@pytest.mark.parametrize(("write", "name"), WITH_PATH_IDS, ids=[f"{w} {n}" for w, n in WITH_PATH_IDS])
def test_unknown_id_in_the_path_gets_404_not_found_and_writes_nothing(write, name, world, ids, database_rows):
    before = database_rows()

    response = _send(world.api("admin"), write.method, write.url(ids, missing=name), write.data(ids))

    _error(response, 404, "not_found")
    assert database_rows() == before


@pytest.mark.parametrize("write", [w for w in WRITE_ENDPOINTS if _placeholders(w.path)], ids=str)
def test_an_id_too_large_for_any_row_gets_404_not_a_crash(write, world, ids, database_rows):
    first = _placeholders(write.path)[0]
    url = write.path.format(**{n: (2**70 if n == first else ids[n]) for n in _placeholders(write.path)})
    before = database_rows()

    response = _send(world.api("admin"), write.method, url, write.data(ids))

    _error(response, 404, "not_found")
    assert database_rows() == before


# --- the schema: missing fields and wrong types (422 with details) ---------------------------

MISSING = [
    ("post", "/teams", {"name"}),
    ("post", "/inboxes", {"kind", "name"}),
    ("post", "/customers/{customer}/identities", {"kind", "value"}),
    ("post", "/customers/{customer}/merge", {"source_id"}),
    ("post", "/conversations", {"customer", "message"}),
    ("post", "/conversations/{conversation}/notes", {"text"}),
    ("post", "/conversations/{conversation}/merge", {"source_id"}),
    ("post", "/conversations/{conversation}/followers", {"agent_id"}),
    ("post", "/conversations/{conversation}/links", {"target_id", "kind"}),
    ("post", "/conversations/{conversation}/time", {"seconds"}),
    ("post", "/canned-replies", {"shortcut", "title", "text"}),
    ("post", "/automation-rules", {"name", "event", "actions"}),
    ("post", "/macros", {"name", "actions"}),
    ("post", "/macros/{macro}/apply", {"conversation_id"}),
]


@pytest.mark.parametrize(("method", "path", "fields"), MISSING, ids=[f"{m.upper()} {p}" for m, p, _f in MISSING])
def test_missing_required_fields_get_422_naming_each_of_them(method, path, fields, world, ids, database_rows):
    before = database_rows()

    response = _send(world.api("admin"), method, path.format(**ids), {})

    error = _error(response, 422, "validation_error")
    assert {d["field"] for d in error["details"]} == fields
    assert error["field"] in fields
    assert database_rows() == before


WRONG_TYPES = [
    ("post", "/teams", {"name": 5}, "name"),
    ("post", "/teams", {"name": "Tim", "member_ids": "semua"}, "member_ids"),
    ("patch", "/teams/{team}", {"member_ids": ["budi"]}, "member_ids.0"),
    ("patch", "/teams/{team}", {"name": ""}, "name"),
    ("post", "/inboxes", {"kind": "fax", "name": "Fax"}, "kind"),
    ("post", "/inboxes", {"kind": "sms", "name": "SMS", "reopen_window_days": "seminggu"}, "reopen_window_days"),
    ("post", "/inboxes", {"kind": "sms", "name": "SMS", "reopen_window_days": 366}, "reopen_window_days"),
    ("post", "/customers", {"name": ["Siti"]}, "name"),
    ("post", "/customers", {"tier": "platinum"}, "tier"),
    ("post", "/customers", {"tags": "vip"}, "tags"),
    ("post", "/customers", {"consent": {"fax": True}}, "consent.fax.[key]"),
    ("post", "/customers", {"identities": [{"kind": "email"}]}, "identities.0.value"),
    ("post", "/customers", {"identities": ["siti@contoh.id"]}, "identities.0"),
    ("patch", "/customers/{customer}", {"attributes": ["a"]}, "attributes"),
    ("patch", "/customers/{customer}", {"language": "jv"}, "language"),
    ("post", "/customers/{customer}/identities", {"kind": "pager", "value": "123"}, "kind"),
    ("post", "/customers/{customer}/merge", {"source_id": "dua"}, "source_id"),
    ("post", "/conversations", {**NEW_CONVERSATION, "customer": "Siti"}, "customer"),
    ("post", "/conversations", {**NEW_CONVERSATION, "message": "Halo"}, "message"),
    ("post", "/conversations", {**NEW_CONVERSATION, "priority": "segera"}, "priority"),
    ("post", "/conversations", {**NEW_CONVERSATION, "team": "cs"}, "team"),
    ("post", "/conversations", {**NEW_CONVERSATION, "message": {"text": "Halo", "attachments": [
        {"content_base64": "aGFsbw=="}]}}, "message.attachments.0.filename"),
    ("post", "/conversations", {**NEW_CONVERSATION, "message": {"text": "Halo", "attachments": [
        {"filename": "a.txt", "content_base64": "aGFsbw=="}] * 21}}, "message.attachments"),
    ("post", "/conversations", {**NEW_CONVERSATION, "subject": "x" * 301}, "subject"),
    ("patch", "/conversations/{conversation}", {"status": "done"}, "status"),
    ("patch", "/conversations/{conversation}", {"tags": "vip"}, "tags"),
    ("patch", "/conversations/{conversation}", {"custom_fields": ["a"]}, "custom_fields"),
    ("post", "/conversations/{conversation}/reply", {"text": ["Halo"]}, "text"),
    ("post", "/conversations/{conversation}/reply", {"text": "x" * 100_001}, "text"),
    ("post", "/conversations/{conversation}/reply", {"text": "Halo", "status": "selesai"}, "status"),
    ("post", "/conversations/{conversation}/notes", {"text": ""}, "text"),
    ("post", "/conversations/{conversation}/notes", {"text": "Cek", "mention_ids": ["budi"]}, "mention_ids.0"),
    ("post", "/conversations/{conversation}/assign", {"assignee": "budi"}, "assignee"),
    ("post", "/conversations/{conversation}/merge", {"source_id": [1]}, "source_id"),
    ("post", "/conversations/{conversation}/tags", {"add": "vip"}, "add"),
    ("post", "/conversations/{conversation}/followers", {"agent_id": None}, "agent_id"),
    ("post", "/conversations/{conversation}/links", {"target_id": 1, "kind": "parent"}, "kind"),
    ("post", "/conversations/{conversation}/time", {"seconds": "sejam"}, "seconds"),
    ("post", "/conversations/{conversation}/time", {"seconds": 0}, "seconds"),
    ("post", "/conversations/{conversation}/time", {"seconds": 86_401}, "seconds"),
    ("post", "/canned-replies", {"shortcut": ["cod"], "title": "COD", "text": "Bisa"}, "shortcut"),
    ("post", "/canned-replies", {"shortcut": "cod", "title": "COD", "text": "Bisa", "team_id": "cs"}, "team_id"),
    ("post", "/canned-replies", {"shortcut": "cod", "title": "COD", "text": "Bisa", "language": "jv"}, "language"),
    ("patch", "/canned-replies/{canned_reply}", {"text": 5}, "text"),
    ("post", "/automation-rules", {"name": "R", "event": "sometimes", "actions": []}, "event"),
    ("post", "/automation-rules", {"name": "R", "event": "time_based", "actions": [], "delay_minutes": 0},
     "delay_minutes"),
    ("patch", "/automation-rules/{rule}", {"actions": "semua"}, "actions"),
    ("post", "/macros", {"name": "M", "actions": {"type": "set_status"}}, "actions"),
    ("post", "/macros/{macro}/apply", {"conversation_id": "satu"}, "conversation_id"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), WRONG_TYPES,
                         ids=[f"{m.upper()} {p} {f}" for m, p, _b, f in WRONG_TYPES])
def test_wrong_types_and_out_of_range_values_get_422_naming_the_field(method, path, body, field, world, ids,
                                                                      database_rows):
    before = database_rows()

    response = _send(world.api("admin"), method, path.format(**ids), body)

    error = _error(response, 422, "validation_error")
    assert field in {d["field"] for d in error["details"]}, error
    assert all(d["message"] for d in error["details"])
    assert database_rows() == before


def test_idempotency_key_longer_than_128_characters_gets_422(world, database_rows):
    before = database_rows()

    response = world.api("admin").post("/conversations", NEW_CONVERSATION, headers={"HTTP_IDEMPOTENCY_KEY": "k" * 129})

    error = _error(response, 422, "validation_error")
    assert error["field"] == "Idempotency-Key"
    assert database_rows() == before


# --- the domain: values the schema accepts but the domain does not (400) ----------------------

def _attachment(size: int, name: str = "foto.jpg") -> dict:
    return {"filename": name, "content_type": "image/jpeg", "content_base64": base64.b64encode(b"x" * size).decode()}


DOMAIN_ERRORS = [
    # label, method, path, body, status, code, field
    ("customer email", "post", "/customers", {"name": "Siti", "email": "not-an-email"}, 400, "invalid_identity",
     "email"),
    ("customer phone", "post", "/customers", {"name": "Siti", "phone": "12"}, 400, "invalid_identity", "phone"),
    ("customer whatsapp", "post", "/customers", {"name": "Siti", "whatsapp": "12"}, 400, "invalid_identity", "phone"),
    ("customer identity list", "post", "/customers", {"identities": [{"kind": "email", "value": "not-an-email"}]},
     400, "invalid_identity", "email"),
    ("customer telegram control chars", "post", "/customers", {"identities": [{"kind": "telegram", "value": "a\x07b"}]},
     400, "invalid_identity", "value"),
    ("identity email", "post", "/customers/{customer}/identities", {"kind": "email", "value": "not-an-email"}, 400,
     "invalid_identity", "value"),
    ("identity phone", "post", "/customers/{customer}/identities", {"kind": "phone", "value": "12"}, 400,
     "invalid_identity", "value"),
    ("conversation customer email", "post", "/conversations",
     {**NEW_CONVERSATION, "customer": {"name": "Siti", "email": "not-an-email"}}, 400, "invalid_identity", None),
    ("conversation customer phone", "post", "/conversations",
     {**NEW_CONVERSATION, "customer": {"name": "Siti", "phone": "12"}}, 400, "invalid_identity", None),
    ("conversation without customer identity", "post", "/conversations",
     {**NEW_CONVERSATION, "customer": {"name": "Siti"}}, 400, "invalid_input", "customer"),
    ("conversation without message", "post", "/conversations", {**NEW_CONVERSATION, "message": {"text": "  "}}, 400,
     "invalid_input", "message.text"),
    ("conversation empty tag", "post", "/conversations", {**NEW_CONVERSATION, "tags": ["ok", " "]}, 400,
     "invalid_input", "tags"),
    ("conversation tag too long", "post", "/conversations", {**NEW_CONVERSATION, "tags": ["t" * 65]}, 400,
     "invalid_input", "tags"),
    ("conversation attachment not base64", "post", "/conversations",
     {**NEW_CONVERSATION, "message": {"text": "Halo", "attachments": [
         {"filename": "a.txt", "content_base64": "bukan base64!"}]}}, 400, "invalid_input", "attachments"),
    ("customer unknown timezone", "post", "/customers", {"name": "Siti", "timezone": "Mars/Olympus"}, 400,
     "invalid_input", "timezone"),
    ("customer taken email", "post", "/customers", {"name": "Siti 2", "email": "SITI@contoh.id"}, 409, "duplicate",
     "email"),
    ("identity taken by another customer", "post", "/customers/{other_customer}/identities",
     {"kind": "phone", "value": "+62 812 3456 7890"}, 409, "duplicate", "value"),
    ("identity for a customer merged into another", "post", "/customers/{merged_customer}/identities",
     {"kind": "email", "value": "siti.lama@contoh.id"}, 409, "customer_merged", "customer"),
    ("team name taken", "post", "/teams", {"name": "Customer Care"}, 409, "duplicate", "name"),
    ("team renamed to a taken name", "patch", "/teams/{team}", {"name": "Customer Care"}, 409, "duplicate", "name"),
    ("inbox name taken", "post", "/inboxes", {"kind": "email", "name": "Email dukungan"}, 409, "duplicate", "name"),
    ("empty reply", "post", "/conversations/{conversation}/reply", {"text": "   "}, 400, "invalid_input", "text"),
    ("reply to a bad address", "post", "/conversations/{conversation}/reply",
     {"text": "Halo", "to": ["not-an-email"]}, 400, "invalid_identity", "to"),
    ("reply cc to a bad address", "post", "/conversations/{conversation}/reply",
     {"text": "Halo", "cc": ["siti@"]}, 400, "invalid_identity", "cc"),
    ("reply bcc to a bad address", "post", "/conversations/{conversation}/reply",
     {"text": "Halo", "bcc": ["@contoh.id"]}, 400, "invalid_identity", "bcc"),
    ("reply with a header injection", "post", "/conversations/{conversation}/reply",
     {"text": "Halo", "cc": ["a@contoh.id\r\nBcc: x@jahat.id"]}, 400, "invalid_input", "cc"),
    ("cc on whatsapp", "post", "/conversations/{other_conversation}/reply", {"text": "Halo", "cc": ["a@contoh.id"]},
     400, "invalid_input", "cc"),
    ("blank note", "post", "/conversations/{conversation}/notes", {"text": "   "}, 400, "invalid_input", "text"),
    ("assign nothing", "post", "/conversations/{conversation}/assign", {}, 400, "invalid_input", "assignee"),
    ("assign outside the team", "post", "/conversations/{conversation}/assign",
     {"assignee": "AGENT", "team": "TEAM"}, 400, "invalid_input", "assignee"),
    ("merge into itself", "post", "/conversations/{conversation}/merge", {"source_id": "CONVERSATION"}, 400,
     "invalid_input", None),
    ("link to itself", "post", "/conversations/{conversation}/links",
     {"target_id": "CONVERSATION", "kind": "related"}, 400, "invalid_input", "target"),
    ("merge customer into itself", "post", "/customers/{customer}/merge", {"source_id": "CUSTOMER"}, 400,
     "invalid_input", None),
    ("delete customer with conversations", "delete", "/customers/{customer}", None, 409, "conflict", "customer"),
    ("unknown merge source", "post", "/conversations/{conversation}/merge", {"source_id": MISSING_ID}, 404,
     "not_found", None),
    ("unknown link target", "post", "/conversations/{conversation}/links",
     {"target_id": MISSING_ID, "kind": "related"}, 404, "not_found", None),
    ("unknown follower", "post", "/conversations/{conversation}/followers", {"agent_id": MISSING_ID}, 404,
     "not_found", None),
    ("unknown mention", "post", "/conversations/{conversation}/notes", {"text": "Cek", "mention_ids": [MISSING_ID]},
     404, "not_found", None),
    ("unknown assignee", "post", "/conversations/{conversation}/assign", {"assignee": MISSING_ID}, 404, "not_found",
     None),
    ("unknown customer merge source", "post", "/customers/{customer}/merge", {"source_id": MISSING_ID}, 404,
     "not_found", None),
    ("unknown team member", "post", "/teams", {"name": "Tim", "member_ids": [MISSING_ID]}, 404, "not_found", None),
    ("unknown default team", "post", "/inboxes", {"kind": "sms", "name": "SMS", "default_team_id": MISSING_ID}, 404,
     "not_found", None),
    ("unknown inbox", "post", "/conversations", {**NEW_CONVERSATION, "inbox": MISSING_ID}, 404, "not_found", None),
    ("unknown customer id", "post", "/conversations", {**NEW_CONVERSATION, "customer": {"id": MISSING_ID}}, 404,
     "not_found", None),
    ("canned shortcut taken", "post", "/canned-replies", {"shortcut": "ongkir", "title": "Lagi", "text": "Isi"}, 409,
     "duplicate", "shortcut"),
    ("canned shortcut with a space", "post", "/canned-replies", {"shortcut": "cek resi", "title": "R", "text": "Isi"},
     400, "invalid_input", "shortcut"),
    ("canned shortcut with punctuation", "post", "/canned-replies", {"shortcut": "resi?", "title": "R", "text": "Isi"},
     400, "invalid_input", "shortcut"),
    ("canned empty text", "post", "/canned-replies", {"shortcut": "resi", "title": "Resi", "text": " "}, 400,
     "invalid_input", "text"),
    ("canned oversize text", "post", "/canned-replies", {"shortcut": "resi", "title": "Resi", "text": "x" * 10_001},
     400, "invalid_input", "text"),
    ("canned empty text on update", "patch", "/canned-replies/{canned_reply}", {"text": ""}, 400, "invalid_input",
     "text"),
    ("canned unknown team", "post", "/canned-replies",
     {"shortcut": "resi", "title": "Resi", "text": "Isi", "team_id": MISSING_ID}, 404, "not_found", "team"),
]


def _names(ids: dict, world) -> dict:
    return {"AGENT": world.other_agent.pk, "TEAM": world.team.pk, "CONVERSATION": ids["conversation"],
            "CUSTOMER": ids["customer"]}


def _fill(body, names: dict):
    if isinstance(body, dict):
        return {k: _fill(v, names) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill(v, names) for v in body]
    return names.get(body, body) if isinstance(body, str) else body


@pytest.mark.parametrize(("label", "method", "path", "body", "status", "code", "field"), DOMAIN_ERRORS,
                         ids=[row[0] for row in DOMAIN_ERRORS])
def test_values_the_domain_refuses_get_a_clear_error_and_write_nothing(label, method, path, body, status, code, field,
                                                                      world, ids, database_rows):
    before = database_rows()

    response = _send(world.api("admin"), method, path.format(**ids), _fill(body, _names(ids, world)), ENGLISH)

    error = _error(response, status, code)
    if field is not None:
        assert error["field"] == field
    assert database_rows() == before


@pytest.mark.parametrize(("path", "field"), [("/conversations", "message.text"),
                                             ("/conversations/{conversation}/reply", "text")])
def test_message_text_longer_than_the_limit_is_refused(path, field, world, ids, database_rows, settings):
    settings.LAYAN_MAX_MESSAGE_CHARS = 10
    body = {**NEW_CONVERSATION, "message": {"text": "x" * 11}} if path == "/conversations" else {"text": "x" * 11}
    before = database_rows()

    response = world.api("admin").post(path.format(**ids), body)

    assert _error(response, 400, "invalid_input")["field"] == field
    assert database_rows() == before


@pytest.mark.parametrize("path", ["/conversations", "/conversations/{conversation}/reply"])
def test_attachment_over_the_size_limit_gets_400_attachment_too_large(path, world, ids, database_rows):
    files = [_attachment(16, "kecil.jpg"), _attachment(17, "besar.jpg")]
    body = ({**NEW_CONVERSATION, "message": {"text": "Foto", "attachments": files}} if path == "/conversations"
            else {"text": "Foto", "attachments": files})
    before = database_rows()

    with override_settings(LAYAN_MAX_ATTACHMENT_BYTES=16):
        response = world.api("admin").post(path.format(**ids), body, headers=ENGLISH)
        within = world.api("admin").post(path.format(**ids), {**body, **(
            {"message": {"text": "Foto", "attachments": files[:1]}} if path == "/conversations"
            else {"attachments": files[:1]})})

    error = _error(response, 400, "attachment_too_large")
    assert error["field"] == "attachments"
    assert "besar.jpg" in error["message"]
    assert within.status_code == 201, within.content
    assert {k: v for k, v in database_rows().items() if "Attachment" in k} != {
        k: v for k, v in before.items() if "Attachment" in k}


def test_assigning_a_deactivated_agent_is_refused(world, ids, database_rows):
    Agent.objects.filter(pk=world.other_agent.pk).update(is_active=False)
    before = database_rows()

    response = world.api("admin").post(f"/conversations/{ids['conversation']}/assign",
                                       {"assignee": world.other_agent.pk}, headers=ENGLISH)

    error = _error(response, 400, "invalid_input")
    assert error["field"] == "assignee"
    assert "deactivated" in error["message"]
    assert database_rows() == before


@pytest.mark.parametrize(("extra", "why"), [
    ({"assignee": "AGENT"}, "deactivated"),
    ({"assignee": "AGENT", "team": "TEAM"}, "member"),
], ids=["deactivated-assignee", "assignee-outside-team"])
def test_opening_a_conversation_checks_the_assignee_as_assignment_does(extra, why, world, database_rows):
    if why == "deactivated":
        Agent.objects.filter(pk=world.other_agent.pk).update(is_active=False)
    before = database_rows()

    response = world.api("admin").post("/conversations", {**NEW_CONVERSATION, **_fill(extra, {
        "AGENT": world.other_agent.pk, "TEAM": world.team.pk})}, headers=ENGLISH)

    error = _error(response, 400, "invalid_input")
    assert error["field"] == "assignee"
    assert why in error["message"]
    assert database_rows() == before


# --- cursors and list parameters -------------------------------------------------------------

def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


LISTS = ["/conversations", "/customers", "/customers/{customer}/conversations", "/conversations/{conversation}/messages"]


@pytest.mark.parametrize("cursor", ["!!!", "bm90IGpzb24", _cursor({"id": 1}), _cursor([1, 2, 3]), _cursor("x"),
                                    "x" * 500], ids=["symbols", "base64-not-json", "object", "too-many-values",
                                                     "string", "long"])
@pytest.mark.parametrize("path", LISTS)
def test_a_cursor_not_issued_by_the_endpoint_gets_400_invalid_cursor(path, cursor, world, ids):
    response = world.api("admin").get(path.format(**ids), {"cursor": cursor})

    assert _error(response, 400, "invalid_cursor")["field"] == "cursor"


def test_a_cursor_of_another_sort_gets_400_invalid_cursor(world, ids, receive):
    for n in range(3):
        receive(world.email_inbox, f"pelanggan{n}@contoh.id")
    api = world.api("admin")
    by_update = api.get("/conversations", {"sort": "-updated", "limit": 1}).json()["next_cursor"]
    by_creation = api.get("/conversations", {"sort": "-created", "limit": 1}).json()["next_cursor"]

    assert api.get("/conversations", {"sort": "-created", "cursor": by_update}).json()["error"]["code"] == (
        "invalid_cursor")
    assert api.get("/conversations", {"sort": "-updated", "cursor": by_creation}).json()["error"]["code"] == (
        "invalid_cursor")
    assert api.get("/conversations", {"sort": "-updated", "cursor": _cursor(["bukan tanggal", 1])}).json()[
        "error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize(("params", "status", "code", "field"), [
    ({"limit": 0}, 400, "invalid_input", "limit"),
    ({"limit": 101}, 400, "invalid_input", "limit"),
    ({"limit": "banyak"}, 422, "validation_error", "limit"),
    ({"status": "open,selesai"}, 400, "invalid_input", "status"),
    ({"priority": "segera"}, 400, "invalid_input", "priority"),
    ({"assignee": "saya"}, 400, "invalid_input", "assignee"),
    ({"sort": "subject"}, 400, "invalid_input", "sort"),
    ({"team": "cs"}, 422, "validation_error", "team"),
    ({"q": "x" * 201}, 422, "validation_error", "q"),
], ids=lambda v: "&".join(f"{k}={str(x)[:10]}" for k, x in v.items()) if isinstance(v, dict) else None)
def test_bad_list_parameters_get_a_clear_error(params, status, code, field, world):
    response = world.api("admin").get("/conversations", params)

    assert _error(response, status, code)["field"] == field


# --- states that refuse a change (409) -------------------------------------------------------

@pytest.fixture
def closed(world, ids) -> int:
    conversation = Conversation.objects.get(pk=ids["conversation"])
    change_status(actor=world.actor, conversation=conversation, status="solved")
    change_status(actor=world.actor, conversation=conversation, status="closed")
    return conversation.pk


@pytest.mark.parametrize("target", ["open", "pending", "on_hold", "solved", "new"])
def test_a_closed_conversation_refuses_every_status_change_with_409(target, world, closed, database_rows):
    before = database_rows()

    response = world.api("admin").patch(f"/conversations/{closed}", {"status": target, "subject": "Dibuka lagi"},
                                        headers=ENGLISH)

    error = _error(response, 409, "illegal_status_transition")
    assert error["field"] == "status"
    label = {"open": "Open", "pending": "Pending on customer", "on_hold": "On hold", "solved": "Solved",
             "new": "New"}[target]
    assert error["message"] == f"A Closed conversation cannot become {label}."
    assert database_rows() == before  # all or nothing: the subject did not change either


@pytest.mark.parametrize(("path", "status"), [("/conversations/{conversation}", "solved"),
                                              ("/conversations/{conversation}/reply", "new")])
def test_an_illegal_status_move_is_refused_with_409_and_nothing_else_changes(path, status, world, ids,
                                                                             database_rows):
    api = world.api("admin")
    assert api.patch(f"/conversations/{ids['conversation']}", {"status": "solved"}).status_code == 200
    if status == "solved":
        status = "pending"  # solved -> open or closed only
    before = database_rows()

    body = {"status": status, "subject": "Baru"} if path.endswith("}") else {"text": "Halo lagi", "status": status}
    send = api.patch if path.endswith("}") else api.post
    response = send(path.format(**ids), body, headers=ENGLISH)

    error = _error(response, 409, "illegal_status_transition")
    assert error["message"].startswith("A Solved conversation cannot become ")
    assert database_rows() == before  # no message, no outbox item, no audit entry


@pytest.mark.parametrize(("path", "body"), [
    ("/conversations/{closed}/reply", {"text": "Halo?"}),
    ("/conversations/{closed}/merge", {"source_id": "OTHER"}),
    ("/conversations/{other_conversation}/merge", {"source_id": "CLOSED"}),
], ids=["reply", "merge-into-closed", "merge-closed-away"])
def test_a_closed_conversation_refuses_replies_and_merging_with_409_conversation_closed(path, body, world, ids, closed,
                                                                                       database_rows):
    names = {"OTHER": ids["other_conversation"], "CLOSED": closed}
    before = database_rows()

    response = world.api("admin").post(path.format(closed=closed, **ids), _fill(body, names))

    _error(response, 409, "conversation_closed")
    assert database_rows() == before


MERGED_REFUSES = [
    ("patch", "", {"status": "open"}),
    ("patch", "", {"subject": "Baru"}),
    ("patch", "", {"priority": "urgent"}),
    ("post", "/reply", {"text": "Halo"}),
    ("post", "/notes", {"text": "Catatan"}),
    ("post", "/assign", {"team": "TEAM"}),
    ("post", "/tags", {"add": ["vip"]}),
    ("post", "/followers", {"agent_id": "AGENT"}),
    ("post", "/links", {"target_id": "TARGET", "kind": "related"}),
    ("post", "/time", {"seconds": 60}),
    ("post", "/merge", {"source_id": "THIRD"}),
]


@pytest.mark.parametrize(("method", "suffix", "body"), MERGED_REFUSES,
                         ids=[f"{m.upper()} {s or '/'} {next(iter(b))}" for m, s, b in MERGED_REFUSES])
def test_a_merged_conversation_refuses_changes_with_409_conversation_merged(method, suffix, body, world, ids,
                                                                           database_rows):
    merged, target = (Conversation.objects.get(pk=ids[k]) for k in ("conversation", "other_conversation"))
    merge_conversations(actor=world.actor, source=merged, target=target)
    third = create_conversation(actor=world.actor, customer_name="Rina", subject="Lain", text="Halo",
                                customer_identities=[IdentityInput(kind="email", value="rina@contoh.id")])
    names = {"TEAM": world.team.pk, "AGENT": world.other_agent.pk, "TARGET": target.pk,
             "THIRD": third.conversation.pk}
    before = database_rows()

    response = _send(world.api("admin"), method, f"/conversations/{merged.pk}{suffix}", _fill(body, names), ENGLISH)

    error = _error(response, 409, "conversation_merged")
    assert f"#{merged.number}" in error["message"]
    assert database_rows() == before


def test_merging_a_merged_conversation_into_another_gets_409_conversation_merged(world, ids, database_rows):
    merged, target = (Conversation.objects.get(pk=ids[k]) for k in ("conversation", "other_conversation"))
    merge_conversations(actor=world.actor, source=merged, target=target)
    before = database_rows()

    response = world.api("admin").post(f"/conversations/{target.pk}/merge", {"source_id": merged.pk})

    _error(response, 409, "conversation_merged")
    assert database_rows() == before


def test_merging_an_already_merged_customer_gets_409_customer_merged(world, ids, database_rows):
    keep, gone = (create_customer(actor=world.actor, name=n) for n in ("Rina", "Rina A."))
    merge_customers(actor=world.actor, source=gone, target=keep)
    before = database_rows()

    response = world.api("admin").post(f"/customers/{ids['customer']}/merge", {"source_id": gone.pk})

    _error(response, 409, "customer_merged")
    assert database_rows() == before


@pytest.mark.parametrize("write", [w for w in WITH_BODY if w.method != "delete"], ids=str)
def test_an_empty_object_never_writes_more_than_the_endpoint_promises(write, world, ids, database_rows):
    """``{}`` is either refused (4xx, nothing written) or a valid request that changes nothing but
    what the endpoint creates: PATCH and the tag/assign endpoints with nothing to do write nothing."""
    before = database_rows()

    response = _send(world.api("admin"), write.method, write.url(ids), {})

    if write.method == "patch" or write.route.endswith("/tags"):
        assert response.status_code == 200, response.content
        assert database_rows() == before
    elif response.status_code >= 400:
        assert set(response.json()) == {"error"}
        assert database_rows() == before
    else:
        assert write.route == "/customers"  # a customer may start without name or identities


def test_nul_characters_in_bodies_and_query_strings_are_dropped_not_a_server_error(world):
    api = world.api("admin")
    created = api.post("/conversations", {"subject": "Paket\u0000 belum sampai",
                                          "customer": {"name": "Siti\u0000", "email": "siti@contoh.id"},
                                          "message": {"text": "Halo\u0000"}})
    assert created.status_code == 201, created.content
    assert (created.json()["subject"], created.json()["customer"]["name"]) == ("Paket belum sampai", "Siti")

    found = api.get("/conversations", {"q": "Paket\x00"})
    assert found.status_code == 200, found.content
    assert [c["id"] for c in found.json()["items"]] == [created.json()["id"]]
