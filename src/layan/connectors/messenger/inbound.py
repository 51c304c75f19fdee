"""A stored Messenger webhook delivery to messages and delivery statuses (connectors/meta/inbound.py)."""

from layan.connectors.ingress import Outcome
from layan.connectors.meta.inbound import process_meta_messaging_event
from layan.connectors.models import InboundEvent


def process_messenger_event(event: InboundEvent, raw: bytes) -> Outcome:
    return process_meta_messaging_event(event, raw, platform="messenger")
