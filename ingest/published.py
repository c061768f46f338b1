"""Import of published figures in the tidy format of ``shared/data/published``.

Columns: ``indicator,level,code,name,year,value,unit,source_url,note``. The file is read
and every row checked by :func:`ingest.tidy.read_rows`, the rules the office upload uses
too; a published figure also needs a value. One bad row rejects the whole file and the
database stays exactly as it was. Re-importing the same file changes nothing; a changed
value is stored as a new version (a correction), never overwriting the old.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from geodata.registry import Registry
from i18n import Message
from ingest.store import NewValue, WriteReport, write_targets, write_values
from ingest.tidy import MULTILINE_COLUMNS, as_text, column_key, read_rows, read_table
from presentation.text import NumberError, TextError, clean_text, parse_number
from queries.catalogue import Indicator, read_catalogue

OPTIONAL_COLUMNS = ("unit", "source_url", "note")
MAX_ROWS = 200_000
MAX_ERRORS_SHOWN = 25


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


def _rejected(path: Path, problems: list[Message]) -> ImportRejectedError:
    return ImportRejectedError(path, [f"{path.name}: {p}" for p in problems])


def _checked_values(path: Path, data: bytes, registry: Registry,
                    catalogue: dict[str, Indicator]) -> list[NewValue]:
    """Read and check a tidy file; return its rows as values to store.

    Raises
    ------
    ImportRejectedError
        If the file or any row is bad, naming file, row and column of each problem.
    """
    rows, problems = read_rows(path.name, data, registry, catalogue,
                               optional=OPTIONAL_COLUMNS, max_rows=MAX_ROWS)
    for row in rows:
        if not row.text("value"):  # the upload takes an empty value as "no change"
            row.err("value", Message("upload.not_number", text=""))
    problems += [e for row in rows for e in row.errors]
    if problems:
        raise _rejected(path, problems)
    digest = hashlib.sha256(data).hexdigest()[:12]
    return [NewValue(row.indicator.id, row.code, row.year, row.value,
                     f"{path.name} row {row.row} sha256:{digest}", row.text("source_url"),
                     row.text("note"))
            for row in rows if row.indicator and row.year is not None and row.value is not None]


def import_file(
    path: Path, engine: Engine, registry: Registry, *, user: str = "import"
) -> ImportResult:
    """Validate ``path`` and store its rows as published values, all or nothing.

    Raises
    ------
    ImportRejectedError
        If any row is bad; nothing is written.
    """
    data = path.read_bytes()
    with engine.begin() as conn:
        catalogue = read_catalogue(conn)
        values = _checked_values(path, data, registry, catalogue)
        report = write_values(
            conn, values, source_kind="published", status="published",
            source_of={k: v.publisher for k, v in catalogue.items()}, recorded_by=user,
        )
    return ImportResult(path, len(values), report)


def _number(text: str) -> float | None:
    try:
        return parse_number(text)
    except NumberError:
        return None


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
    table = read_table(path.name, path.read_bytes(), columns=TARGET_COLUMNS, max_rows=MAX_ROWS)
    if table.errors:
        raise _rejected(path, table.errors)
    index = {column_key(h): i for i, h in enumerate(table.header)}
    missing = [c for c in TARGET_COLUMNS if c not in index]
    if missing:
        raise ImportRejectedError(path, [f"{path.name}: missing column(s) {', '.join(missing)}"])
    with engine.begin() as conn:
        catalogue = read_catalogue(conn)
        errors: list[str] = []
        rows: list[dict[str, object]] = []
        for row, cells in table.rows:
            rec = {c: as_text(cells[i]) if i < len(cells) else "" for c, i in index.items()}
            ind = catalogue.get(rec["indicator"])
            period = _number(rec["period"])
            low, high = _number(rec["target_low"]), _number(rec["target_high"])
            for column in ("source_url", "note"):
                try:
                    rec[column] = clean_text(rec.get(column, ""), column,
                                             multiline=column in MULTILINE_COLUMNS)
                except TextError as exc:
                    errors.append(f"{path.name}: row {row}, column {column}: {exc.problem}")
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
                             "target_high": high, "source_url": rec["source_url"],
                             "note": rec["note"], "provenance": f"{path.name} row {row}"})
        if errors:
            raise ImportRejectedError(path, errors)
        return write_targets(conn, rows, user)
