"""API v1 canned replies through real HTTP: CRUD by role, team visibility, refused input writing
nothing, the search order and its cursor pages, and rendering for a conversation."""

from __future__ import annotations

import pytest

from layan.accounts.actors import Actor
from layan.accounts.models import AuditEntry
from layan.automation.models import CannedReply
from layan.automation.services import create_canned_reply, record_canned_reply_use
from layan.conversations.services import create_conversation
from layan.customers.services import IdentityInput

ONGKIR = {"shortcut": "ongkir", "title": "Ongkos kirim", "language": "id",
          "text": "Halo {customer_name}, ongkir dihitung otomatis saat checkout."}


def _canned_rows():
    return (list(CannedReply.objects.order_by("pk").values()),
            list(AuditEntry.objects.filter(object_type="canned_reply").order_by("pk").values()))


def _make(world, shortcut, **kwargs):
    fields = {"title": shortcut.title(), "text": f"Jawaban {shortcut}", **kwargs}
    return create_canned_reply(actor=Actor.for_agent(world.supervisor), shortcut=shortcut, **fields)


def _conversation(world, *, name="Siti", team=None):
    return create_conversation(actor=world.actor, customer_name=name, subject="Tanya", team=team,
                               customer_identities=[IdentityInput(kind="email", value="siti@contoh.id")],
                               text="Halo").conversation


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisors_and_admins_create_a_canned_reply_and_get_it_back(role, world):
    response = world.api(role).post("/canned-replies", {**ONGKIR, "team_id": world.team.pk})

    assert response.status_code == 201, response.content
    body = response.json()
    reply = CannedReply.objects.get(pk=body["id"])
    member = getattr(world, role)
    assert {k: body[k] for k in ("shortcut", "title", "text", "team_id", "language", "usage_count",
                                 "created_by_id")} == {
        **ONGKIR, "team_id": world.team.pk, "usage_count": 0, "created_by_id": member.pk}
    assert (reply.workspace_id, reply.created_by_id) == (world.workspace.pk, member.pk)
    assert world.api(role).get(f"/canned-replies/{reply.pk}").json() == body


def test_agent_cannot_create_change_or_delete_a_canned_reply_and_nothing_is_written(world, database_rows):
    reply = _make(world, "resi")
    api = world.api("agent")
    before, before_canned = database_rows(), _canned_rows()

    for response in (api.post("/canned-replies", ONGKIR),
                     api.patch(f"/canned-replies/{reply.pk}", {"title": "Dibajak"}),
                     api.delete(f"/canned-replies/{reply.pk}")):
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "permission_denied"

    assert _canned_rows() == before_canned
    assert database_rows() == before


def test_agent_reads_the_workspaces_and_own_teams_replies_but_not_another_teams(world):
    everyone, own, other = _make(world, "salam"), _make(world, "retur", team=world.team), _make(
        world, "garansi", team=world.other_team)
    api = world.api("agent")

    listed = api.get("/canned-replies").json()
    hidden = api.get(f"/canned-replies/{other.pk}")

    assert sorted(i["shortcut"] for i in listed["items"]) == ["retur", "salam"]
    assert listed["next_cursor"] is None
    assert api.get(f"/canned-replies/{own.pk}").status_code == 200
    assert api.get(f"/canned-replies/{everyone.pk}").status_code == 200
    assert hidden.status_code == 404
    assert hidden.json()["error"] == {"code": "not_found", "message": hidden.json()["error"]["message"],
                                      "field": "canned_reply"}
    assert sorted(i["shortcut"] for i in world.api("supervisor").get("/canned-replies").json()["items"]) == [
        "garansi", "retur", "salam"]


def test_patch_changes_the_given_fields_and_a_null_team_makes_it_everyones(world):
    reply = _make(world, "retur", team=world.team, language="id")
    api = world.api("supervisor")

    response = api.patch(f"/canned-replies/{reply.pk}", {"text": "Retur maksimal 7 hari.", "team_id": None})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["shortcut"], body["text"], body["team_id"], body["language"]) == (
        "retur", "Retur maksimal 7 hari.", None, "id")
    assert world.api("other_agent").get(f"/canned-replies/{reply.pk}").status_code == 200
    audit = AuditEntry.objects.get(object_type="canned_reply", action="canned_reply.updated")
    assert audit.actor_agent_id == world.supervisor.pk


def test_delete_removes_the_reply(world):
    reply = _make(world, "promo")

    response = world.api("supervisor").delete(f"/canned-replies/{reply.pk}")

    assert response.status_code == 204
    assert not CannedReply.objects.filter(pk=reply.pk).exists()
    assert world.api("supervisor").get(f"/canned-replies/{reply.pk}").status_code == 404


@pytest.mark.parametrize(("label", "body", "status", "code", "field"), [
    ("duplicate shortcut", {**ONGKIR, "shortcut": "Ongkir"}, 409, "duplicate", "shortcut"),
    ("shortcut with a space", {**ONGKIR, "shortcut": "ongkos kirim"}, 400, "invalid_input", "shortcut"),
    ("shortcut with a slash", {**ONGKIR, "shortcut": "/cod"}, 400, "invalid_input", "shortcut"),
    ("shortcut too long", {**ONGKIR, "shortcut": "a" * 51}, 400, "invalid_input", "shortcut"),
    ("empty text", {**ONGKIR, "shortcut": "cod", "text": ""}, 400, "invalid_input", "text"),
    ("blank text", {**ONGKIR, "shortcut": "cod", "text": "  \n "}, 400, "invalid_input", "text"),
    ("oversize text", {**ONGKIR, "shortcut": "cod", "text": "x" * 10_001}, 400, "invalid_input", "text"),
    ("empty title", {**ONGKIR, "shortcut": "cod", "title": " "}, 400, "invalid_input", "title"),
    ("unknown language", {**ONGKIR, "shortcut": "cod", "language": "jv"}, 422, "validation_error", None),
    ("no shortcut", {"title": "COD", "text": "Bisa COD"}, 422, "validation_error", None),
    ("unknown team", {**ONGKIR, "shortcut": "cod", "team_id": 987_654_321}, 404, "not_found", "team"),
], ids=lambda v: v if isinstance(v, str) and " " in v else None)
def test_bad_input_to_create_gets_a_clear_error_and_writes_nothing(label, body, status, code, field, world,
                                                                   database_rows):
    _make(world, "ongkir")
    before, before_canned = database_rows(), _canned_rows()

    response = world.api("supervisor").post("/canned-replies", body)

    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    if field:
        assert error["field"] == field
    assert _canned_rows() == before_canned
    assert database_rows() == before


def test_renaming_to_a_taken_shortcut_gets_409_and_changes_nothing(world):
    _make(world, "ongkir")
    resi = _make(world, "resi")
    before = _canned_rows()

    response = world.api("supervisor").patch(f"/canned-replies/{resi.pk}", {"shortcut": "ongkir", "title": "X"})

    assert response.status_code == 409, response.content
    assert response.json()["error"]["field"] == "shortcut"
    assert _canned_rows() == before


def test_search_lists_shortcut_prefix_matches_first_then_title_and_text_matches(world):
    _make(world, "cek-ongkir", title="Cek dulu")
    tarif = _make(world, "tarif", title="Tarif ongkir luar pulau")
    record_canned_reply_use(canned_reply=tarif)
    _make(world, "ongkir-jawa")
    _make(world, "ongkir")
    _make(world, "salam")

    response = world.api("agent").get("/canned-replies", {"q": "ongkir"})

    assert response.status_code == 200, response.content
    assert [i["shortcut"] for i in response.json()["items"]] == ["ongkir", "ongkir-jawa", "tarif", "cek-ongkir"]


def test_cursor_pages_walk_the_search_order_without_repeats_or_gaps(world):
    for shortcut in ("ongkir", "ongkir-jawa", "ongkir-bali", "a-ongkir", "b-ongkir"):
        _make(world, shortcut, text="Tarif ongkir")
    record_canned_reply_use(canned_reply=CannedReply.objects.get(shortcut="b-ongkir"))
    api = world.api("agent")

    seen, cursor = [], None
    for _page in range(5):
        params = {"q": "ongkir", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/canned-replies", params).json()
        seen += [i["shortcut"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == ["ongkir", "ongkir-bali", "ongkir-jawa", "b-ongkir", "a-ongkir"]


@pytest.mark.parametrize("cursor", ["!!!", "WzEsMl0", "WyJhIiwgMSwgImIiXQ"], ids=["symbols", "two-values", "wrong-types"])
def test_a_cursor_not_issued_by_the_list_gets_400_invalid_cursor(cursor, world):
    response = world.api("agent").get("/canned-replies", {"cursor": cursor})

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_the_language_filter_keeps_replies_in_that_language_and_those_without_one(world):
    _make(world, "halo", language="id")
    _make(world, "hello", language="en")
    _make(world, "emoji")

    response = world.api("agent").get("/canned-replies", {"language": "en"})

    assert sorted(i["shortcut"] for i in response.json()["items"]) == ["emoji", "hello"]


def test_render_fills_the_placeholders_once_and_counts_a_use(world):
    conversation = _conversation(world, name="{agent_name}")
    reply = _make(world, "salam", text="Halo {customer_name}, saya {agent_name} (#{conversation_number}) {promo}")

    response = world.api("agent").get(f"/canned-replies/{reply.pk}/render", {"conversation": conversation.pk})

    assert response.status_code == 200, response.content
    assert response.json() == {"text": f"Halo {{agent_name}}, saya Budi (#{conversation.number}) {{promo}}"}
    assert CannedReply.objects.get(pk=reply.pk).usage_count == 1
    world.api("agent").get(f"/canned-replies/{reply.pk}/render", {"conversation": conversation.pk})
    assert CannedReply.objects.get(pk=reply.pk).usage_count == 2


def test_render_for_a_conversation_the_agent_cannot_see_gets_404_and_counts_nothing(world):
    hidden = _conversation(world, team=world.other_team)
    reply = _make(world, "salam")

    response = world.api("agent").get(f"/canned-replies/{reply.pk}/render", {"conversation": hidden.pk})

    assert response.status_code == 404, response.content
    assert response.json()["error"]["field"] == "conversation"
    assert CannedReply.objects.get(pk=reply.pk).usage_count == 0
    assert world.api("other_agent").get(f"/canned-replies/{reply.pk}/render",
                                        {"conversation": hidden.pk}).status_code == 200
