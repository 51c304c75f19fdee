"""Seed the demo workspace "Toko Nusantara": agents, teams, inboxes, customers and conversations.

This is a fixture loader, not a service. The workspace, agents, teams, inboxes, tags and the API
token go through the services (so they are valid and audited like any other), but the mass data —
customers, identities, conversations, messages, tags, followers and logged time — is written directly with
``bulk_create`` for speed: thousands of conversations load in seconds. Those rows publish no
events and get no audit entries or outbox items; the loader itself keeps them consistent
(unique numbers, message counts, first-response/solved/closed times that fit the status).

Everything is drawn from ``random.Random(seed)``: the same seed at the same ``now`` gives the
same shop (times are relative to ``now``, so a later run shifts them).
Email addresses use reserved ``.example`` domains; the demo inboxes have no provider credentials,
so replies go through the log adapter and never reach a real person.
"""

from __future__ import annotations

import random
import re
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from layan.accounts.actors import Actor
from layan.accounts.models import Agent, APIToken, Role, Tag, Team, Workspace
from layan.accounts.services import (
    create_agent,
    create_api_token,
    create_team,
    create_workspace,
    ensure_tags,
    revoke_api_token,
    set_team_members,
)
from layan.automation.models import CannedReply
from layan.automation.services import create_canned_reply, create_macro, create_rule
from layan.connectors.models import Inbox, InboxKind
from layan.connectors.services import create_inbox
from layan.connectors.whatsapp.fake_provider import DEFAULT_TEMPLATES
from layan.connectors.whatsapp.services import store_templates
from layan.conversations.models import (
    AuthorKind,
    Conversation,
    ConversationTag,
    DeliveryStatus,
    Direction,
    Follower,
    Message,
    Priority,
    Status,
    TimeEntry,
)
from layan.customers.models import ChannelKind, Customer, Identity, IdentityKind, Tier
from layan.customers.normalise import normalise_phone
from layan.demo import names, texts
from layan.errors import Conflict, InvalidInput, LayanError, NotFound
from layan.routing.models import SkillKind, Strategy
from layan.routing.services import (
    configure_queue,
    create_skill,
    set_agent_routing,
    set_routing_defaults,
    set_skill_requirements,
)
from layan.servicelevels.history import record_past_due_as_history
from layan.servicelevels.models import EscalationKind, HoursKind, Trigger
from layan.servicelevels.oncall import create_rotation
from layan.servicelevels.services import sync_clocks
from layan.servicelevels.settings_services import save_calendar, save_policy

DEMO_SLUG = "demo"
DEMO_NAME = "Toko Nusantara"
DEMO_TIMEZONE = "Asia/Jakarta"
DEMO_PASSWORD = "layan-demo-2026"  # noqa: S105 - a published demo password, by design
DEMO_TOKEN_NAME = "demo"  # noqa: S105 - the token's label
DEMO_SEED = 2026
HISTORY_DAYS = 60
MAX_MESSAGES = 6
SUPPORT_ADDRESS = "bantuan@tokonusantara.example"

TEAM_SERVICE = "Layanan Pelanggan"
TEAM_CARE = "Customer Care"


@dataclass(frozen=True)
class DemoAgent:
    email: str
    role: str
    display_name: str
    teams: tuple[str, ...]
    language: str = "id"


DEMO_AGENTS = (
    DemoAgent("admin@demo.layan.id", Role.ADMIN, "Rina Wulandari", ()),
    DemoAgent("supervisor@demo.layan.id", Role.SUPERVISOR, "Bambang Sutrisno", (TEAM_SERVICE, TEAM_CARE)),
    DemoAgent("agent1@demo.layan.id", Role.AGENT, "Putri Maharani", (TEAM_SERVICE,)),
    DemoAgent("agent2@demo.layan.id", Role.AGENT, "Agus Setiawan", (TEAM_SERVICE,)),
    DemoAgent("agent3@demo.layan.id", Role.AGENT, "Nur Aini Siregar", (TEAM_CARE,), language="en"),
)
ADMIN_EMAIL = DEMO_AGENTS[0].email


@dataclass(frozen=True)
class DemoCannedReply:
    shortcut: str
    title: str
    text: str
    team: str | None = None


# The shop's saved answers, kept by the supervisor; "/" and the shortcut in the composer.
DEMO_CANNED_REPLIES = (
    DemoCannedReply("ongkir", "Ongkos kirim",
                    "Halo Kak {customer_name}, ongkos kirim dihitung otomatis saat checkout sesuai alamat dan "
                    "berat paket. Gratis ongkir untuk belanja di atas Rp 150.000 ke seluruh Indonesia."),
    DemoCannedReply("resi", "Nomor resi",
                    "Halo Kak {customer_name}, nomor resi dikirim lewat email dan WhatsApp paling lambat 1x24 jam "
                    "setelah paket diserahkan ke kurir. Kakak juga bisa mengeceknya di menu Pesanan Saya."),
    DemoCannedReply("refund", "Pengembalian dana",
                    "Mohon maaf atas ketidaknyamanannya, Kak {customer_name}. Pengembalian dana kami proses dalam "
                    "3–7 hari kerja ke rekening atau e-wallet yang Kakak gunakan saat membayar. Nomor tiket: "
                    "#{conversation_number}."),
    DemoCannedReply("cod", "Bayar di tempat (COD)",
                    "Bisa, Kak. Pembayaran di tempat (COD) tersedia untuk JNE, J&T Express dan SiCepat dengan "
                    "maksimal belanja Rp 2.000.000. Siapkan uang pas saat kurir datang ya."),
    DemoCannedReply("jam-buka", "Jam operasional",
                    "Tim kami melayani Senin–Jumat pukul 08.00–17.00 WIB dan Sabtu pukul 08.00–12.00 WIB, kecuali "
                    "hari libur nasional dan cuti bersama. Pesan di luar jam tersebut kami balas pada jam kerja "
                    "berikutnya; pesanan darurat tetap kami tangani 24 jam."),
    DemoCannedReply("terima-kasih", "Terima kasih",
                    "Terima kasih sudah menghubungi Toko Nusantara, Kak {customer_name}. Jika ada pertanyaan lain, "
                    "balas saja pesan ini. Salam, {agent_name}."),
    DemoCannedReply("tukar-ukuran", "Tukar ukuran",
                    "Tukar ukuran bisa dilakukan maksimal 7 hari setelah paket diterima, Kak {customer_name}, "
                    "selama label masih terpasang dan barang belum dicuci. Kirim foto barang dan nomor pesanan "
                    "ya, nanti kami bantu prosesnya.", team=TEAM_SERVICE),
    DemoCannedReply("pengingat", "Pengingat menunggu balasan",
                    "Halo Kak {{customer.first_name|Kakak}}, kami masih menunggu kabar dari Kakak untuk tiket "
                    "#{{conversation.number}}. Balas pesan ini kapan saja ya, kami siap membantu."),
    DemoCannedReply("di-luar-jam", "Di luar jam kerja",
                    "Halo Kak {{customer.first_name|Kakak}}, terima kasih sudah menghubungi Toko Nusantara. Pesan "
                    "Kakak masuk di luar jam kerja (Senin–Jumat 08.00–17.00, Sabtu 08.00–12.00 WIB); kami balas "
                    "secepatnya pada jam kerja berikutnya. Nomor tiket: #{{conversation.number}}."),
    DemoCannedReply("promo", "Promo bulan ini",
                    "Promo bulan ini: diskon 10% dengan kode NUSANTARA10 untuk belanja minimal Rp 200.000, "
                    "berlaku sampai akhir bulan. Kode tidak bisa digabung dengan promo lain."),
)


CALENDAR_OFFICE = "Kantor Jakarta"
CALENDAR_CARE = "Customer Care (shift)"
# Cuti bersama: days off the government adds around public holidays each year (the SKB of three
# ministers); the shop closes on them too. Christmas Eve is the one the demo keeps every year.
CUTI_BERSAMA = ((12, 24, "Cuti bersama Natal"),)
BUSINESS_DAY_MINUTES = 9 * 60  # 08:00-17:00

OFFICE_WEEK = ("08:00-17:00",) * 5 + ("08:00-12:00", "")
# Care answers the phone longer, with a lunch break: a split shift.
CARE_WEEK = ("08:00-12:00, 13:00-20:00",) * 5 + ("08:00-12:00", "")

DEMO_POLICIES = (
    {"name": "Darurat 24/7", "priorities": ["urgent"], "hours": HoursKind.ALWAYS,
     "first_response_minutes": 15, "resolution_minutes": 4 * 60, "warning_minutes": 5,
     "escalations": [{"trigger": Trigger.WARNING, "action": EscalationKind.NOTIFY_ASSIGNEE},
                     {"trigger": Trigger.BREACH, "action": EscalationKind.NOTIFY_SUPERVISORS,
                      "metric": "first_response"}]},
    {"name": "VIP", "customer_tiers": [Tier.VIP, Tier.GOLD], "hours": HoursKind.BUSINESS,
     "first_response_minutes": 30, "next_response_minutes": 60, "resolution_minutes": BUSINESS_DAY_MINUTES,
     "warning_minutes": 10,
     "escalations": [{"trigger": Trigger.WARNING, "action": EscalationKind.NOTIFY_ASSIGNEE},
                     {"trigger": Trigger.BREACH, "action": EscalationKind.RAISE_PRIORITY,
                      "metric": "first_response"}]},
    {"name": "Standar", "hours": HoursKind.BUSINESS, "first_response_minutes": 60, "next_response_minutes": 120,
     "resolution_minutes": 2 * BUSINESS_DAY_MINUTES, "warning_minutes": 15,
     "escalations": [{"trigger": Trigger.WARNING, "action": EscalationKind.NOTIFY_ASSIGNEE,
                      "metric": "first_response"}]},
)

ONCALL_NAME = "Darurat 24/7"
# Weekly shifts handed over on Monday 08:00 WIB; the numbers are demo numbers, paged only through a
# fake SMS/WhatsApp provider.
ONCALL_MEMBERS = (("agent1@demo.layan.id", "0812-1000-0001"), ("agent3@demo.layan.id", "0812-1000-0003"))

# Auto-assignment stays off in the demo: its agents are offline until someone logs in (routing only
# assigns to available agents), and once on it would take over the seeded assignments whenever a
# visitor's availability changed. Switch it on at Settings → Routing to watch it.
DEMO_QUEUES = ((TEAM_SERVICE, Strategy.ROUND_ROBIN), (TEAM_CARE, Strategy.LEAST_LOADED))
DEMO_SKILLS = (("id", SkillKind.LANGUAGE), ("en", SkillKind.LANGUAGE), ("elektronik", SkillKind.TOPIC),
               ("pembayaran", SkillKind.TOPIC))
# (agent, chats, emails, skill -> level 1-5)
DEMO_AGENT_ROUTING = (
    ("agent1@demo.layan.id", 3, 10, {"id": 5, "en": 3, "pembayaran": 4}),
    ("agent2@demo.layan.id", 4, 8, {"id": 5, "elektronik": 5}),
    ("agent3@demo.layan.id", 2, 12, {"id": 4, "en": 5, "elektronik": 3}),
    ("supervisor@demo.layan.id", 1, 5, {"id": 5, "en": 4, "pembayaran": 3}),
)
# Conversations tagged so need the skill (a warranty claim needs someone who knows the devices).
DEMO_SKILL_TAGS = {"elektronik": ["garansi"], "pembayaran": ["pembayaran", "cicilan", "tagihan-ganda"]}


@dataclass(frozen=True)
class DemoInbox:
    kind: str
    name: str
    team: str | None
    weight: int  # how often customers use it
    settings: dict = field(default_factory=dict)
    threading_policy: str | None = None  # the kind's default


DEMO_INBOXES = (
    DemoInbox(InboxKind.WHATSAPP, "WhatsApp Business", TEAM_SERVICE, 32),
    DemoInbox(InboxKind.EMAIL, "Email bantuan", TEAM_CARE, 18, {"addresses": [SUPPORT_ADDRESS]}),
    DemoInbox(InboxKind.LIVECHAT, "Live chat situs", TEAM_SERVICE, 14, {
        # The demo serves on 127.0.0.1:8000; a page there (or on localhost) may embed the widget.
        "allowed_origins": ["http://127.0.0.1:8000", "http://localhost:8000"],
        "greeting": {"id": "Halo! Ada yang bisa kami bantu hari ini?", "en": "Hello! How can we help you today?"},
        "prechat": {"fields": ["name", "email"], "required": False},
    }),
    DemoInbox(InboxKind.INSTAGRAM, "Instagram @tokonusantara", TEAM_SERVICE, 8),
    DemoInbox(InboxKind.TELEGRAM, "Telegram @TokoNusantaraBot", TEAM_SERVICE, 5),
    DemoInbox(InboxKind.MESSENGER, "Facebook Messenger", TEAM_SERVICE, 4),
    DemoInbox(InboxKind.VOICE, "Telepon 1500-123", TEAM_CARE, 7),
    DemoInbox(InboxKind.SMS, "SMS 98765", TEAM_CARE, 3),
    DemoInbox(InboxKind.WEBFORM, "Formulir kontak", TEAM_CARE, 6),
    DemoInbox(InboxKind.API, "API", None, 3),
)

# Which identity a conversation on each inbox kind reaches the customer through.
CHANNEL_IDENTITY = {
    InboxKind.WHATSAPP: IdentityKind.WHATSAPP, InboxKind.EMAIL: IdentityKind.EMAIL,
    InboxKind.LIVECHAT: IdentityKind.LIVECHAT, InboxKind.INSTAGRAM: IdentityKind.INSTAGRAM,
    InboxKind.TELEGRAM: IdentityKind.TELEGRAM, InboxKind.MESSENGER: IdentityKind.MESSENGER,
    InboxKind.VOICE: IdentityKind.PHONE, InboxKind.SMS: IdentityKind.PHONE, InboxKind.WEBFORM: IdentityKind.EMAIL,
    InboxKind.API: IdentityKind.EXTERNAL,
}
# Channels that report read receipts, and the delivery status their replies usually reach.
READ_RECEIPT_KINDS = {InboxKind.WHATSAPP, InboxKind.MESSENGER, InboxKind.INSTAGRAM, InboxKind.TELEGRAM,
                      InboxKind.LIVECHAT}
SUBJECT_FROM_SUBJECT_LINE = {InboxKind.EMAIL, InboxKind.WEBFORM, InboxKind.API}

TIERS = ((Tier.STANDARD, 64), (Tier.SILVER, 20), (Tier.GOLD, 11), (Tier.VIP, 5))
PRIORITY_ORDER = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)
# Customers write mostly in the day and evening, Jakarta time.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 11, 10, 11, 11, 10, 9, 9, 9, 10, 10, 8, 5, 2)
# ... and more on weekdays than at the weekend (Monday to Sunday), so that the contact center's
# staffing forecast, which averages each hour of the week, has a week to show.
DAY_WEIGHTS = (12, 11, 10, 10, 11, 8, 6)
# Agents log the time they spent on most solved conversations (seconds, by how the customer wrote).
TIME_LOGGED_SHARE = 0.6
TIME_LOGGED_SECONDS = {"email": (240, 720), "webform": (240, 720), "api": (180, 600)}
TIME_LOGGED_DEFAULT = (150, 540)  # chats and calls
MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}
RESI_PREFIX = {"JNE": "CGK", "J&T Express": "JP", "SiCepat": "0046", "AnterAja": "1100", "Pos Indonesia": "P",
               "Ninja Xpress": "NLIDAP", "GoSend": "GK-"}


@dataclass(frozen=True)
class DemoSummary:
    workspace: Workspace
    seeded: bool  # False when the workspace already existed and was left alone
    customers: int
    conversations: int
    messages: int
    seconds: float


def delete_demo_workspace() -> bool:
    """Remove the demo workspace and everything in it. The agents' logins stay."""
    workspace = Workspace.objects.filter(slug=DEMO_SLUG).first()
    if workspace is None:
        return False
    with transaction.atomic():
        # Conversations protect their customers and inboxes, so they go first.
        Conversation.objects.filter(workspace=workspace).delete()
        workspace.delete()
    return True


def seed_demo(*, customers: int = 300, conversations: int = 3000, reset: bool = False, seed: int = DEMO_SEED,
              now: datetime | None = None) -> DemoSummary:
    """Create and fill the demo workspace unless it exists (``reset`` deletes it first)."""
    if customers < 1:
        raise InvalidInput(_("The demo needs at least one customer."), field="customers")
    if conversations < 0:
        raise InvalidInput(_("The number of conversations cannot be negative."), field="conversations")
    started = time.monotonic()
    now = now or timezone.now()
    with transaction.atomic():
        if reset:
            delete_demo_workspace()
        workspace = Workspace.objects.filter(slug=DEMO_SLUG).first()
        if workspace is None:
            try:
                workspace = create_workspace(name=DEMO_NAME, slug=DEMO_SLUG, timezone_name=DEMO_TIMEZONE,
                                             language="id")
            except Conflict:  # another `layan demo` got there first
                workspace = Workspace.objects.get(slug=DEMO_SLUG)
            else:
                _DemoShop(workspace=workspace, rng=random.Random(seed), now=now).fill(
                    customers=customers, conversations=conversations)
                return DemoSummary(workspace=workspace, seeded=True, seconds=time.monotonic() - started,
                                   **_counts(workspace))
    return DemoSummary(workspace=workspace, seeded=False, seconds=time.monotonic() - started,
                       **_counts(workspace))


def _counts(workspace: Workspace) -> dict:
    return {
        "customers": Customer.objects.filter(workspace=workspace).count(),
        "conversations": Conversation.objects.filter(workspace=workspace).count(),
        "messages": Message.objects.filter(workspace=workspace).count(),
    }


def issue_demo_token(*, workspace: Workspace) -> tuple[Agent, str]:
    """A fresh API token for the demo admin; earlier tokens named "demo" are revoked."""
    admin = (Agent.objects.select_related("workspace", "user")
             .filter(workspace=workspace, user__email=ADMIN_EMAIL).first())
    if admin is None:
        raise NotFound(_("Workspace %(slug)s has no agent %(email)s; run `layan demo --reset`.") % {
            "slug": workspace.slug, "email": ADMIN_EMAIL})
    actor = Actor.system(workspace)
    with transaction.atomic():
        for token in APIToken.objects.filter(workspace=workspace, name=DEMO_TOKEN_NAME, revoked_at__isnull=True):
            revoke_api_token(token=token, actor=actor)
        _token, raw = create_api_token(agent=admin, name=DEMO_TOKEN_NAME)
    return admin, raw


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _rupiah(amount: int) -> str:
    return "Rp " + f"{amount:,}".replace(",", ".")


def _first_words(text: str, limit: int) -> str:
    """The first line of ``text``, cut at a word boundary to at most ``limit`` characters."""
    line = text.strip().splitlines()[0]
    if len(line) <= limit:
        return line
    return line[: limit - 1].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


@dataclass
class _Person:
    """A demo customer while the loader builds it: the row, and the ways to reach them."""

    customer: Customer
    first_name: str
    city: str
    identities: dict[str, Identity] = field(default_factory=dict)


@dataclass
class _Line:
    role: str  # "customer", "agent" or "note"
    text: str = ""
    at: datetime | None = None
    author: Agent | None = None


class _DemoShop:
    def __init__(self, *, workspace: Workspace, rng: random.Random, now: datetime):
        self.workspace = workspace
        self.rng = rng
        self.now = now
        self.local = ZoneInfo(DEMO_TIMEZONE)
        self.taken: dict[str, set[str]] = {}
        today = now.astimezone(self.local).date()
        self.day_weights = [DAY_WEIGHTS[(today - timedelta(days=ago)).weekday()] for ago in range(HISTORY_DAYS)]

    def fill(self, *, customers: int, conversations: int) -> None:
        self._staff()
        self._service_levels()
        self._routing()
        self._automation()
        people = self._customers(customers)
        self._conversations(people, conversations)
        self._clocks()

    # --- structure, through the services ---------------------------------------------------
    def _staff(self) -> None:
        ws = self.workspace
        self.agents: dict[str, Agent] = {}
        for spec in DEMO_AGENTS:
            self.agents[spec.email] = create_agent(
                workspace=ws, email=spec.email, role=spec.role, display_name=spec.display_name,
                language=spec.language, timezone_name=DEMO_TIMEZONE,
            )
        # One hash for all: hashing is deliberately slow, and the password is public anyway.
        get_user_model().objects.filter(pk__in=[a.user_id for a in self.agents.values()]).update(
            password=make_password(DEMO_PASSWORD))
        actor = Actor.for_agent(self.agents[ADMIN_EMAIL])
        self.teams: dict[str, Team] = {}
        self.members: dict[str, list[Agent]] = {}
        for team_name in (TEAM_SERVICE, TEAM_CARE):
            team = create_team(actor=actor, name=team_name)
            members = [self.agents[s.email] for s in DEMO_AGENTS if team_name in s.teams]
            set_team_members(actor=actor, team=team, agents=members)
            self.teams[team_name], self.members[team_name] = team, members
        self.inboxes: list[tuple[Inbox, DemoInbox]] = []
        for spec in DEMO_INBOXES:
            inbox = create_inbox(actor=actor, kind=spec.kind, name=spec.name,
                                 default_team=self.teams.get(spec.team) if spec.team else None,
                                 threading_policy=spec.threading_policy, settings=dict(spec.settings))
            if spec.kind == InboxKind.WHATSAPP:
                # Templates as a sync from Meta would store them, so the composer's picker has
                # something to offer on conversations whose 24-hour window has closed.
                store_templates(inbox=inbox, items=DEFAULT_TEMPLATES)
            self.inboxes.append((inbox, spec))
        self.tags: dict[str, Tag] = {
            t.name: t for t in ensure_tags(workspace_id=ws.pk, names=texts.CONVERSATION_TAGS + texts.CUSTOMER_TAGS)
        }
        supervisor = next(a for a in self.agents.values() if a.role == Role.SUPERVISOR)
        for spec in DEMO_CANNED_REPLIES:
            create_canned_reply(actor=Actor.for_agent(supervisor), shortcut=spec.shortcut, title=spec.title,
                                text=spec.text, team=self.teams[spec.team] if spec.team else None, language="id")


    # --- service levels, on call, routing, automation: through their services -------------------
    def _manager(self) -> Actor:
        return Actor.for_agent(self.agents[ADMIN_EMAIL])

    def _service_levels(self) -> None:
        actor = self._manager()
        year = self.now.astimezone(self.local).year
        closures = "\n".join(f"{date(year, month, day).isoformat()} {name}" for month, day, name in CUTI_BERSAMA)
        office = save_calendar(actor=actor, name=CALENDAR_OFFICE, timezone=DEMO_TIMEZONE, holiday_country="ID",
                               is_default=True, week=OFFICE_WEEK, closed_dates=closures,
                               team_ids=[self.teams[TEAM_SERVICE].pk])
        care = save_calendar(actor=actor, name=CALENDAR_CARE, timezone=DEMO_TIMEZONE, holiday_country="ID",
                             week=CARE_WEEK, closed_dates=closures, team_ids=[self.teams[TEAM_CARE].pk])
        self.calendars = {"office": office, "care": care}
        for spec in DEMO_POLICIES:  # each placed after the one before
            save_policy(actor=actor, **spec)
        today = self.now.astimezone(self.local).date()
        create_rotation(actor=actor, name=ONCALL_NAME, starts_on=today - timedelta(days=today.weekday()),
                        shift_hours=168, handover_time=clock_time(8), timezone_name=DEMO_TIMEZONE,
                        escalate_after_minutes=15,
                        members=[(self.agents[email], phone) for email, phone in ONCALL_MEMBERS])

    def _routing(self) -> None:
        actor = self._manager()
        set_routing_defaults(actor=actor, chat_capacity=3, email_capacity=10)
        for team_name, strategy in DEMO_QUEUES:
            # Off: see DEMO_QUEUES.
            configure_queue(actor=actor, team=self.teams[team_name], strategy=strategy, auto_assign=False)
        skills = {name: create_skill(actor=actor, name=name, kind=kind) for name, kind in DEMO_SKILLS}
        for email, chat, mail, levels in DEMO_AGENT_ROUTING:
            set_agent_routing(actor=actor, agent=self.agents[email], chat_capacity=chat, email_capacity=mail,
                              skill_levels={skills[name].pk: level for name, level in levels.items()})
        for name, tag_names in DEMO_SKILL_TAGS.items():
            set_skill_requirements(actor=actor, skill=skills[name], tag_names=tag_names)

    def _automation(self) -> None:
        supervisor = Actor.for_agent(self.agents[DEMO_AGENTS[1].email])
        canned = {c.shortcut: c.pk for c in CannedReply.objects.filter(workspace=self.workspace)}
        care = self.teams[TEAM_CARE].pk
        create_rule(actor=supervisor, name="Keluhan: prioritas tinggi dan tag keluhan", event="conversation_created",
                    conditions={"any": [{"field": "type", "operator": "is", "value": ["complaint"]},
                                        {"field": "text", "operator": "contains",
                                         "value": ["komplain", "kecewa", "keluhan", "complaint"]}]},
                    actions=[{"type": "set_priority", "value": "high"}, {"type": "add_tags", "value": ["keluhan"]}])
        create_rule(actor=supervisor, name="Pesan di luar jam kerja: balasan otomatis", event="conversation_created",
                    conditions={"all": [{"field": "business_hours", "operator": "is", "value": ["outside"]}]},
                    actions=[{"type": "reply_canned", "value": canned["di-luar-jam"]}])
        # Email and the web form only: WhatsApp and Meta's channels allow free text for 24 hours after
        # the customer's last message (a reminder days later needs an approved template), and a
        # phone conversation is answered by calling back.
        create_rule(actor=supervisor, name="Menunggu pelanggan 3 hari (email): kirim pengingat", event="time_based",
                    delay_minutes=3 * 24 * 60, time_anchor="status_changed",
                    conditions={"all": [{"field": "status", "operator": "is", "value": ["pending"]},
                                        {"field": "channel", "operator": "is", "value": ["email", "webform"]}]},
                    actions=[{"type": "reply_canned", "value": canned["pengingat"]}])
        create_macro(actor=supervisor, name="Eskalasi ke tim Care", actions=[
            {"type": "assign_team", "value": care}, {"type": "set_priority", "value": "high"},
            {"type": "add_tags", "value": ["eskalasi"]},
            {"type": "add_note", "value": "Dieskalasi ke tim Customer Care oleh {{agent.first_name}}."}])

    def _clocks(self) -> None:
        """Service-level clocks for the conversations still being worked on, as their events would
        have set them (solved ones are history the inbox does not badge)."""
        active = (Conversation.objects.filter(workspace=self.workspace)
                  .exclude(status__in=(Status.SOLVED, Status.CLOSED)).order_by("pk").values_list("pk", flat=True))
        for pk in active:
            sync_clocks(conversation_id=pk, at=self.now)
        # What fell due before now happened in the past: recorded, not escalated all over again.
        record_past_due_as_history(workspace_id=self.workspace.pk, now=self.now)

    # --- customers --------------------------------------------------------------------------
    def _unique(self, kind: str, make) -> str:
        taken = self.taken.setdefault(kind, set())
        for _attempt in range(1000):
            value = make()
            if value not in taken:
                taken.add(value)
                return value
        raise RuntimeError(f"could not find a free {kind} value")

    def _phone(self) -> tuple[str, str]:
        """A valid Indonesian mobile number: (E.164, as the customer wrote it)."""
        rng = self.rng
        while True:
            prefix = rng.choice(names.MOBILE_PREFIXES)
            rest = "".join(str(rng.randrange(10)) for _ in range(rng.choice((7, 8, 8))))
            written = f"{prefix}-{rest[:4]}-{rest[4:]}"
            try:
                e164 = normalise_phone(written)
            except LayanError:
                continue
            taken = self.taken.setdefault("phone", set())
            if e164 not in taken:
                taken.add(e164)
                return e164, written

    def _identity(self, person: _Person, kind: str, value: str, display: str = "", verified: bool = False):
        person.identities[kind] = Identity(workspace=self.workspace, customer=person.customer, kind=kind, value=value,
                                           display_value=display or value, verified=verified,
                                           created_at=person.customer.created_at)

    def _customers(self, count: int) -> list[_Person]:
        rng = self.rng
        people = []
        for _index in range(count):
            english = rng.random() < 0.12
            if english:
                first, family = rng.choice(names.ENGLISH_GIVEN_NAMES), rng.choice(names.ENGLISH_FAMILY_NAMES)
            else:
                given = names.FEMALE_GIVEN_NAMES if rng.random() < 0.55 else names.MALE_GIVEN_NAMES
                first = rng.choice(given)
                family = "" if rng.random() < 0.08 else rng.choice(names.FAMILY_NAMES)
            full_name = f"{first} {family}".strip()
            tier = _weighted(rng, TIERS)
            created_at = self.now - timedelta(days=rng.uniform(HISTORY_DAYS + 2, 900),
                                              seconds=rng.randrange(86400))
            city = rng.choice(names.CITIES)
            customer = Customer(
                workspace=self.workspace, name=full_name, language="en" if english else "id",
                timezone=DEMO_TIMEZONE, tier=tier, attributes={"kota": city},
                consent={"email": rng.random() < 0.6, "whatsapp": rng.random() < 0.75},
                preferred_channel=_weighted(rng, ((ChannelKind.WHATSAPP, 60), (ChannelKind.EMAIL, 25),
                                                  (ChannelKind.INSTAGRAM, 8), (ChannelKind.PHONE, 7))),
                created_at=created_at, updated_at=created_at,
            )
            # "Ni Wayan" is called Wayan.
            person = _Person(customer=customer, first_name=first.split()[-1], city=city)
            local_part = re.sub(r"[^a-z0-9]+", ".", _ascii(full_name).lower()).strip(".")
            email = self._unique("email", lambda lp=local_part: "{}{}@{}".format(
                lp if rng.random() < 0.7 else lp.replace(".", "_"),
                "" if rng.random() < 0.4 else rng.randrange(1, 2000),
                _weighted(rng, names.EMAIL_DOMAINS)))
            self._identity(person, IdentityKind.EMAIL, email, verified=rng.random() < 0.5)
            e164, written = self._phone()
            self._identity(person, IdentityKind.PHONE, e164, written)
            if rng.random() < 0.85:
                self._identity(person, IdentityKind.WHATSAPP, e164, written, verified=True)
            people.append(person)
        Customer.objects.bulk_create([p.customer for p in people])
        tag_links = []
        for person in people:
            customer = person.customer
            wanted = []
            if customer.tier in (Tier.GOLD, Tier.VIP):
                wanted.append("pelanggan-setia")
            if self.now - customer.created_at < timedelta(days=120):
                wanted.append("pelanggan-baru")
            roll = rng.random()
            if roll < 0.05:
                wanted.append("reseller")
            elif roll < 0.08:
                wanted.append("korporat")
            elif roll < 0.11:
                wanted.append("sering-retur")
            tag_links += [Customer.tags.through(customer_id=customer.pk, tag_id=self.tags[n].pk) for n in wanted]
        Customer.tags.through.objects.bulk_create(tag_links)
        return people

    def _reach(self, person: _Person, kind: str) -> Identity | None:
        """The customer's identity for an inbox kind, made up the first time they use that channel."""
        identity_kind = CHANNEL_IDENTITY.get(kind)
        if identity_kind is None:
            return None
        if identity_kind in person.identities:
            return person.identities[identity_kind]
        rng = self.rng
        if identity_kind == IdentityKind.WHATSAPP:
            phone = person.identities[IdentityKind.PHONE]
            self._identity(person, identity_kind, phone.value, phone.display_value, verified=True)
        elif identity_kind in (IdentityKind.TELEGRAM, IdentityKind.INSTAGRAM):
            separator = rng.choice(("_", ".", "")) if identity_kind == IdentityKind.INSTAGRAM else "_"
            first, _space, rest = person.customer.name.lower().partition(" ")
            stem = separator.join(re.sub(r"[^a-z0-9]+", "", _ascii(part)) for part in (first, rest) if part)
            value = self._unique(identity_kind, lambda: f"{stem[:24]}{rng.randrange(10, 1000)}")
            self._identity(person, identity_kind, value, f"@{value}")
        elif identity_kind == IdentityKind.MESSENGER:  # a page-scoped id
            value = self._unique(identity_kind, lambda: str(rng.randrange(10**15, 10**16)))
            self._identity(person, identity_kind, value)
        elif identity_kind == IdentityKind.EXTERNAL:
            # The company's own customer id, which an API-channel reply is addressed to. Numbered,
            # not drawn: a draw here would change every later value the seed makes.
            value = self._unique(identity_kind, lambda: f"pelanggan-{len(self.taken.get(identity_kind, ())) + 1:04d}")
            self._identity(person, identity_kind, value)
        else:  # live chat: the widget's visitor id
            value = self._unique(identity_kind, lambda: f"v_{rng.getrandbits(64):016x}")
            self._identity(person, identity_kind, value)
        return person.identities[identity_kind]

    # --- conversations ----------------------------------------------------------------------
    def _moment(self) -> datetime:
        """When a conversation started: a day in the history window, at a likely hour in Jakarta."""
        rng = self.rng
        latest = self.now - timedelta(minutes=30)
        while True:
            days_ago = rng.choices(range(HISTORY_DAYS), weights=self.day_weights, k=1)[0]
            day = (self.now.astimezone(self.local) - timedelta(days=days_ago)).date()
            hour = rng.choices(range(24), weights=HOUR_WEIGHTS, k=1)[0]
            local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60),
                             tzinfo=self.local)
            moment = local.astimezone(UTC)
            if moment <= latest:
                return moment

    def _status(self, age: timedelta) -> str:
        days = age.total_seconds() / 86400
        if days > 10:
            weights = ((Status.CLOSED, 62), (Status.SOLVED, 30), (Status.PENDING, 3), (Status.ON_HOLD, 3),
                       (Status.OPEN, 2))
        elif days > 3:
            weights = ((Status.SOLVED, 42), (Status.CLOSED, 14), (Status.PENDING, 15), (Status.OPEN, 16),
                       (Status.ON_HOLD, 6), (Status.NEW, 7))
        else:
            weights = ((Status.NEW, 28), (Status.OPEN, 30), (Status.PENDING, 15), (Status.ON_HOLD, 5),
                       (Status.SOLVED, 22))
        return _weighted(self.rng, weights)

    def _plan(self, status: str, scenario: texts.Scenario) -> list[_Line]:
        """Who writes, in order: the customer first; agents answer; sometimes a note."""
        rng = self.rng
        if status == Status.NEW:
            return [_Line("customer")] + ([_Line("customer")] if rng.random() < 0.3 else [])
        count = rng.choices((1, 2, 3, 4, 5, 6), weights=(6, 30, 26, 18, 11, 9), k=1)[0]
        if status != Status.OPEN:
            count = max(count, 2)  # an agent has answered
        lines = [_Line("customer" if i % 2 == 0 else "agent") for i in range(count)]
        if status == Status.PENDING and lines[-1].role == "customer":
            if len(lines) < MAX_MESSAGES:
                lines.append(_Line("agent"))
            else:
                lines.pop()
        note_chance = 0.45 if scenario.type in ("complaint", "incident") else 0.18
        if len(lines) < MAX_MESSAGES and rng.random() < note_chance:
            lines.insert(rng.randrange(1, len(lines) + 1), _Line("note"))
        return lines

    def _timeline(self, lines: list[_Line], start: datetime) -> None:
        rng = self.rng
        gaps = []
        for line in lines[1:]:
            if line.role == "agent":
                minutes = _weighted(rng, ((rng.uniform(1, 40), 60), (rng.uniform(40, 240), 30),
                                          (rng.uniform(240, 1200), 10)))
            elif line.role == "note":
                minutes = rng.uniform(1, 30)
            else:
                minutes = _weighted(rng, ((rng.uniform(2, 60), 55), (rng.uniform(60, 600), 30),
                                          (rng.uniform(600, 2000), 15)))
            gaps.append(timedelta(minutes=minutes))
        # Squeeze the thread into the time there was, so nothing happens in the future.
        room = (self.now - timedelta(minutes=2)) - start
        total = sum(gaps, timedelta())
        if total > room:
            gaps = [gap * (room / total) for gap in gaps]
        moment = start
        lines[0].at = start
        for line, gap in zip(lines[1:], gaps, strict=True):
            moment = moment + max(gap, timedelta(seconds=1))
            line.at = moment

    def _conversations(self, people: list[_Person], count: int) -> None:
        if count == 0:
            return
        rng = self.rng
        by_language = {lang: [s for s in texts.SCENARIOS if s.language == lang] for lang in ("id", "en")}
        # A few customers write often, most now and then.
        weights = [min(rng.paretovariate(1.3), 25.0) for _ in people]
        inbox_weights = [spec.weight for _inbox, spec in self.inboxes]
        drafts = []
        for person in rng.choices(people, weights=weights, k=count):
            scenario = rng.choice(by_language[person.customer.language])
            inbox, spec = rng.choices(self.inboxes, weights=inbox_weights, k=1)[0]
            drafts.append(self._draft(person, scenario, inbox, spec))
        drafts.sort(key=lambda d: d[0].created_at)
        first_number = self.workspace.last_conversation_number + 1
        for offset, (conversation, *_rest) in enumerate(drafts):
            conversation.number = first_number + offset
        Conversation.objects.bulk_create([d[0] for d in drafts])

        messages, tag_links, followers = [], [], []
        supervisor = self.agents[DEMO_AGENTS[1].email]
        for conversation, person, lines, recipient, tag_names in drafts:
            messages.extend(self._message(conversation, person, line, recipient) for line in lines)
            tag_links += [ConversationTag(conversation=conversation, tag=self.tags[n]) for n in tag_names]
            if (conversation.priority in (Priority.HIGH, Priority.URGENT) and conversation.status != Status.NEW
                    and conversation.assignee_id != supervisor.pk and rng.random() < 0.5):
                followers.append(Follower(conversation=conversation, agent=supervisor, created_at=lines[0].at))
        Message.objects.bulk_create(messages)
        ConversationTag.objects.bulk_create(tag_links)
        Follower.objects.bulk_create(followers)
        TimeEntry.objects.bulk_create(self._time_logged(drafts))
        Identity.objects.bulk_create([i for p in people for i in p.identities.values()])
        highest = Conversation.objects.filter(workspace=self.workspace).aggregate(n=Max("number"))["n"] or 0
        Workspace.objects.filter(pk=self.workspace.pk).update(last_conversation_number=highest)
        self.workspace.last_conversation_number = highest

    def _time_logged(self, drafts) -> list[TimeEntry]:
        """Time the assignee logged on a share of the solved conversations, when they solved it."""
        rng = self.rng
        entries = []
        for conversation, *_rest in drafts:
            if conversation.solved_at is None or conversation.assignee_id is None or conversation.first_response_at is None:
                continue
            if rng.random() >= TIME_LOGGED_SHARE:
                continue
            low, high = TIME_LOGGED_SECONDS.get(conversation.channel, TIME_LOGGED_DEFAULT)
            entries.append(TimeEntry(workspace=self.workspace, conversation=conversation,
                                     agent_id=conversation.assignee_id, seconds=rng.randint(low, high),
                                     created_at=conversation.solved_at))
        return entries

    def _draft(self, person: _Person, scenario: texts.Scenario, inbox: Inbox, spec: DemoInbox):
        rng = self.rng
        customer = person.customer
        start = self._moment()
        status = self._status(self.now - start)
        lines = self._plan(status, scenario)
        self._timeline(lines, start)

        team = self.teams.get(spec.team) if spec.team else None
        if team is None or rng.random() < 0.15:
            team = self.teams[rng.choice((TEAM_SERVICE, TEAM_CARE))]
        staff = self.members[team.name]
        hands_on = [a for a in staff if a.role == Role.AGENT] or staff
        assignee = None
        if rng.random() < (0.25 if status == Status.NEW else 0.96):
            assignee = rng.choice(hands_on) if rng.random() < 0.9 else rng.choice(staff)
        for line in lines:
            if line.role == "agent":
                line.author = assignee or rng.choice(hands_on)
            elif line.role == "note":
                line.author = rng.choice(staff) if rng.random() < 0.5 else (assignee or rng.choice(staff))

        values = self._write(lines, scenario, person, status, start)

        solved_at = closed_at = None
        last_at = lines[-1].at
        if status in (Status.SOLVED, Status.CLOSED):
            solved_at = min(last_at + timedelta(minutes=rng.uniform(1, 120)), self.now - timedelta(minutes=1))
            solved_at = max(solved_at, last_at)
            if status == Status.CLOSED:
                closed_at = solved_at + timedelta(days=rng.uniform(3, 7))
                if closed_at > self.now:  # not auto-closed yet
                    status, closed_at = Status.SOLVED, None
        agent_times = [line.at for line in lines if line.role == "agent"]
        customer_times = [line.at for line in lines if line.role == "customer"]

        level = PRIORITY_ORDER.index(scenario.priority)
        roll = rng.random()
        if roll < 0.25:
            level -= 1
        elif roll < 0.32 or (customer.tier == Tier.VIP and roll > 0.6):
            level += 1
        priority = PRIORITY_ORDER[max(0, min(level, len(PRIORITY_ORDER) - 1))]

        first_text = lines[0].text
        if spec.kind in SUBJECT_FROM_SUBJECT_LINE:
            subject = rng.choice(scenario.subjects).format_map(values)
        else:
            subject = _first_words(first_text, 80)
        tag_names = [scenario.tags[0]] + [t for t in scenario.tags[1:] if rng.random() < 0.6]
        if customer.tier == Tier.VIP and "keluhan" in scenario.tags and "keluhan" not in tag_names:
            tag_names.append("keluhan")
        conversation = Conversation(
            workspace=self.workspace, subject=subject[:300], status=status, priority=priority, type=scenario.type,
            customer=customer, inbox=inbox, channel=inbox.kind, team=team, assignee=assignee,
            created_at=start, last_message_at=last_at,
            updated_at=max(t for t in (last_at, solved_at, closed_at) if t is not None),
            last_customer_message_at=customer_times[-1] if customer_times else None,
            first_response_at=agent_times[0] if agent_times else None,
            solved_at=solved_at, closed_at=closed_at, message_count=len(lines),
        )
        recipient = self._reach(person, inbox.kind)
        return conversation, person, lines, recipient, tag_names

    def _write(self, lines: list[_Line], scenario: texts.Scenario, person: _Person, status: str,
               start: datetime) -> dict:
        """Give every line its words, in the scenario's language; returns the values filled in."""
        rng = self.rng
        lang = scenario.language
        local_start = start.astimezone(self.local)
        courier = rng.choice(texts.COURIERS)
        ordered_on: date = (local_start - timedelta(days=rng.randrange(1, 9))).date()
        values = {
            "name": person.first_name, "city": person.city, "product": rng.choice(texts.PRODUCTS),
            "order": f"TN-{local_start:%y%m%d}-{rng.randrange(1000, 10000)}",
            "amount": _rupiah(rng.randrange(35, 2500) * 1000), "courier": courier,
            "resi": f"{RESI_PREFIX[courier]}{rng.randrange(10**9, 10**10)}",
            "new_resi": f"{RESI_PREFIX[courier]}{rng.randrange(10**9, 10**10)}", "bank": rng.choice(texts.BANKS),
            "voucher": rng.choice(texts.VOUCHERS), "date": f"{ordered_on.day} {MONTHS[lang][ordered_on.month - 1]}",
            "tier": Tier(person.customer.tier).label, "agent": "",
        }
        resolved = status in (Status.SOLVED, Status.CLOSED)
        agent_lines = [i for i, line in enumerate(lines) if line.role == "agent"]
        last_index = len(lines) - 1
        # A resolved thread ends with a closing word from the agent, or the customer's thanks right
        # after the agent's last, resolving reply; the replies before it follow the scenario.
        closing = last_index if resolved and len(agent_lines) >= 2 and agent_lines[-1] == last_index else None
        resolving = [i for i in agent_lines if i != closing][-1:] if resolved else []
        customer_lines = [i for i, line in enumerate(lines) if line.role == "customer"]
        thanks = customer_lines[-1] if resolving and customer_lines[-1] > resolving[0] else None
        story = scenario.replies[:-1] if resolved and len(scenario.replies) > 1 else scenario.replies
        chatter = scenario.follow_ups[:-1]  # the last one is the thank-you
        customer_turn = agent_turn = 0
        for index, line in enumerate(lines):
            if line.author is not None:
                values["agent"] = line.author.display_name.split()[0]
            if line.role == "customer":
                if index == 0:
                    template = rng.choice(scenario.openings)
                elif not any(x.role == "agent" for x in lines[:index]):
                    template = rng.choice(texts.NUDGES[lang])
                elif index == thanks:
                    template = scenario.follow_ups[-1]
                elif customer_turn < len(chatter):
                    template = chatter[customer_turn]
                    customer_turn += 1
                else:
                    template = rng.choice(texts.CUSTOMER_CHATTER[lang])
            elif line.role == "agent":
                if index == closing:
                    template = rng.choice(texts.CLOSINGS[lang])
                elif index in resolving:
                    template = scenario.replies[-1]
                elif index == last_index and status == Status.PENDING and agent_turn > 0 and rng.random() < 0.5:
                    template = rng.choice(texts.WAITING_ON_CUSTOMER[lang])
                elif agent_turn < len(story):
                    template = story[agent_turn]
                    agent_turn += 1
                else:
                    template = rng.choice(texts.AGENT_CHATTER[lang])
            else:
                template = rng.choice(self._note_pool(scenario, person))
            line.text = template.format_map(values)
        return values

    @staticmethod
    def _note_pool(scenario: texts.Scenario, person: _Person) -> tuple[str, ...]:
        pool = scenario.notes + texts.GENERIC_NOTES
        if person.customer.tier in (Tier.GOLD, Tier.VIP):
            pool += (texts.VALUED_CUSTOMER_NOTE,)
        return pool

    def _message(self, conversation: Conversation, person: _Person, line: _Line,
                 recipient: Identity | None) -> Message:
        common = {"workspace": self.workspace, "conversation": conversation, "inbox": conversation.inbox,
                  "text": line.text, "created_at": line.at}
        if line.role == "customer":
            to = [SUPPORT_ADDRESS] if conversation.channel == InboxKind.EMAIL else []
            return Message(**common, direction=Direction.INBOUND, author_kind=AuthorKind.CUSTOMER,
                           author_customer=person.customer, recipients={"to": to, "cc": []}, sent_at=line.at)
        if line.role == "note":
            return Message(**common, direction=Direction.OUTBOUND, author_kind=AuthorKind.AGENT,
                           author_agent=line.author, is_note=True)
        return Message(**common, direction=Direction.OUTBOUND, author_kind=AuthorKind.AGENT, author_agent=line.author,
                       recipients={"to": [recipient.value] if recipient else [], "cc": [], "bcc": []},
                       **self._delivery(conversation.channel, line.at))

    def _delivery(self, kind: str, at: datetime) -> dict:
        rng = self.rng
        if kind in (InboxKind.WHATSAPP, InboxKind.SMS) and rng.random() < 0.01:
            return {"delivery_status": DeliveryStatus.FAILED, "delivery_error": rng.choice(texts.DELIVERY_ERRORS)}
        if kind in READ_RECEIPT_KINDS:
            read = self.now - at > timedelta(hours=1) and rng.random() < 0.85
            return {"delivery_status": DeliveryStatus.READ if read else DeliveryStatus.DELIVERED}
        if kind == InboxKind.SMS:
            return {"delivery_status": DeliveryStatus.DELIVERED}
        return {"delivery_status": DeliveryStatus.SENT}
