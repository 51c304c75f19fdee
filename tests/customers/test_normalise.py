"""Identity values are normalised so that one person is found however they wrote it.

Pure functions, no database: examples first, then properties checked by hypothesis.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from layan.customers.normalise import normalise_email, normalise_identity, normalise_phone
from layan.errors import ErrorCode, InvalidInput

# --- phones -------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", [
    "0812-3456-7890",
    "+62 812 3456 7890",
    "6281234567890",
    "+6281234567890",
    "(0812) 3456.7890",
    "0062 812 3456 7890",
    " 0812/3456/7890 ",
])
def test_every_way_of_writing_an_indonesian_mobile_gives_the_same_e164(written):
    assert normalise_phone(written) == "+6281234567890"


def test_a_jakarta_landline_with_its_area_code_is_normalised():
    assert normalise_phone("(021) 5790-1234") == "+622157901234"


def test_a_foreign_number_with_its_country_code_keeps_it():
    assert normalise_phone("+65 6123 4567") == "+6561234567"


@pytest.mark.parametrize("written", ["", "   ", "halo", "0812", "12345", "+62 812", "0812-3456-7890-1234-5678",
                                     "+999 1234 5678"])
def test_a_value_that_is_no_phone_number_is_refused_with_a_clear_error(written):
    with pytest.raises(InvalidInput) as refused:
        normalise_phone(written)

    assert refused.value.code == ErrorCode.INVALID_IDENTITY
    assert refused.value.field == "phone"
    assert written in refused.value.message


@pytest.mark.parametrize("kind", ["phone", "whatsapp"])
def test_phone_and_whatsapp_identities_are_normalised_alike(kind):
    assert normalise_identity(kind, "0812 3456 7890") == "+6281234567890"


# --- emails ---------------------------------------------------------------------------------------

def test_an_email_is_trimmed_and_lower_cased():
    assert normalise_email("  Siti.Rahma@Contoh.CO.ID ") == "siti.rahma@contoh.co.id"


@pytest.mark.parametrize("written", ["", "siti", "siti@", "@contoh.id", "siti@@contoh.id", "siti rahma@contoh.id",
                                     "siti@contoh..id"])
def test_an_invalid_email_is_refused_with_a_clear_error(written):
    with pytest.raises(InvalidInput) as refused:
        normalise_email(written)

    assert refused.value.code == ErrorCode.INVALID_IDENTITY
    assert refused.value.field == "email"
    assert "email" in refused.value.message.lower()


# --- other kinds ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "written", "normalised"), [
    ("telegram", "@SitiRahma", "sitirahma"),
    ("telegram", "123456789", "123456789"),
    ("instagram", " @Toko.Maju ", "toko.maju"),
    ("external", "  CRM-00042 ", "CRM-00042"),
    ("livechat", "visitor-Ab12", "visitor-Ab12"),
])
def test_handles_lose_the_at_sign_and_case_and_ids_are_trimmed(kind, written, normalised):
    assert normalise_identity(kind, written) == normalised


@pytest.mark.parametrize(("kind", "written"), [
    ("external", ""), ("external", "   "), ("telegram", "@"), ("external", "x" * 321),
])
def test_an_empty_or_overlong_identity_is_refused(kind, written):
    with pytest.raises(InvalidInput) as refused:
        normalise_identity(kind, written)

    assert refused.value.code == ErrorCode.INVALID_IDENTITY


@pytest.mark.parametrize(("kind", "written"), [
    ("external", "CRM\x00042"), ("telegram", "siti\x00"), ("livechat", "a\nb"),
])
def test_control_characters_are_refused_in_an_identity(kind, written):
    """They could not be stored (PostgreSQL refuses NUL) nor shown; refused up front instead."""
    with pytest.raises(InvalidInput) as refused:
        normalise_identity(kind, written)

    assert refused.value.code == ErrorCode.INVALID_IDENTITY


# --- properties -----------------------------------------------------------------------------------

# No deadline: the suite shares small machines, and a slow example is not a wrong one.
no_deadline = settings(deadline=None)

KINDS = ["email", "phone", "whatsapp", "telegram", "instagram", "messenger", "livechat", "external"]

# Indonesian mobiles: 08 + operator digit + 7 to 10 more digits, as people write them.
subscriber_digits = st.from_regex(r"8[1-9][0-9]{7,9}", fullmatch=True)
separators = st.sampled_from(["", " ", "-", ".", "/"])


def _grouped(digits: str, separator: str, size: int) -> str:
    return separator.join(digits[i:i + size] for i in range(0, len(digits), size))


@no_deadline
@given(kind=st.sampled_from(KINDS), raw=st.text(max_size=60))
@example(kind="telegram", raw="@ siti")
@example(kind="phone", raw="٠٨١٢٣٤٥٦٧٨٩٠")
def test_normalising_never_fails_other_than_with_the_documented_error_and_is_idempotent(kind, raw):
    refused = None
    try:
        value = normalise_identity(kind, raw)
    except InvalidInput as error:
        refused = error
    if refused is not None:
        assert refused.code == ErrorCode.INVALID_IDENTITY
        assert refused.message
        return
    assert value
    assert len(value) <= 320
    assert normalise_identity(kind, value) == value


@no_deadline
@given(digits=subscriber_digits, separator=separators, size=st.integers(min_value=2, max_value=5),
       style=st.sampled_from(["0{}", "+62{}", "62{}", "+62 {}", "0062{}"]))
def test_formatting_variants_of_one_indonesian_mobile_normalise_equal(digits, separator, size, style):
    try:
        canonical = normalise_phone("0" + digits)
    except InvalidInput:
        return  # a prefix that no operator uses: the property is about valid numbers
    written = style.format(_grouped(digits, separator, size))

    assert normalise_phone(written) == canonical
    assert canonical == "+62" + digits


@no_deadline
@given(local=st.from_regex(r"[A-Za-z0-9._%+-]{1,20}", fullmatch=True).filter(
           lambda s: not s.startswith(".") and not s.endswith(".") and ".." not in s),
       domain=st.from_regex(r"[A-Za-z0-9]{1,15}\.(co\.id|com|id|net)", fullmatch=True))
def test_emails_differing_only_in_case_and_spaces_normalise_equal(local, domain):
    address = f"{local}@{domain}"

    assert normalise_email(f"  {address.upper()} ") == normalise_email(address.lower()) == address.lower()
