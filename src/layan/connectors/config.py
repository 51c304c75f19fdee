"""The base of every channel's config model: one row per inbox (a `OneToOneField`), in
`connectors/<kind>/models.py`, found through `registry.CONFIG_MODELS`. Secrets never live in the
database: a config names the environment variable that holds each one (`*_env` fields)."""

from __future__ import annotations

import os
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class InboxConfig(models.Model):
    inbox = models.OneToOneField("connectors.Inbox", on_delete=models.CASCADE, primary_key=True,
                                 related_name="%(class)s", verbose_name=_("inbox"))

    # Fields holding the *name* of an environment variable with a secret; the settings page shows
    # whether each is set, never its value.
    secret_env_fields: ClassVar[tuple[str, ...]] = ()
    # Fields an admin edits on the inbox's settings page, in order (defaults to every other field).
    editable_fields: ClassVar[tuple[str, ...] | None] = None

    class Meta:
        abstract = True

    def secret(self, field_name: str) -> str:
        """The secret the named ``*_env`` field points at ('' when unset)."""
        name = str(getattr(self, field_name) or "")
        return os.environ.get(name, "") if name else ""

    @classmethod
    def form_fields(cls) -> list[str]:
        if cls.editable_fields is not None:
            return list(cls.editable_fields)
        return [f.name for f in cls._meta.concrete_fields if f.name != "inbox"]
