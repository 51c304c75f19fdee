"""Twilio's request signature, checked against the worked example in Twilio's security docs."""

from layan.connectors.twilio.signature import signature_is_valid, twilio_signature

URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"),
          ("From", "+12349013030"), ("To", "+18005551212")]


def test_the_signature_matches_twilios_documented_example():
    assert twilio_signature(url=URL, params=PARAMS, auth_token="12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="  # noqa: S105


def test_a_changed_parameter_or_token_or_empty_header_is_refused():
    good = twilio_signature(url=URL, params=PARAMS, auth_token="12345")
    assert signature_is_valid(url=URL, params=PARAMS, header=good, auth_token="12345")
    assert not signature_is_valid(url=URL, params=[*PARAMS[:-1], ("To", "+62811")], header=good, auth_token="12345")
    assert not signature_is_valid(url=URL, params=PARAMS, header=good, auth_token="54321")
    assert not signature_is_valid(url=URL, params=PARAMS, header="", auth_token="12345")
    assert not signature_is_valid(url=URL, params=PARAMS, header=good, auth_token="")
