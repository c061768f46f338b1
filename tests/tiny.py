"""Small hand-made fixtures shared by tests: a region tree, accounts."""

from __future__ import annotations

from auth.accounts import Account
from geodata.registry import Region, Registry

KECAMATAN = {
    "32.01.01": "Cibinong",
    "32.01.02": "Gunung Putri",
    "32.73.01": "Sukasari",
    "32.73.02": "Coblong",
    "33.01.01": "Dayeuhluhur",
}
KABKOTA = {"32.01": "Kabupaten Bogor", "32.73": "Kota Bandung", "33.01": "Kabupaten Cilacap"}
PROVINSI = {"32": "Jawa Barat", "33": "Jawa Tengah"}


def tiny_registry(*extra: Region) -> Registry:
    """Two provinsi, three kab/kota and five kecamatan, plus ``extra`` regions."""
    regions = [Region("ID", "nasional", "Indonesia", None)]
    for names, level in ((PROVINSI, "provinsi"), (KABKOTA, "kabkota"), (KECAMATAN, "kecamatan")):
        for code, name in names.items():
            parent = code.rsplit(".", 1)[0] if "." in code else "ID"
            regions.append(Region(code, level, name, parent))  # type: ignore[arg-type]
    return Registry(regions + list(extra))


# Accounts as the write path sees them (ids are arbitrary; nothing reads them back).
JABAR = Account(1, "jabar", "Kesbangpol Provinsi Jawa Barat", "provinsi", "32", False)
BANDUNG = Account(2, "kotabandung", "Kesbangpol Kota Bandung", "kabkota", "32.73", False)
BOGOR = Account(3, "kabbogor", "Kesbangpol Kabupaten Bogor", "kabkota", "32.01", False)
JATENG = Account(6, "jateng", "Kesbangpol Provinsi Jawa Tengah", "provinsi", "33", False)
PUSAT = Account(4, "pusat", "Ditjen Polpum", "pusat", None, False)
VIEWER = Account(5, "pengamat", "Pengamat", "viewer", None, False)
