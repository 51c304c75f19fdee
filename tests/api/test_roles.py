"""Who may see and do what through API v1 (docs/flows/access.md): the agent visibility rule,
admin- and supervisor-only endpoints, dead credentials, and CSRF on session writes."""

from __future__ import annotations

import pytest
from django.test import Client

from layan.accounts.actors import Actor
from layan.accounts.models import Agent, Team, User
from layan.accounts.services import create_team, revoke_api_token, set_team_members
from layan.automation.models import CannedReply
from layan.automation.services import create_canned_reply
from layan.connectors.base import InboundAttachment
from layan.connectors.models import Inbox
from layan.conversations.models import Conversation, Participant
from layan.conversations.services import add_follower, add_note, create_conversation
from layan.customers.models import Customer
from layan.customers.services import IdentityInput, create_customer

VISIBLE_TO_AGENT = {"own_team", "no_team", "assigned", "followed", "mentioned"}
ALL_CASES = VISIBLE_TO_AGENT | {"other_team"}


@pytest.fixture
def customer(world):
    return create_customer(actor=world.actor, name="Siti", identities=[IdentityInput(kind="email",
                                                                                      value="siti@contoh.id")])


@pytest.fixture
def matrix(world, customer) -> dict[str, int]:
    """One conversation per case of the visibility rule for ``world.agent`` (member of
    ``world.team`` only), all of one customer: {case: conversation id}."""

    def open_(subject, *, team=None, assignee=None):
        return create_conversation(
            actor=world.actor, customer=customer, subject=subject, text=f"Isi: {subject}", team=team,
            assignee=assignee,
            attachments=[InboundAttachment(filename="nota.txt", content_type="text/plain", content=b"isi")],
        ).conversation

    warehouse = create_team(actor=world.actor, name="Gudang")
    set_team_members(actor=world.actor, team=warehouse, agents=[world.agent])
    made = {
        "own_team": open_("tim sendiri", team=world.team),
        "no_team": open_("tanpa tim"),
        "assigned": open_("ditugaskan", team=warehouse, assignee=world.agent),
        "followed": open_("diikuti", team=world.other_team),
        "mentioned": open_("disebut", team=world.other_team),
        "other_team": open_("tim lain", team=world.other_team),
    }
    # Out of that team again: only the assignment keeps "ditugaskan" in the agent's sight.
    set_team_members(actor=world.actor, team=warehouse, agents=[])
    add_follower(actor=world.actor, conversation=made["followed"], agent=world.agent)
    add_note(actor=Actor.for_agent(world.other_agent), conversation=made["mentioned"],
             text="@budi tolong bantu cek resinya.")
    return {case: conversation.pk for case, conversation in made.items()}


def _listed(api, path="/conversations", **params) -> set[int]:
    response = api.get(path, params)
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def test_agent_sees_own_team_no_team_assigned_and_followed_conversations_only(world, matrix, customer):
    api = world.api("agent")

    assert _listed(api) == {matrix[c] for c in VISIBLE_TO_AGENT}
    assert _listed(api, f"/customers/{customer.pk}/conversations") == {matrix[c] for c in VISIBLE_TO_AGENT}
    for case in VISIBLE_TO_AGENT:
        assert api.get(f"/conversations/{matrix[case]}").status_code == 200, case
    hidden = api.get(f"/conversations/{matrix['other_team']}")
    assert hidden.status_code == 404
    assert hidden.json()["error"]["code"] == "not_found"


def test_agent_of_the_other_team_sees_that_teams_conversations_but_not_this_ones(world, matrix):
    api = world.api("other_agent")

    assert _listed(api) == {matrix[c] for c in ("no_team", "followed", "mentioned", "other_team")}


@pytest.mark.parametrize("role", ["admin", "supervisor"])
def test_admins_and_supervisors_see_every_conversation_of_the_workspace(role, world, matrix, customer):
    api = world.api(role)

    assert _listed(api) == {matrix[c] for c in ALL_CASES}
    assert _listed(api, f"/customers/{customer.pk}/conversations") == {matrix[c] for c in ALL_CASES}
    assert api.get(f"/conversations/{matrix['other_team']}").status_code == 200


# Every endpoint reaching into one conversation: (method, path under the conversation, body).
CONVERSATION_ENDPOINTS = [
    ("get", "", None),
    ("patch", "", {"status": "solved"}),
    ("get", "/messages", None),
    ("post", "/reply", {"text": "Balasan"}),
    ("post", "/notes", {"text": "Catatan"}),
    ("post", "/assign", {"assignee": None}),
    ("post", "/tags", {"add": ["vip"]}),
    ("post", "/followers", {"agent_id": "AGENT"}),
    ("delete", "/followers/AGENT", None),
    ("delete", "/participants/ani@contoh.id", None),
    ("post", "/links", {"target_id": "VISIBLE", "kind": "related"}),
    ("delete", "/links/LINK", None),
    ("post", "/merge", {"source_id": "VISIBLE"}),
    ("post", "/time", {"seconds": 60}),
    ("get", "/time", None),
    ("get", "/audit", None),
]


def _fill(value, names: dict):
    if isinstance(value, str):
        for name, pk in names.items():
            value = value.replace(name, str(pk))
        return int(value) if value.isdigit() else value
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


def _call(api, method, path, body=None, headers=None):
    if method in ("get", "delete"):
        return getattr(api, method)(path, headers=headers)
    return getattr(api, method)(path, body, headers=headers)


@pytest.mark.parametrize(("method", "suffix", "body"), CONVERSATION_ENDPOINTS,
                         ids=[f"{m.upper()} {s or '/'}" for m, s, _b in CONVERSATION_ENDPOINTS])
def test_agent_gets_404_on_every_endpoint_of_a_conversation_they_cannot_see(method, suffix, body, world, matrix,
                                                                            database_rows):
    from layan.conversations.services import link_conversations

    hidden = Conversation.objects.get(pk=matrix["other_team"])
    link = link_conversations(actor=world.actor, source=hidden,
                              target=Conversation.objects.get(pk=matrix["no_team"]), kind="related")
    Participant.objects.create(conversation=hidden, address="ani@contoh.id", role="cc")
    names = {"AGENT": world.agent.pk, "VISIBLE": matrix["no_team"], "LINK": link.pk}
    before = database_rows()

    response = _call(world.api("agent"), method, _fill(f"/conversations/{hidden.pk}{suffix}", names),
                     _fill(body, names))

    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"
    assert database_rows() == before
    # The supervisor reaches the same endpoint: the 404 is the visibility rule, not the request.
    allowed = _call(world.api("supervisor"), method, _fill(f"/conversations/{hidden.pk}{suffix}", names),
                    _fill(body, names))
    assert 200 <= allowed.status_code < 300, allowed.content


def test_agent_gets_404_for_messages_and_attachments_of_a_conversation_they_cannot_see(world, matrix):
    api = world.api("agent")
    hidden = Conversation.objects.get(pk=matrix["other_team"])
    seen = Conversation.objects.get(pk=matrix["own_team"])
    hidden_message, seen_message = hidden.messages.get(), seen.messages.get()

    assert api.get(f"/messages/{hidden_message.pk}").status_code == 404
    assert api.get(f"/attachments/{hidden_message.attachments.get().pk}/download").status_code == 404
    assert api.get(f"/messages/{seen_message.pk}").status_code == 200
    download = api.get(f"/attachments/{seen_message.attachments.get().pk}/download")
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(("path", "body"), [
    ("/conversations/VISIBLE/merge", {"source_id": "HIDDEN"}),
    ("/conversations/VISIBLE/links", {"target_id": "HIDDEN", "kind": "duplicate"}),
], ids=["merge-source", "link-target"])
def test_agent_cannot_merge_or_link_a_conversation_they_cannot_see(path, body, world, matrix, database_rows):
    names = {"VISIBLE": matrix["own_team"], "HIDDEN": matrix["other_team"]}
    before = database_rows()

    response = world.api("agent").post(_fill(path, names), _fill(body, names))

    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"
    assert database_rows() == before


def test_agent_handing_a_conversation_to_another_team_gets_the_result_and_then_loses_sight_of_it(world, matrix):
    api = world.api("agent")
    conversation_id = matrix["own_team"]

    response = api.post(f"/conversations/{conversation_id}/assign", {"team": world.other_team.pk})

    assert response.status_code == 200, response.content
    assert response.json()["team"]["id"] == world.other_team.pk
    assert Conversation.objects.get(pk=conversation_id).team_id == world.other_team.pk
    assert api.get(f"/conversations/{conversation_id}").status_code == 404


def test_agent_who_unfollows_gets_the_result_and_then_loses_sight_of_it(world, matrix):
    api = world.api("agent")
    conversation_id = matrix["followed"]

    response = api.delete(f"/conversations/{conversation_id}/followers/{world.agent.pk}")

    assert response.status_code == 200, response.content
    assert world.agent.pk not in response.json()["follower_ids"]
    assert api.get(f"/conversations/{conversation_id}").status_code == 404


def test_agent_opening_a_conversation_for_another_team_gets_201_with_it(world):
    api = world.api("agent")

    response = api.post("/conversations", {"subject": "Untuk tim lain", "team": world.other_team.pk,
                                           "customer": {"name": "Siti", "email": "siti@contoh.id"},
                                           "message": {"text": "Halo"}})

    assert response.status_code == 201, response.content
    created = Conversation.objects.get(pk=response.json()["id"])
    assert created.team_id == world.other_team.pk
    assert response.json()["number"] == created.number
    assert api.get(f"/conversations/{created.pk}").status_code == 404


# --- role-restricted endpoints ---------------------------------------------------------------

ADMIN_ONLY = [
    ("post", "/teams", {"name": "Tim Baru", "description": "baru"}, Team),
    ("patch", "/teams/TEAM", {"name": "Nama Baru"}, Team),
    ("delete", "/teams/TEAM", None, Team),
    ("post", "/inboxes", {"kind": "email", "name": "Email baru"}, Inbox),
]


@pytest.mark.parametrize("role", ["supervisor", "agent"])
@pytest.mark.parametrize(("method", "path", "body", "model"), ADMIN_ONLY,
                         ids=[f"{m.upper()} {p}" for m, p, _b, _m in ADMIN_ONLY])
def test_only_admins_may_create_change_and_delete_teams_and_create_inboxes(method, path, body, model, role, world,
                                                                            database_rows):
    path = _fill(path, {"TEAM": world.team.pk})
    before = database_rows()

    refused = _call(world.api(role), method, path, body)

    assert refused.status_code == 403, refused.content
    assert refused.json()["error"]["code"] == "permission_denied"
    assert refused.json()["error"]["message"]
    assert database_rows() == before

    allowed = _call(world.api("admin"), method, path, body)
    assert allowed.status_code in (200, 201, 204), allowed.content
    assert database_rows()[model._meta.label] != before[model._meta.label]


SUPERVISOR_OR_ADMIN = [
    ("post", "/canned-replies", {"shortcut": "baru", "title": "Baru", "text": "Jawaban baru"}),
    ("patch", "/canned-replies/CANNED", {"title": "Judul baru"}),
    ("delete", "/canned-replies/CANNED", None),
]


def _canned_rows():
    return list(CannedReply.objects.order_by("pk").values())


@pytest.fixture
def canned(world) -> dict[str, int]:
    """A canned reply for the whole workspace and one for ``world.other_team``: {name: id}."""
    supervisor = Actor.for_agent(world.supervisor)
    return {
        "CANNED": create_canned_reply(actor=supervisor, shortcut="ongkir", title="Ongkir", text="Halo {customer_name}").pk,
        "OTHER_TEAM": create_canned_reply(actor=supervisor, shortcut="garansi", title="Garansi", text="Garansi 1 tahun",
                                          team=world.other_team).pk,
    }


@pytest.mark.parametrize(("method", "path", "body"), SUPERVISOR_OR_ADMIN,
                         ids=[f"{m.upper()} {p}" for m, p, _b in SUPERVISOR_OR_ADMIN])
def test_agents_may_not_create_change_or_delete_canned_replies(method, path, body, world, canned, database_rows):
    path = _fill(path, canned)
    before, before_canned = database_rows(), _canned_rows()

    refused = _call(world.api("agent"), method, path, body)

    assert refused.status_code == 403, refused.content
    assert refused.json()["error"]["code"] == "permission_denied"
    assert _canned_rows() == before_canned
    assert database_rows() == before


@pytest.mark.parametrize("role", ["supervisor", "admin"])
@pytest.mark.parametrize(("method", "path", "body"), SUPERVISOR_OR_ADMIN,
                         ids=[f"{m.upper()} {p}" for m, p, _b in SUPERVISOR_OR_ADMIN])
def test_supervisors_and_admins_create_change_and_delete_canned_replies(method, path, body, role, world, canned):
    before = _canned_rows()

    allowed = _call(world.api(role), method, _fill(path, canned), body)

    assert allowed.status_code in (200, 201, 204), allowed.content
    assert _canned_rows() != before


@pytest.mark.parametrize("suffix", ["", "/render?conversation=CONVERSATION"], ids=["GET /", "GET /render"])
def test_agent_gets_404_for_a_canned_reply_of_a_team_they_are_not_in(suffix, world, canned, matrix):
    names = {**canned, "CONVERSATION": matrix["own_team"]}

    hidden = world.api("agent").get(_fill(f"/canned-replies/OTHER_TEAM{suffix}", names))
    member = world.api("other_agent").get(_fill(f"/canned-replies/OTHER_TEAM{suffix}", {
        **names, "CONVERSATION": matrix["other_team"]}))

    assert hidden.status_code == 404, hidden.content
    assert hidden.json()["error"]["code"] == "not_found"
    assert member.status_code == 200, member.content
    assert CannedReply.objects.get(pk=canned["OTHER_TEAM"]).usage_count == (1 if suffix else 0)


@pytest.fixture
def two_customers(world):
    keep = create_customer(actor=world.actor, name="Siti", identities=[IdentityInput(kind="email",
                                                                                      value="siti@contoh.id")])
    duplicate = create_customer(actor=world.actor, name="Siti A.",
                                identities=[IdentityInput(kind="phone", value="0812-3456-7890")])
    return keep, duplicate


def test_agent_may_not_merge_customers(world, two_customers, database_rows):
    keep, duplicate = two_customers
    before = database_rows()

    response = world.api("agent").post(f"/customers/{keep.pk}/merge", {"source_id": duplicate.pk})

    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "permission_denied"
    assert database_rows() == before


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisors_and_admins_merge_customers(role, world, two_customers):
    keep, duplicate = two_customers

    response = world.api(role).post(f"/customers/{keep.pk}/merge", {"source_id": duplicate.pk})

    assert response.status_code == 200, response.content
    assert {i["kind"] for i in response.json()["identities"]} == {"email", "phone"}
    assert Customer.objects.get(pk=duplicate.pk).merged_into_id == keep.pk


@pytest.mark.parametrize("role", ["supervisor", "agent"])
def test_only_admins_may_delete_customers(role, world, two_customers, database_rows):
    _keep, lonely = two_customers
    before = database_rows()

    response = world.api(role).delete(f"/customers/{lonely.pk}")

    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "permission_denied"
    assert database_rows() == before


def test_admin_deletes_a_customer_without_conversations(world, two_customers):
    _keep, lonely = two_customers

    response = world.api("admin").delete(f"/customers/{lonely.pk}")

    assert response.status_code == 204, response.content
    assert not Customer.objects.filter(pk=lonely.pk).exists()


def test_admin_cannot_delete_a_customer_who_has_conversations(world, matrix, customer, database_rows):
    before = database_rows()

    response = world.api("admin").delete(f"/customers/{customer.pk}")

    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "conflict"
    assert database_rows() == before


@pytest.mark.parametrize("role", ["admin", "supervisor", "agent"])
def test_every_role_may_read_agents_teams_inboxes_and_customers(role, world, customer):
    api = world.api(role)

    for path in ("/me", "/agents", f"/agents/{world.admin.pk}", "/teams", f"/teams/{world.team.pk}", "/inboxes",
                 f"/inboxes/{world.email_inbox.pk}", "/customers", f"/customers/{customer.pk}",
                 f"/customers/{customer.pk}/audit", "/canned-replies"):
        assert api.get(path).status_code == 200, path
    assert api.get("/me").json()["role"] == role


# --- dead credentials ------------------------------------------------------------------------

def _revoke_token(world):
    revoke_api_token(token=world.agent.api_tokens.get(), actor=world.actor)


def _deactivate_agent(world):
    Agent.objects.filter(pk=world.agent.pk).update(is_active=False)


def _deactivate_user(world):
    User.objects.filter(pk=world.agent.user_id).update(is_active=False)


KILLERS = {"revoked token": _revoke_token, "deactivated agent": _deactivate_agent,
           "deactivated user": _deactivate_user}


def _assert_not_authenticated(response):
    assert response.status_code == 401, response.content
    assert response.json() == {"error": {"code": "not_authenticated", "message": response.json()["error"]["message"],
                                         "field": None}}
    assert response.json()["error"]["message"]


@pytest.mark.parametrize("enforce_csrf", [False, True], ids=["test-client", "csrf-enforced"])
@pytest.mark.parametrize("kill", list(KILLERS), ids=list(KILLERS))
def test_dead_token_gets_401_not_authenticated_and_writes_nothing(kill, enforce_csrf, world, database_rows):
    api = world.api("agent")
    api.client = Client(enforce_csrf_checks=enforce_csrf)
    assert api.get("/me").status_code == 200
    KILLERS[kill](world)
    before = database_rows()

    _assert_not_authenticated(api.get("/me"))
    _assert_not_authenticated(api.get("/conversations"))
    _assert_not_authenticated(api.post("/customers", {"name": "Siti"}))
    _assert_not_authenticated(api.patch(f"/teams/{world.team.pk}", {"name": "x"}))
    assert database_rows() == before


@pytest.mark.parametrize("kill", ["deactivated agent", "deactivated user"])
def test_dead_session_gets_401_not_authenticated(kill, world, session_api, database_rows):
    api = session_api(world.agent)
    assert api.get("/me").status_code == 200
    KILLERS[kill](world)
    before = database_rows()

    _assert_not_authenticated(api.get("/me"))
    _assert_not_authenticated(api.post("/customers", {"name": "Siti"}))
    assert database_rows() == before


@pytest.mark.parametrize("enforce_csrf", [False, True], ids=["test-client", "csrf-enforced"])
@pytest.mark.parametrize("authorization", [None, "Bearer layan_tidak-ada", "Bearer ", "Token abc", "layan_abc"])
def test_request_without_valid_credentials_gets_401(authorization, enforce_csrf, world, database_rows):
    client = Client(enforce_csrf_checks=enforce_csrf)
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    before = database_rows()

    _assert_not_authenticated(client.get("/api/v1/conversations", **headers))
    _assert_not_authenticated(client.post("/api/v1/customers", '{"name": "Siti"}', content_type="application/json",
                                          **headers))
    _assert_not_authenticated(client.delete(f"/api/v1/teams/{world.team.pk}", **headers))
    assert database_rows() == before


def test_token_of_a_deactivated_agent_works_again_when_the_agent_is_reactivated(world):
    api = world.api("agent")
    _deactivate_agent(world)
    assert api.get("/me").status_code == 401

    Agent.objects.filter(pk=world.agent.pk).update(is_active=True)

    assert api.get("/me").status_code == 200


# --- CSRF on session writes ------------------------------------------------------------------

@pytest.fixture
def browser(world, session_api):
    """An agent's browser: logged in, CSRF enforced, holding the CSRF cookie of a page it loaded."""
    api = session_api(world.agent, enforce_csrf=True)
    assert api.client.get("/login/").status_code == 200
    assert api.client.cookies["csrftoken"].value
    return api


SESSION_WRITES = [
    ("post", "/customers", {"name": "Siti"}, 201),
    ("patch", "/customers/CUSTOMER", {"name": "Siti Aminah"}, 200),
    ("delete", "/teams/TEAM", None, 403),  # CSRF passes; then the agent's role is refused
    ("post", "/conversations", {"customer": {"email": "siti@contoh.id"}, "message": {"text": "Halo"}}, 201),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), SESSION_WRITES,
                         ids=[f"{m.upper()} {p}" for m, p, _b, _s in SESSION_WRITES])
def test_session_write_without_csrf_token_is_refused_and_with_it_goes_through(method, path, body, status, world,
                                                                              customer, browser, database_rows):
    path = _fill(path, {"CUSTOMER": customer.pk, "TEAM": world.team.pk})
    before = database_rows()

    refused = _call(browser, method, path, body)

    assert refused.status_code == 403, refused.content
    assert refused.json()["error"]["code"] == "permission_denied"
    assert database_rows() == before

    token = browser.client.cookies["csrftoken"].value
    allowed = _call(browser, method, path, body, headers={"HTTP_X_CSRFTOKEN": token})
    assert allowed.status_code == status, allowed.content
    if status == 403:
        assert allowed.json()["error"]["message"] != refused.json()["error"]["message"]


def test_session_reads_need_no_csrf_token(world, browser):
    response = browser.get("/me")

    assert response.status_code == 200
    assert response.json()["id"] == world.agent.pk


def test_token_requests_need_no_csrf_token(world):
    api = world.api("agent")
    api.client = Client(enforce_csrf_checks=True)

    response = api.post("/customers", {"name": "Siti"})

    assert response.status_code == 201, response.content
