"""Indonesian demo data: the shop "Toko Nusantara" that ``layan demo`` loads (see seed.py)."""
