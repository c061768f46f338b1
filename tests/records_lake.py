"""A stand-in for :class:`lake.store.Lake` in tests: Parquet files in the lake's layout.

It has only ``scan(stream, years=, provs=)``, the one method the record queries use.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import polars as pl

from lake.streams import STREAMS


class FileLake:
    """Parquet files under ``root/data/stream=<s>/year=<y>/prov=<p>/`` with the stored schema."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, stream: str, frame: pl.DataFrame) -> None:
        """Store ``frame`` (the stream's columns), one file per year and province."""
        frame = frame.select(STREAMS[stream].schema.names()).cast(
            dict(STREAMS[stream].schema))
        keyed = frame.with_columns(_year=pl.col("date").dt.year(),
                                   _prov=pl.col("region_code").str.slice(0, 2))
        for (year, prov), part in keyed.group_by("_year", "_prov"):
            folder = self.root / "data" / f"stream={stream}" / f"year={year}" / f"prov={prov}"
            folder.mkdir(parents=True, exist_ok=True)
            n = len(list(folder.glob("*.parquet")))
            part.drop("_year", "_prov").write_parquet(folder / f"1-{n}.parquet")

    def scan(self, stream: str, *, years: Iterable[int] | None = None,
             provs: Iterable[str] | None = None) -> pl.LazyFrame:
        """Return the records of ``stream`` in those years and provinces."""
        ys = None if years is None else {str(y) for y in years}
        ps = None if provs is None else set(provs)
        files = sorted(
            p for p in (self.root / "data" / f"stream={stream}").glob("year=*/prov=*/*.parquet")
            if (ys is None or p.parent.parent.name.removeprefix("year=") in ys)
            and (ps is None or p.parent.name.removeprefix("prov=") in ps))
        if not files:
            return pl.LazyFrame(schema=STREAMS[stream].schema)
        return pl.scan_parquet(files, hive_partitioning=False)


# Polling stations of 2024 (and a few of 2019): desa code -> number of TPS.
TPS_2024 = {"32.73.01.1001": 150, "32.73.01.1002": 60, "32.04.01.2001": 30,
            "33.01.01.2001": 20}
TPS_2019 = {"32.73.01.1001": 7}


def tps_frame(counts: dict[str, int], year: int, *, simulated: bool = False,
              election: str = "pilpres") -> pl.DataFrame:
    """Return one TPS row per polling station: 200 registered, 150 voters."""
    rows = [{"election": election, "date": date(year, 2, 14), "region_code": code,
             "tps": n, "dpt": 200, "dptb": 2, "dpk": 1, "voters": 150, "valid_votes": 145,
             "invalid_votes": 5, "simulated": simulated}
            for code, count in counts.items() for n in range(count, 0, -1)]
    return pl.DataFrame(rows, schema=STREAMS["tps"].schema)


def tps_lake(root: Path) -> FileLake:
    """Return a lake with :data:`TPS_2024` and :data:`TPS_2019`, and two ormas, one hostile."""
    lake = FileLake(root)
    lake.write("tps", tps_frame(TPS_2024, 2024))
    lake.write("tps", tps_frame(TPS_2019, 2019, simulated=True))
    lake.write("ormas", pl.DataFrame([
        {"org_id": "A1", "name": "=HYPERLINK(\"http://x\")", "field": "@SUM(A1)",
         "legal_form": "skt", "date": date(2024, 3, 1), "expires": None, "status": "active",
         "region_code": "32.73.01.1001", "simulated": False},
        {"org_id": "A2", "name": "Karang Taruna", "field": "-2+3", "legal_form": "badan_hukum",
         "date": date(2024, 5, 1), "expires": date(2029, 5, 1), "status": "active",
         "region_code": "32.73", "simulated": False},
    ], schema=STREAMS["ormas"].schema))
    return lake
