"""Replies to Messenger customers: `POST /<version>/me/messages` with the Page access token
(connectors/meta/send.py). A text longer than Messenger's 2,000 characters goes in parts."""

from layan.connectors.meta.send import MetaMessagingAdapter

MAX_TEXT_CHARS = 2000


class MessengerAdapter(MetaMessagingAdapter):
    kind = "messenger"
    platform_name = "Messenger"

    def messages_path(self, config) -> str:
        return "me"  # the Page the access token belongs to

    def text_fits(self, text: str) -> bool:
        return len(text) <= MAX_TEXT_CHARS
