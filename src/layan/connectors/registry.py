"""Inbox kind -> adapter: the only place that knows every channel."""

from layan.connectors.base import ChannelAdapter
from layan.connectors.config import InboxConfig
from layan.connectors.email.adapter import EmailAdapter
from layan.connectors.livechat.adapter import LivechatAdapter
from layan.connectors.log.adapter import LogAdapter
from layan.connectors.sms.adapter import SmsAdapter
from layan.connectors.sms.models import SmsConfig
from layan.connectors.whatsapp.adapter import WhatsAppAdapter

_log = LogAdapter()

# Kinds without a real adapter yet send through the log adapter (see connectors/log).
ADAPTERS: dict[str, ChannelAdapter] = {
    "email": EmailAdapter(),
    "livechat": LivechatAdapter(),
    "sms": SmsAdapter(),
    "whatsapp": WhatsAppAdapter(),
}


def adapter_for(kind: str) -> ChannelAdapter:
    return ADAPTERS.get(kind, _log)


# Inbox kind -> its config model (connectors/<kind>/models.py); kinds without one have no settings.
CONFIG_MODELS: dict[str, type[InboxConfig]] = {
    "sms": SmsConfig,
}


def config_model_for(kind: str) -> type[InboxConfig] | None:
    return CONFIG_MODELS.get(kind)
