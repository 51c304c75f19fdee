"""Inbox kind -> adapter: the only place that knows every channel."""

from layan.connectors.api_channel.adapter import ApiChannelAdapter
from layan.connectors.api_channel.models import ApiChannelConfig
from layan.connectors.base import ChannelAdapter
from layan.connectors.config import InboxConfig
from layan.connectors.email.adapter import EmailAdapter
from layan.connectors.livechat.adapter import LivechatAdapter
from layan.connectors.log.adapter import LogAdapter
from layan.connectors.webform.adapter import WebFormAdapter
from layan.connectors.webform.models import WebFormConfig
from layan.connectors.whatsapp.adapter import WhatsAppAdapter

_log = LogAdapter()

# Kinds without a real adapter yet send through the log adapter (see connectors/log).
ADAPTERS: dict[str, ChannelAdapter] = {
    "email": EmailAdapter(),
    "livechat": LivechatAdapter(),
    "whatsapp": WhatsAppAdapter(),
    "webform": WebFormAdapter(),
    "api": ApiChannelAdapter(),
}


def adapter_for(kind: str) -> ChannelAdapter:
    return ADAPTERS.get(kind, _log)


# Inbox kind -> its config model (connectors/<kind>/models.py); kinds without one have no settings.
CONFIG_MODELS: dict[str, type[InboxConfig]] = {
    "webform": WebFormConfig,
    "api": ApiChannelConfig,
}


def config_model_for(kind: str) -> type[InboxConfig] | None:
    return CONFIG_MODELS.get(kind)
