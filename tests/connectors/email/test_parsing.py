"""The tricky parts of parse_email: headers, charsets, structure, bounces, and `layan email parse`."""

import base64
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from layan.connectors.email.parsing import ParsedEmail, decode_bytes, decode_header, parse_email


def test_adjacent_encoded_words_are_joined_without_the_space_between_them():
    assert decode_header("=?UTF-8?Q?Paket?= =?UTF-8?Q?_belum?=  =?UTF-8?Q?_sampai?=") == "Paket belum sampai"


def test_a_character_split_across_two_encoded_words_is_decoded():
    # "未到货" with the bytes of 货 split between the two words.
    data = "未到货".encode()
    first, second = base64.b64encode(data[:7]).decode(), base64.b64encode(data[7:]).decode()
    assert decode_header(f"=?UTF-8?B?{first}?= =?UTF-8?B?{second}?=") == "未到货"


def test_encoded_words_in_different_charsets_mix_with_plain_text():
    value = "Re: =?ISO-8859-1?Q?caf=E9?= dan =?GB2312?B?tqm1pQ==?= ok"
    assert decode_header(value) == "Re: café dan 订单 ok"


def test_encoded_word_with_missing_base64_padding_is_decoded():
    assert decode_header("=?utf-8?b?QnVkaQ?=") == "Budi"


def test_encoded_word_in_an_unknown_charset_degrades_with_a_warning():
    warnings = []
    assert decode_header("=?x-mystery?Q?halo?=", warnings) == "halo"
    assert warnings


def test_folded_header_is_unfolded():
    assert decode_header("Paket belum\r\n sampai") == "Paket belum sampai"


@pytest.mark.parametrize(("charset", "text"), [
    ("iso-2022-jp", "注文の商品が届きません"),
    ("shift_jis", "返品について"),
    ("big5", "訂單查詢"),
    ("koi8-r", "Заказ не доставлен"),
    ("gbk", "退款申请"),
    ("windows-1252", "“late” – …"),
])
def test_declared_charsets_are_decoded(charset, text):
    assert decode_bytes(text.encode(charset), charset, []) == text


def test_utf8_declared_as_latin1_is_read_as_utf8_with_a_warning():
    warnings = []
    assert decode_bytes("José ✓".encode(), "iso-8859-1", warnings) == "José ✓"
    assert warnings


def test_latin1_declared_charset_reads_windows_1252_quotes():
    assert decode_bytes("“ok”".encode("cp1252"), "iso-8859-1", []) == "“ok”"


def test_bytes_in_no_charset_fall_back_to_windows_1252_with_a_warning():
    warnings = []
    assert decode_bytes("café".encode("cp1252"), None, warnings) == "café"
    assert warnings == ["body: no charset declared, read as Windows-1252"]


def _mail(headers: str, body: str = "Halo.\n") -> bytes:
    return (headers.strip() + "\nContent-Type: text/plain; charset=utf-8\n\n" + body).encode()


def test_addresses_names_and_ids_are_read_from_headers():
    parsed = parse_email(_mail("""
From: =?UTF-8?B?U2l0aSBSYWhtYXdhdGk=?= <Siti@Contoh.ID>
To: "Toko, CS" <cs@toko.id>, budi@gmail.com
Cc: Ana <ana@contoh.id>
Reply-To: balas@contoh.id
Subject: Re: Pesanan
Date: Mon, 03 Nov 2026 10:00:00 +0700
Message-ID: <abc@contoh.id>
In-Reply-To: <prev@toko.id>
References: <first@toko.id>
 <prev@toko.id>
"""))
    assert (parsed.from_address, parsed.from_name) == ("siti@contoh.id", "Siti Rahmawati")
    assert parsed.to == (("cs@toko.id", "Toko, CS"), ("budi@gmail.com", ""))
    assert parsed.cc == (("ana@contoh.id", "Ana"),)
    assert parsed.reply_to == (("balas@contoh.id", ""),)
    assert parsed.date == datetime(2026, 11, 3, 10, tzinfo=timezone(timedelta(hours=7)))
    assert (parsed.message_id, parsed.in_reply_to) == ("<abc@contoh.id>", "<prev@toko.id>")
    assert parsed.references == ("<first@toko.id>", "<prev@toko.id>")


def test_date_without_zone_is_taken_as_utc():
    parsed = parse_email(_mail("From: a@b.id\nDate: Mon, 03 Nov 2026 10:00:00 -0000"))
    assert parsed.date == datetime(2026, 11, 3, 10, tzinfo=UTC)


def test_hopeless_input_gives_an_empty_result_with_a_parse_error():
    parsed = parse_email(b"")
    assert isinstance(parsed, ParsedEmail)
    assert parsed.warnings == ("parse error: empty message",)
    assert parse_email(None).warnings[0].startswith("parse error")


def test_html_is_kept_raw_and_not_sanitised():
    raw = b"From: a@b.id\nContent-Type: text/html\n\n<p onclick='x()'>Halo</p><script>y()</script>\n"
    parsed = parse_email(raw)
    assert "<script>y()</script>" in parsed.html
    assert parsed.text == "Halo"


def test_multipart_alternative_prefers_plain_text_and_keeps_html():
    raw = (b'From: a@b.id\nContent-Type: multipart/alternative; boundary="x"\n\n--x\n'
           b"Content-Type: text/plain\n\nTeks biasa\n--x\nContent-Type: text/html\n\n<p>Teks <b>HTML</b></p>\n--x--\n")
    parsed = parse_email(raw)
    assert parsed.text == "Teks biasa"
    assert parsed.html.strip() == "<p>Teks <b>HTML</b></p>"


def test_inline_cid_image_is_an_inline_attachment_with_its_content_id():
    raw = (b'From: a@b.id\nContent-Type: multipart/related; boundary="r"\n\n--r\nContent-Type: text/html\n\n'
           b'<img src="cid:foto@x">\n--r\nContent-Type: image/png\nContent-ID: <foto@x>\n'
           b"Content-Transfer-Encoding: base64\n\naGFsbw==\n--r--\n")
    (attachment,) = parse_email(raw).attachments
    assert (attachment.content_id, attachment.inline, attachment.content) == ("foto@x", True, b"halo")


def test_forwarded_message_part_is_kept_as_eml_and_its_text_is_reachable():
    raw = (b'From: a@b.id\nContent-Type: multipart/mixed; boundary="m"\n\n--m\nContent-Type: text/plain\n\nFYI\n'
           b"--m\nContent-Type: message/rfc822\n\nFrom: jne@jne.co.id\nSubject: Resi\n\nPaket tertahan.\n--m--\n")
    parsed = parse_email(raw)
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [("Resi.eml", "message/rfc822")]
    assert parsed.forwarded[0].text == "Paket tertahan."
    assert parsed.forwarded[0].from_address == "jne@jne.co.id"


def test_postfix_bounce_reports_recipient_status_and_original_message_id():
    raw = b"""From: MAILER-DAEMON@mx.toko.id
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="d"

--d
Content-Type: text/plain

Message could not be delivered.
--d
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.toko.id

Final-Recipient: rfc822; Hilang@Contoh.id
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--d
Content-Type: text/rfc822-headers

From: cs@toko.id
Message-ID: <balasan@toko.id>
--d--
"""
    parsed = parse_email(raw)
    assert parsed.is_bounce
    assert parsed.is_auto_reply
    assert parsed.bounce.recipient == "hilang@contoh.id"
    assert parsed.bounce.status == "5.1.1"
    assert parsed.bounce.is_permanent
    assert parsed.bounce.original_message_id == "<balasan@toko.id>"
    assert parsed.bounce.diagnostic == "550 5.1.1 User unknown"


def test_temporary_failure_status_is_not_permanent():
    raw = (b'From: postmaster@x.id\nSubject: Delayed Mail\nContent-Type: multipart/report; '
           b'report-type=delivery-status; boundary="d"\n\n--d\nContent-Type: message/delivery-status\n\n'
           b"Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@b.id\nAction: delayed\nStatus: 4.4.1\n\n--d--\n")
    assert parse_email(raw).bounce.is_permanent is False


def test_human_reply_is_neither_auto_reply_nor_bounce():
    parsed = parse_email(_mail("From: budi@gmail.com\nSubject: Re: Undangan rapat"))
    assert (parsed.is_auto_reply, parsed.is_bounce, parsed.is_list) == (False, False, False)


def test_mailing_list_mail_is_marked_as_list_not_auto_reply():
    parsed = parse_email(_mail("From: a@b.id\nList-Id: <umkm.lists.id>\nPrecedence: list"))
    assert (parsed.is_list, parsed.is_auto_reply, parsed.list_id) == (True, False, "<umkm.lists.id>")


def test_auto_submitted_value_is_kept_and_marks_auto_reply():
    parsed = parse_email(_mail("From: a@b.id\nAuto-Submitted: auto-replied; owner-email=a@b.id"))
    assert parsed.is_auto_reply
    assert parsed.auto_reply_reason == "auto-submitted: auto-replied"
    assert parsed.auto_submitted == "auto-replied; owner-email=a@b.id"


def test_to_dict_is_json_with_attachment_sizes_and_no_content():
    raw = (b'From: a@b.id\nContent-Type: multipart/mixed; boundary="m"\n\n--m\nContent-Type: text/plain\n\nHai\n'
           b'--m\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="a.pdf"\n\n%PDF\n--m--\n')
    data = json.loads(json.dumps(parse_email(raw).to_dict()))
    assert data["attachments"] == [{"name": "a.pdf", "type": "application/pdf", "size": 4,
                                    "content_id": "", "inline": False}]


def test_email_parse_command_prints_json(tmp_path):
    path = tmp_path / "pesan.eml"
    path.write_bytes(_mail("From: Siti <siti@contoh.id>\nSubject: Paket", "Belum sampai.\n\n-- \nSiti\n"))
    out = io.StringIO()
    call_command("email", "parse", str(path), stdout=out)
    data = json.loads(out.getvalue())
    assert data["from"] == {"address": "siti@contoh.id", "name": "Siti"}
    assert (data["subject"], data["new_text"], data["signature"]) == ("Paket", "Belum sampai.", "Siti")
    assert data["warnings"] == []


def test_email_parse_command_reads_standard_input_for_a_dash(monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(_mail("From: a@b.id\nSubject: Dari stdin")))
    monkeypatch.setattr("sys.stdin", stdin)
    out = io.StringIO()
    call_command("email", "parse", "-", stdout=out)
    assert json.loads(out.getvalue())["subject"] == "Dari stdin"


@pytest.mark.parametrize(("language", "message"), [("en", "No such file"), ("id", "Berkas tidak ditemukan")])
def test_email_parse_command_reports_a_missing_file_clearly(tmp_path, language, message):
    with translation.override(language), pytest.raises(CommandError, match=message):
        call_command("email", "parse", str(tmp_path / "tidak-ada.eml"))


@pytest.mark.parametrize("subject", ["Out of Office: Re: Pesanan", "Automatic reply: Tagihan", "Auto: Refund",
                                     "Balasan otomatis: Re: Resi", "Sedang cuti - Re: Pesanan",
                                     "Di luar kantor: Re: Pesanan", "[Out of Office] Pesanan"])
def test_out_of_office_subjects_in_english_and_indonesian_mark_auto_reply(subject):
    parsed = parse_email(_mail(f"From: a@b.id\nSubject: {subject}"))
    assert (parsed.is_auto_reply, parsed.auto_reply_reason) == (True, "out-of-office subject")


def test_subject_that_only_mentions_an_auto_reply_is_not_one():
    assert not parse_email(_mail("From: a@b.id\nSubject: Tanya fitur automatic reply")).is_auto_reply


def test_exchange_suppress_all_is_an_auto_reply_but_oof_alone_is_not():
    assert parse_email(_mail("From: a@b.id\nX-Auto-Response-Suppress: All")).is_auto_reply
    assert not parse_email(_mail("From: a@b.id\nX-Auto-Response-Suppress: RN, NRN, OOF")).is_auto_reply


def test_precedence_bulk_is_an_auto_reply():
    assert parse_email(_mail("From: a@b.id\nPrecedence: bulk")).auto_reply_reason == "precedence: bulk"


def test_damaged_utf8_keeps_the_good_characters():
    warnings = []
    assert decode_bytes("Terima kasih ✓ ".encode() + b"\xff", "utf-8", warnings) == "Terima kasih ✓ \ufffd"
    assert "body: invalid UTF-8, damaged bytes replaced" in warnings


def test_deeply_nested_forwards_are_cut_off_without_error():
    raw = b"From: a@b.id\nContent-Type: message/rfc822\n\n" * 60 + b"From: z@b.id\n\nInti.\n"
    parsed = parse_email(raw)
    assert not [w for w in parsed.warnings if "parse error" in w]
    assert parsed.attachments[0].content_type == "message/rfc822"


def test_multipart_without_boundary_parameter_is_read_with_the_boundary_found_in_the_body():
    raw = b"From: a@b.id\nContent-Type: multipart/mixed\n\n--xyz\nContent-Type: text/plain\n\nIsi.\n--xyz--\n"
    parsed = parse_email(raw)
    assert parsed.new_text == "Isi."
    assert "body: multipart without boundary parameter, guessed from the body" in parsed.warnings


def test_lone_cr_line_endings_are_read_as_lines():
    parsed = parse_email(b"From: a@b.id\rSubject: Mac\r\rSatu\rDua\r")
    assert (parsed.subject, parsed.text) == ("Mac", "Satu\nDua")
    assert "lone CR line endings normalised" in parsed.warnings


def test_layan_email_parse_runs_as_a_process_without_a_database(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env["LAYAN_DATA_DIR"] = str(tmp_path)  # an empty data dir: never migrated
    done = subprocess.run([str(Path(sys.executable).parent / "layan"), "email", "parse", "-"], env=env,
                          input=_mail("From: Budi <budi@gmail.com>\nSubject: Proses", "Halo.\n"),
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["from"]["address"] == "budi@gmail.com"
    assert not (tmp_path / "layan.sqlite3").exists()  # the database was never opened
