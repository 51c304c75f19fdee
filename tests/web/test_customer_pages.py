"""The customer pages over real HTTP (Django's test client, real database): the list with search,
filters, cursor pages and a query count that does not grow, the profile and its forms, identities,
merging duplicates, and who may do what in which workspace."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from layan.accounts.models import Tag
from layan.conversations.models import Conversation
from layan.conversations.services import create_conversation
from layan.customers.models import Customer, Identity
from layan.customers.services import IdentityInput, create_customer, update_customer

PHONE = "+6281234567890"


def browser(agent, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(agent.user)
    return client


def listed(response) -> list[int]:
    """The customer ids a list page (or its rows fragment) shows, in order."""
    assert response.status_code == 200
    return [int(n) for n in re.findall(r'<tr class="customer" data-customer="(\d+)"', response.content.decode())]


def conversation_numbers(response) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-conversation="(\d+)"', response.content.decode())]


def customer_rows(customer: Customer) -> dict:
    fresh = Customer.objects.get(pk=customer.pk)
    return {"customer": {f: getattr(fresh, f) for f in ("name", "tier", "language", "preferred_channel",
                                                        "merged_into_id")},
            "tags": sorted(fresh.tags.values_list("name", flat=True)),
            "identities": sorted(fresh.identities.values_list("kind", "value"))}


@pytest.fixture
def customers(world):
    """Siti (phone and email, gold, tagged), Rina (email), and Tono (silver) in one workspace."""
    siti = create_customer(actor=world.actor, name="Siti Rahma", tier="gold", tags=["reseller"],
                           identities=[IdentityInput("whatsapp", PHONE), IdentityInput("email", "siti@contoh.id")])
    rina = create_customer(actor=world.actor, name="Rina", identities=[IdentityInput("email", "rina@contoh.id")])
    tono = create_customer(actor=world.actor, name="Tono", tier="silver",
                           identities=[IdentityInput("email", "tono@contoh.id")])
    return {"siti": siti, "rina": rina, "tono": tono}


def open_conversation(world, customer, subject: str, **fields) -> Conversation:
    return create_conversation(actor=world.actor, inbox=world.email_inbox, customer=customer, subject=subject,
                               text=f"Halo: {subject}", **fields).conversation


# --- The list --------------------------------------------------------------------------------

def test_the_list_finds_a_customer_by_name_by_email_and_by_a_phone_written_any_way(world, customers):
    client = browser(world.agent)
    siti = customers["siti"].pk

    assert listed(client.get("/customers/", {"q": "siti rah"})) == [siti]
    assert listed(client.get("/customers/", {"q": "SITI@contoh.ID"})) == [siti]
    assert listed(client.get("/customers/", {"q": "0812-3456-7890"})) == [siti]
    assert listed(client.get("/customers/", {"q": "+62 812 3456 7890"})) == [siti]
    assert listed(client.get("/customers/", {"q": "0812 3456"})) == [siti]  # part of the number
    assert listed(client.get("/customers/", {"q": "tidak ada"})) == []
    assert sorted(listed(client.get("/customers/"))) == sorted(c.pk for c in customers.values())


def test_each_row_shows_identities_tier_tags_visible_conversation_count_and_last_activity(world, customers):
    open_conversation(world, customers["siti"], "Paket", team=world.team)
    open_conversation(world, customers["siti"], "Retur", team=world.team)
    open_conversation(world, customers["siti"], "Rahasia tim lain", team=world.other_team)

    page = browser(world.agent).get("/customers/", {"q": "siti"}).content.decode()

    row = re.search(r'<tr class="customer".*?</tr>', page, re.S).group(0)
    assert f"/customers/{customers['siti'].pk}/" in row
    assert PHONE in row
    assert "siti@contoh.id" in row
    assert "<td>Gold</td>" in row
    assert '<span class="tag">reseller</span>' in row
    assert '<td data-testid="conversation-count">2</td>' in row  # Budi may not see the other team's
    assert "<time datetime=" in row


def test_filters_narrow_the_list_by_tier_and_tag_and_unknown_values_are_ignored(world, customers):
    client = browser(world.agent)

    assert listed(client.get("/customers/", {"tier": "silver"})) == [customers["tono"].pk]
    assert listed(client.get("/customers/", {"tag": "Reseller"})) == [customers["siti"].pk]
    assert listed(client.get("/customers/", {"tier": "gold", "q": "rina"})) == []
    assert len(listed(client.get("/customers/", {"tier": "bogus"}))) == 3


def test_pages_of_fifty_follow_the_cursor_without_repeats(world):
    Customer.objects.bulk_create([Customer(workspace=world.workspace, name=f"Pelanggan {i}") for i in range(60)])
    client = browser(world.agent)

    first = client.get("/customers/")
    more = re.search(r'hx-get="([^"]+)"', first.content.decode()).group(1).replace("&amp;", "&")
    second = client.get(f"/customers/{more}")

    assert len(listed(first)) == 50
    assert len(listed(second)) == 10
    assert set(listed(first)).isdisjoint(listed(second))
    assert "hx-get" not in second.content.decode()
    assert client.get("/customers/?q=Pelanggan&cursor=rusak")["Location"] == "/customers/?q=Pelanggan"


def test_the_list_makes_the_same_queries_for_10_and_for_500_customers(world, django_assert_max_num_queries):
    tag = Tag.objects.create(workspace=world.workspace, name="promo")
    client = browser(world.agent)

    def queries_for(count: int) -> int:
        existing = Customer.objects.count()
        made = Customer.objects.bulk_create([Customer(workspace=world.workspace, name=f"P {existing + i}")
                                             for i in range(count - existing)])
        Identity.objects.bulk_create([Identity(workspace=world.workspace, customer=c, kind="email",
                                               value=f"p{c.pk}@contoh.id") for c in made])
        Customer.tags.through.objects.bulk_create([Customer.tags.through(customer=c, tag=tag) for c in made])
        Conversation.objects.bulk_create([
            Conversation(workspace=world.workspace, number=10_000 + c.pk, subject="Tanya", customer=c,
                         inbox=world.email_inbox, channel="email", last_customer_message_at=timezone.now())
            for c in made])
        client.get("/customers/")  # warm the session
        with django_assert_max_num_queries(20) as captured:
            response = client.get("/customers/")
        assert len(listed(response)) == min(count, 50)
        return len(captured.captured_queries)

    assert queries_for(10) == queries_for(500)


# --- The profile -----------------------------------------------------------------------------

def test_the_profile_shows_the_customer_and_only_the_conversations_the_agent_may_see(world, customers):
    siti = customers["siti"]
    update_customer(actor=world.actor, customer=siti, preferred_channel="whatsapp",
                    consent={"whatsapp": True, "email": False}, attributes={"kota": "Bandung"})
    mine = open_conversation(world, siti, "Paket belum sampai", team=world.team)
    hidden = open_conversation(world, siti, "Urusan tim lain", team=world.other_team)

    agent_page = browser(world.agent).get(f"/customers/{siti.pk}/")
    supervisor_page = browser(world.supervisor).get(f"/customers/{siti.pk}/")

    assert agent_page.status_code == 200
    page = agent_page.content.decode()
    assert conversation_numbers(agent_page) == [mine.number]
    assert f'href="/c/{mine.number}/"' in page
    assert "Urusan tim lain" not in page
    assert sorted(conversation_numbers(supervisor_page)) == sorted([mine.number, hidden.number])
    for shown in ("Siti Rahma", PHONE, "siti@contoh.id", "reseller", "Asia/Jakarta", "Bandung", "kota"):
        assert shown in page
    assert 'name="preferred_channel"' in page
    assert '<option value="whatsapp" selected>' in page


def test_the_conversation_page_links_the_customer_to_their_profile(world, customers):
    conversation = open_conversation(world, customers["siti"], "Paket", team=world.team)

    page = browser(world.agent).get(f"/c/{conversation.number}/").content.decode()

    assert f'href="/customers/{customers["siti"].pk}/"' in page
    assert 'href="/customers/"' in page  # the header's nav


def test_the_edit_form_saves_name_tier_tags_language_and_preferred_channel(world, customers):
    siti = customers["siti"]

    response = browser(world.agent).post(f"/customers/{siti.pk}/", {
        "name": "Siti R.", "tier": "vip", "tags": "reseller, Grosir", "language": "en",
        "preferred_channel": "email"})

    assert (response.status_code, response["Location"]) == (302, f"/customers/{siti.pk}/")
    assert customer_rows(siti)["customer"] == {"name": "Siti R.", "tier": "vip", "language": "en",
                                               "preferred_channel": "email", "merged_into_id": None}
    assert customer_rows(siti)["tags"] == ["grosir", "reseller"]


@pytest.mark.parametrize(("field", "value"), [("tier", "platinum"), ("language", "fr"),
                                              ("preferred_channel", "fax"), ("tags", "ok, " + "x" * 65)])
def test_a_refused_edit_says_why_keeps_what_was_typed_and_writes_nothing(world, customers, database_rows,
                                                                         field, value):
    siti = customers["siti"]
    form = {"name": "Nama yang diketik", "tier": "gold", "tags": "reseller, baru", "language": "id",
            "preferred_channel": "", field: value}
    before = database_rows()

    response = browser(world.agent).post(f"/customers/{siti.pk}/", form)

    assert response.status_code == 400
    page = response.content.decode()
    assert f'role="alert" data-field="{field}"' in page
    assert 'value="Nama yang diketik"' in page
    if field == "tags":
        assert f'value="{value}"' in page
    assert database_rows() == before


def test_an_identity_is_added_in_any_format_and_removed(world, customers):
    rina = customers["rina"]
    client = browser(world.agent)

    added = client.post(f"/customers/{rina.pk}/identities", {"kind": "phone", "value": "0811-2222-3333"})

    assert added["Location"] == f"/customers/{rina.pk}/"
    assert customer_rows(rina)["identities"] == [("email", "rina@contoh.id"), ("phone", "+6281122223333")]
    phone = Identity.objects.get(customer=rina, kind="phone")
    removed = client.post(f"/customers/{rina.pk}/identities/{phone.pk}/remove")
    assert removed["Location"] == f"/customers/{rina.pk}/"
    assert customer_rows(rina)["identities"] == [("email", "rina@contoh.id")]


def test_an_identity_of_another_customer_is_refused_clearly_and_nothing_is_written(world, customers, database_rows):
    rina = customers["rina"]
    before = database_rows()

    response = browser(world.agent).post(f"/customers/{rina.pk}/identities", {"kind": "whatsapp",
                                                                              "value": "0812-3456-7890"})

    assert response.status_code == 409
    page = response.content.decode()
    assert f"{PHONE} sudah dimiliki pelanggan lain." in page
    assert 'value="0812-3456-7890"' in page
    assert '<option value="whatsapp" selected>' in page
    assert database_rows() == before


def test_a_taken_identity_links_its_owner_and_offers_a_supervisor_the_merge(world, customers, database_rows):
    siti, rina = customers["siti"], customers["rina"]
    before = database_rows()

    as_supervisor = browser(world.supervisor).post(f"/customers/{rina.pk}/identities",
                                                   {"kind": "email", "value": "SITI@contoh.id"})
    as_agent = browser(world.agent).post(f"/customers/{rina.pk}/identities",
                                         {"kind": "email", "value": "SITI@contoh.id"})

    assert (as_supervisor.status_code, as_agent.status_code) == (409, 409)
    owner = re.search(r'<p data-testid="identity-owner">(.*?)</p>', as_supervisor.content.decode()).group(1)
    assert f'<a href="/customers/{siti.pk}/">' in owner
    assert f'<a href="/customers/{rina.pk}/merge/?source={siti.pk}">' in owner
    agent_owner = re.search(r'<p data-testid="identity-owner">(.*?)</p>', as_agent.content.decode()).group(1)
    assert f'<a href="/customers/{siti.pk}/">' in agent_owner
    assert "/merge/" not in agent_owner
    assert f"#{siti.pk}" in as_agent.content.decode()
    assert database_rows() == before


def test_an_identity_added_from_a_conversation_goes_back_there_and_never_to_another_site(world, customers):
    rina = customers["rina"]
    conversation = open_conversation(world, rina, "Tanya ongkir")
    client = browser(world.agent)
    page = client.get(f"/c/{conversation.number}/").content.decode()
    form = re.search(rf'<form method="post" action="/customers/{rina.pk}/identities"[^>]*>(.*?)</form>', page,
                     flags=re.S)
    assert form is not None
    assert f'<input type="hidden" name="next" value="/c/{conversation.number}/">' in form.group(1)

    back = client.post(f"/customers/{rina.pk}/identities",
                       {"kind": "email", "value": "Rina.Kerja@Contoh.ID", "next": f"/c/{conversation.number}/"})
    elsewhere = client.post(f"/customers/{rina.pk}/identities",
                            {"kind": "email", "value": "rina2@contoh.id", "next": "https://jahat.example/c/1/"})
    sneaky = client.post(f"/customers/{rina.pk}/identities",
                         {"kind": "email", "value": "rina3@contoh.id", "next": "//jahat.example/"})

    assert (back.status_code, back["Location"]) == (302, f"/c/{conversation.number}/")
    assert (elsewhere.status_code, elsewhere["Location"]) == (302, f"/customers/{rina.pk}/")
    assert (sneaky.status_code, sneaky["Location"]) == (302, f"/customers/{rina.pk}/")
    assert customer_rows(rina)["identities"] == [("email", "rina.kerja@contoh.id"), ("email", "rina2@contoh.id"),
                                                 ("email", "rina3@contoh.id"), ("email", "rina@contoh.id")]


def test_an_invalid_identity_is_refused_with_the_reason(world, customers, database_rows):
    before = database_rows()

    response = browser(world.agent).post(f"/customers/{customers['rina'].pk}/identities",
                                         {"kind": "email", "value": "bukan alamat"})

    assert response.status_code == 400
    assert 'role="alert" data-field="value"' in response.content.decode()
    assert database_rows() == before


def test_an_identity_of_another_customer_cannot_be_removed_through_this_profile(world, customers, database_rows):
    tono_email = Identity.objects.get(customer=customers["tono"])
    before = database_rows()

    response = browser(world.agent).post(f"/customers/{customers['rina'].pk}/identities/{tono_email.pk}/remove")

    assert response.status_code == 404
    assert database_rows() == before


# --- Merging duplicates ----------------------------------------------------------------------

@pytest.fixture
def duplicate(world, customers):
    """Siti again, as a second customer who wrote from another address, with her own conversation."""
    twin = create_customer(actor=world.actor, name="Siti R", tags=["baru"],
                           identities=[IdentityInput("email", "siti.rahma@kantor.id")])
    conversation = open_conversation(world, twin, "Dari alamat kantor", team=world.team)
    return twin, conversation


def test_a_supervisor_finds_the_duplicate_confirms_and_merges_it_and_its_old_profile_redirects(world, customers,
                                                                                               duplicate):
    siti = customers["siti"]
    twin, conversation = duplicate
    client = browser(world.supervisor)

    profile = client.get(f"/customers/{siti.pk}/").content.decode()
    assert f'action="/customers/{siti.pk}/merge/"' in profile
    found = client.get(f"/customers/{siti.pk}/merge/", {"q": "kantor"})
    assert found.status_code == 200
    assert f'href="/customers/{siti.pk}/merge/?source={twin.pk}"' in found.content.decode()
    confirm = client.get(f"/customers/{siti.pk}/merge/", {"source": twin.pk}).content.decode()
    assert "siti.rahma@kantor.id" in confirm
    assert PHONE in confirm
    assert f'name="source" value="{twin.pk}"' in confirm
    assert re.findall(r'data-testid="merge-conversations">(\d+) ', confirm) == ["1", "0"]

    merged = client.post(f"/customers/{siti.pk}/merge/", {"source": twin.pk})

    assert (merged.status_code, merged["Location"]) == (302, f"/customers/{siti.pk}/")
    assert Conversation.objects.get(pk=conversation.pk).customer_id == siti.pk
    assert customer_rows(siti)["identities"] == [("email", "siti.rahma@kantor.id"), ("email", "siti@contoh.id"),
                                                 ("whatsapp", PHONE)]
    assert customer_rows(siti)["tags"] == ["baru", "reseller"]
    assert customer_rows(twin)["customer"]["merged_into_id"] == siti.pk
    old = client.get(f"/customers/{twin.pk}/")
    assert (old.status_code, old["Location"]) == (302, f"/customers/{siti.pk}/")
    assert conversation.number in conversation_numbers(client.get(f"/customers/{siti.pk}/"))
    assert twin.pk not in listed(client.get("/customers/"))


def test_an_admin_may_merge_too(world, customers, duplicate):
    twin, _conversation = duplicate

    response = browser(world.admin).post(f"/customers/{customers['siti'].pk}/merge/", {"source": twin.pk})

    assert response.status_code == 302
    assert customer_rows(twin)["customer"]["merged_into_id"] == customers["siti"].pk


def test_an_agent_may_not_merge_and_nothing_is_written(world, customers, duplicate, database_rows):
    twin, _conversation = duplicate
    siti = customers["siti"]
    client = browser(world.agent)
    before = database_rows()

    assert f"/customers/{siti.pk}/merge/" not in client.get(f"/customers/{siti.pk}/").content.decode()
    assert client.get(f"/customers/{siti.pk}/merge/", {"q": "kantor"}).status_code == 403
    assert client.get(f"/customers/{siti.pk}/merge/", {"source": twin.pk}).status_code == 403
    assert client.post(f"/customers/{siti.pk}/merge/", {"source": twin.pk}).status_code == 403
    assert database_rows() == before


def test_merging_a_customer_into_itself_or_twice_is_refused_with_the_reason(world, customers, duplicate,
                                                                            database_rows):
    siti = customers["siti"]
    twin, _conversation = duplicate
    client = browser(world.supervisor)
    before = database_rows()

    itself = client.post(f"/customers/{siti.pk}/merge/", {"source": siti.pk})
    nobody = client.post(f"/customers/{siti.pk}/merge/", {})

    assert itself.status_code == 400
    assert 'role="alert"' in itself.content.decode()
    assert nobody.status_code == 400
    assert database_rows() == before
    client.post(f"/customers/{siti.pk}/merge/", {"source": twin.pk})
    again = client.post(f"/customers/{customers['rina'].pk}/merge/", {"source": twin.pk})
    assert again.status_code == 409
    assert customer_rows(twin)["customer"]["merged_into_id"] == siti.pk


# --- Access: login, workspaces, CSRF ---------------------------------------------------------

def test_another_workspaces_customer_is_404_on_every_page_and_form_and_nothing_is_written(
        world, other_world, customers, duplicate, database_rows):
    siti = customers["siti"]
    twin, _conversation = duplicate
    identity = Identity.objects.filter(customer=siti).first()
    stranger = browser(other_world.admin)
    theirs = create_customer(actor=other_world.actor, name="Orang lain")
    before = database_rows()

    requests = [
        stranger.get(f"/customers/{siti.pk}/"),
        stranger.post(f"/customers/{siti.pk}/", {"name": "X", "tier": "gold", "tags": "", "language": "id"}),
        stranger.post(f"/customers/{siti.pk}/identities", {"kind": "email", "value": "x@contoh.id"}),
        stranger.post(f"/customers/{siti.pk}/identities/{identity.pk}/remove"),
        stranger.get(f"/customers/{siti.pk}/merge/", {"q": "siti"}),
        stranger.get(f"/customers/{theirs.pk}/merge/", {"source": siti.pk}),
        stranger.post(f"/customers/{siti.pk}/merge/", {"source": twin.pk}),
        stranger.post(f"/customers/{theirs.pk}/merge/", {"source": siti.pk}),
        browser(world.supervisor).post(f"/customers/{siti.pk}/merge/", {"source": theirs.pk}),
    ]

    assert [r.status_code for r in requests] == [404] * len(requests)
    assert database_rows() == before
    assert listed(stranger.get("/customers/", {"q": "siti"})) == []
    assert siti.pk not in listed(stranger.get("/customers/"))


def test_every_customer_page_needs_a_login_and_a_membership(world, customers, django_user_model):
    siti = customers["siti"]
    anonymous = Client()
    for url in ("/customers/", f"/customers/{siti.pk}/", f"/customers/{siti.pk}/merge/"):
        response = anonymous.get(url)
        assert (response.status_code, response["Location"].split("?")[0]) == (302, "/login/")
    assert anonymous.post(f"/customers/{siti.pk}/identities", {"kind": "email", "value": "x@contoh.id"}
                          ).status_code == 302
    outsider = Client()
    outsider.force_login(django_user_model.objects.create_user(email="tamu@contoh.id",
                                                               password="rahasia-sekali-2026"))
    assert outsider.get("/customers/").status_code == 404
    assert outsider.get(f"/customers/{siti.pk}/").status_code == 404
    assert customer_rows(siti)["identities"] == [("email", "siti@contoh.id"), ("whatsapp", PHONE)]


def test_every_customer_form_needs_its_csrf_token(world, customers, duplicate, database_rows):
    siti = customers["siti"]
    twin, _conversation = duplicate
    client = browser(world.supervisor, csrf=True)
    identity = Identity.objects.filter(customer=siti).first()
    before = database_rows()

    refused = [
        client.post(f"/customers/{siti.pk}/", {"name": "X", "tier": "gold", "language": "id"}),
        client.post(f"/customers/{siti.pk}/identities", {"kind": "email", "value": "x@contoh.id"}),
        client.post(f"/customers/{siti.pk}/identities/{identity.pk}/remove"),
        client.post(f"/customers/{siti.pk}/merge/", {"source": twin.pk}),
    ]

    assert [r.status_code for r in refused] == [403] * 4
    assert database_rows() == before
    profile = client.get(f"/customers/{siti.pk}/").content.decode()
    confirm = client.get(f"/customers/{siti.pk}/merge/", {"source": twin.pk}).content.decode()
    assert profile.count('name="csrfmiddlewaretoken"') >= 4  # edit, add, one remove per identity, log out
    assert 'name="csrfmiddlewaretoken"' in confirm


def test_the_customer_views_module_never_writes_and_reads_only_through_selectors():
    source = Path(__file__).resolve().parents[2] / "src" / "layan" / "web" / "customer_views.py"
    tree = ast.parse(source.read_text())
    writes = {"save", "create", "bulk_create", "bulk_update", "update", "delete", "get_or_create",
              "update_or_create"}

    offenders = [f"line {node.lineno}" for node in ast.walk(tree)
                 if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                     and node.func.attr in writes)
                 or (isinstance(node, ast.Attribute) and node.attr == "objects")]

    assert offenders == []



def test_notes_on_a_customer_are_saved_and_shown_beside_their_conversations(world, customers):
    siti = customers["siti"]
    conversation = open_conversation(world, siti, "Tanya stok")
    client = browser(world.agent)
    client.post(f"/customers/{siti.pk}/", {"name": siti.name, "tier": siti.tier, "tags": "", "language": "id",
                                           "preferred_channel": "", "notes": "Suka dihubungi sore hari."})

    siti.refresh_from_db()
    assert siti.notes == "Suka dihubungi sore hari."
    assert "Suka dihubungi sore hari." in client.get(f"/c/{conversation.number}/").content.decode()
    assert "Suka dihubungi sore hari." in client.get(f"/customers/{siti.pk}/").content.decode()
