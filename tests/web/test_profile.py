"""The agent's own profile and availability over real HTTP."""

from __future__ import annotations

from django.test import Client

from layan.accounts.models import Agent, AuditEntry


def browser(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def test_an_agent_saves_name_language_and_timezone_and_the_interface_follows(world):
    response = browser(world.agent).post("/me/", {"display_name": "Budi S.", "language": "en",
                                                  "timezone": "Asia/Makassar"})

    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    agent = Agent.objects.get(pk=world.agent.pk)
    assert (agent.display_name, agent.language, agent.timezone) == ("Budi S.", "en", "Asia/Makassar")
    assert AuditEntry.objects.filter(action="agent.profile_changed", object_id=str(agent.pk)).count() == 1


def test_a_bad_timezone_is_explained_keeps_the_form_and_changes_nothing(world):
    response = browser(world.agent).post("/me/", {"display_name": "Budi Baru", "language": "id",
                                                  "timezone": "Mars/Olympus"})

    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert" data-field="timezone"' in page
    assert 'value="Budi Baru"' in page
    assert Agent.objects.get(pk=world.agent.pk).display_name == "Budi"


def test_availability_changes_from_the_header_and_refuses_nonsense(world):
    client = browser(world.agent)
    assert client.post("/me/availability", {"availability": "online", "next": "/?view=mine"})["Location"] == \
        "/?view=mine"
    agent = Agent.objects.get(pk=world.agent.pk)
    assert agent.availability == "online"
    assert agent.availability_changed_at is not None

    client.post("/me/availability", {"availability": "sleeping", "next": "https://jahat.test/"})
    assert Agent.objects.get(pk=world.agent.pk).availability == "online"
    assert 'data-availability="online"' in client.get("/").content.decode()


def test_the_profile_needs_a_login(db):
    assert Client().get("/me/")["Location"].startswith("/login/")
    assert Client().post("/me/availability", {"availability": "online"})["Location"].startswith("/login/")


def test_colleagues_availability_shows_in_the_inbox_and_the_assignee_lists(world, receive):
    from layan.accounts.services import set_availability

    set_availability(actor=world.actor, agent=world.other_agent, availability="away")
    conversation = receive(world.email_inbox, "siti@contoh.id").conversation
    client = browser(world.admin)

    inbox = client.get("/").content.decode()
    assert '<li data-availability="away">◐ Sari' in inbox
    assert "◐ Sari</option>" in inbox
    assert "◐ Sari</option>" in client.get(f"/c/{conversation.number}/").content.decode()
