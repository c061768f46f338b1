"""Import of published figures in the tidy format of ``shared/data/published``.

Columns: ``indicator,level,code,name,year,value,unit,source_url,note``. Every row is
checked before anything is written; one bad row rejects the whole file and the
database stays exactly as it was. Re-importing the same file changes nothing; a
changed value is stored as a new version (a correction), never overwriting the old.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl
from sqlalchemy import Engine

from geodata.registry import LEVELS, NATIONAL_CODE, Registry, level_of, normalize_name
from ingest.store import NewValue, WriteReport, write_targets, write_values
from queries.catalogue import Indicator, read_catalogue

REQUIRED_COLUMNS = ("indicator", "level", "code", "name", "year", "value")
OPTIONAL_COLUMNS = ("unit", "source_url", "note")
MAX_ROWS = 200_000
MAX_ERRORS_SHOWN = 25
YEAR_RANGE = (1945, 2100)


class ImportRejectedError(ValueError):
    """A file was refused; ``errors`` lists each problem with file, row and column."""

    def __init__(self, path: Path, errors: list[str]) -> None:
        self.path = path
        self.errors = errors
        shown = "\n".join(f"  - {e}" for e in errors[:MAX_ERRORS_SHOWN])
        more = len(errors) - MAX_ERRORS_SHOWN
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(
            f"{path.name}: rejected, nothing was imported ({len(errors)} problem(s)):"
            f"\n{shown}{tail}"
        )


@dataclass(frozen=True)
class ImportResult:
    """Outcome of an accepted import."""

    path: Path
    rows: int
    report: WriteReport


def read_table(path: Path) -> pl.DataFrame:
    """Read a CSV (UTF-8) or XLSX file with every column as text.

    Raises
    ------
    ImportRejectedError
        If the file cannot be read, naming why (encoding, format, sheets).
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            raw = path.read_bytes()
            try:
                raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise ImportRejectedError(path, [
                    f"{path.name}: not UTF-8 text (byte {exc.start}); save the file as CSV UTF-8"
                ]) from None
            return pl.read_csv(raw, infer_schema=False, encoding="utf8")
        if suffix == ".xlsx":
            sheets = fastexcel.read_excel(path).sheet_names
            if len(sheets) != 1:
                raise ImportRejectedError(path, [
                    f"{path.name}: has {len(sheets)} sheets ({', '.join(sheets)}); expected one"
                ])
            return pl.read_excel(path, sheet_id=1, infer_schema_length=0)
    except ImportRejectedError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser error becomes a clear message
        reason = f"{path.name}: cannot be read as {suffix}: {exc}"
        raise ImportRejectedError(path, [reason]) from None
    reason = f"{path.name}: unsupported file type {suffix!r}; use .csv or .xlsx"
    raise ImportRejectedError(path, [reason])


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def validate_rows(
    path: Path, frame: pl.DataFrame, registry: Registry, catalogue: dict[str, Indicator]
) -> tuple[list[NewValue], list[str]]:
    """Check every row; return the values to store and the list of errors.

    Row numbers are those a spreadsheet shows: the header is row 1.
    """
    name = path.name
    columns = [c.strip().lower() for c in frame.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        return [], [f"{name}: missing column(s) {', '.join(missing)}; expected "
                    f"{','.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}"]
    if frame.height > MAX_ROWS:
        return [], [f"{name}: {frame.height} rows, more than the limit of {MAX_ROWS}"]
    frame = frame.rename(dict(zip(frame.columns, columns, strict=True)))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    values: list[NewValue] = []
    errors: list[str] = []
    seen: dict[tuple[str, str, int], int] = {}
    for i, rec in enumerate(frame.iter_rows(named=True)):
        row = i + 2

        def err(column: str, message: str, row: int = row) -> None:
            errors.append(f"{name}: row {row}, column {column}: {message}")

        get = {k: (rec.get(k) or "").strip() for k in REQUIRED_COLUMNS + OPTIONAL_COLUMNS}
        ind = catalogue.get(get["indicator"])
        if ind is None:
            err("indicator", f"unknown indicator {get['indicator']!r}; known: "
                f"{', '.join(sorted(catalogue))}")
        level = get["level"]
        code = get["code"] or (NATIONAL_CODE if level == "nasional" else "")
        if level not in LEVELS[:4]:
            err("level", f"unknown level {level!r}; expected one of {', '.join(LEVELS[:4])}")
        elif not code:
            err("code", f"empty region code for level {level}")
        elif code not in registry:
            err("code", f"unknown region code {code!r}")
        else:
            if level_of(code) != level:
                err("code", f"code {code!r} is a {level_of(code)} code, but level says {level}")
            official = registry.name(code)
            if get["name"] and normalize_name(get["name"]) != normalize_name(official):
                err("name", f"{get['name']!r} does not match code {code} ({official})")
            if ind is not None and LEVELS.index(level) > LEVELS.index(ind.lowest_level):
                err("level", f"{ind.id} is not defined below {ind.lowest_level}")
        year_num = _number(get["year"])
        year = int(year_num) if year_num is not None and year_num.is_integer() else None
        if year is None or not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
            err("year", f"bad year {get['year']!r}; expected a whole year "
                f"{YEAR_RANGE[0]}-{YEAR_RANGE[1]}")
        value = _number(get["value"])
        if value is None:
            err("value", f"not a number: {get['value']!r} (use a decimal point, no thousands "
                "separators)")
        elif ind is not None and not ind.in_range(value):
            err("value", f"{value:g} is outside the range of {ind.id} ({ind.range_text()})")
        if year is not None and code:
            key = (get["indicator"], code, year)
            if key in seen:
                err("indicator", f"duplicate of row {seen[key]} ({key[0]}, {code}, {year})")
            seen.setdefault(key, row)
        if ind is not None and year is not None and value is not None and code in registry:
            values.append(NewValue(ind.id, code, year, value, f"{name} row {row} sha256:{digest}",
                                   get["source_url"], get["note"]))
    if not errors and not values:
        errors.append(f"{name}: no data rows")
    return values, errors


def import_file(
    path: Path, engine: Engine, registry: Registry, *, user: str = "import"
) -> ImportResult:
    """Validate ``path`` and store its rows as published values, all or nothing.

    Raises
    ------
    ImportRejectedError
        If any row is bad; nothing is written.
    """
    frame = read_table(path)
    with engine.begin() as conn:
        catalogue = read_catalogue(conn)
        values, errors = validate_rows(path, frame, registry, catalogue)
        if errors:
            raise ImportRejectedError(path, errors)
        report = write_values(
            conn, values, source_kind="published", status="published",
            source_of={k: v.publisher for k, v in catalogue.items()}, recorded_by=user,
        )
    return ImportResult(path, len(values), report)


TARGET_COLUMNS = ("indicator", "period", "target_low", "target_high")


def import_targets(path: Path, engine: Engine, *, user: str = "import") -> int:
    """Import planning targets (``indicator,period,target_low,target_high,...``), all or nothing.

    Targets are national. A changed target is stored as a new version. Returns the
    number of versions written.

    Raises
    ------
    ImportRejectedError
        If any row is bad; nothing is written.
    """
    frame = read_table(path)
    frame = frame.rename({c: c.strip().lower() for c in frame.columns})
    missing = [c for c in TARGET_COLUMNS if c not in frame.columns]
    if missing:
        raise ImportRejectedError(path, [f"{path.name}: missing column(s) {', '.join(missing)}"])
    with engine.begin() as conn:
        catalogue = read_catalogue(conn)
        errors: list[str] = []
        rows: list[dict[str, object]] = []
        for i, rec in enumerate(frame.iter_rows(named=True)):
            row = i + 2
            ind = catalogue.get((rec["indicator"] or "").strip())
            period = _number(rec["period"] or "")
            low, high = _number(rec["target_low"] or ""), _number(rec["target_high"] or "")
            if ind is None:
                errors.append(f"{path.name}: row {row}, column indicator: unknown indicator "
                              f"{rec['indicator']!r}")
            if period is None or not period.is_integer():
                errors.append(f"{path.name}: row {row}, column period: bad year {rec['period']!r}")
            if low is None or high is None or low > high:
                errors.append(f"{path.name}: row {row}, column target_low: need two numbers "
                              f"with target_low <= target_high, got {rec['target_low']!r}, "
                              f"{rec['target_high']!r}")
            elif ind is not None and not (ind.in_range(low) and ind.in_range(high)):
                errors.append(f"{path.name}: row {row}, column target_low: outside the range "
                              f"of {ind.id} ({ind.range_text()})")
            if not errors and ind is not None and period is not None:
                rows.append({"indicator_id": ind.id, "period": int(period), "target_low": low,
                             "target_high": high, "source_url": rec.get("source_url") or "",
                             "note": rec.get("note") or "", "provenance": f"{path.name} row {row}"})
        if errors:
            raise ImportRejectedError(path, errors)
        return write_targets(conn, rows, user)
