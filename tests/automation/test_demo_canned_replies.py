"""The demo shop's canned replies: the supervisor's Indonesian answers, made through the service."""

from __future__ import annotations

import pytest

from layan.accounts.models import AuditEntry
from layan.automation.models import CannedReply
from layan.automation.selectors import canned_replies_for
from layan.demo.seed import seed_demo


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return seed_demo(customers=3, conversations=2)


def test_the_demo_shop_has_ten_indonesian_canned_replies_made_by_its_supervisor(demo):
    replies = CannedReply.objects.filter(workspace=demo.workspace).select_related("created_by", "team")

    assert sorted(r.shortcut for r in replies) == ["cod", "di-luar-jam", "jam-buka", "ongkir", "pengingat", "promo",
                                                  "refund", "resi", "terima-kasih", "tukar-ukuran"]
    assert {r.language for r in replies} == {"id"}
    assert {r.created_by.role for r in replies} == {"supervisor"}
    assert {r.shortcut for r in replies if "{customer_name}" in r.text} >= {"ongkir", "resi", "terima-kasih"}
    assert {r.shortcut for r in replies if "{{customer.first_name|Kakak}}" in r.text} == {"di-luar-jam", "pengingat"}
    assert {r.shortcut: r.team.name for r in replies if r.team} == {"tukar-ukuran": "Layanan Pelanggan"}
    assert AuditEntry.objects.filter(workspace=demo.workspace, action="canned_reply.created").count() == 10


def test_a_demo_agent_of_customer_care_is_not_offered_the_service_teams_reply(demo):
    agent3 = demo.workspace.agents.get(user__email="agent3@demo.layan.id")

    assert "tukar-ukuran" not in {r.shortcut for r in canned_replies_for(agent=agent3)}
    assert [r.shortcut for r in canned_replies_for(agent=agent3, q="re")][:2] == ["refund", "resi"]
