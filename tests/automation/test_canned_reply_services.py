"""Canned replies in the automation context: who may keep them, what is refused, who sees which,
the composer's search order and rendering the placeholders."""

from __future__ import annotations

import pytest

from layan.accounts.actors import Actor
from layan.accounts.models import AuditEntry
from layan.automation.models import CannedReply
from layan.automation.selectors import (
    access_canned_reply,
    canned_replies_for,
    render_canned_reply,
    search_canned_replies,
)
from layan.automation.services import (
    create_canned_reply,
    delete_canned_reply,
    record_canned_reply_use,
    update_canned_reply,
)
from layan.conversations.services import create_conversation
from layan.customers.services import IdentityInput
from layan.errors import Conflict, InvalidInput, NotFound, PermissionDenied

ONGKIR = "Halo {customer_name}, ongkir ke kota Kakak dihitung otomatis saat checkout."


def _rows():
    return (list(CannedReply.objects.order_by("pk").values()),
            list(AuditEntry.objects.filter(object_type="canned_reply").order_by("pk").values()))


@pytest.fixture
def supervisor(world) -> Actor:
    return Actor.for_agent(world.supervisor)


def _make(actor, shortcut, title="Judul", text="Isi jawaban", **kwargs) -> CannedReply:
    return create_canned_reply(actor=actor, shortcut=shortcut, title=title, text=text, **kwargs)


def _conversation(world, name="Siti Aminah"):
    return create_conversation(actor=world.actor, customer_name=name, subject="Ongkir",
                               customer_identities=[IdentityInput(kind="email", value="siti@contoh.id")],
                               text="Berapa ongkirnya?").conversation


# --- writing -----------------------------------------------------------------------------------

def test_supervisor_creates_a_canned_reply_and_the_audit_log_records_it(world, supervisor):
    reply = _make(supervisor, " Ongkir ", title=" Ongkos kirim ", text=ONGKIR, team=world.team, language="id")

    stored = CannedReply.objects.get(pk=reply.pk)
    assert (stored.workspace_id, stored.shortcut, stored.title, stored.text, stored.team_id, stored.language,
            stored.created_by_id, stored.usage_count) == (
        world.workspace.pk, "ongkir", "Ongkos kirim", ONGKIR, world.team.pk, "id", world.supervisor.pk, 0)
    audit = AuditEntry.objects.get(object_type="canned_reply", object_id=str(reply.pk))
    assert (audit.action, audit.actor_agent_id) == ("canned_reply.created", world.supervisor.pk)
    assert audit.after == {"shortcut": "ongkir", "title": "Ongkos kirim", "text": ONGKIR, "team": world.team.pk,
                           "language": "id"}


def test_agent_may_not_create_change_or_delete_canned_replies_and_nothing_is_written(world, supervisor):
    reply = _make(supervisor, "resi")
    agent = Actor.for_agent(world.agent)
    before = _rows()

    with pytest.raises(PermissionDenied):
        _make(agent, "baru")
    with pytest.raises(PermissionDenied):
        update_canned_reply(actor=agent, canned_reply=reply, title="Dibajak")
    with pytest.raises(PermissionDenied):
        delete_canned_reply(actor=agent, canned_reply=reply)

    assert _rows() == before


def test_a_shortcut_taken_in_the_workspace_is_a_conflict_on_shortcut_and_writes_nothing(world, supervisor):
    _make(supervisor, "ongkir")
    before = _rows()

    with pytest.raises(Conflict) as refused:
        _make(supervisor, "ONGKIR")

    assert refused.value.field == "shortcut"
    assert "/ongkir" in refused.value.message
    assert _rows() == before


def test_the_same_shortcut_may_be_used_in_another_workspace(world, other_world, supervisor):
    _make(supervisor, "ongkir")

    other = _make(Actor.for_agent(other_world.supervisor), "ongkir")

    assert other.workspace_id == other_world.workspace.pk


@pytest.mark.parametrize("shortcut", ["", "  ", "ongkir kirim", "/ongkir", "ongkir!", "-ongkir", "ongkír", "a" * 51])
def test_a_shortcut_with_characters_other_than_lower_case_letters_digits_hyphens_or_underscores_is_refused(
        shortcut, world, supervisor):
    before = _rows()

    with pytest.raises(InvalidInput) as refused:
        _make(supervisor, shortcut)

    assert refused.value.field == "shortcut"
    assert _rows() == before


@pytest.mark.parametrize(("text", "label"), [("", "empty"), (" \n\t ", "blank"), ("x" * 10_001, "oversize")])
def test_an_empty_blank_or_oversize_text_is_refused(text, label, world, supervisor):
    before = _rows()

    with pytest.raises(InvalidInput) as refused:
        _make(supervisor, "ongkir", text=text)

    assert refused.value.field == "text"
    assert _rows() == before


def test_a_text_of_exactly_ten_thousand_characters_is_accepted(world, supervisor):
    assert len(_make(supervisor, "panjang", text="x" * 10_000).text) == 10_000


def test_a_team_of_another_workspace_is_refused(world, other_world, supervisor):
    before = _rows()

    with pytest.raises(InvalidInput) as refused:
        _make(supervisor, "ongkir", team=other_world.team)

    assert refused.value.field == "team"
    assert _rows() == before


def test_an_update_changes_only_the_given_fields_and_audits_before_and_after(world, supervisor):
    reply = _make(supervisor, "ongkir", title="Ongkir", text="Lama", team=world.team)

    update_canned_reply(actor=supervisor, canned_reply=reply, text="Baru", team=None)

    stored = CannedReply.objects.get(pk=reply.pk)
    assert (stored.shortcut, stored.title, stored.text, stored.team_id) == ("ongkir", "Ongkir", "Baru", None)
    assert stored.updated_at > stored.created_at
    audit = AuditEntry.objects.get(object_type="canned_reply", action="canned_reply.updated")
    assert (audit.before["text"], audit.before["team"]) == ("Lama", world.team.pk)
    assert (audit.after["text"], audit.after["team"]) == ("Baru", None)


def test_an_update_that_changes_nothing_writes_no_audit_entry(world, supervisor):
    reply = _make(supervisor, "ongkir", title="Ongkir", text="Isi")
    before = _rows()

    update_canned_reply(actor=supervisor, canned_reply=reply, shortcut="ongkir", title="Ongkir", text="Isi")

    assert _rows() == before


def test_renaming_to_a_taken_shortcut_is_a_conflict_and_changes_nothing(world, supervisor):
    _make(supervisor, "ongkir")
    resi = _make(supervisor, "resi")
    before = _rows()

    with pytest.raises(Conflict) as refused:
        update_canned_reply(actor=supervisor, canned_reply=resi, shortcut="ongkir", title="Ganti")

    assert refused.value.field == "shortcut"
    assert _rows() == before


def test_deleting_removes_the_reply_and_audits_what_it_was(world, supervisor):
    reply = _make(supervisor, "ongkir", text=ONGKIR)

    delete_canned_reply(actor=supervisor, canned_reply=reply)

    assert not CannedReply.objects.filter(pk=reply.pk).exists()
    audit = AuditEntry.objects.get(object_type="canned_reply", action="canned_reply.deleted")
    assert audit.before["text"] == ONGKIR


def test_recording_a_use_increments_the_count_and_writes_no_audit_entry(world, supervisor):
    reply = _make(supervisor, "ongkir")
    audits = AuditEntry.objects.count()

    record_canned_reply_use(canned_reply=reply)
    record_canned_reply_use(canned_reply=reply)

    assert CannedReply.objects.get(pk=reply.pk).usage_count == 2
    assert AuditEntry.objects.count() == audits


# --- reading -----------------------------------------------------------------------------------

@pytest.fixture
def replies(world, supervisor) -> dict[str, CannedReply]:
    return {
        "everyone": _make(supervisor, "salam"),
        "own_team": _make(supervisor, "retur", team=world.team),
        "other_team": _make(supervisor, "garansi", team=world.other_team),
    }


def _shortcuts(agent, **kwargs) -> list[str]:
    return [r.shortcut for r in canned_replies_for(agent=agent, **kwargs)]


def test_an_agent_uses_the_workspaces_replies_and_their_own_teams_only(world, other_world, replies):
    _make(Actor.for_agent(other_world.supervisor), "asing")

    assert sorted(_shortcuts(world.agent)) == ["retur", "salam"]
    assert sorted(_shortcuts(world.other_agent)) == ["garansi", "salam"]


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisors_and_admins_use_every_reply_of_the_workspace(role, world, replies):
    assert sorted(_shortcuts(getattr(world, role))) == ["garansi", "retur", "salam"]


def test_a_reply_of_another_team_or_workspace_is_not_found(world, other_world, replies):
    foreign = _make(Actor.for_agent(other_world.supervisor), "asing")

    assert access_canned_reply(agent=world.agent, canned_reply_id=replies["own_team"].pk) == replies["own_team"]
    with pytest.raises(NotFound):
        access_canned_reply(agent=world.agent, canned_reply_id=replies["other_team"].pk)
    with pytest.raises(NotFound):
        access_canned_reply(agent=world.admin, canned_reply_id=foreign.pk)


def test_shortcut_prefix_matches_come_before_title_and_text_matches(world, supervisor):
    _make(supervisor, "cek-ongkir", title="Cek dulu")  # contains "ongkir" but does not start with it
    _make(supervisor, "resi", title="Nomor resi", text="Ongkir sudah termasuk asuransi.")
    _make(supervisor, "ongkir-jawa", title="Pulau Jawa")
    popular = _make(supervisor, "tarif", title="Tarif ONGKIR luar pulau")
    for _use in range(5):
        record_canned_reply_use(canned_reply=popular)
    _make(supervisor, "ongkir", title="Ongkos kirim")
    _make(supervisor, "salam", title="Salam pembuka")

    assert _shortcuts(world.agent, q="ongkir") == ["ongkir", "ongkir-jawa", "tarif", "cek-ongkir", "resi"]
    assert _shortcuts(world.agent, q=" /Ongkir-") == ["ongkir-jawa"]


def test_without_a_query_the_most_used_come_first_then_by_shortcut(world, supervisor):
    for shortcut in ("b", "a", "c"):
        _make(supervisor, shortcut)
    record_canned_reply_use(canned_reply=CannedReply.objects.get(shortcut="c"))

    assert _shortcuts(world.agent) == ["c", "a", "b"]


def test_the_composer_gets_at_most_twenty_replies(world, supervisor):
    for n in range(25):
        _make(supervisor, f"jawaban-{n:02d}")

    assert len(_shortcuts(world.agent, q="jawaban")) == 20
    assert search_canned_replies(agent=world.agent, q="jawaban").count() == 25


def test_a_language_keeps_the_replies_in_it_and_those_without_a_language(world, supervisor):
    _make(supervisor, "halo", language="id")
    _make(supervisor, "hello", language="en")
    _make(supervisor, "emoji")

    assert sorted(_shortcuts(world.agent, language="en")) == ["emoji", "hello"]
    assert sorted(_shortcuts(world.agent, language="id")) == ["emoji", "halo"]
    assert sorted(_shortcuts(world.agent)) == ["emoji", "halo", "hello"]


# --- rendering ---------------------------------------------------------------------------------

def test_rendering_fills_customer_agent_and_conversation_number(world, supervisor):
    conversation = _conversation(world)
    reply = _make(supervisor, "salam", text="Halo {customer_name}, saya {agent_name}. Tiket #{conversation_number}.")

    text = render_canned_reply(canned_reply=reply, conversation=conversation, agent=world.agent)

    assert text == f"Halo Siti Aminah, saya Budi. Tiket #{conversation.number}."


def test_a_customer_name_that_looks_like_a_placeholder_is_not_expanded_again(world, supervisor):
    conversation = _conversation(world, name="{agent_name} {conversation_number}")
    reply = _make(supervisor, "salam", text="Halo {customer_name}, saya {agent_name}.")

    text = render_canned_reply(canned_reply=reply, conversation=conversation, agent=world.agent)

    assert text == "Halo {agent_name} {conversation_number}, saya Budi."


@pytest.mark.parametrize("text", ["Diskon {promo}!", "{0} dan {} dan {customer_name!r}", "{{customer_name}}x",
                                  "Kurung { customer_name } tetap", "{__class__}"])
def test_unknown_placeholders_and_format_syntax_stay_as_written(text, world, supervisor):
    conversation = _conversation(world, name="Siti")
    reply = _make(supervisor, "kurung", text=text)

    rendered = render_canned_reply(canned_reply=reply, conversation=conversation, agent=world.agent)

    assert rendered == text.replace("{customer_name}", "Siti")
