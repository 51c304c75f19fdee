"""What demo customers write and agents answer: scenarios of an Indonesian online shop.

Placeholders filled per conversation: {name} (customer's first name), {agent} (agent's first
name), {order}, {product}, {amount}, {courier}, {resi}, {new_resi}, {bank}, {voucher}, {city}, {date},
{tier}.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    topic: str
    language: str
    type: str  # a ConversationType value
    tags: tuple[str, ...]
    priority: str  # the usual priority; the seeder varies it
    subjects: tuple[str, ...]
    openings: tuple[str, ...]  # the customer's first message
    replies: tuple[str, ...]  # agent replies, in the order they come in a conversation
    follow_ups: tuple[str, ...]  # the customer writing again
    notes: tuple[str, ...] = ()  # internal notes between agents


PRODUCTS = (
    "Kemeja batik tulis Solo motif parang", "Kopi arabika Gayo 250 g", "Madu hutan Sumbawa 500 ml",
    "Rice cooker 1,8 liter", "Blender kaca 2 liter", "Jilbab segi empat voal", "Gamis katun rayon",
    "Mukena katun Jepang", "Sprei katun 160x200", "Tas rotan bulat Bali", "Sandal kulit Garut",
    "Dompet kulit pria", "Power bank 10.000 mAh", "Headset bluetooth", "Setrika uap", "Panci presto 8 liter",
    "Keripik tempe Malang 5 bungkus", "Sambal roa Manado 3 botol", "Teh tubruk melati 10 pak",
    "Kaos polos cotton combed 30s", "Celana jeans wanita", "Sepatu lari pria ukuran 42", "Tenun ikat Sumba",
    "Lampu meja LED", "Botol minum stainless 1 liter",
)

COURIERS = ("JNE", "J&T Express", "SiCepat", "AnterAja", "Pos Indonesia", "Ninja Xpress", "GoSend")
BANKS = ("BCA", "Mandiri", "BRI", "BNI", "BSI", "CIMB Niaga")
VOUCHERS = ("HEMAT50", "GAJIAN25", "ONGKIRGRATIS", "RAMADAN20", "PELANGGANBARU", "1212SALE")

CONVERSATION_TAGS = (
    "pengiriman", "refund", "pembayaran", "produk", "keluhan", "retur", "garansi", "promo", "akun",
    "alamat", "pesanan", "cod", "kurir", "stok", "faktur", "reseller", "cicilan", "tagihan-ganda",
)
CUSTOMER_TAGS = ("pelanggan-setia", "reseller", "korporat", "pelanggan-baru", "sering-retur")

INDONESIAN = (
    Scenario(
        topic="late_delivery", language="id", type="question", tags=("pengiriman", "kurir"), priority="normal",
        subjects=("Pesanan {order} belum sampai", "Paket belum datang", "Status pengiriman {order}"),
        openings=(
            "Halo kak, pesanan saya {order} kok belum sampai ya? Sudah 5 hari sejak dikirim.",
            "Selamat siang, mau tanya paket saya no resi {resi} dari kemarin statusnya belum bergerak.",
            "Min, pesanan {order} ({product}) sampai mana ya? Di aplikasi masih 'dalam perjalanan' terus.",
            "Permisi kak, saya pesan {product} tanggal {date}, sampai sekarang belum diterima. Tolong dicek ya.",
        ),
        replies=(
            "Halo Kak {name}, terima kasih sudah menghubungi Toko Nusantara. Saya {agent}, izin cek dulu "
            "pesanan {order} ya kak 🙏",
            "Kak {name}, paket dengan resi {resi} sedang transit di gudang {courier} {city}. Estimasi tiba 1-2 "
            "hari kerja lagi. Mohon maaf atas keterlambatannya ya kak.",
            "Kami sudah buat laporan ke {courier} supaya pengiriman diprioritaskan. Kami kabari lagi begitu ada "
            "pembaruan ya kak.",
            "Update kak: menurut {courier} paket sudah dibawa kurir hari ini. Mohon ditunggu di alamat ya kak.",
        ),
        follow_ups=(
            "Oke kak, saya tunggu ya. Tolong dibantu dipercepat.",
            "Kak sudah 2 hari masih belum ada update juga nih 😥",
            "Baik, terima kasih infonya kak.",
            "Paketnya sudah sampai barusan kak, makasih ya!",
        ),
        notes=(
            "Sudah eskalasi ke {courier} via portal mitra, tiket kurir dibuat.",
            "Resi {resi} tertahan di hub {city} karena volume tinggi, cek lagi besok pagi.",
        ),
    ),
    Scenario(
        topic="delivered_not_received", language="id", type="complaint", tags=("pengiriman", "keluhan"),
        priority="high",
        subjects=("Status terkirim tapi barang tidak ada", "Paket {order} tidak saya terima"),
        openings=(
            "Kak, di aplikasi status pesanan {order} sudah 'diterima' tapi saya tidak menerima apa-apa. Di rumah "
            "juga tidak ada yang menerima.",
            "Halo, resi {resi} katanya sudah terkirim jam 14.00, padahal saya seharian di rumah dan tidak ada "
            "kurir datang. Mohon bantuannya.",
        ),
        replies=(
            "Mohon maaf atas ketidaknyamanannya Kak {name}. Saya {agent}, kami cek bukti pengiriman dari "
            "{courier} terlebih dahulu ya.",
            "Kak {name}, dari foto bukti pengiriman paket diterima oleh 'satpam'. Apakah kakak tinggal di "
            "perumahan atau apartemen dengan pos jaga?",
            "Kami sudah ajukan investigasi ke {courier}, prosesnya maksimal 3x24 jam. Jika paket tidak "
            "ditemukan, kami kirim ulang pesanannya tanpa biaya.",
            "Kak, investigasi selesai dan paket dinyatakan hilang. Pesanan pengganti sudah kami kirim dengan "
            "resi baru {new_resi}.",
        ),
        follow_ups=(
            "Iya kak ada pos satpam, tapi sudah saya tanya katanya tidak ada paket atas nama saya.",
            "Tolong segera ya kak, barangnya mau dipakai minggu ini.",
            "Terima kasih kak sudah dibantu, pesanan penggantinya sudah sampai.",
        ),
        notes=(
            "Foto POD tidak jelas, wajah penerima tidak terlihat. Klaim ke {courier} diajukan.",
            "Setuju kirim ulang, nilai pesanan {amount} masih di bawah batas klaim.",
        ),
    ),
    Scenario(
        topic="change_address", language="id", type="request", tags=("alamat", "pesanan"), priority="high",
        subjects=("Ganti alamat pengiriman {order}", "Salah tulis alamat"),
        openings=(
            "Kak, saya salah tulis alamat di pesanan {order}. Bisa diganti ke alamat kantor saya di {city}?",
            "Halo, pesanan saya belum dikirim kan? Mau ganti alamat, nomor rumahnya harusnya 17 bukan 71.",
        ),
        replies=(
            "Halo Kak {name}, saya {agent}. Boleh dikirimkan alamat lengkap yang baru beserta kode posnya kak?",
            "Alamat pesanan {order} sudah kami perbarui ya kak. Pesanan akan dikirim hari ini melalui "
            "{courier}.",
            "Mohon maaf kak, pesanan {order} sudah diserahkan ke kurir sehingga alamat tidak bisa diubah dari "
            "sistem kami. Kami coba hubungi {courier} untuk ubah alamat ya.",
        ),
        follow_ups=(
            "Jl. Merdeka No. 17, RT 03/RW 05, Kel. Sukamaju, {city}. Kode pos 40115.",
            "Siap kak, terima kasih banyak.",
        ),
        notes=("Alamat diubah manual di sistem gudang, label lama dibatalkan.",),
    ),
    Scenario(
        topic="cancel_refund", language="id", type="request", tags=("refund", "pesanan"), priority="normal",
        subjects=("Batalkan pesanan {order}", "Minta refund pesanan {order}"),
        openings=(
            "Kak, saya mau batalkan pesanan {order} ya, ternyata sudah beli di toko dekat rumah. Uangnya bisa "
            "kembali?",
            "Halo min, pesanan {product} mau saya cancel. Sudah bayar {amount} lewat transfer {bank}.",
        ),
        replies=(
            "Halo Kak {name}, saya {agent}. Pesanan {order} belum diproses gudang, jadi masih bisa dibatalkan ya "
            "kak.",
            "Pembatalan sudah kami proses. Dana {amount} akan dikembalikan ke rekening {bank} kakak dalam 3-5 "
            "hari kerja.",
            "Boleh dibantu nama pemilik rekening dan nomor rekeningnya kak untuk proses pengembalian dana?",
        ),
        follow_ups=(
            "Rekening {bank} atas nama saya sendiri kak, nomornya saya kirim lewat sini ya.",
            "Oke kak, ditunggu refundnya.",
            "Refund sudah masuk kak, terima kasih!",
        ),
    ),
    Scenario(
        topic="refund_missing", language="id", type="complaint", tags=("refund", "keluhan"), priority="high",
        subjects=("Refund belum masuk", "Dana pengembalian {order} belum diterima"),
        openings=(
            "Kak, refund pesanan {order} katanya 5 hari kerja, ini sudah 2 minggu belum masuk juga. Gimana ini?",
            "Saya sudah retur barang dari tanggal {date} tapi uang {amount} belum dikembalikan. Tolong "
            "ditindaklanjuti.",
        ),
        replies=(
            "Mohon maaf atas keterlambatannya Kak {name}. Saya {agent}, saya cek status pengembalian dananya ke "
            "tim keuangan ya.",
            "Kak, refund {amount} sudah kami transfer pada {date} ke rekening {bank}. Berikut bukti transfernya. "
            "Terkadang perlu 1x24 jam sampai muncul di mutasi.",
            "Ternyata ada kendala nomor rekening tidak sesuai kak. Boleh dikonfirmasi ulang nomor rekeningnya?",
        ),
        follow_ups=(
            "Sudah saya cek mutasi belum ada kak. Tolong dibantu ya.",
            "Nomornya yang benar sudah saya kirim ya kak.",
            "Sudah masuk kak. Lain kali tolong lebih cepat ya prosesnya.",
        ),
        notes=(
            "Finance konfirmasi transfer gagal (rekening tidak ditemukan). Minta data ulang ke pelanggan.",
            "Pelanggan sudah 2x follow up, tolong prioritaskan.",
        ),
    ),
    Scenario(
        topic="payment_failed", language="id", type="incident", tags=("pembayaran",), priority="high",
        subjects=("Pembayaran gagal tapi saldo terpotong", "Bayar pakai QRIS gagal"),
        openings=(
            "Kak, saya bayar pakai QRIS, saldo e-wallet saya sudah terpotong {amount} tapi pesanan {order} "
            "masih 'menunggu pembayaran'.",
            "Halo, transfer virtual account {bank} sudah berhasil tapi status belum berubah. Mohon dicek.",
            "Kenapa pembayaran saya gagal terus ya kak? Sudah 3x coba pakai kartu kredit.",
        ),
        replies=(
            "Halo Kak {name}, saya {agent}. Boleh dikirim bukti pembayarannya (screenshot) kak?",
            "Terima kasih kak. Pembayaran {amount} sudah kami terima dan pesanan {order} sekarang sedang "
            "dikemas ✅",
            "Sepertinya ada gangguan di penyedia pembayaran pagi ini kak. Jika saldo terpotong, dana otomatis "
            "kembali maksimal 1x24 jam.",
        ),
        follow_ups=(
            "Ini bukti transfernya kak.",
            "Oke kak, sudah berubah statusnya. Makasih.",
            "Baik, saya coba lagi nanti sore.",
        ),
        notes=("Cocokkan dengan laporan settlement payment gateway, transaksi tercatat sukses.",),
    ),
    Scenario(
        topic="transfer_confirmation", language="id", type="question", tags=("pembayaran",), priority="normal",
        subjects=("Konfirmasi transfer", "Sudah transfer untuk {order}"),
        openings=(
            "Selamat pagi, saya sudah transfer {amount} ke rekening {bank} untuk pesanan {order}. Mohon "
            "diproses ya.",
            "Kak, barusan transfer tapi nominalnya kurang 3 rupiah dari kode unik. Apakah tetap bisa diproses?",
        ),
        replies=(
            "Terima kasih Kak {name}, saya {agent}. Transfer sudah kami terima dan pesanan segera dikemas ya.",
            "Tetap bisa diproses kak, selisih kode unik tidak masalah. Pesanan {order} akan dikirim besok.",
        ),
        follow_ups=("Kira-kira sampai kapan ya kak ke {city}?", "Sip, makasih kak 🙏"),
    ),
    Scenario(
        topic="product_question", language="id", type="question", tags=("produk", "stok"), priority="low",
        subjects=("Tanya stok {product}", "Pertanyaan produk", "Ukuran {product}"),
        openings=(
            "Kak, {product} masih ready stok? Mau pesan 3.",
            "Halo, {product} ini bahannya apa ya? Adem tidak kalau dipakai harian?",
            "Min, mau tanya {product} ada warna lain selain yang di foto?",
            "Kak ini ukurannya pas badan atau longgar ya? Tinggi saya 160 cm berat 55 kg.",
        ),
        replies=(
            "Halo Kak {name}, saya {agent}. {product} masih tersedia kak, stok saat ini 12 pcs.",
            "Bahannya adem dan menyerap keringat kak, cocok dipakai harian. Untuk ukuran kakak kami sarankan "
            "ukuran M.",
            "Saat ini tersedia warna hitam, navy dan krem kak. Silakan langsung checkout di website ya.",
        ),
        follow_ups=(
            "Oke kak, saya checkout sekarang.",
            "Kalau beli 3 ada diskon tidak kak?",
            "Terima kasih infonya.",
        ),
    ),
    Scenario(
        topic="damaged_item", language="id", type="complaint", tags=("produk", "retur", "keluhan"),
        priority="high",
        subjects=("Barang rusak saat diterima", "{product} pecah", "Produk cacat {order}"),
        openings=(
            "Kak, {product} yang saya terima rusak, kemasannya penyok dan barangnya retak. Saya ada video "
            "unboxing.",
            "Halo, pesanan {order} sampai dalam keadaan pecah. Kecewa sekali, padahal untuk kado.",
            "Produk tidak berfungsi sama sekali waktu dicoba. Mohon solusinya.",
        ),
        replies=(
            "Mohon maaf sekali atas kejadian ini Kak {name} 🙏 Saya {agent}. Boleh dikirimkan video unboxing "
            "dan foto kerusakannya?",
            "Terima kasih kak, sudah kami terima. Kakak bisa pilih: kirim barang pengganti atau pengembalian "
            "dana penuh {amount}.",
            "Penggantinya sudah kami kirim dengan {courier}, resi {new_resi}. Barang yang rusak tidak perlu "
            "dikembalikan ya kak.",
        ),
        follow_ups=(
            "Ini videonya kak, jelas kelihatan retak dari awal dibuka.",
            "Saya pilih dikirim ganti saja kak.",
            "Barang pengganti sudah sampai dan aman. Terima kasih responnya cepat.",
        ),
        notes=(
            "Video unboxing valid, setujui penggantian tanpa retur.",
            "Laporkan ke gudang: packing {product} perlu bubble wrap ekstra.",
        ),
    ),
    Scenario(
        topic="wrong_item", language="id", type="complaint", tags=("pesanan", "retur"), priority="normal",
        subjects=("Barang yang dikirim salah", "Salah kirim warna/ukuran"),
        openings=(
            "Kak, saya pesan {product} warna hitam ukuran L, yang datang warna merah ukuran S.",
            "Halo min, isi paket {order} bukan barang yang saya pesan. Tolong ditukar.",
        ),
        replies=(
            "Mohon maaf atas kesalahan kami Kak {name}. Saya {agent}. Boleh difoto barang dan label paketnya?",
            "Kami sudah siapkan barang yang benar. Kurir {courier} akan menjemput barang yang salah sekaligus "
            "mengantar penggantinya, ongkir kami tanggung.",
        ),
        follow_ups=("Fotonya sudah saya kirim kak.", "Oke kak, saya tunggu kurirnya besok."),
        notes=("Salah ambil di rak gudang, SKU mirip. Sudah diinfokan ke kepala gudang.",),
    ),
    Scenario(
        topic="warranty", language="id", type="request", tags=("garansi", "produk"), priority="normal",
        subjects=("Klaim garansi {product}", "Garansi rusak setelah 2 bulan"),
        openings=(
            "Kak, {product} yang saya beli 2 bulan lalu tiba-tiba mati. Masih garansi kan?",
            "Mau klaim garansi, nomor pesanannya {order}. Bagaimana caranya?",
        ),
        replies=(
            "Halo Kak {name}, saya {agent}. Produk masih dalam masa garansi 12 bulan ya kak.",
            "Silakan kirim produk ke service center kami di {city} beserta kartu garansi, ongkir kirim kami "
            "ganti. Perbaikan sekitar 7-14 hari kerja.",
        ),
        follow_ups=("Kartu garansinya hilang kak, pakai invoice bisa?", "Baik, besok saya kirim barangnya."),
        notes=("Invoice {order} bisa dipakai sebagai bukti garansi, sudah dicek di sistem.",),
    ),
    Scenario(
        topic="voucher", language="id", type="question", tags=("promo",), priority="low",
        subjects=("Voucher {voucher} tidak bisa dipakai", "Kode promo error"),
        openings=(
            "Kak, kode voucher {voucher} kok tidak bisa dipakai ya? Muncul 'voucher tidak valid'.",
            "Min, promo gratis ongkir berlaku untuk {city} tidak?",
        ),
        replies=(
            "Halo Kak {name}, saya {agent}. Voucher {voucher} berlaku minimal belanja Rp 150.000 dan hanya untuk "
            "produk tertentu kak.",
            "Untuk {city} promo gratis ongkir berlaku ya kak, maksimal potongan Rp 20.000.",
        ),
        follow_ups=("Oh begitu, belanjaan saya kurang sedikit. Makasih kak.", "Sudah bisa kak, terima kasih!"),
    ),
    Scenario(
        topic="otp_login", language="id", type="incident", tags=("akun",), priority="normal",
        subjects=("Kode OTP tidak masuk", "Tidak bisa login"),
        openings=(
            "Kak, saya tidak bisa login, kode OTP tidak masuk ke WhatsApp saya dari tadi.",
            "Halo, akun saya terkunci setelah salah password 3x. Mohon dibuka.",
        ),
        replies=(
            "Halo Kak {name}, saya {agent}. Mohon pastikan nomor yang terdaftar masih aktif. Kami kirim ulang "
            "kode OTP melalui SMS ya.",
            "Akun kakak sudah kami buka kembali. Silakan atur ulang kata sandi lewat menu 'Lupa kata sandi'.",
        ),
        follow_ups=("Masih belum masuk juga kak 😞", "Sudah masuk OTP-nya kak, sudah bisa login."),
        notes=("Provider OTP WhatsApp sempat delay 20 menit pagi ini, sudah normal.",),
    ),
    Scenario(
        topic="cod", language="id", type="question", tags=("cod", "pembayaran"), priority="low",
        subjects=("Bisa COD?", "Bayar di tempat"),
        openings=(
            "Kak, bisa bayar di tempat (COD) untuk pengiriman ke {city}?",
            "Halo, kalau COD ongkirnya beda tidak ya?",
        ),
        replies=(
            "Halo Kak {name}, saya {agent}. COD tersedia untuk {city} melalui {courier} ya kak, maksimal nilai "
            "pesanan Rp 3.000.000.",
            "Ongkir sama kak, hanya ada biaya layanan COD 3% dari nilai barang.",
        ),
        follow_ups=("Oke kak siap, saya pesan pakai COD.",),
    ),
    Scenario(
        topic="auto_cancelled", language="id", type="question", tags=("pesanan", "pembayaran"),
        priority="normal",
        subjects=("Pesanan dibatalkan otomatis", "Kenapa pesanan {order} batal?"),
        openings=(
            "Kak, kenapa pesanan {order} dibatalkan otomatis? Padahal saya mau bayar.",
            "Pesanan saya tiba-tiba batal, tapi uang sudah terpotong. Bagaimana ini?",
        ),
        replies=(
            "Halo Kak {name}, saya {agent}. Pesanan otomatis batal jika pembayaran tidak diterima dalam 24 jam "
            "kak.",
            "Dana yang terpotong akan kembali otomatis ke metode pembayaran kakak maksimal 3 hari kerja. "
            "Silakan buat pesanan baru ya kak.",
        ),
        follow_ups=("Oh begitu, baik kak saya pesan ulang.", "Oke, ditunggu refundnya."),
    ),
    Scenario(
        topic="tax_invoice", language="id", type="request", tags=("faktur",), priority="low",
        subjects=("Permintaan faktur pajak", "Minta invoice resmi untuk kantor"),
        openings=(
            "Selamat siang, kami dari bagian pembelian PT Maju Bersama. Mohon dibuatkan faktur pajak untuk "
            "pesanan {order}. NPWP kami lampirkan.",
            "Kak, bisa minta invoice atas nama perusahaan? Untuk reimburse kantor.",
        ),
        replies=(
            "Selamat siang Kak {name}, saya {agent}. Faktur pajak akan kami terbitkan dalam 3 hari kerja dan "
            "dikirim ke email yang terdaftar.",
            "Invoice atas nama perusahaan sudah kami kirim ke email kakak ya.",
        ),
        follow_ups=("Sudah kami terima, terima kasih.",),
    ),
    Scenario(
        topic="reseller", language="id", type="question", tags=("reseller",), priority="low",
        subjects=("Daftar jadi reseller", "Harga grosir"),
        openings=(
            "Halo kak, saya mau jadi reseller {product} untuk daerah {city}. Syaratnya apa saja?",
            "Kak, kalau beli 50 pcs ada harga grosir?",
        ),
        replies=(
            "Halo Kak {name}, terima kasih atas minatnya! Saya {agent}. Minimal pembelian reseller 20 pcs "
            "dengan diskon 15%.",
            "Untuk 50 pcs kami beri harga khusus, katalog dan daftar harga reseller sudah kami kirim ya kak.",
        ),
        follow_ups=("Bisa dikirim bertahap tidak kak?", "Menarik kak, saya pelajari dulu katalognya."),
        notes=("Calon reseller potensial di {city}, teruskan ke tim kemitraan.",),
    ),
    Scenario(
        topic="rude_courier", language="id", type="complaint", tags=("kurir", "keluhan"), priority="normal",
        subjects=("Keluhan kurir", "Kurir tidak sopan"),
        openings=(
            "Kak, saya mau komplain kurir yang antar paket tadi, bicaranya kasar dan paket dilempar ke teras.",
            "Kurirnya minta ongkos tambahan padahal sudah gratis ongkir. Ini resmi atau tidak?",
        ),
        replies=(
            "Mohon maaf atas pengalaman tidak menyenangkan ini Kak {name}. Saya {agent}, laporan kakak kami "
            "teruskan ke {courier}.",
            "Tidak ada biaya tambahan untuk pesanan kakak. Kami sudah laporkan kurir tersebut dan {courier} "
            "akan menindaklanjuti.",
        ),
        follow_ups=("Terima kasih sudah ditanggapi kak.", "Semoga tidak terulang lagi ya."),
        notes=("Laporan ke {courier} no. tiket KEL-{resi}.",),
    ),
    Scenario(
        topic="exchange_size", language="id", type="request", tags=("retur", "produk"), priority="normal",
        subjects=("Tukar ukuran", "Mau tukar {product}"),
        openings=(
            "Kak, {product} kekecilan, bisa tukar ke ukuran yang lebih besar?",
            "Halo, mau tukar warna untuk pesanan {order}, belum saya pakai sama sekali.",
        ),
        replies=(
            "Bisa kak, saya {agent}. Penukaran berlaku 7 hari setelah barang diterima dengan label masih "
            "terpasang.",
            "Silakan kirim barang ke gudang kami di {city}. Begitu diterima, ukuran baru langsung kami kirim.",
        ),
        follow_ups=("Ongkir kirim baliknya siapa yang tanggung kak?", "Sudah saya kirim, resinya {resi}."),
    ),
    Scenario(
        topic="installments", language="id", type="question", tags=("cicilan", "pembayaran"), priority="low",
        subjects=("Cicilan 0%", "Bayar pakai paylater"),
        openings=(
            "Kak, {product} bisa dicicil 0% pakai kartu kredit {bank}?",
            "Min, bisa bayar pakai paylater tidak?",
        ),
        replies=(
            "Halo Kak {name}, saya {agent}. Cicilan 0% tersedia 3 dan 6 bulan untuk kartu kredit {bank} dengan "
            "minimal transaksi Rp 500.000.",
            "Bisa kak, pilih metode paylater di halaman pembayaran ya.",
        ),
        follow_ups=("Siap kak, terima kasih.",),
    ),
    Scenario(
        topic="double_charge", language="id", type="incident", tags=("tagihan-ganda", "pembayaran", "refund"),
        priority="urgent",
        subjects=("Tagihan terpotong dua kali", "Double charge pesanan {order}"),
        openings=(
            "Kak tolong!! Kartu saya terpotong 2x masing-masing {amount} untuk pesanan {order}.",
            "Saldo saya terpotong dua kali untuk satu pesanan. Mohon segera dikembalikan.",
        ),
        replies=(
            "Mohon maaf Kak {name}, saya {agent}. Kami cek transaksinya sekarang juga.",
            "Benar kak, ada transaksi ganda. Kelebihan pembayaran {amount} sudah kami ajukan pengembaliannya, "
            "masuk 1-3 hari kerja.",
        ),
        follow_ups=("Tolong dipercepat ya kak, itu uang untuk kebutuhan bulanan.", "Sudah kembali kak, makasih."),
        notes=(
            "Double charge dari retry payment gateway, sudah lapor ke tim pembayaran.",
            "Supervisor setuju refund langsung tanpa menunggu rekonsiliasi.",
        ),
    ),
)

ENGLISH = (
    Scenario(
        topic="order_status", language="en", type="question", tags=("pengiriman",), priority="normal",
        subjects=("Where is my order {order}?", "Order status"),
        openings=(
            "Hi, I ordered {product} on {date} and it still hasn't arrived. Could you check order {order}?",
            "Hello, my tracking number {resi} hasn't updated for three days. Is everything okay?",
        ),
        replies=(
            "Hi {name}, thanks for reaching out to Toko Nusantara. This is {agent}, let me check that for you.",
            "Your parcel is at the {courier} hub in {city} and should arrive within 1-2 working days. Sorry for "
            "the wait!",
        ),
        follow_ups=("Great, thanks for the quick answer.", "It arrived today, thank you!"),
    ),
    Scenario(
        topic="refund_request", language="en", type="request", tags=("refund",), priority="normal",
        subjects=("Refund for order {order}", "Cancel my order"),
        openings=(
            "Hello, I'd like to cancel order {order} and get a refund please.",
            "Hi, I returned the item last week. When will I get my {amount} back?",
        ),
        replies=(
            "Hi {name}, {agent} here. Your order has been cancelled and the refund of {amount} will reach your "
            "{bank} account within 3-5 working days.",
            "We received your return on {date}; the refund has been processed today.",
        ),
        follow_ups=("Perfect, thank you.", "Got it, much appreciated."),
    ),
    Scenario(
        topic="damaged_item_en", language="en", type="complaint", tags=("produk", "keluhan", "retur"),
        priority="high",
        subjects=("Item arrived damaged", "Broken {product}"),
        openings=(
            "The {product} I received is broken. I have photos of the box and the item.",
            "Hi, my order {order} arrived damaged. Very disappointed as it was a gift.",
        ),
        replies=(
            "I'm really sorry to hear that, {name}. This is {agent}. Could you send us the photos here?",
            "Thank you. We've shipped a replacement with {courier} (tracking {new_resi}); no need to return the "
            "damaged one.",
        ),
        follow_ups=("Photos attached.", "Replacement arrived in one piece, thanks!"),
        notes=("Expat customer, prefers English. Replacement approved.",),
    ),
    Scenario(
        topic="international_shipping", language="en", type="question", tags=("pengiriman",), priority="low",
        subjects=("Do you ship to Singapore?", "International shipping"),
        openings=(
            "Hi, do you ship {product} to Singapore? How much would shipping cost?",
            "Hello, can I order from abroad and pay with a foreign credit card?",
        ),
        replies=(
            "Hi {name}, {agent} here. We ship to Singapore and Malaysia via Pos Indonesia; shipping starts from "
            "Rp 185.000.",
            "Yes, international Visa and Mastercard cards are accepted at checkout.",
        ),
        follow_ups=("Thanks, I'll place the order now.",),
    ),
    Scenario(
        topic="payment_issue_en", language="en", type="incident", tags=("pembayaran",), priority="high",
        subjects=("Payment failed", "Charged but order unpaid"),
        openings=(
            "My card was charged {amount} but order {order} still says awaiting payment.",
            "Hi, the payment page keeps timing out when I try to pay by bank transfer.",
        ),
        replies=(
            "Hi {name}, this is {agent}. Could you share a screenshot of the payment confirmation?",
            "Thanks! The payment is now matched and your order is being packed.",
        ),
        follow_ups=("Here it is.", "Great, thank you."),
    ),
    Scenario(
        topic="product_question_en", language="en", type="question", tags=("produk",), priority="low",
        subjects=("Question about {product}", "Sizing question"),
        openings=(
            "Hi, is the {product} available in other colours?",
            "Hello, what material is the {product} made of? Is it suitable for a gift?",
        ),
        replies=(
            "Hi {name}, {agent} here. It comes in black, navy and cream, all in stock.",
            "It's handmade by artisans in {city}, and we can add gift wrapping for free.",
        ),
        follow_ups=("Lovely, I'll order the navy one.", "Thanks for the info!"),
    ),
)

SCENARIOS = INDONESIAN + ENGLISH

# Customers nudging a conversation nobody has answered yet.
NUDGES = {
    "id": ("Halo? Ada yang bisa bantu?", "Kak, mohon dibalas ya 🙏", "Masih menunggu jawaban kak.",
           "Tolong direspon, sudah dari tadi menunggu."),
    "en": ("Hello? Anyone there?", "Could someone get back to me please?"),
}

# The customer writing again once the scenario has nothing more specific to say.
CUSTOMER_CHATTER = {
    "id": ("Baik kak, ditunggu kabarnya ya.", "Ada update kak?", "Oke kak, saya tunggu.",
           "Mohon dibantu secepatnya ya kak 🙏", "Siap kak."),
    "en": ("Okay, I'll wait for your update.", "Any news?", "Thanks, please keep me posted."),
}

# An agent keeping the customer informed once the scenario's replies are used up.
AGENT_CHATTER = {
    "id": (
        "Baik Kak {name}, kami bantu cek kembali ya.",
        "Terima kasih atas kesabarannya kak, kami masih menunggu konfirmasi dari tim terkait.",
        "Siap kak, sudah kami catat. Kami kabari lagi secepatnya.",
    ),
    "en": (
        "Thanks for your patience, {name}. We're still waiting to hear back from the team.",
        "Noted, {name}. We'll update you as soon as we can.",
    ),
}

# Agent messages that close a conversation.
CLOSINGS = {
    "id": (
        "Sama-sama Kak {name}, senang bisa membantu. Jika ada pertanyaan lain, silakan hubungi kami kembali 😊",
        "Terima kasih Kak {name} sudah berbelanja di Toko Nusantara. Kami tutup percakapan ini ya, semoga "
        "harinya menyenangkan!",
        "Baik kak, kami anggap kendalanya sudah selesai ya. Terima kasih atas kesabarannya 🙏",
    ),
    "en": (
        "You're welcome, {name}! Let us know if there's anything else we can help with.",
        "Thanks for shopping with Toko Nusantara, {name}. Have a great day!",
    ),
}

# What an agent asks while waiting on the customer (pending conversations end on these).
WAITING_ON_CUSTOMER = {
    "id": (
        "Kami tunggu konfirmasinya ya Kak {name}.",
        "Mohon dikirimkan foto/bukti pendukungnya ya kak, agar bisa kami proses lebih lanjut.",
        "Apakah ada yang bisa kami bantu lagi kak? Kami tunggu kabarnya.",
    ),
    "en": (
        "We'll wait for your confirmation, {name}.",
        "Could you send us a photo so we can take this further?",
    ),
}

VALUED_CUSTOMER_NOTE = "Pelanggan {tier}, mohon ditangani dengan prioritas."
GENERIC_NOTES = (
    "Sudah dicek di sistem gudang, pesanan {order} tercatat normal.",
    "@supervisor mohon persetujuan kompensasi voucher Rp 25.000.",
    "Follow up lagi besok pagi jika belum ada balasan.",
)

# Why an outbound message could not be delivered, in the provider's words.
DELIVERY_ERRORS = (
    "Penerima tidak dapat dijangkau: nomor tidak aktif.",
    "Recipient is not a valid WhatsApp user.",
)
