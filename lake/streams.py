"""The record streams of the lake: their stored columns, as the sources publish them.

One :class:`Stream` per source. ``schema`` is the stored schema (what every Parquet file
of the stream holds, in this order); ``aliases`` maps the column names real files use
(KPU's Indonesian headers, ACLED's export) to the stored ones. Every stored row has a
``region_code`` (the finest Kemendagri code the record is located to: desa, kecamatan
or kab/kota), a ``date`` (the period is its year) and ``simulated`` (True only for rows
the demo generator wrote: a value rolled up from them is DATA SIMULASI).

The lake partitions files by ``year`` (of ``date``) and ``prov`` (the first two digits of
``region_code``); those two keys live only in the directory names, never in the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl


@dataclass(frozen=True)
class Stream:
    """One record stream: its name, stored schema, key and accepted column names."""

    name: str
    schema: pl.Schema
    #: Columns that identify a record; a re-ingested record with the same key replaces
    #: the stored one (the newest ingest wins).
    key: tuple[str, ...]
    #: Source column name (lower-cased) -> stored column name.
    aliases: dict[str, str] = field(default_factory=dict)
    #: The levels ``region_code`` may be at (finest first).
    levels: tuple[str, ...] = ("desa",)


ELECTIONS = ("pilpres", "pileg_dpr", "pilkada")
ORMAS_STATUS = ("active", "expired", "revoked")
ORMAS_FORMS = ("badan_hukum", "skt")
ACLED_EVENT_TYPES = ("Battles", "Violence against civilians", "Explosions/Remote violence",
                     "Riots", "Protests", "Strategic developments")

TPS = Stream(
    name="tps",
    schema=pl.Schema({
        "election": pl.String,      # one of ELECTIONS
        "date": pl.Date,            # polling day
        "region_code": pl.String,   # desa code, 10 digits dotted: 32.73.01.1001
        "tps": pl.Int32,            # polling-station number within the desa
        "dpt": pl.Int64,            # registered voters (Daftar Pemilih Tetap)
        "dptb": pl.Int64,           # moved-in voters (Daftar Pemilih Tambahan)
        "dpk": pl.Int64,            # special voters (Daftar Pemilih Khusus)
        "voters": pl.Int64,         # voters who used their right (pengguna hak pilih)
        "valid_votes": pl.Int64,
        "invalid_votes": pl.Int64,
        "simulated": pl.Boolean,
    }),
    key=("election", "date", "region_code", "tps"),
    aliases={"pemilu": "election", "tanggal": "date", "kode_desa": "region_code",
             "kode_wilayah": "region_code", "no_tps": "tps", "nomor_tps": "tps",
             "pengguna_hak_pilih": "voters", "suara_sah": "valid_votes",
             "suara_tidak_sah": "invalid_votes"},
    levels=("desa",),
)

ORMAS = Stream(
    name="ormas",
    schema=pl.Schema({
        "org_id": pl.String,
        "name": pl.String,
        "field": pl.String,          # bidang kegiatan
        "legal_form": pl.String,     # one of ORMAS_FORMS
        "date": pl.Date,             # registration date (the partition year)
        "expires": pl.Date,          # null for a permanent registration (badan hukum)
        "status": pl.String,         # one of ORMAS_STATUS
        "region_code": pl.String,    # domicile: desa or kab/kota code
        "simulated": pl.Boolean,
    }),
    key=("org_id",),
    aliases={"id_ormas": "org_id", "nama": "name", "bidang": "field",
             "bentuk": "legal_form", "bentuk_hukum": "legal_form",
             "tanggal_terdaftar": "date", "registered": "date", "berlaku_sampai": "expires",
             "kode_wilayah": "region_code", "domisili": "region_code"},
    levels=("desa", "kabkota"),
)

INCIDENTS = Stream(
    name="incidents",
    schema=pl.Schema({
        "event_id": pl.String,       # ACLED event_id_cnty
        "date": pl.Date,             # ACLED event_date
        "time_precision": pl.Int8,   # 1 day, 2 week, 3 month
        "event_type": pl.String,     # one of ACLED_EVENT_TYPES
        "sub_event_type": pl.String,
        "actor1": pl.String,
        "actor2": pl.String,
        "fatalities": pl.Int32,
        "latitude": pl.Float64,
        "longitude": pl.Float64,
        "location": pl.String,
        "admin1": pl.String,
        "admin2": pl.String,
        "admin3": pl.String,
        "source": pl.String,
        "notes": pl.String,
        "region_code": pl.String,    # desa or kecamatan code, from the file or located
        "located_by": pl.String,     # "code" (given in the file) or "point" (in polygon)
        "simulated": pl.Boolean,
    }),
    key=("event_id",),
    aliases={"event_id_cnty": "event_id", "event_date": "date", "kode_wilayah": "region_code"},
    levels=("desa", "kecamatan"),
)

MEDIA = Stream(
    name="media",
    schema=pl.Schema({
        "mention_id": pl.String,
        "date": pl.Date,
        "region_code": pl.String,    # desa, kecamatan or kab/kota code
        "topic": pl.String,
        "tone": pl.Int8,             # -1 negative, 0 neutral, 1 positive
        "simulated": pl.Boolean,
    }),
    key=("mention_id",),
    aliases={"tanggal": "date", "kode_wilayah": "region_code", "topik": "topic",
             "nada": "tone"},
    levels=("desa", "kecamatan", "kabkota"),
)

STREAMS: dict[str, Stream] = {s.name: s for s in (TPS, ORMAS, INCIDENTS, MEDIA)}
