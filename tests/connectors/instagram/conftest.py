"""Fixtures shared by the instagram tests."""

import pytest


@pytest.fixture(autouse=True)
def _english_settings(settings):
    """Provider reasons and labels are written in the active language when a worker records them;
    these tests assert the exact English words, whatever the Indonesian catalogue says."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    translation.activate("en")
    yield
    translation.activate("en")
