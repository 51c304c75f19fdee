"""The demo's tests read what the commands print and the fakes' labels in English."""

import pytest


@pytest.fixture(autouse=True)
def _english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
