"""Password reset by email over real HTTP: the link arrives, works once, and says nothing about
which addresses have accounts."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from layan.accounts.models import User


@pytest.fixture(autouse=True)
def with_password(world):
    world.agent.user.set_password("Kata-sandi-lama-2026")
    world.agent.user.save(update_fields=["password"])


def test_an_agent_resets_a_forgotten_password_with_the_emailed_link(world, mailoutbox):
    client = Client()
    response = client.post("/password-reset/", {"email": world.agent.user.email.upper()})
    assert response["Location"] == "/password-reset/sent/"

    (mail,) = mailoutbox
    assert mail.to == [world.agent.user.email]
    link = re.search(r"https?://[^/]+(/password-reset/[^/\s]+/[^/\s]+/)", mail.body).group(1)
    form = client.get(link, follow=True)
    assert 'name="new_password1"' in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "Kata-sandi-baru-2026",
                                                    "new_password2": "Kata-sandi-baru-2026"})
    assert done["Location"] == "/password-reset/done/"
    assert User.objects.get(pk=world.agent.user.pk).check_password("Kata-sandi-baru-2026")

    again = Client().get(link, follow=True).content.decode()
    assert 'name="new_password1"' not in again  # the link worked once


def test_an_unknown_address_gets_the_same_answer_and_no_mail(world, mailoutbox):
    response = Client().post("/password-reset/", {"email": "tidak-ada@contoh.id"})
    assert response["Location"] == "/password-reset/sent/"
    assert mailoutbox == []


def test_a_weak_new_password_is_refused_with_the_reason(world, mailoutbox):
    client = Client()
    client.post("/password-reset/", {"email": world.agent.user.email})
    link = re.search(r"https?://[^/]+(/password-reset/[^/\s]+/[^/\s]+/)", mailoutbox[0].body).group(1)
    form = client.get(link, follow=True)
    refused = client.post(form.redirect_chain[-1][0], {"new_password1": "123", "new_password2": "123"})
    assert refused.status_code == 200
    assert 'role="alert"' in refused.content.decode()
    assert not User.objects.get(pk=world.agent.user.pk).check_password("123")
