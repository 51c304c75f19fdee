"""Workspace isolation of API v1: nothing of another workspace can be read, changed or probed.

Every endpoint that takes an id is listed in ``PATH_ID_CASES`` and every id-valued body field or
list filter in ``BODY_ID_CASES`` / ``FILTER_CASES``; the completeness tests read the OpenAPI
document and fail when an endpoint or an id field is missing from them, so a new endpoint has to
be added here. A caller of workspace A gets 404 ``not_found`` for B's objects — the very answer
it gets for an id that does not exist — and nothing is written in either workspace.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import pytest

from layan.accounts.actors import Actor
from layan.accounts.services import create_agent
from layan.automation.services import create_canned_reply, create_macro, create_rule
from layan.connectors.base import InboundAttachment
from layan.connectors.ingress import process_inbound_event, store_raw_email
from layan.connectors.voice.services import log_call
from layan.conversations.models import Message, Participant
from layan.conversations.services import (
    add_follower,
    create_conversation,
    link_conversations,
    log_time,
    reply_to_conversation,
)
from layan.customers.services import IdentityInput, create_customer

MISSING_ID = 987_654_321
SECRET = "Rahasia"


def populate(world) -> dict[str, int]:
    """Give ``world`` one of everything an id can point at; returns the ids by name."""
    ws = world.workspace.slug
    first = create_conversation(
        actor=world.actor, inbox=world.email_inbox, subject=f"{SECRET} {ws}", customer_name="Tono",
        customer_identities=[IdentityInput(kind="email", value=f"tono@{ws}.id")],
        text=f"{SECRET}: nomor rekening {ws}", team=world.team, assignee=world.agent, tags=[f"tag-{ws}"],
        attachments=[InboundAttachment(filename="nota.pdf", content_type="application/pdf",
                                       content=b"%PDF-1.4 " + SECRET.encode())],
    )
    second = create_conversation(
        actor=world.actor, subject=f"Kedua {ws}", customer_name="Tini",
        customer_identities=[IdentityInput(kind="email", value=f"tini@{ws}.id")], text="Halo",
    )
    conversation = first.conversation
    link = link_conversations(actor=world.actor, source=conversation, target=second.conversation, kind="related")
    add_follower(actor=world.actor, conversation=conversation, agent=world.other_agent)
    log_time(actor=world.actor, conversation=conversation, seconds=300, note="telepon")
    bare = create_customer(actor=world.actor, name="Tanpa Percakapan",
                           identities=[IdentityInput(kind="phone", value="0813-1111-0000")])
    supervisor = Actor.for_agent(world.supervisor)
    canned = create_canned_reply(actor=supervisor, shortcut="rekening", title=f"{SECRET} {ws}",
                                 text=f"{SECRET}: transfer ke rekening {ws}")
    team_canned = create_canned_reply(actor=supervisor, shortcut="tim", title="Untuk tim", text="Jawaban tim",
                                      team=world.team)
    return {
        "conversation": conversation.pk,
        "other_conversation": second.conversation.pk,
        "message": first.message.pk,
        # Still queued: its delivery runs after commit, which a test transaction never reaches.
        "reply": reply_to_conversation(actor=world.actor, conversation=conversation, text="Kami cek.")[0].pk,
        "attachment": first.message.attachments.get().pk,
        "link": link.pk,
        "customer": conversation.customer_id,
        "identity": conversation.customer.identities.get().pk,
        "other_customer": second.conversation.customer_id,
        "bare_customer": bare.pk,
        "team": world.team.pk,
        "other_team": world.other_team.pk,
        "agent": world.other_agent.pk,
        "inbox": conversation.inbox_id,
        "participant": Participant.objects.create(conversation=conversation, address=f"ani@{ws}.id", role="cc").address,
        "received_mail": _received_mail(world, conversation),
        "canned_reply": canned.pk,
        "team_canned_reply": team_canned.pk,
        "rule": create_rule(actor=supervisor, name=f"{SECRET} rule", event="conversation_created",
                            actions=[{"type": "add_tags", "value": ["baru"]}]).pk,
        "macro": create_macro(actor=supervisor, name=f"{SECRET} macro",
                              actions=[{"type": "set_priority", "value": "high"}]).pk,
        "call": log_call(actor=world.actor, customer=conversation.customer, direction="in", number="+6281234567890",
                         duration_seconds=60, outcome="answered", conversation=conversation).pk,
    }


def _received_mail(world, conversation) -> int:
    """A message made from a raw mail (so it has a source to download), in ``conversation``."""
    raw = (f"From: tono@{world.workspace.slug}.id\r\nSubject: Re: {SECRET} [#{conversation.number}]\r\n\r\n"
           "Halo lagi\r\n").encode()
    event, _created = store_raw_email(inbox=world.email_inbox, source="test", raw=raw)
    process_inbound_event(event_id=event.pk)
    return Message.objects.get(source_event=event).pk


@pytest.fixture
def ids(world) -> dict[str, int]:
    return populate(world)


@pytest.fixture
def foreign_ids(other_world) -> dict[str, int]:
    return populate(other_world)


def _placeholders(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


@dataclass(frozen=True)
class PathCase:
    """One request to an endpoint with ids in its path.

    ``route`` is the operation as the OpenAPI document names it; ``path`` fills it with objects
    by name; ``foreign`` names the placeholders that get the other workspace's ids (all of them
    unless given); ``body`` builds a valid body from the caller's own ids, so that only the path
    is foreign; ``role`` is the role the endpoint needs before it looks at the id."""

    method: str
    route: str
    path: str
    body: object = None
    foreign: frozenset[str] | None = None
    role: str = "agent"
    label: str = ""

    @property
    def foreign_names(self) -> set[str]:
        return set(self.foreign) if self.foreign is not None else _placeholders(self.path)

    def url(self, own: dict, other: dict | None) -> str:
        """The path with the foreign names taken from ``other`` (None: an id that exists nowhere)."""
        values = {name: (own[name] if name not in self.foreign_names else
                         (MISSING_ID if other is None else other[name]))
                  for name in _placeholders(self.path)}
        return self.path.format(**values)

    def data(self, own: dict):
        return self.body(own) if callable(self.body) else self.body

    def __str__(self):
        return f"{self.method.upper()} {self.route}{' ' + self.label if self.label else ''}"


C = "/conversations/{conversation_id}"
PATH_ID_CASES = [
    PathCase("get", "/calls/{call_id}", "/calls/{call}"),
    PathCase("get", C, "/conversations/{conversation}"),
    PathCase("patch", C, "/conversations/{conversation}", {"subject": "Dibajak", "status": "solved"}),
    PathCase("get", f"{C}/messages", "/conversations/{conversation}/messages"),
    PathCase("post", f"{C}/reply", "/conversations/{conversation}/reply", {"text": "Balasan"}),
    PathCase("post", f"{C}/notes", "/conversations/{conversation}/notes", {"text": "Catatan internal"}),
    PathCase("post", f"{C}/assign", "/conversations/{conversation}/assign", lambda own: {"assignee": own["agent"]}),
    PathCase("post", f"{C}/merge", "/conversations/{conversation}/merge",
             lambda own: {"source_id": own["other_conversation"]}),
    PathCase("post", f"{C}/tags", "/conversations/{conversation}/tags", {"add": ["vip"], "remove": []}),
    PathCase("post", f"{C}/followers", "/conversations/{conversation}/followers",
             lambda own: {"agent_id": own["agent"]}),
    PathCase("delete", f"{C}/followers/{{agent_id}}", "/conversations/{conversation}/followers/{agent}"),
    PathCase("delete", f"{C}/followers/{{agent_id}}", "/conversations/{conversation}/followers/{agent}",
             foreign=frozenset({"agent"}), label="(own conversation, foreign agent)"),
    PathCase("post", f"{C}/links", "/conversations/{conversation}/links",
             lambda own: {"target_id": own["other_conversation"], "kind": "duplicate"}),
    PathCase("delete", f"{C}/links/{{link_id}}", "/conversations/{conversation}/links/{link}"),
    PathCase("delete", f"{C}/links/{{link_id}}", "/conversations/{conversation}/links/{link}",
             foreign=frozenset({"link"}), label="(own conversation, foreign link)"),
    PathCase("post", f"{C}/time", "/conversations/{conversation}/time", {"seconds": 120, "note": "cek"}),
    PathCase("get", f"{C}/time", "/conversations/{conversation}/time"),
    PathCase("get", f"{C}/audit", "/conversations/{conversation}/audit"),
    PathCase("get", "/messages/{message_id}", "/messages/{message}"),
    PathCase("post", "/messages/{message_id}/retry", "/messages/{reply}/retry"),
    PathCase("get", "/messages/{message_id}/source", "/messages/{received_mail}/source"),
    PathCase("delete", f"{C}/participants/{{address}}", "/conversations/{conversation}/participants/{participant}",
             foreign=frozenset({"conversation"})),
    PathCase("get", "/attachments/{attachment_id}/download", "/attachments/{attachment}/download"),
    PathCase("get", "/customers/{customer_id}", "/customers/{customer}"),
    PathCase("patch", "/customers/{customer_id}", "/customers/{customer}", {"name": "Dibajak", "tier": "vip"}),
    PathCase("delete", "/customers/{customer_id}", "/customers/{bare_customer}", role="admin"),
    PathCase("post", "/customers/{customer_id}/identities", "/customers/{customer}/identities",
             {"kind": "whatsapp", "value": "0812-9999-0000"}),
    PathCase("delete", "/customers/{customer_id}/identities/{identity_id}", "/customers/{customer}/identities/{identity}"),
    PathCase("delete", "/customers/{customer_id}/identities/{identity_id}", "/customers/{customer}/identities/{identity}",
             foreign=frozenset({"identity"}), label="(own customer, foreign identity)"),
    PathCase("post", "/customers/{customer_id}/merge", "/customers/{customer}/merge",
             lambda own: {"source_id": own["other_customer"]}, role="supervisor"),
    PathCase("get", "/customers/{customer_id}/conversations", "/customers/{customer}/conversations"),
    PathCase("get", "/customers/{customer_id}/audit", "/customers/{customer}/audit"),
    PathCase("get", "/agents/{agent_id}", "/agents/{agent}"),
    PathCase("get", "/teams/{team_id}", "/teams/{team}"),
    PathCase("patch", "/teams/{team_id}", "/teams/{team}", lambda own: {"name": "Dibajak", "member_ids": [own["agent"]]},
             role="admin"),
    PathCase("delete", "/teams/{team_id}", "/teams/{team}", role="admin"),
    PathCase("get", "/inboxes/{inbox_id}", "/inboxes/{inbox}"),
    PathCase("get", "/canned-replies/{canned_reply_id}", "/canned-replies/{canned_reply}"),
    PathCase("patch", "/canned-replies/{canned_reply_id}", "/canned-replies/{canned_reply}",
             {"title": "Dibajak", "text": "Dibajak"}, role="supervisor"),
    PathCase("delete", "/canned-replies/{canned_reply_id}", "/canned-replies/{canned_reply}", role="supervisor"),
    PathCase("get", "/canned-replies/{canned_reply_id}/render",
             "/canned-replies/{canned_reply}/render?conversation={conversation}", foreign=frozenset({"canned_reply"})),
    PathCase("get", "/canned-replies/{canned_reply_id}/render",
             "/canned-replies/{canned_reply}/render?conversation={conversation}", foreign=frozenset({"conversation"}),
             label="(own canned reply, foreign conversation)"),
]
# Ids in the query string of an endpoint that answers one object: covered by the PathCases above
# that make that parameter foreign.
QUERY_ID_CASES = [("GET", "/canned-replies/{canned_reply_id}/render", "conversation")]
PATH_ID_CASES += [
    PathCase("get", "/automation-rules/{rule_id}", "/automation-rules/{rule}", role="supervisor"),
    PathCase("patch", "/automation-rules/{rule_id}", "/automation-rules/{rule}", {"name": "Dibajak"},
             role="supervisor"),
    PathCase("delete", "/automation-rules/{rule_id}", "/automation-rules/{rule}", role="supervisor"),
    PathCase("get", "/automation-rules/{rule_id}/runs", "/automation-rules/{rule}/runs", role="supervisor"),
    PathCase("get", "/macros/{macro_id}", "/macros/{macro}"),
    PathCase("patch", "/macros/{macro_id}", "/macros/{macro}", {"name": "Dibajak"}, role="supervisor"),
    PathCase("delete", "/macros/{macro_id}", "/macros/{macro}", role="supervisor"),
    PathCase("post", "/macros/{macro_id}/apply", "/macros/{macro}/apply",
             lambda own: {"conversation_id": own["conversation"]}),
]

# (role of the caller in workspace A, how it authenticates)
CALLERS = [("admin", "token"), ("admin", "session"), ("agent", "token"), ("agent", "session")]


def _client(world, session_api, role: str, auth: str):
    member = {"admin": world.admin, "agent": world.agent}[role]
    return world.api(role) if auth == "token" else session_api(member)


def _call(client, method: str, url: str, data=None):
    if method in ("get", "delete"):
        return getattr(client, method)(url)
    return getattr(client, method)(url, data)


def _expected_refusal(case: PathCase, role: str) -> tuple[int, str]:
    needs_more = {"admin": role != "admin", "supervisor": role == "agent", "agent": False}[case.role]
    return (403, "permission_denied") if needs_more else (404, "not_found")


@pytest.mark.parametrize(("role", "auth"), CALLERS, ids=[f"{r}-{a}" for r, a in CALLERS])
@pytest.mark.parametrize("case", PATH_ID_CASES, ids=str)
def test_caller_of_other_workspace_gets_404_for_every_endpoint_taking_an_id(
        case, role, auth, world, ids, foreign_ids, session_api, database_rows):
    client = _client(world, session_api, role, auth)
    before = database_rows()

    response = _call(client, case.method, case.url(ids, foreign_ids), case.data(ids))

    status, code = _expected_refusal(case, role)
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert SECRET.encode() not in response.content
    assert database_rows() == before, "a refused request wrote something"
    # An id of another workspace cannot be told apart from an id that exists nowhere.
    missing = _call(client, case.method, case.url(ids, None), case.data(ids))
    assert (missing.status_code, missing.json()) == (status, body)
    assert database_rows() == before


@pytest.mark.parametrize("case", PATH_ID_CASES, ids=str)
def test_every_isolation_case_succeeds_inside_the_callers_own_workspace(case, world, ids):
    """The control: with its own ids the same request works, so the 404 above is the isolation."""
    response = _call(world.api("admin"), case.method, case.url(ids, ids), case.data(ids))

    assert 200 <= response.status_code < 300, response.content


# --- ids in request bodies -------------------------------------------------------------------

@dataclass(frozen=True)
class BodyCase:
    """A request whose body names an object by id: ``field`` is that id's place in the body."""

    method: str
    route: str
    field: str
    path: str
    body: object  # (own ids, ids the field points into) -> body
    def __str__(self):
        return f"{self.method.upper()} {self.route} {self.field}"


def _new_conversation(**extra):
    def build(own, ref):
        return {"subject": "Paket belum sampai", "customer": {"name": "Siti", "email": "siti@contoh.id"},
                "message": {"text": "Halo"}, **{k: v(ref) for k, v in extra.items()}}
    return build


BODY_ID_CASES = [
    BodyCase("post", "/calls", "customer_id", "/calls",
             lambda own, ref: {"customer_id": ref["customer"], "direction": "in", "outcome": "answered",
                               "number": "+6281234567890"}),
    BodyCase("post", "/calls", "conversation_id", "/calls",
             lambda own, ref: {"customer_id": own["customer"], "conversation_id": ref["conversation"],
                               "direction": "out", "outcome": "answered", "number": "+6281234567890"}),
    BodyCase("post", "/conversations", "inbox", "/conversations", _new_conversation(inbox=lambda r: r["inbox"])),
    BodyCase("post", "/conversations", "team", "/conversations", _new_conversation(team=lambda r: r["team"])),
    BodyCase("post", "/conversations", "assignee", "/conversations",
             _new_conversation(assignee=lambda r: r["agent"])),
    BodyCase("post", "/conversations", "customer.id", "/conversations",
             lambda own, ref: {"customer": {"id": ref["customer"]}, "message": {"text": "Halo"}}),
    BodyCase("post", f"{C}/assign", "assignee", "/conversations/{conversation}/assign",
             lambda own, ref: {"assignee": ref["agent"]}),
    BodyCase("post", f"{C}/assign", "team", "/conversations/{conversation}/assign",
             lambda own, ref: {"team": ref["other_team"]}),
    BodyCase("post", f"{C}/merge", "source_id", "/conversations/{conversation}/merge",
             lambda own, ref: {"source_id": ref["other_conversation"]}),
    BodyCase("post", f"{C}/links", "target_id", "/conversations/{conversation}/links",
             lambda own, ref: {"target_id": ref["other_conversation"], "kind": "related"}),
    BodyCase("post", f"{C}/followers", "agent_id", "/conversations/{conversation}/followers",
             lambda own, ref: {"agent_id": ref["agent"]}),
    BodyCase("post", f"{C}/notes", "mention_ids", "/conversations/{conversation}/notes",
             lambda own, ref: {"text": "Tolong dicek", "mention_ids": [ref["agent"]]}),
    BodyCase("post", "/customers/{customer_id}/merge", "source_id", "/customers/{customer}/merge",
             lambda own, ref: {"source_id": ref["other_customer"]}),
    BodyCase("post", "/teams", "member_ids", "/teams",
             lambda own, ref: {"name": "Tim Baru", "member_ids": [ref["agent"]]}),
    BodyCase("patch", "/teams/{team_id}", "member_ids", "/teams/{team}",
             lambda own, ref: {"member_ids": [ref["agent"]]}),
    BodyCase("post", "/inboxes", "default_team_id", "/inboxes",
             lambda own, ref: {"kind": "email", "name": "Email baru", "default_team_id": ref["team"]}),
    BodyCase("post", "/canned-replies", "team_id", "/canned-replies",
             lambda own, ref: {"shortcut": "baru", "title": "Baru", "text": "Isi", "team_id": ref["team"]}),
    BodyCase("patch", "/canned-replies/{canned_reply_id}", "team_id", "/canned-replies/{canned_reply}",
             lambda own, ref: {"team_id": ref["other_team"]}),
    BodyCase("post", "/canned-replies", "variant_of_id", "/canned-replies",
             lambda own, ref: {"shortcut": "baru-en", "title": "New", "text": "Hi", "language": "en",
                               "variant_of_id": ref["canned_reply"]}),
    BodyCase("post", "/macros/{macro_id}/apply", "conversation_id", "/macros/{macro}/apply",
             lambda own, ref: {"conversation_id": ref["conversation"]}),
    # Ids inside rule and macro actions are checked against the workspace as well.
    BodyCase("post", "/automation-rules", "actions.0.value", "/automation-rules",
             lambda own, ref: {"name": "Ke tim", "event": "conversation_created",
                               "actions": [{"type": "assign_team", "value": ref["team"]}]}),
    BodyCase("patch", "/macros/{macro_id}", "actions.0.value", "/macros/{macro}",
             lambda own, ref: {"actions": [{"type": "assign_agent", "value": ref["agent"]}]}),
]


@pytest.mark.parametrize("auth", ["token", "session"])
@pytest.mark.parametrize("case", BODY_ID_CASES, ids=str)
def test_ids_of_other_workspace_in_request_bodies_get_404_and_write_nothing(
        case, auth, world, ids, foreign_ids, session_api, database_rows):
    client = _client(world, session_api, "admin", auth)
    before = database_rows()

    response = _call(client, case.method, case.path.format(**ids), case.body(ids, foreign_ids))

    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"
    assert SECRET.encode() not in response.content
    assert database_rows() == before, "a refused request wrote something"


@pytest.mark.parametrize("case", BODY_ID_CASES, ids=str)
def test_ids_of_own_workspace_in_request_bodies_are_accepted(case, world, ids):
    response = _call(world.api("admin"), case.method, case.path.format(**ids), case.body(ids, ids))

    assert 200 <= response.status_code < 300, response.content


# --- ids in list filters ---------------------------------------------------------------------

# (route, query parameter, name of the object it points at)
FILTER_CASES = [
    ("/calls", "customer", "customer"),
    ("/conversations", "assignee", "agent_of_conversation"),
    ("/conversations", "team", "team"),
    ("/conversations", "inbox", "inbox"),
    ("/conversations", "customer", "customer"),
]


def _filter_ids(world, ids):
    return {**ids, "agent_of_conversation": world.agent.pk}


@pytest.mark.parametrize(("route", "param", "name"), FILTER_CASES, ids=[c[1] for c in FILTER_CASES])
def test_list_filters_with_ids_of_other_workspace_find_nothing(route, param, name, world, other_world, ids,
                                                               foreign_ids):
    own_filter = _filter_ids(world, ids)[name]
    foreign_filter = _filter_ids(other_world, foreign_ids)[name]
    api = world.api("admin")

    own = api.get(route, {param: own_filter})
    foreign = api.get(route, {param: foreign_filter})

    assert own.status_code == 200, own.content
    assert [c["id"] for c in own.json()["items"]] == [ids["call" if route == "/calls" else "conversation"]]
    assert foreign.status_code == 200, foreign.content
    assert foreign.json() == {"items": [], "next_cursor": None}
    assert api.get(route, {param: MISSING_ID}).json() == foreign.json()  # the same as an id that exists nowhere


@pytest.mark.parametrize(("route", "params", "own_match"), [
    ("/conversations", {"q": f"{SECRET} warung-lain"}, None),
    ("/conversations", {"q": "nomor rekening warung-lain"}, None),
    ("/conversations", {"tag": "tag-warung-lain"}, None),
    ("/customers", {"q": "tono@warung-lain.id"}, None),
    ("/customers", {"q": "Tanpa Percakapan"}, "bare_customer"),  # both have one: only A's is found
    ("/canned-replies", {"q": "rekening warung-lain"}, None),
    ("/canned-replies", {"q": "rekening"}, "canned_reply"),  # both have /rekening: only A's is found
], ids=["subject", "message-text", "tag", "customer-email", "customer-name", "canned-reply-text",
        "canned-reply-shortcut"])
def test_searching_for_another_workspaces_text_finds_nothing_of_it(route, params, own_match, world, other_world,
                                                                   ids, foreign_ids):
    assert other_world.workspace.slug == "warung-lain"

    response = world.api("admin").get(route, params)

    assert response.status_code == 200, response.content
    assert [item["id"] for item in response.json()["items"]] == ([ids[own_match]] if own_match else [])


def test_lists_show_only_the_callers_workspace(world, other_world, ids, foreign_ids):
    api = world.api("admin")

    conversations = {c["id"] for c in api.get("/conversations").json()["items"]}
    customers = {c["id"] for c in api.get("/customers").json()["items"]}
    customer_conversations = {c["id"] for c in api.get(f"/customers/{ids['customer']}/conversations").json()["items"]}
    agents = {a["id"] for a in api.get("/agents").json()}
    teams = {t["id"] for t in api.get("/teams").json()}
    inboxes = {i["id"] for i in api.get("/inboxes").json()}
    canned_replies = {r["id"] for r in api.get("/canned-replies").json()["items"]}

    assert conversations == {ids["conversation"], ids["other_conversation"]}
    assert customers == {ids["customer"], ids["other_customer"], ids["bare_customer"]}
    assert customer_conversations == {ids["conversation"]}
    assert agents == {world.admin.pk, world.supervisor.pk, world.agent.pk, world.other_agent.pk}
    assert teams == {world.team.pk, world.other_team.pk}
    assert canned_replies == {ids["canned_reply"], ids["team_canned_reply"]}
    assert ids["inbox"] in inboxes
    assert foreign_ids["inbox"] not in inboxes
    assert inboxes.isdisjoint({i["id"] for i in other_world.api("admin").get("/inboxes").json()})


def test_session_of_a_user_in_two_workspaces_acts_only_in_the_chosen_one(world, other_world, ids, foreign_ids,
                                                                         session_api):
    create_agent(workspace=other_world.workspace, email=world.admin.user.email, role="admin")
    api = session_api(world.admin)

    assert api.get(f"/conversations/{ids['conversation']}").status_code == 200
    assert api.get(f"/conversations/{foreign_ids['conversation']}").status_code == 404
    assert api.get("/me").json()["id"] == world.admin.pk

    switched = api.client.post("/workspace/", {"workspace": other_world.workspace.pk})
    assert switched.status_code == 302

    assert api.get(f"/conversations/{foreign_ids['conversation']}").status_code == 200
    assert api.get(f"/conversations/{ids['conversation']}").json()["error"]["code"] == "not_found"
    assert api.get("/me").json()["id"] != world.admin.pk


# --- completeness: every endpoint and every id field of the OpenAPI document is covered -------

PREFIX = "/api/v1"
# Integer inputs that are quantities, not ids of objects.
NOT_IDS = {"seconds", "reopen_window_days", "limit", "duration_seconds", "position", "delay_minutes"}


def _operations(doc) -> list[tuple[str, str, dict]]:
    return [(method.upper(), path.removeprefix(PREFIX), op) for path, ops in doc["paths"].items()
            for method, op in ops.items()]


def _is_integer(schema: dict) -> bool:
    options = schema.get("anyOf", [schema])
    return any(o.get("type") == "integer" or (o.get("type") == "array" and o.get("items", {}).get("type") == "integer")
               for o in options)


def _integer_fields(schema: dict, components: dict, prefix: str = "") -> set[str]:
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    found = set()
    for name, prop in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        if _is_integer(prop):
            found.add(path)
        elif "$ref" in prop:
            found |= _integer_fields(prop, components, f"{path}.")
        elif prop.get("type") == "array" and "$ref" in prop.get("items", {}):
            found |= _integer_fields(prop["items"], components, f"{path}.")
    return found


@pytest.fixture
def openapi(api) -> dict:
    response = api.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_every_endpoint_with_an_id_in_its_path_is_in_the_isolation_catalogue(openapi):
    with_path_ids = {(method, route) for method, route, _op in _operations(openapi) if "{" in route}
    catalogue = {(case.method.upper(), case.route) for case in PATH_ID_CASES}

    assert len(with_path_ids) >= 30
    assert with_path_ids - catalogue == set(), "add these endpoints to PATH_ID_CASES"
    assert catalogue - with_path_ids == set(), "PATH_ID_CASES names endpoints that no longer exist"


def test_every_id_in_a_request_body_or_filter_is_in_the_isolation_catalogue(openapi):
    components = openapi["components"]["schemas"]
    id_inputs = set()
    for method, route, op in _operations(openapi):
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body:
            id_inputs |= {(method, route, f) for f in _integer_fields(body, components)
                          if f.rsplit(".", 1)[-1] not in NOT_IDS}
        id_inputs |= {(method, route, p["name"]) for p in op.get("parameters", [])
                      if p["in"] == "query" and _is_integer(p["schema"]) and p["name"] not in NOT_IDS}
    covered = {(c.method.upper(), c.route, c.field) for c in BODY_ID_CASES}
    covered |= {("GET", route, param) for route, param, _name in FILTER_CASES}
    covered |= set(QUERY_ID_CASES)
    for method, route, param in QUERY_ID_CASES:
        assert any((case.method.upper(), case.route) == (method, route) and param in case.foreign_names
                   and f"{param}={{" in case.path for case in PATH_ID_CASES), (method, route, param)

    assert ("POST", "/conversations", "customer.id") in id_inputs  # the walk reaches nested objects
    assert id_inputs - covered == set(), "add these id inputs to BODY_ID_CASES or FILTER_CASES"
