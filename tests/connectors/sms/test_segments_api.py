"""GET /api/v1/sms/segments: what a reply costs as SMS, for integrations and other composers."""

from __future__ import annotations


def test_the_api_counts_a_text_as_the_composer_does(api):
    response = api.get("/sms/segments", {"text": "Harga €5, ongkir gratis 🙂"}, headers={"Accept-Language": "en"})

    assert response.status_code == 200
    assert response.json() == {"encoding": "UCS-2", "characters": 25, "units": 26, "segments": 1,
                               "remaining": 44, "summary": "25 characters · 1 SMS (UCS-2)"}


def test_an_empty_text_costs_nothing(api):
    assert api.get("/sms/segments").json()["segments"] == 0


def test_the_api_needs_a_token(db):
    from django.test import Client

    assert Client().get("/api/v1/sms/segments", {"text": "halo"}).status_code == 401


def test_a_text_too_long_to_count_is_a_clear_error(api):
    response = api.get("/sms/segments", {"text": "a" * 10_001})

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "text"
