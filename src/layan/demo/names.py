"""Names and places for demo customers: common Indonesian given and family names across regions."""

FEMALE_GIVEN_NAMES = (
    "Siti", "Sri", "Dewi", "Ayu", "Putri", "Rina", "Wulan", "Indah", "Fitri", "Nur", "Ratna", "Yuni",
    "Lestari", "Maya", "Dian", "Intan", "Novi", "Rahma", "Anisa", "Nabila", "Aulia", "Salsabila", "Citra",
    "Kartika", "Mega", "Eka", "Lina", "Yulia", "Evi", "Sari", "Tika", "Rini", "Nurul", "Fauziah", "Hana",
    "Dinda", "Amelia", "Bunga", "Melati", "Wahyuni", "Suharti", "Endang", "Sulastri", "Ningsih", "Tuti",
    "Kurniasih", "Aisyah", "Zahra", "Khadijah", "Nadia", "Vina", "Febby", "Oktaviani", "Riska", "Meilani",
    "Gita", "Laras", "Asih", "Made", "Ketut", "Luh", "Ni Wayan", "Butet", "Rosmawati", "Yohana", "Maria",
    "Theresia", "Agnes", "Grace", "Veronika", "Susanti", "Handayani", "Puspita", "Nia", "Desi", "Mirna",
)

MALE_GIVEN_NAMES = (
    "Budi", "Agus", "Andi", "Dedi", "Hendra", "Joko", "Bambang", "Slamet", "Wahyu", "Eko", "Adi", "Rizky",
    "Fajar", "Dimas", "Arif", "Bayu", "Teguh", "Yusuf", "Irfan", "Fikri", "Reza", "Hadi", "Rudi", "Doni",
    "Ahmad", "Muhammad", "Rahmat", "Hidayat", "Taufik", "Iwan", "Yoga", "Galih", "Aditya", "Kevin",
    "Gilang", "Ilham", "Rafi", "Haris", "Satria", "Bagus", "Dwi", "Tri", "Sutrisno", "Suparman", "Sugeng",
    "Heru", "Gede", "Komang", "Nyoman", "Putu", "Wayan", "Ucok", "Togar", "Daniel", "Yosua", "Stefanus",
    "Fransiskus", "Albert", "Hendrik", "Yohanes", "Ridwan", "Fadli", "Zulkifli", "Syahrul", "Anton",
    "Ferry", "Rendra", "Wisnu", "Krisna", "Aldi", "Farhan", "Naufal", "Akbar", "Lukman", "Samsul",
)

FAMILY_NAMES = (
    # Javanese and Sundanese second names
    "Wibowo", "Santoso", "Setiawan", "Prasetyo", "Saputra", "Saputri", "Hidayat", "Kurniawan", "Nugroho",
    "Wijaya", "Susanto", "Gunawan", "Hartono", "Purnomo", "Wulandari", "Rahayu", "Lestari", "Kusumawati",
    "Handayani", "Permana", "Pratama", "Suryadi", "Firmansyah", "Ramadhan", "Maulana", "Hakim", "Utami",
    "Sulistyowati", "Yulianti", "Anggraini", "Puspitasari", "Fitriani", "Susilo", "Sutanto", "Rachman",
    "Sumarno", "Haryanto", "Wahyudi", "Mulyadi", "Suherman", "Sukmawati", "Nurhayati", "Kartika",
    # Batak
    "Siregar", "Nasution", "Harahap", "Simanjuntak", "Sitompul", "Hutapea", "Pardede", "Situmorang",
    "Sinaga", "Lubis", "Panjaitan", "Manurung", "Tambunan", "Sihombing", "Simatupang",
    # Minangkabau, Aceh, Malay
    "Chaniago", "Piliang", "Koto", "Tanjung", "Syahputra", "Siddiq", "Daulay",
    # Manado, Maluku, Papua, Nusa Tenggara
    "Wowor", "Lumentut", "Rondonuwu", "Mandagi", "Tuwaidan", "Pattimura", "Latuconsina", "Wenda",
    "Manafe", "Ndoen",
    # Bugis, Makassar
    "Daeng", "Rasyid", "Mappanyukki", "Pananrangi",
    # Chinese-Indonesian
    "Tanoto", "Halim", "Salim", "Tjandra", "Liem", "Tanuwijaya", "Kusuma", "Hartanto", "Sugianto",
    "Winata", "Lim", "Chandra",
    # Balinese
    "Suardana", "Wirawan", "Astawa", "Mahendra", "Sudarsana", "Adnyana",
)

# English-speaking customers: many are Indonesians who prefer English, some are expatriates.
ENGLISH_GIVEN_NAMES = (
    "Michael", "Sarah", "Jessica", "David", "Emily", "James", "Olivia", "Daniel", "Sophia", "Ryan",
    "Chloe", "Jonathan", "Natalie", "Andrew", "Rachel", "Thomas", "Hannah", "Christopher", "Grace", "Mark",
)
ENGLISH_FAMILY_NAMES = ("Smith", "Brown", "Taylor", "Wilson", "Johnson", "Walker", "Clarke", "Hughes",
                        "Tan", "Lee", "Wong", "Chen", "Wijaya", "Santoso", "Halim", "Kusuma")

CITIES = (
    "Jakarta Selatan", "Jakarta Barat", "Jakarta Timur", "Bekasi", "Depok", "Tangerang", "Bogor", "Bandung",
    "Cimahi", "Cirebon", "Semarang", "Solo", "Yogyakarta", "Magelang", "Surabaya", "Sidoarjo", "Malang",
    "Kediri", "Denpasar", "Mataram", "Kupang", "Medan", "Pematangsiantar", "Padang", "Pekanbaru", "Batam",
    "Palembang", "Jambi", "Bengkulu", "Bandar Lampung", "Pontianak", "Banjarmasin", "Balikpapan", "Samarinda",
    "Makassar", "Manado", "Palu", "Kendari", "Ambon", "Jayapura",
)

# Reserved ".example" domains (RFC 2606) that read like the usual providers: demo data must never
# reach a real mailbox, whatever a demo user configures later.
EMAIL_DOMAINS = (
    ("gmail.example", 55), ("yahoo.example", 15), ("outlook.example", 10), ("hotmail.example", 6),
    ("icloud.example", 5), ("ymail.example", 3), ("kantor.example", 6),
)

# Indonesian mobile prefixes (Telkomsel, Indosat, XL, Axis, Tri, Smartfren).
MOBILE_PREFIXES = (
    "0811", "0812", "0813", "0821", "0822", "0823", "0851", "0852", "0853", "0814", "0815", "0816",
    "0855", "0856", "0857", "0858", "0817", "0818", "0819", "0859", "0877", "0878", "0831", "0832",
    "0833", "0838", "0895", "0896", "0897", "0898", "0899", "0881", "0882", "0887", "0888", "0889",
)
