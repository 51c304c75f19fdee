"""Inbox kind -> adapter: the only place that knows every channel."""

from layan.connectors.api_channel.adapter import ApiChannelAdapter
from layan.connectors.api_channel.models import ApiChannelConfig
from layan.connectors.base import ChannelAdapter
from layan.connectors.config import InboxConfig
from layan.connectors.email.adapter import EmailAdapter
from layan.connectors.instagram.adapter import InstagramAdapter
from layan.connectors.instagram.models import InstagramConfig
from layan.connectors.livechat.adapter import LivechatAdapter
from layan.connectors.log.adapter import LogAdapter
from layan.connectors.messenger.adapter import MessengerAdapter
from layan.connectors.messenger.models import MessengerConfig
from layan.connectors.sms.adapter import SmsAdapter
from layan.connectors.sms.models import SmsConfig
from layan.connectors.telegram.adapter import TelegramAdapter
from layan.connectors.telegram.models import TelegramConfig
from layan.connectors.voice.adapter import VoiceAdapter
from layan.connectors.voice.models import VoiceConfig
from layan.connectors.webform.adapter import WebFormAdapter
from layan.connectors.webform.models import WebFormConfig
from layan.connectors.whatsapp.adapter import WhatsAppAdapter
from layan.connectors.whatsapp.models import WhatsAppConfig

_log = LogAdapter()

# Kinds without a real adapter yet send through the log adapter (see connectors/log).
ADAPTERS: dict[str, ChannelAdapter] = {
    "email": EmailAdapter(),
    "livechat": LivechatAdapter(),
    "sms": SmsAdapter(),
    "whatsapp": WhatsAppAdapter(),
    "voice": VoiceAdapter(),
    "messenger": MessengerAdapter(),
    "instagram": InstagramAdapter(),
    "telegram": TelegramAdapter(),
    "webform": WebFormAdapter(),
    "api": ApiChannelAdapter(),
}


def adapter_for(kind: str) -> ChannelAdapter:
    return ADAPTERS.get(kind, _log)


# Inbox kind -> its config model (connectors/<kind>/models.py); kinds without one have no settings.
CONFIG_MODELS: dict[str, type[InboxConfig]] = {
    "voice": VoiceConfig,
    "messenger": MessengerConfig,
    "instagram": InstagramConfig,
    "whatsapp": WhatsAppConfig,
    "telegram": TelegramConfig,
    "webform": WebFormConfig,
    "api": ApiChannelConfig,
    "sms": SmsConfig,
}


def config_model_for(kind: str) -> type[InboxConfig] | None:
    return CONFIG_MODELS.get(kind)
