"""Ingest into the lake: columns, checks and quarantine, replace by key, ACLED, refusals."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import lake.ingest as lake_ingest
from cli import main
from geodata.registry import Registry, load_registry
from lake.ingest import IngestError, ingest
from lake.store import Lake, LakeError, vacuum

ACLED = Path(__file__).parent / "data" / "acled_bandung.csv"

TPS_HEADER = ["Pemilu", "Tanggal", "Kode_Desa", "No_TPS", "DPT", "DPTb", "DPK",
              "Pengguna_Hak_Pilih", "Suara_Sah", "Suara_Tidak_Sah"]
TPS_ROW = ["pilpres", "2024-02-14", "32.73.01.1001", "1", "250", "5", "3", "200", "195", "5"]
ORMAS_HEADER = ["id_ormas", "nama", "bidang", "bentuk", "tanggal_terdaftar",
                "berlaku_sampai", "status", "kode_wilayah"]
ORMAS_ROW = ["O-1", "Paguyuban Pasundan", "budaya", "skt", "2021-06-01", "2026-06-01",
             "active", "32.73"]
INCIDENT_HEADER = ["event_id_cnty", "event_date", "event_type", "fatalities", "latitude",
                   "longitude", "kode_wilayah"]
INCIDENT_ROW = ["IDN1", "12 March 2024", "Protests", "0", "-6.9025", "107.6188", ""]
MEDIA_HEADER = ["mention_id", "tanggal", "kode_wilayah", "topik", "nada"]
MEDIA_ROW = ["M-1", "2024-05-01", "32.73.02", "pilkada", "-1"]
KEY_COLUMN = {"tps": "no_tps", "ormas": "id_ormas", "incidents": "event_id_cnty",
              "media": "mention_id"}
FILES = {"tps": (TPS_HEADER, TPS_ROW), "ormas": (ORMAS_HEADER, ORMAS_ROW),
         "incidents": (INCIDENT_HEADER, INCIDENT_ROW), "media": (MEDIA_HEADER, MEDIA_ROW)}


@pytest.fixture(scope="module")
def desa_registry() -> Registry:
    return load_registry(include_desa=True)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def quarantine_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as src:
        return list(csv.DictReader(src))


def changed(header: list[str], row: list[str], **values: str) -> list[str]:
    """Return ``row`` with the cells of the named (lower-cased) columns replaced."""
    lower = [h.lower() for h in header]
    out = list(row)
    for name, value in values.items():
        out[lower.index(name)] = value
    return out


BAD_ROWS = [
    ("tps", {"pemilu": "pilgub"}, "Pemilu", "must be one of pilpres, pileg_dpr, pilkada"),
    ("tps", {"dptb": "-1"}, "DPTb", "must not be negative"),
    ("tps", {"pengguna_hak_pilih": "259", "suara_sah": "254"}, "Pengguna_Hak_Pilih",
     "voters exceed dpt + dptb + dpk"),
    ("tps", {"suara_sah": "190"}, "Suara_Sah", "valid_votes + invalid_votes differ from voters"),
    ("tps", {"kode_desa": "32.73.01"}, "Kode_Desa", "not a desa code of the region registry"),
    ("tps", {"kode_desa": "32.73.01.9999"}, "Kode_Desa",
     "not a desa code of the region registry"),
    ("tps", {"no_tps": "satu"}, "No_TPS", "not a whole number"),
    ("tps", {"dpt": ""}, "DPT", "missing value"),
    ("tps", {"tanggal": "14/02/2024"}, "Tanggal", "not a date (2024-03-12 or 12 March 2024)"),
    ("ormas", {"bentuk": "yayasan"}, "bentuk", "must be one of badan_hukum, skt"),
    ("ormas", {"status": "frozen"}, "status", "must be one of active, expired, revoked"),
    ("ormas", {"berlaku_sampai": "2020-01-01"}, "berlaku_sampai",
     "expires before the registration date"),
    ("ormas", {"kode_wilayah": "32.73.01"}, "kode_wilayah",
     "not a desa or kabkota code of the region registry"),
    ("incidents", {"event_type": "Protest"}, "event_type",
     "must be one of Battles, Violence against civilians, Explosions/Remote violence, Riots,"
     " Protests, Strategic developments"),
    ("incidents", {"fatalities": "-2"}, "fatalities", "must not be negative"),
    ("incidents", {"latitude": "-5.0", "longitude": "100.0"}, "kode_wilayah",
     "point lies outside every kecamatan boundary"),
    ("incidents", {"latitude": "selatan"}, "latitude", "not a number"),
    ("media", {"nada": "2"}, "nada", "must be -1, 0 or 1"),
    ("media", {"topik": "  "}, "topik", "missing value"),
]


@pytest.mark.parametrize(("stream", "values", "column", "reason"), BAD_ROWS,
                         ids=[f"{s}-{r}-{c}" for s, _, c, r in BAD_ROWS])
def test_a_bad_row_is_quarantined_with_its_row_and_reason(
        stream: str, values: dict[str, str], column: str, reason: str, tmp_path: Path,
        desa_registry: Registry, boundaries_dir: Path) -> None:
    header, good = FILES[stream]
    key = KEY_COLUMN[stream]
    other = changed(header, good, **{key: "2"})
    bad = changed(header, changed(header, good, **{key: "3"}), **values)
    source = write_csv(tmp_path / f"{stream}.csv", header, [good, other, bad])
    lake = Lake(tmp_path / "lake")
    result = ingest(lake, stream, [source], registry=desa_registry, boundaries=boundaries_dir)
    assert (result.rows_read, result.stored, result.quarantined) == (3, 2, 1)
    assert lake.scan(stream).collect().height == 2
    [qfile] = result.quarantine_files
    assert qfile == tmp_path / "lake" / "quarantine" / stream / f"1-{stream}.csv"
    [entry] = quarantine_rows(qfile)
    assert (entry["row"], entry["column"], entry["reason"]) == ("4", column, reason)
    assert [entry[h] for h in header] == bad  # the raw values, as in the file


def test_tps_file_with_indonesian_headers_and_undotted_codes(
        tmp_path: Path, desa_registry: Registry) -> None:
    source = write_csv(tmp_path / "tps.csv", [h.upper() for h in TPS_HEADER], [
        TPS_ROW, changed(TPS_HEADER, TPS_ROW, kode_desa="3171011001", no_tps="7")])
    lake = Lake(tmp_path / "lake")
    result = ingest(lake, "tps", [source], registry=desa_registry, simulated=True)
    assert (result.stored, result.quarantined, result.partitions) == (
        2, 0, {(2024, "32"), (2024, "31")})
    frame = lake.scan("tps").collect().sort("region_code")
    assert frame["region_code"].to_list() == ["31.71.01.1001", "32.73.01.1001"]
    assert frame.row(1) == ("pilpres", date(2024, 2, 14), "32.73.01.1001", 1, 250, 5, 3, 200,
                            195, 5, True)
    assert sorted(p.relative_to(lake.root).parent.as_posix() for p in lake.files("tps")) == [
        "data/stream=tps/year=2024/prov=31", "data/stream=tps/year=2024/prov=32"]


def test_acled_export_imports_as_it_is_and_is_located_by_point(
        tmp_path: Path, desa_registry: Registry, boundaries_dir: Path) -> None:
    lake = Lake(tmp_path / "lake")
    result = ingest(lake, "incidents", [ACLED], registry=desa_registry,
                    boundaries=boundaries_dir)
    assert (result.rows_read, result.stored, result.quarantined) == (4, 4, 0)
    frame = lake.scan("incidents").collect().sort("event_id")
    assert frame.select("event_id", "date", "region_code", "located_by").rows() == [
        ("IDN17001", date(2024, 3, 12), "32.73.09", "point"),   # Gedung Sate, Bandung Wetan
        ("IDN17002", date(2024, 3, 15), "32.73.02", "point"),   # Dago, Coblong
        ("IDN17003", date(2024, 4, 2), "32.73.11", "point"),    # Alun-alun, Regol
        ("IDN17004", date(2024, 5, 20), "32.73.05", "point")]   # Andir
    assert frame["actor2"].to_list()[2] == "Police Forces of Indonesia (2014-)"
    assert frame["time_precision"].to_list() == [1, 1, 1, 2]
    assert frame["fatalities"].sum() == 1


def test_an_incident_with_a_region_code_keeps_it(tmp_path: Path, desa_registry: Registry,
                                                  boundaries_dir: Path) -> None:
    source = write_csv(tmp_path / "inc.csv", INCIDENT_HEADER,
                       [changed(INCIDENT_HEADER, INCIDENT_ROW, kode_wilayah="32.73.01")])
    lake = Lake(tmp_path / "lake")
    ingest(lake, "incidents", [source], registry=desa_registry, boundaries=boundaries_dir)
    assert lake.scan("incidents").select("region_code", "located_by").collect().row(0) == (
        "32.73.01", "code")


def test_without_boundaries_an_incident_without_a_code_is_quarantined(
        tmp_path: Path, desa_registry: Registry) -> None:
    lake = Lake(tmp_path / "lake")
    result = ingest(lake, "incidents", [ACLED], registry=desa_registry)
    assert (result.stored, result.quarantined) == (0, 4)
    entries = quarantine_rows(result.quarantine_files[0])
    assert [(e["row"], e["column"]) for e in entries] == [
        ("2", "region_code"), ("3", "region_code"), ("4", "region_code"), ("5", "region_code")]
    assert {e["reason"] for e in entries} == {
        "no region code, and no boundaries given to locate the point"}


def test_the_same_file_again_changes_nothing(tmp_path: Path, desa_registry: Registry) -> None:
    source = write_csv(tmp_path / "media.csv", MEDIA_HEADER, [MEDIA_ROW])
    lake = Lake(tmp_path / "lake")
    assert ingest(lake, "media", [source], registry=desa_registry).stored == 1
    manifest = lake.manifest_path.read_bytes()
    again = ingest(lake, "media", [source], registry=desa_registry)
    assert (again.unchanged, again.stored, again.partitions, again.snapshot) == (
        [source], 0, set(), 1)
    assert lake.manifest_path.read_bytes() == manifest


def test_a_stored_key_is_replaced(tmp_path: Path, desa_registry: Registry) -> None:
    lake = Lake(tmp_path / "lake")
    first = write_csv(tmp_path / "a.csv", TPS_HEADER, [
        TPS_ROW, changed(TPS_HEADER, TPS_ROW, no_tps="2")])
    ingest(lake, "tps", [first], registry=desa_registry)
    old_files = lake.files("tps")
    fixed = changed(TPS_HEADER, TPS_ROW, no_tps="2", pengguna_hak_pilih="210",
                    suara_sah="205")
    second = write_csv(tmp_path / "b.csv", TPS_HEADER, [
        fixed, changed(TPS_HEADER, TPS_ROW, no_tps="3")])
    result = ingest(lake, "tps", [second], registry=desa_registry)
    assert (result.stored, result.replaced, result.partitions) == (2, 1, {(2024, "32")})
    frame = lake.scan("tps").collect().sort("tps")
    assert frame.select("tps", "voters").rows() == [(1, 200), (2, 210), (3, 200)]
    assert not set(old_files) & set(lake.files("tps"))  # copy-on-write: new files only
    assert all(p.exists() for p in old_files)  # until vacuum


def test_a_key_moving_partition_leaves_no_copy_behind(tmp_path: Path,
                                                      desa_registry: Registry) -> None:
    lake = Lake(tmp_path / "lake")
    ingest(lake, "ormas", [write_csv(tmp_path / "a.csv", ORMAS_HEADER, [ORMAS_ROW])],
           registry=desa_registry)
    moved = changed(ORMAS_HEADER, ORMAS_ROW, tanggal_terdaftar="2022-01-03",
                    kode_wilayah="31.71")
    result = ingest(lake, "ormas", [write_csv(tmp_path / "b.csv", ORMAS_HEADER, [moved])],
                    registry=desa_registry)
    assert (result.replaced, result.partitions) == (1, {(2021, "32"), (2022, "31")})
    assert lake.scan("ormas").select("org_id", "region_code").collect().rows() == [
        ("O-1", "31.71")]


def test_a_key_repeated_in_one_file_keeps_the_last_row(tmp_path: Path,
                                                       desa_registry: Registry) -> None:
    later = changed(MEDIA_HEADER, MEDIA_ROW, nada="1", tanggal="2025-01-02",
                    kode_wilayah="31.71")  # another partition
    source = write_csv(tmp_path / "m.csv", MEDIA_HEADER, [MEDIA_ROW, later])
    lake = Lake(tmp_path / "lake")
    result = ingest(lake, "media", [source], registry=desa_registry)
    assert (result.stored, result.quarantined) == (1, 1)
    assert lake.scan("media").select("tone", "region_code").collect().row(0) == (1, "31.71")
    [entry] = quarantine_rows(result.quarantine_files[0])
    assert (entry["row"], entry["column"]) == ("2", "mention_id")
    assert entry["reason"].startswith("same key (mention_id) as a later row")


def test_a_file_missing_a_required_column_is_refused_whole(
        tmp_path: Path, desa_registry: Registry) -> None:
    good = write_csv(tmp_path / "good.csv", TPS_HEADER, [TPS_ROW])
    no_dpk = write_csv(tmp_path / "no_dpk.csv", [h for h in TPS_HEADER if h != "DPK"],
                       [[v for h, v in zip(TPS_HEADER, TPS_ROW, strict=True) if h != "DPK"]])
    lake = Lake(tmp_path / "lake")
    with pytest.raises(IngestError, match=r"no_dpk.csv: required column 'dpk' is missing"):
        ingest(lake, "tps", [good, no_dpk], registry=desa_registry)
    assert lake.snapshot().id == 0
    assert not lake.root.exists()


def test_a_malformed_file_is_refused_whole(tmp_path: Path, desa_registry: Registry) -> None:
    source = write_csv(tmp_path / "m.csv", MEDIA_HEADER,
                       [changed(MEDIA_HEADER, MEDIA_ROW, nada="7"), MEDIA_ROW + ["extra"]])
    lake = Lake(tmp_path / "lake")
    refused = r"m.csv: cannot be read: .*Expected 5 columns, got 6.*nothing was ingested"
    with pytest.raises(IngestError, match=refused):
        ingest(lake, "media", [source], registry=desa_registry)
    assert lake.snapshot().id == 0 and lake.scan("media").collect().height == 0
    assert not list(lake.root.rglob("*.csv")) and not list(lake.root.rglob("*.parquet"))
    (tmp_path / "latin1.csv").write_bytes("mention_id,tanggal,kode_wilayah,topik,nada,catatan\n"
                                          "M-1,2024-05-01,32.73.02,pilkada,0,ca\xe7a\n"
                                          .encode("latin-1"))
    with pytest.raises(IngestError, match="latin1.csv: cannot be read"):
        ingest(lake, "media", [tmp_path / "latin1.csv"], registry=desa_registry)
    assert lake.snapshot().id == 0


def test_parquet_input_and_chunks_keep_row_numbers(
        tmp_path: Path, desa_registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [changed(MEDIA_HEADER, MEDIA_ROW, mention_id=f"M-{i}") for i in range(10)]
    rows[7] = changed(MEDIA_HEADER, rows[7], nada="5")
    frame = pl.DataFrame(dict(zip([h.upper() for h in MEDIA_HEADER], zip(*rows, strict=True),
                                  strict=True)))
    frame.write_parquet(tmp_path / "media.parquet")
    write_csv(tmp_path / "media.csv", MEDIA_HEADER, rows)
    monkeypatch.setattr(lake_ingest, "CHUNK_ROWS", 3)
    monkeypatch.setattr(lake_ingest, "CSV_BLOCK_BYTES", 100)
    monkeypatch.setattr(lake_ingest, "STAGE_ROWS", 4)  # several staging files per partition
    for name, row in (("media.parquet", "8"), ("media.csv", "9")):
        done: list[int] = []
        lake = Lake(tmp_path / name.replace(".", "-"))
        result = ingest(lake, "media", [tmp_path / name], registry=desa_registry,
                        progress=done.append)
        assert (result.stored, result.quarantined, sum(done)) == (9, 1, 10)
        assert lake.scan("media").collect().height == 9
        assert len(done) > 2
        [entry] = quarantine_rows(result.quarantine_files[0])
        assert (entry["row"], entry["reason"]) == (row, "must be -1, 0 or 1")


def test_lake_ingest_command(tmp_path: Path, boundaries_dir: Path) -> None:
    env = {"MATA_GARUDA_VAR_DIR": str(tmp_path / "var"),
           "MATA_GARUDA_LAKE_DIR": str(tmp_path / "lake"),
           "MATA_GARUDA_BOUNDARIES_DIR": str(boundaries_dir)}
    result = CliRunner().invoke(main, ["lake", "ingest", "incidents", str(ACLED)], env=env)
    assert result.exit_code == 0, result.output
    assert "incidents: 4 rows read, 4 stored (0 replaced), 0 quarantined; snapshot 1" \
        in result.output
    assert "rollup of 1 partition(s)" in result.output
    result = CliRunner().invoke(main, ["lake", "status"], env=env)
    assert "acled_bandung.csv: 4 read, 4 stored, 0 replaced, 0 quarantined" in result.output
    result = CliRunner().invoke(main, ["lake", "ingest", "--no-rollup", "incidents", str(ACLED)],
                                env=env)
    assert "already ingested, nothing changed" in result.output
    bad = write_csv(tmp_path / "bad.csv", ["event_id_cnty"], [["X"]])
    result = CliRunner().invoke(main, ["lake", "ingest", "incidents", str(bad)], env=env)
    assert result.exit_code == 1 and "required column 'date' is missing" in result.output


def test_vacuum_keeps_only_the_quarantine_files_the_manifest_names(
        tmp_path: Path, desa_registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    lake = Lake(tmp_path / "lake")
    ghost = lake.root / "quarantine" / "media" / "1-ghost.csv"  # as a killed ingest leaves it
    ghost.parent.mkdir(parents=True)
    ghost.write_text("row,column,reason\n")
    source = write_csv(tmp_path / "m.csv", MEDIA_HEADER,
                       [MEDIA_ROW, changed(MEDIA_HEADER, MEDIA_ROW, mention_id="M-2", nada="9")])
    [kept] = ingest(lake, "media", [source], registry=desa_registry).quarantine_files
    assert kept.name == "1-m.csv"
    assert vacuum(lake) == [ghost]
    assert kept.exists()

    def refuse(*args: object, **kwargs: object) -> None:
        raise LakeError("the lake changed")

    monkeypatch.setattr(Lake, "commit", refuse)
    again = write_csv(tmp_path / "again.csv", MEDIA_HEADER,
                      [changed(MEDIA_HEADER, MEDIA_ROW, mention_id="M-3", nada="9")])
    with pytest.raises(LakeError):
        ingest(lake, "media", [again], registry=desa_registry)
    assert sorted(p.name for p in (lake.root / "quarantine" / "media").iterdir()) == ["1-m.csv"]
