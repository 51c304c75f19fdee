"""Replies to Instagram customers: `POST /<version>/<Instagram account id>/messages` with the
account's access token (connectors/meta/send.py). Instagram takes at most 1,000 bytes of text
per message: a longer reply goes in parts."""

from layan.connectors.meta.send import MetaMessagingAdapter

MAX_TEXT_BYTES = 1000


class InstagramAdapter(MetaMessagingAdapter):
    kind = "instagram"
    platform_name = "Instagram"

    def messages_path(self, config) -> str:
        return config.instagram_account_id

    def text_fits(self, text: str) -> bool:
        return len(text.encode("utf-8")) <= MAX_TEXT_BYTES
