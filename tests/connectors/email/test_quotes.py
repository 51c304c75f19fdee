"""Separating new text from quoted history and signature in plain-text and HTML replies."""

from layan.connectors.email.html_text import html_to_text, html_to_text_parts
from layan.connectors.email.quotes import split_reply

HISTORY = "> Pesanan sudah kami kirim.\n> Terima kasih."


def test_gmail_english_attribution_starts_the_quoted_history():
    new, quoted, signature = split_reply(
        "Still nothing.\n\nOn Mon, Nov 3, 2026 at 10:00 AM Siti <siti@contoh.id> wrote:\n" + HISTORY)
    assert new == "Still nothing."
    assert quoted.startswith("On Mon, Nov 3, 2026")
    assert signature == ""


def test_gmail_indonesian_attribution_starts_the_quoted_history():
    new, quoted, _ = split_reply(
        "Belum sampai.\n\nPada Sen, 3 Nov 2026 pukul 10.00, Siti <siti@contoh.id> menulis:\n" + HISTORY)
    assert new == "Belum sampai."
    assert quoted.endswith("> Terima kasih.")


def test_pada_tanggal_attribution_is_recognised():
    new, quoted, _ = split_reply(
        "Oke.\n\nPada tanggal Sen, 3 Nov 2026 10.00, Siti <siti@contoh.id> menulis:\n" + HISTORY)
    assert (new, quoted.splitlines()[0]) == (
        "Oke.", "Pada tanggal Sen, 3 Nov 2026 10.00, Siti <siti@contoh.id> menulis:")


def test_attribution_wrapped_over_two_lines_is_recognised():
    new, quoted, _ = split_reply(
        "Thanks.\n\nOn Mon, Nov 3, 2026 at 10:00 AM Siti Rahmawati <\nsiti@contoh.id> wrote:\n" + HISTORY)
    assert new == "Thanks."
    assert quoted.startswith("On Mon")


def test_indonesian_attribution_wrapped_over_two_lines_is_recognised():
    new, _, _ = split_reply("Siap.\n\nPada Sen, 3 Nov 2026 pukul 10.00 Siti <siti@contoh.id>\nmenulis:\n"
                            + HISTORY)
    assert new == "Siap."


def test_outlook_english_reply_block_is_separated_from_new_text():
    new, quoted, _ = split_reply(
        "Please refund.\n\nFrom: Toko <cs@toko.id>\nSent: Monday, November 3, 2026 10:00 AM\n"
        "To: Siti\nSubject: Refund\n\nWe are checking.")
    assert new == "Please refund."
    assert quoted.startswith("From: Toko")


def test_outlook_indonesian_reply_block_is_separated_from_new_text():
    new, quoted, _ = split_reply(
        "Mohon dicek.\n\n________________________________\nDari: Toko <cs@toko.id>\n"
        "Dikirim: Senin, 03 November 2026 10.00\nKepada: Siti\nSubjek: Refund\n\nSedang kami cek.")
    assert new == "Mohon dicek."
    assert "Dikirim:" in quoted


def test_a_single_from_line_in_the_text_is_not_a_reply_block():
    text = "From: Jakarta, to: Bandung is the route I asked about."
    assert split_reply(text) == (text, "", "")


def test_original_message_and_pesan_asli_separators_start_the_history():
    for separator in ("-----Original Message-----", "-----Pesan Asli-----", "----- Original Message -----"):
        new, quoted, _ = split_reply(f"Baru.\n\n{separator}\nLama.")
        assert (new, quoted) == ("Baru.", f"{separator}\nLama.")


def test_angle_bracket_quotes_below_the_answer_are_history():
    assert split_reply("Ya benar.\n\n" + HISTORY) == ("Ya benar.", HISTORY, "")


def test_interleaved_answers_keep_the_answers_and_take_out_the_quotes():
    new, quoted, _ = split_reply("> Nama?\nBudi\n> Kota?\nBandung")
    assert new == "Budi\nBandung"
    assert quoted == "> Nama?\n> Kota?"


def test_signature_after_dash_dash_space_is_separated():
    assert split_reply("Terima kasih.\n\n-- \nSiti\n0812") == ("Terima kasih.", "", "Siti\n0812")


def test_mobile_footers_in_english_and_indonesian_are_signatures():
    for footer in ("Sent from my iPhone", "Dikirim dari iPhone saya", "Sent from Yahoo Mail for Android",
                   "Dikirim dari Samsung Mobile"):
        new, quoted, signature = split_reply(
            f"Oke Kak.\n\n{footer}\n\nPada Sen, 3 Nov 2026 Siti <s@contoh.id> menulis:\n{HISTORY}")
        assert (new, signature) == ("Oke Kak.", footer)
        assert quoted.startswith("Pada Sen")


def test_sent_from_in_the_middle_of_a_long_text_is_not_a_signature():
    text = "Paketnya sent from Surabaya kemarin.\nLalu hilang.\nSudah dua hari.\nTolong cek.\nMakasih."
    assert split_reply(text)[2] == ""


def test_forwarded_message_is_new_content_not_a_quote():
    text = ("Tolong bantu.\n\n---------- Pesan terusan ---------\nDari: JNE <a@jne.co.id>\n"
            "Subjek: Paket\n\nPaket tertahan.")
    assert split_reply(text) == (text, "", "")


def test_forward_marker_before_a_quote_keeps_everything():
    text = "---------- Forwarded message ---------\nFrom: x@y.id\n\n> lama\nIsi."
    assert split_reply(text)[0] == text


def test_text_without_history_or_signature_is_all_new():
    assert split_reply("Halo\r\nApa kabar?\r\n") == ("Halo\nApa kabar?", "", "")


def test_html_gmail_quote_container_is_quoted():
    new, quoted = html_to_text_parts(
        '<div>Baru</div><div class="gmail_quote">On x wrote:<blockquote>Lama</blockquote></div>')
    assert (new, quoted) == ("Baru", "On x wrote:\n\nLama")


def test_html_outlook_reply_header_and_everything_after_it_is_quoted():
    new, quoted = html_to_text_parts(
        '<p>Baru</p><div id="divRplyFwdMsg"><b>Dari:</b> Toko</div><div>Lama</div>')
    assert new == "Baru"
    assert "Lama" in quoted


def test_html_cite_blockquote_yahoo_and_thunderbird_containers_are_quoted():
    for html in ('<p>Baru</p><blockquote type="cite">Lama</blockquote>',
                 '<p>Baru</p><div class="yahoo_quoted">Lama</div>',
                 '<p>Baru</p><div class="moz-cite-prefix">Pada x menulis:</div><blockquote type="cite">Lama</blockquote>'):
        new, quoted = html_to_text_parts(html)
        assert new == "Baru"
        assert quoted.endswith("Lama")


def test_html_gmail_forward_container_is_not_quoted():
    new, quoted = html_to_text_parts(
        '<div>Cek</div><div class="gmail_quote">---------- Forwarded message ---------<br>Isi</div>')
    assert quoted == ""
    assert new.endswith("Isi")


def test_html_to_text_renders_lists_links_and_drops_scripts():
    text = html_to_text('<script>x()</script><style>p{}</style><p>Halo</p><ul><li>Satu</li><li>Dua</li>'
                        '</ul><a href="https://contoh.id">situs</a> <a href="mailto:a@b.id">a@b.id</a>')
    assert text == "Halo\n\n- Satu\n- Dua\n\nsitus (https://contoh.id) a@b.id"


def test_html_to_text_survives_broken_markup():
    assert html_to_text("<p>Halo <b>dunia</p></i><div") == "Halo dunia"


def test_outlook_header_block_of_a_forward_is_kept_as_new_content():
    text = ("Tolong dicek.\n\n________________________________\nFrom: Rina <rina@contoh.id>\n"
            "Sent: Monday, November 3, 2026 9:00 AM\nSubject: Rusak\n\nBarang rusak.")
    assert split_reply(text, forward=True) == (text, "", "")
    assert split_reply(text)[0] == "Tolong dicek."
