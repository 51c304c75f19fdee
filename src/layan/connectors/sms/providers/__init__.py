"""SMS providers by name (the `provider` field of an SMS inbox's settings). A new gateway is a
module here implementing providers.base.SmsProvider, one line below, and one choice in
SmsProviderChoice."""

from __future__ import annotations

from layan.connectors.sms.providers.base import SmsProvider
from layan.connectors.sms.providers.twilio import TwilioSms

PROVIDERS = {"twilio": TwilioSms}


def provider_for(config) -> SmsProvider:
    """The provider an inbox's SmsConfig names (KeyError for an unknown name: a config bug)."""
    return PROVIDERS[config.provider](config)
