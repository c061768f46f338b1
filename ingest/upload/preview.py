"""Preview of an uploaded file: read, check and compare with the stored values; write nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from sqlalchemy import Connection, select

from auth.accounts import Account
from auth.scope import Scope
from geodata.registry import NATIONAL_CODE, Registry
from i18n import Message, MessageError, text_of
from ingest.entry import MAX_REASON, SOURCE_KIND, no_period
from ingest.tidy import REQUIRED_COLUMNS, TidyRow, read_rows
from queries.catalogue import Indicator
from queries.schema import observation

MAX_BYTES = 5 * 1024 * 1024  # size of an uploaded file
MAX_ROWS = 20_000  # data rows of an uploaded file (a whole province with kecamatan is ~1,000)
OPTIONAL_COLUMNS = ("reason",)
COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
STATUSES = ("new", "changed", "unchanged", "skipped", "error")
Key = tuple[str, str, int]  # indicator_id, region_code, period

_LOOKUP_CHUNK = 500


class UploadError(MessageError):
    """An upload request that cannot be done (a bad template request, a preview with errors)."""


@dataclass(frozen=True)
class PreviewRow:
    """One data row of an uploaded file, checked and compared with the stored value.

    ``row`` is the row number a spreadsheet shows (the header is row 1). ``value`` is
    None when the cell is empty (no change). ``current``, ``current_status`` and
    ``base_version`` describe the newest entered version the preview saw (None when
    there is none); :func:`ingest.upload.apply` saves on top of ``base_version``.
    """

    row: int
    indicator_id: str
    level: str
    code: str
    name: str
    period: int | None
    value: float | None
    reason: str
    status: str
    current: float | None = None
    current_status: str | None = None
    base_version: int | None = None
    errors: tuple[Message, ...] = ()


@dataclass(frozen=True)
class Preview:
    """What an upload would do; nothing has been written.

    Picklable, so a page can keep it in the server cache between the preview and the
    apply callbacks. ``errors`` holds the file-level problems followed by every row's,
    each as ``row R, column C: message`` where a row is concerned; they are
    :class:`i18n.Message` objects, rendered with ``.text(lang)`` (``str()`` gives English).
    """

    filename: str
    sha256: str
    username: str
    rows: tuple[PreviewRow, ...] = ()
    errors: tuple[Message, ...] = ()

    @property
    def ok(self) -> bool:
        """Return whether the file has no problem and may be applied."""
        return not self.errors

    @property
    def totals(self) -> dict[str, int]:
        """Return the number of rows per status (every status, zero included)."""
        counts = dict.fromkeys(STATUSES, 0)
        for r in self.rows:
            counts[r.status] += 1
        return counts

    def records(self, lang: str = "id") -> list[dict[str, object]]:
        """Return one plain dict per row, e.g. for a Dash AG Grid ``rowData``.

        The row's problems are joined into ``errors``, written in ``lang``.
        """
        return [{"row": r.row, "indicator": r.indicator_id, "level": r.level, "code": r.code,
                 "name": r.name, "year": r.period, "value": r.value, "current": r.current,
                 "current_status": r.current_status, "status": r.status,
                 "errors": "; ".join(text_of(e, lang) for e in r.errors)} for r in self.rows]


def current_entries(conn: Connection, keys: Iterable[Key]) -> dict[Key, tuple[int, float, str]]:
    """Return the newest entered version of each key: (version, value, status)."""
    groups: dict[tuple[str, int], set[str]] = {}
    for ind_id, code, period in keys:
        groups.setdefault((ind_id, period), set()).add(code)
    o = observation.c
    found: dict[Key, tuple[int, float, str]] = {}
    for (ind_id, period), code_set in groups.items():
        codes = sorted(code_set)
        for start in range(0, len(codes), _LOOKUP_CHUNK):
            chunk = codes[start: start + _LOOKUP_CHUNK]
            result = conn.execute(
                select(o.region_code, o.version, o.value, o.status)
                .where(o.indicator_id == ind_id, o.period == period,
                       o.source_kind == SOURCE_KIND, o.region_code.in_(chunk))
                .order_by(o.region_code, o.version))
            for code, version, value, status in result:
                found[(ind_id, code, period)] = (int(version), float(value), str(status))
    return found


def _no_entry(role: str) -> Message:
    return Message("upload.no_entry", role=Message(f"role.{role}"))


def _check_entry(row: TidyRow, scope: Scope, registry: Registry) -> None:
    """Check what an office entry needs besides a good row: scope, period, reason."""
    if row.code in registry and not scope.can_write(row.code):
        row.err("code", _no_entry(scope.role) if scope.region is None else Message(
            "upload.outside", code=row.code, name=registry.name(row.code),
            home_name=registry.name(scope.region), home=scope.region))
    ind = row.indicator
    if ind is not None and row.year is not None and row.year not in ind.periods:
        row.err("year", no_period(ind, row.year))
    if len(row.text("reason")) > MAX_REASON:
        row.err("reason", Message("upload.reason_length", n=len(row.text("reason")),
                                  limit=MAX_REASON))


def _compare(row: TidyRow, stored: Mapping[Key, tuple[int, float, str]]) -> PreviewRow:
    """Return the preview of a checked row: its status against the stored value."""
    ind = row.indicator
    base: dict[str, Any] = {
        "row": row.row, "indicator_id": ind.id if ind else row.text("indicator"),
        "level": row.text("level"), "code": row.code, "name": row.text("name"),
        "period": row.year, "value": row.value, "reason": row.text("reason")}
    if row.errors or ind is None or row.year is None:
        return PreviewRow(**base, status="error", errors=tuple(row.errors))
    now = stored.get((ind.id, row.code, row.year))
    if row.value is None:
        status = "skipped"
    elif now is None:
        status = "new"
    elif now[1] == row.value and now[2] != "withdrawn":
        status = "unchanged"
    else:
        status = "changed"
    return PreviewRow(**base, status=status, current=None if now is None else now[1],
                      current_status=None if now is None else now[2],
                      base_version=None if now is None else now[0])


def preview(conn: Connection, registry: Registry, catalogue: Mapping[str, Indicator],
            account: Account, filename: str, data: bytes) -> Preview:
    """Read and check an uploaded file and compare it with the stored values.

    Nothing is written. The file is read and its rows checked by
    :func:`ingest.tidy.read_rows` (the rules every door shares); a row must also lie in
    the account's scope, name a period open for entry and have a reason of at most
    :data:`ingest.entry.MAX_REASON` characters. Each data row gets a status: ``new`` (no
    entered value yet), ``changed`` (differs from the newest entered version, or that
    version was withdrawn), ``unchanged``, ``skipped`` (empty value: no change) or
    ``error``. Blank rows are ignored.

    Parameters
    ----------
    conn
        A connection to read the current values from.
    registry, catalogue
        The region registry and the indicator catalogue.
    account
        The operator uploading; every row must lie in their scope.
    filename
        The uploaded file's name; ``.csv`` (also ``.tsv``, ``.txt``) or ``.xlsx``.
    data
        The file's bytes, at most :data:`MAX_BYTES`, with at most :data:`MAX_ROWS` rows.

    Returns
    -------
    Preview
        The checked rows; ``ok`` is false when the file or any row has a problem.
    """
    name = PurePath(filename.replace("\\", "/")).name[:200] or "upload"
    digest = hashlib.sha256(data).hexdigest()

    def refused(*errors: Message) -> Preview:
        return Preview(name, digest, account.username, errors=errors)

    scope = account.scope
    if not scope.can_write(scope.region or NATIONAL_CODE):
        return refused(_no_entry(account.role))
    if len(data) > MAX_BYTES:
        return refused(Message("upload.too_big", size=len(data) / 2**20,
                               limit=MAX_BYTES // 2**20))
    rows, problems = read_rows(name, data, registry, catalogue, optional=OPTIONAL_COLUMNS,
                               max_rows=MAX_ROWS)
    if problems:
        return refused(*problems)
    for row in rows:
        _check_entry(row, scope, registry)
    stored = current_entries(conn, [(r.indicator.id, r.code, r.year) for r in rows
                                    if not r.errors and r.indicator and r.year is not None])
    checked = tuple(_compare(row, stored) for row in rows)
    errors = [e for r in checked for e in r.errors]
    if not errors and all(r.status == "skipped" for r in checked):
        errors.append(Message("upload.all_empty"))
    return Preview(name, digest, account.username, checked, tuple(errors))
