"""The demo's fake providers (`make demo FAKE_PROVIDERS=1`): one loopback server per provider on
fixed ports, the demo inboxes' settings pointing at them, and the demo secrets both sides share.
`layan demo --fake-providers` writes the settings; `layan serve --fake-providers` runs the fakes."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from layan.accounts.actors import Actor
from layan.accounts.models import Workspace
from layan.connectors.api_channel.fake_provider import PATH as API_REPLY_PATH
from layan.connectors.api_channel.fake_provider import FakeCompanyReceiver
from layan.connectors.fake_provider import FakeProviderServer
from layan.connectors.instagram.fake_provider import FakeInstagramApi
from layan.connectors.messenger.fake_provider import FakeMessengerApi
from layan.connectors.models import Inbox, InboxKind
from layan.connectors.selectors import inbox_config
from layan.connectors.services import configure_inbox
from layan.connectors.sms.fake_provider import FakeTwilio
from layan.connectors.telegram.fake_provider import TelegramBotApiFake
from layan.connectors.voice.fake_provider import FakeTwilioVoice
from layan.connectors.whatsapp.fake_provider import FakeGraphApi
from layan.demo.seed import DEMO_INBOXES
from layan.errors import InvalidInput

HOST = "127.0.0.1"  # loopback only: nothing the demo sends may leave the machine
DEFAULT_BASE_PORT = 8701

# The demo's provider accounts, as the fakes know them. Made up; they open nothing real.
WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_BUSINESS_ACCOUNT_ID = "100000000000701", "100000000000702"
TWILIO_ACCOUNT_SID = "AC" + "de30" * 8
SMS_FROM_NUMBER = "+6281100098765"
VOICE_NUMBER = "+622150001230"
TELEGRAM_BOT_USERNAME = "TokoNusantaraBot"
MESSENGER_PAGE_ID, INSTAGRAM_ACCOUNT_ID = "100000000000704", "17841400000000705"

# The environment variables the demo inboxes name (their `*_env` fields) and the value
# `layan serve --fake-providers` gives each one that is unset.
DEMO_SECRETS = {
    "LAYAN_DEMO_WHATSAPP_ACCESS_TOKEN": "demo-whatsapp-access-token",
    "LAYAN_DEMO_WHATSAPP_APP_SECRET": "demo-whatsapp-app-secret",
    "LAYAN_DEMO_WHATSAPP_VERIFY_TOKEN": "demo-whatsapp-verify-token",
    "LAYAN_DEMO_TWILIO_AUTH_TOKEN": "demo-twilio-auth-token",
    "LAYAN_DEMO_TELEGRAM_BOT_TOKEN": "7000000701:AAE-demo-telegram-bot-token",
    "LAYAN_DEMO_TELEGRAM_SECRET_TOKEN": "demo-telegram-webhook-secret",
    "LAYAN_DEMO_MESSENGER_ACCESS_TOKEN": "demo-messenger-page-token",
    "LAYAN_DEMO_MESSENGER_APP_SECRET": "demo-messenger-app-secret",
    "LAYAN_DEMO_MESSENGER_VERIFY_TOKEN": "demo-messenger-verify-token",
    "LAYAN_DEMO_INSTAGRAM_ACCESS_TOKEN": "demo-instagram-access-token",
    "LAYAN_DEMO_INSTAGRAM_APP_SECRET": "demo-instagram-app-secret",
    "LAYAN_DEMO_INSTAGRAM_VERIFY_TOKEN": "demo-instagram-verify-token",
    "LAYAN_DEMO_API_SIGNING_SECRET": "demo-api-signing-secret",
}


def secret(name: str) -> str:
    """A demo secret as this process sees it: the operator's own value wins over the demo's."""
    return os.environ.get(name) or DEMO_SECRETS[name]


@dataclass(frozen=True)
class DemoFake:
    """One fake provider: the inbox kind it answers for, its port (the base plus ``offset``), the
    inbox settings that point at it, and how to build it with the secrets the inbox names."""

    kind: str
    label: object  # lazily translated
    offset: int
    settings: Callable[[str], dict]  # the fake's URL -> the inbox's config values
    build: Callable[[int], FakeProviderServer]  # port -> the (not yet started) server


DEMO_FAKES: tuple[DemoFake, ...] = (
    DemoFake(InboxKind.WHATSAPP, gettext_lazy("WhatsApp Cloud API (Graph API)"), 0, lambda url: {
        "phone_number_id": WHATSAPP_PHONE_NUMBER_ID, "business_account_id": WHATSAPP_BUSINESS_ACCOUNT_ID,
        "access_token_env": "LAYAN_DEMO_WHATSAPP_ACCESS_TOKEN", "app_secret_env": "LAYAN_DEMO_WHATSAPP_APP_SECRET",
        "verify_token_env": "LAYAN_DEMO_WHATSAPP_VERIFY_TOKEN", "graph_url": url,
    }, lambda port: FakeGraphApi(host=HOST, port=port, access_token=secret("LAYAN_DEMO_WHATSAPP_ACCESS_TOKEN"))),
    DemoFake(InboxKind.SMS, gettext_lazy("SMS (Twilio Messages API)"), 1, lambda url: {
        "account_sid": TWILIO_ACCOUNT_SID, "auth_token_env": "LAYAN_DEMO_TWILIO_AUTH_TOKEN",
        "from_number": SMS_FROM_NUMBER, "api_base_url": url,
    }, lambda port: FakeTwilio(host=HOST, port=port, account_sid=TWILIO_ACCOUNT_SID,
                               auth_token=secret("LAYAN_DEMO_TWILIO_AUTH_TOKEN"))),
    DemoFake(InboxKind.TELEGRAM, gettext_lazy("Telegram Bot API"), 2, lambda url: {
        "bot_username": TELEGRAM_BOT_USERNAME, "bot_token_env": "LAYAN_DEMO_TELEGRAM_BOT_TOKEN",
        "secret_token_env": "LAYAN_DEMO_TELEGRAM_SECRET_TOKEN", "api_base_url": url,
    }, lambda port: TelegramBotApiFake(token=secret("LAYAN_DEMO_TELEGRAM_BOT_TOKEN"),
                                       bot_username=TELEGRAM_BOT_USERNAME, host=HOST, port=port)),
    DemoFake(InboxKind.MESSENGER, gettext_lazy("Messenger (Graph Send API)"), 3, lambda url: {
        "page_id": MESSENGER_PAGE_ID, "page_access_token_env": "LAYAN_DEMO_MESSENGER_ACCESS_TOKEN",
        "app_secret_env": "LAYAN_DEMO_MESSENGER_APP_SECRET", "verify_token_env": "LAYAN_DEMO_MESSENGER_VERIFY_TOKEN",
        "graph_url": url,
    }, lambda port: FakeMessengerApi(host=HOST, port=port, account_id=MESSENGER_PAGE_ID,
                                     access_token=secret("LAYAN_DEMO_MESSENGER_ACCESS_TOKEN"))),
    DemoFake(InboxKind.INSTAGRAM, gettext_lazy("Instagram (Graph Send API)"), 4, lambda url: {
        "instagram_account_id": INSTAGRAM_ACCOUNT_ID, "page_access_token_env": "LAYAN_DEMO_INSTAGRAM_ACCESS_TOKEN",
        "app_secret_env": "LAYAN_DEMO_INSTAGRAM_APP_SECRET", "verify_token_env": "LAYAN_DEMO_INSTAGRAM_VERIFY_TOKEN",
        "graph_url": url,
    }, lambda port: FakeInstagramApi(host=HOST, port=port, account_id=INSTAGRAM_ACCOUNT_ID,
                                     access_token=secret("LAYAN_DEMO_INSTAGRAM_ACCESS_TOKEN"))),
    # Replies on a phone inbox are calls, not sends: this fake serves the recordings of calls
    # played through it, and its token is the one the inbox checks status callbacks with.
    DemoFake(InboxKind.VOICE, gettext_lazy("Phone (Twilio Voice, recordings)"), 5, lambda url: {
        "account_sid": TWILIO_ACCOUNT_SID, "auth_token_env": "LAYAN_DEMO_TWILIO_AUTH_TOKEN",
        "phone_number": VOICE_NUMBER,
    }, lambda port: FakeTwilioVoice(host=HOST, port=port, account_sid=TWILIO_ACCOUNT_SID,
                                    auth_token=secret("LAYAN_DEMO_TWILIO_AUTH_TOKEN"), business_number=VOICE_NUMBER)),
    DemoFake(InboxKind.API, gettext_lazy("API channel (the company's reply receiver)"), 6, lambda url: {
        "signing_secret_env": "LAYAN_DEMO_API_SIGNING_SECRET", "reply_webhook_url": url + API_REPLY_PATH,
    }, lambda port: FakeCompanyReceiver(host=HOST, port=port, secret=secret("LAYAN_DEMO_API_SIGNING_SECRET"))),
)


def check_base_port(base_port: int) -> None:
    last = base_port + len(DEMO_FAKES) - 1
    if base_port < 1 or last > 65535:
        raise InvalidInput(_("The fake providers need ports %(first)s to %(last)s; choose a base port between 1 "
                             "and %(highest)s.") % {"first": base_port, "last": last,
                                                    "highest": 65536 - len(DEMO_FAKES)},
                           field="fake_providers_port")


def fake_url(fake: DemoFake, base_port: int) -> str:
    return f"http://{HOST}:{base_port + fake.offset}"


@dataclass(frozen=True)
class PointedInbox:
    inbox: Inbox
    fake: DemoFake
    url: str


def point_demo_inboxes_at_fakes(*, workspace: Workspace, base_port: int = DEFAULT_BASE_PORT) -> list[PointedInbox]:
    """Set the demo inboxes' channel settings so every send goes to its fake on 127.0.0.1;
    idempotent, through `configure_inbox` (audited as the system). Inboxes someone deleted are skipped."""
    check_base_port(base_port)
    actor = Actor.system(workspace)
    names = {spec.kind: spec.name for spec in DEMO_INBOXES}
    pointed = []
    for fake in DEMO_FAKES:
        inbox = Inbox.objects.filter(workspace=workspace, kind=fake.kind, name=names[fake.kind]).first()
        if inbox is None:
            continue
        url = fake_url(fake, base_port)
        configure_inbox(actor=actor, inbox=inbox, values=fake.settings(url))
        pointed.append(PointedInbox(inbox=inbox, fake=fake, url=url))
    return pointed


def demo_inboxes_point_at_fakes(*, workspace: Workspace) -> bool:
    """Whether an earlier `layan demo --fake-providers` pointed the demo's WhatsApp inbox at a fake."""
    name = next(spec.name for spec in DEMO_INBOXES if spec.kind == InboxKind.WHATSAPP)
    inbox = Inbox.objects.filter(workspace=workspace, kind=InboxKind.WHATSAPP, name=name).first()
    config = inbox_config(inbox=inbox) if inbox is not None else None
    return config is not None and str(config.graph_url).startswith(f"http://{HOST}:")


class FakePortInUse(Exception):
    def __init__(self, fake: DemoFake, port: int, error: OSError):
        super().__init__(str(error))
        self.fake, self.port, self.error = fake, port, error


def set_demo_secrets() -> list[str]:
    """Give every demo secret variable that is unset its demo value; the names it set."""
    missing = [name for name in DEMO_SECRETS if not os.environ.get(name)]
    for name in missing:
        os.environ[name] = DEMO_SECRETS[name]
    return missing


def start_fakes(*, base_port: int = DEFAULT_BASE_PORT) -> list[FakeProviderServer]:
    """Start every fake in a thread of this process; FakePortInUse (with the others stopped again)
    when a port cannot be bound."""
    check_base_port(base_port)
    started: list[FakeProviderServer] = []
    for fake in DEMO_FAKES:
        port = base_port + fake.offset
        try:
            server = fake.build(port)
        except OSError as exc:
            stop_fakes(started)
            raise FakePortInUse(fake, port, exc) from exc
        started.append(server.start())
    return started


def stop_fakes(servers: list[FakeProviderServer]) -> None:
    for server in servers:
        server.stop()
