"""The conversation page and its composer over real HTTP (Django's test client): who may see it,
what a reply with To/CC/BCC writes, what a refused reply keeps, and the page's query count."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.html import escape

from layan.conversations.models import Message, Status
from layan.conversations.services import add_note, create_conversation
from layan.customers.services import IdentityInput
from layan.delivery.models import OutboxItem


@pytest.fixture
def conversation(world, receive):
    """An email conversation with the customer's colleague in CC and a note."""
    first = receive(world.email_inbox, "siti@contoh.id", cc=(("dewi@contoh.id", "Dewi"),), subject="Paket",
                    quoted_text="> Pesanan sudah dikirim.")
    add_note(actor=world.actor, conversation=first.conversation, text="Cek resi dulu")
    return first.conversation


def browser(agent, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(agent.user)
    return client


def test_the_page_shows_the_thread_and_a_composer_with_to_and_cc_prefilled(world, conversation):
    response = browser(world.agent).get(f"/c/{conversation.number}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Halo, paket saya belum sampai." in page
    assert "Cek resi dulu" in page
    assert "<details><summary>" in page
    assert "&gt; Pesanan sudah dikirim." in page
    assert 'name="to" value="siti@contoh.id"' in page
    assert 'name="cc" value="dewi@contoh.id"' in page
    assert 'name="bcc" value=""' in page


def test_a_reply_with_bcc_is_written_once_even_when_the_form_is_sent_twice(world, conversation):
    client = browser(world.agent)
    form = {"to": "siti@contoh.id", "cc": "dewi@contoh.id, rudi@contoh.id", "bcc": "arsip@tokomaju-arsip.test",
            "text": "Sudah kami kirim ulang.", "key": "k-1", "action": "send_solve"}

    first = client.post(f"/c/{conversation.number}/", form)
    again = client.post(f"/c/{conversation.number}/", form)

    assert (first.status_code, first["Location"]) == (302, f"/c/{conversation.number}/")
    assert again.status_code == 302
    (reply,) = Message.objects.filter(conversation=conversation, direction="out", is_note=False)
    assert reply.recipients == {"to": ["siti@contoh.id"], "cc": ["dewi@contoh.id", "rudi@contoh.id"],
                                "bcc": ["arsip@tokomaju-arsip.test"]}
    assert reply.author_agent == world.agent
    conversation.refresh_from_db()
    assert conversation.status == Status.SOLVED
    assert OutboxItem.objects.filter(message=reply).count() == 1
    shown = client.get(f"/c/{conversation.number}/").content.decode()
    assert "arsip@tokomaju-arsip.test" in shown  # agents see BCC on the message


def test_a_refused_reply_shows_the_reason_keeps_what_was_typed_and_writes_nothing(world, conversation):
    before = Message.objects.count()
    response = browser(world.agent).post(f"/c/{conversation.number}/", {
        "to": "siti@contoh.id", "cc": "bukan-alamat", "text": "Teks yang panjang", "key": "k-2"})

    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert" data-field="cc"' in page
    assert "Teks yang panjang" in page
    assert 'value="bukan-alamat"' in page
    assert Message.objects.count() == before


def test_the_composer_refuses_the_inboxs_own_address(world, conversation):
    response = browser(world.agent).post(f"/c/{conversation.number}/", {
        "to": "support@tokomaju.test", "text": "Halo", "key": "k-3"})
    assert response.status_code == 400
    assert not Message.objects.filter(direction="out", is_note=False).exists()


def test_agents_outside_the_team_and_other_workspaces_get_404_and_write_nothing(world, other_world, conversation):
    hidden = create_conversation(actor=world.actor, subject="Rahasia tim lain", customer_name="Tono",
                                 customer_identities=[IdentityInput("email", "tono@contoh.id")], text="Halo",
                                 team=world.other_team).conversation
    before = Message.objects.count()

    assert browser(world.agent).get(f"/c/{hidden.number}/").status_code == 404
    assert browser(world.agent).post(f"/c/{hidden.number}/", {"text": "x", "key": "k"}).status_code == 404
    assert browser(other_world.admin).get(f"/c/{conversation.number}/").status_code == 404
    assert browser(other_world.admin).post(f"/c/{conversation.number}/", {"text": "x"}).status_code == 404
    assert Message.objects.count() == before


def test_the_page_needs_a_login_and_the_form_needs_its_csrf_token(world, conversation):
    anonymous = Client().get(f"/c/{conversation.number}/")
    assert (anonymous.status_code, anonymous["Location"].split("?")[0]) == (302, "/login/")
    forged = browser(world.agent, csrf=True).post(f"/c/{conversation.number}/", {"text": "x", "key": "k"})
    assert forged.status_code == 403
    assert not Message.objects.filter(direction="out", is_note=False).exists()


def test_the_page_query_count_does_not_grow_with_the_thread(world, conversation, receive,
                                                            django_assert_max_num_queries):
    client = browser(world.agent)
    client.get(f"/c/{conversation.number}/")  # warm the session
    with django_assert_max_num_queries(22) as short:  # + the service-level card and the routing queue
        client.get(f"/c/{conversation.number}/")
    for i in range(15):
        receive(world.email_inbox, "siti@contoh.id", text=f"Pesan ke-{i}", in_reply_to=(
            conversation.messages.order_by("id").first().provider_message_id,))
    with django_assert_max_num_queries(len(short.captured_queries)) as long:
        client.get(f"/c/{conversation.number}/")
    assert len(long.captured_queries) == len(short.captured_queries)


@pytest.mark.parametrize("payload", [
    '<script>alert("xss")</script>',
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">klik</a>',
    '"><svg onload=alert(1)>',
])
def test_customer_markup_is_shown_as_text_and_never_runs(world, receive, payload):
    first = receive(world.email_inbox, "siti@contoh.id", subject=f"Halo {payload}", text=f"Pesan {payload}",
                    html=f"<p>Pesan {payload}</p>", sender_name=f"Siti {payload}")
    page = browser(world.admin).get(f"/c/{first.conversation.number}/").content.decode()
    inbox = browser(world.admin).get("/?view=all").content.decode()

    for html in (page, inbox):
        assert "<script>alert" not in html
        assert "onerror=" not in html.replace("onerror=&quot;", "")
        assert 'href="javascript:' not in html
        assert "<svg onload" not in html
    assert f"Pesan {escape(payload)}" in page  # the customer's text is there, escaped


def test_the_page_shows_the_conversations_history(world, conversation):
    client = browser(world.agent)
    client.post(f"/c/{conversation.number}/details", {"status": "pending", "priority": "urgent", "type": "question",
                                                      "team": "", "assignee": "", "tags": ""})
    page = client.get(f"/c/{conversation.number}/").content.decode()
    assert "<code>conversation.updated</code>" in page
    assert "<code>conversation.status_changed</code>" in page
    assert "priority: urgent" in page


def test_image_attachments_preview_inline_and_other_files_only_download(world, other_world, receive):
    from layan.connectors.base import InboundAttachment

    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    first = receive(world.email_inbox, "siti@contoh.id", attachments=(
        InboundAttachment(filename="foto.png", content_type="image/png", content=png),
        InboundAttachment(filename="gambar.svg", content_type="image/svg+xml", content=b"<svg onload=alert(1)>"),
    ))
    photo, svg = first.message.attachments.order_by("id")
    client = browser(world.agent)
    page = client.get(f"/c/{first.conversation.number}/").content.decode()

    assert f'src="/attachments/{photo.pk}/preview"' in page
    assert f"/attachments/{svg.pk}/preview" not in page
    shown = client.get(f"/attachments/{photo.pk}/preview")
    assert (shown.status_code, shown["Content-Type"], b"".join(shown.streaming_content)) == (200, "image/png", png)
    assert shown["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert client.get(f"/attachments/{svg.pk}/preview").status_code == 404
    assert browser(other_world.admin).get(f"/attachments/{photo.pk}/preview").status_code == 404


def test_files_attached_in_the_composer_go_with_the_reply(world, conversation):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = browser(world.agent).post(f"/c/{conversation.number}/", {
        "to": "siti@contoh.id", "text": "Terlampir resi dan foto.", "key": "k-files",
        "attachments": [SimpleUploadedFile("resi.pdf", b"%PDF-1.4 resi", content_type="application/pdf"),
                        SimpleUploadedFile("foto.jpg", b"\xff\xd8\xff", content_type="image/jpeg")]})

    assert response.status_code == 302
    reply = Message.objects.get(conversation=conversation, direction="out", is_note=False)
    assert [(a.filename, a.content_type, a.size) for a in reply.attachments.order_by("id")] == [
        ("resi.pdf", "application/pdf", 13), ("foto.jpg", "image/jpeg", 3)]
