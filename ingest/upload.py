r"""Upload of entered values from a spreadsheet: template, preview, apply.

An operator downloads a :func:`template` for one indicator and period (every region
of their scope at the levels the indicator is defined for), fills the ``value``
column, and uploads it. :func:`preview` reads and checks the file, compares every row
with the value stored now and writes nothing; :func:`apply` then saves the new and
changed rows as drafts through :func:`ingest.entry.save_draft`, all or nothing.

Columns: ``indicator,level,code,name,year,value,reason`` (``reason`` optional; any
other column, such as the template's ``current_value``, is ignored). A header may
carry a note in brackets, e.g. ``value (indeks 0-100; 0 s.d. 100)``.

Decisions
---------
Files
    CSV in UTF-8, with or without a byte-order mark, or in UTF-16 with a byte-order
    mark (Excel's "Unicode Text"); any other encoding is refused with a message to
    save as "CSV UTF-8". The delimiter is read from the header: comma, semicolon
    (Excel in the Indonesian locale) or tab. XLSX must have exactly one sheet, no
    merged cells and no formulas; macros and old ``.xls`` files are refused. At most
    :data:`MAX_BYTES` bytes and :data:`MAX_ROWS` data rows.
Numbers
    ``79.81`` and ``79,81`` are both 79.81: one decimal point *or* one decimal comma.
    Thousands separators are refused (``1.234,5``, ``1,234.5``, ``1 234``) since
    ``1.234`` means 1234 to an Indonesian reader and 1.234 to Python; for an
    indicator shown with no decimals (counts) a value must be a whole number, so a
    ``1.234`` meant as a thousand-count is caught too. An unquoted ``79,81`` in a
    comma-separated file would split into two cells: every CSV row must have exactly
    as many cells as the header, so it is refused. XLSX number cells are taken as
    they are.
Empty values
    An empty ``value`` means "no change" (status ``skipped``), never zero.
Text
    Stored as typed (SQL is always parameterised); text written to a spreadsheet goes
    through :func:`safe_cell` so it cannot run as a formula.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any, Literal

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from sqlalchemy import Connection, select

from auth.accounts import Account, audit
from auth.scope import Scope
from geodata.registry import LEVELS, NATIONAL_CODE, Region, Registry, level_of, normalize_name
from i18n import Message, MessageError, text_of
from i18n import t as translate
from ingest.entry import (
    MAX_REASON,
    SOURCE_KIND,
    ConflictError,
    EntryError,
    Target,
    no_period,
    save_draft,
)
from presentation.cells import safe_cell
from queries.catalogue import Indicator
from queries.schema import observation

MAX_BYTES = 5 * 1024 * 1024  # size of an uploaded file
MAX_ROWS = 20_000  # data rows of an uploaded file (a whole province with kecamatan is ~1,000)
MAX_UNZIPPED = 50 * 1024 * 1024  # an XLSX is a ZIP archive: guard against a zip bomb
COLUMNS = ("indicator", "level", "code", "name", "year", "value", "reason")
REQUIRED_COLUMNS = COLUMNS[:6]
TEMPLATE_COLUMNS = (*COLUMNS, "current_value")
STATUSES = ("new", "changed", "unchanged", "skipped", "error")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
SHEET_TITLE = "isian"
Format = Literal["csv", "xlsx"]
Key = tuple[str, str, int]  # indicator_id, region_code, period

_VALUE = re.compile(r"^[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)$")
_HEADER_NOTE = re.compile(r"[\s(\[]")
_DROPPED_ZERO = re.compile(r"^\d{2}(?:\.\d{2})?\.\d$")
_LOOKUP_CHUNK = 500
_READ_ONLY_FILL = PatternFill("solid", fgColor="EEEEEE")



def _text(key: str, lang: str, **values: object) -> str:
    return translate(f"upload.{key}", lang, **values)


class UploadError(MessageError):
    """An upload request that cannot be done (a bad template request, a preview with errors)."""


class UploadConflictError(ConflictError):
    """A value changed between preview and apply; nothing of the upload was saved."""

    def __init__(self, row: PreviewRow, cause: ConflictError) -> None:
        self.row = row
        self.current = cause.current
        EntryError.__init__(self, Message(
            "upload.conflict", row=row.row, indicator=row.indicator_id, code=row.code,
            period=row.period, cause=cause.message))


@dataclass(frozen=True)
class PreviewRow:
    """One data row of an uploaded file, checked and compared with the stored value.

    ``row`` is the row number a spreadsheet shows (the header is row 1). ``value`` is
    None when the cell is empty (no change). ``current``, ``current_status`` and
    ``base_version`` describe the newest entered version the preview saw (None when
    there is none); :func:`apply` saves on top of ``base_version``.
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


@dataclass(frozen=True)
class ApplyReport:
    """What :func:`apply` wrote: one draft version per new or changed row."""

    filename: str
    new: int
    changed: int
    unchanged: int
    skipped: int
    versions: tuple[tuple[str, str, int, int], ...] = field(default_factory=tuple)

    @property
    def written(self) -> int:
        """Return the number of versions written."""
        return len(self.versions)


# ----------------------------------------------------------------------------- template


def template_filename(indicator_id: str, period: int, account: Account, fmt: Format) -> str:
    """Return a file name for a template, e.g. ``isian_turnout_pilkada_2024_32.73.xlsx``."""
    return f"isian_{indicator_id}_{period}_{account.region_code or NATIONAL_CODE}.{fmt}"


def template_regions(registry: Registry, scope: Scope, indicator: Indicator) -> list[Region]:
    """Return the regions a template lists: the scope's region and the regions in it.

    Only levels the indicator is defined for, and only regions ``scope`` may write; a
    national scope starts at the national figure. Parents come before their children.
    """
    lowest = LEVELS.index(indicator.lowest_level)
    found: list[Region] = []
    stack = [registry.get(scope.region or NATIONAL_CODE)]
    while stack:
        region = stack.pop()
        if LEVELS.index(region.level) > lowest:
            continue
        if scope.can_write(region.code):
            found.append(region)
        stack.extend(reversed(registry.children(region.code)))
    return found


def template(registry: Registry, catalogue: Mapping[str, Indicator], account: Account,
             indicator_id: str, period: int, fmt: Format, lang: str = "id", *,
             conn: Connection | None = None) -> bytes:
    """Return a fill-in file for one indicator and period in the account's scope.

    Columns ``indicator,level,code,name,year,value,reason,current_value``: the first
    five prefilled, ``value`` and ``reason`` empty, ``current_value`` the newest entered
    value (only when ``conn`` is given; it is not read back). The ``value`` header
    names the unit and range. An XLSX has one sheet, codes stored as text, the
    prefilled columns shaded, the range as data validation and the instructions as a
    note on the ``value`` header. A CSV is UTF-8 with a byte-order mark (so Excel reads
    it as UTF-8). Every text cell goes through :func:`safe_cell`.

    Parameters
    ----------
    registry, catalogue
        The region registry and the indicator catalogue.
    account
        The operator; the template lists the regions they may write.
    indicator_id, period
        Which value to fill in.
    fmt
        ``"csv"`` or ``"xlsx"``.
    lang
        ``"id"`` (default) or ``"en"`` for the header notes and instructions.
    conn
        When given, the current entered values fill ``current_value``.

    Raises
    ------
    UploadError
        If the indicator, period or format is unknown.
    auth.scope.ScopeError
        If the account may not enter values.
    """
    ind = catalogue.get(indicator_id)
    if ind is None:
        raise UploadError(_unknown_indicator(indicator_id, catalogue))
    if period not in ind.periods:
        raise UploadError(no_period(ind, period))
    if fmt not in ("csv", "xlsx"):
        raise UploadError(Message("upload.unknown_format", fmt=fmt))
    lang = "en" if lang == "en" else "id"
    scope = account.scope
    home = scope.region or NATIONAL_CODE
    scope.require(scope.can_write(home), "write", home)
    regions = template_regions(registry, scope, ind)
    stored = (_current_entries(conn, [(ind.id, r.code, period) for r in regions])
              if conn is not None else {})
    range_note = ind.range_note(lang)
    value_note = "; ".join(p for p in (ind.unit(lang), range_note) if p)
    header = [*COLUMNS[:5], f"value ({value_note})", f"reason ({_text('reason', lang)})",
              f"current_value ({_text('current', lang)})"]
    rows: list[list[str | float | None]] = []
    for r in regions:
        now = stored.get((ind.id, r.code, period))
        rows.append([ind.id, r.level, r.code, r.name, period, None, "",
                     None if now is None else now[1]])
    if fmt == "csv":
        return _template_csv(header, rows)
    help_text = _text("help", lang, unit=ind.unit(lang), range=range_note or "-")
    return _template_xlsx(header, rows, ind, help_text)


def _template_csv(header: list[str], rows: list[list[str | float | None]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def _template_xlsx(header: list[str], rows: list[list[str | float | None]], ind: Indicator,
                   help_text: str) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    ws.append([safe_cell(h) for h in header])
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    value_col = COLUMNS.index("value") + 1
    editable = {value_col, COLUMNS.index("reason") + 1}
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.cell(1, value_col).comment = Comment(help_text, "Mata Garuda", width=360, height=160)
    for col in range(1, len(header) + 1):
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = 40 if col in (4, value_col) else 16
        if col in editable:
            continue
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.fill = _READ_ONLY_FILL
            if col == COLUMNS.index("code") + 1:
                cell.number_format = "@"  # keep "32.10" from becoming the number 32.1
    if rows:
        last = len(rows) + 1
        check = DataValidation(type="whole" if ind.decimals == 0 else "decimal",
                               allow_blank=True, showErrorMessage=True)
        if ind.scale_min is not None and ind.scale_max is not None:
            check.operator, check.formula1, check.formula2 = (
                "between", f"{ind.scale_min:g}", f"{ind.scale_max:g}")
        elif ind.scale_min is not None:
            check.operator, check.formula1 = "greaterThanOrEqual", f"{ind.scale_min:g}"
        elif ind.scale_max is not None:
            check.operator, check.formula1 = "lessThanOrEqual", f"{ind.scale_max:g}"
        check.add(f"{get_column_letter(value_col)}2:{get_column_letter(value_col)}{last}")
        ws.add_data_validation(check)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------------ reading


@dataclass
class _Sheet:
    """Cells of an uploaded file: the header and the data rows with their numbers."""

    header: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[object]]] = field(default_factory=list)
    errors: list[Message] = field(default_factory=list)


def _column_key(header: object) -> str:
    """Return the column name of a header cell, without a bracketed note."""
    text = str(header or "").strip().lstrip("\ufeff").lower()
    return _HEADER_NOTE.split(text, maxsplit=1)[0]


def _blank(cells: Sequence[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _too_many_rows(count: int | None) -> Message:
    """Return the message for too many data rows; ``None`` when only "more than" is known."""
    if count is None:
        return Message("upload.too_many_more", limit=MAX_ROWS)
    return Message("upload.too_many", count=count, limit=MAX_ROWS)


def _at_row(row: int, problem: Message) -> Message:
    return Message("upload.at_row", row=row, problem=problem)


def _unknown_indicator(indicator_id: str, catalogue: Mapping[str, Indicator]) -> Message:
    return Message("upload.unknown_indicator", indicator=indicator_id,
                   known=", ".join(sorted(catalogue)))


def _decode(data: bytes) -> tuple[str, Message | None]:
    """Return the text of a CSV file, or an error message (and empty text)."""
    save_as = Message("upload.save_as")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif b"\x00" in data:
        return "", Message("upload.nul_bytes", save_as=save_as)
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start: exc.start + 1]
        kind = "UTF-16" if encoding == "utf-16" else "UTF-8"
        return "", _at_row(line, Message("upload.not_text", kind=kind, offset=exc.start,
                                         bad=repr(bad), save_as=save_as))
    if "\x00" in text:
        return "", Message("upload.nul_chars", save_as=save_as)
    return text, None


def _delimiter(text: str) -> str:
    """Return the delimiter whose split of the first line finds the most known columns."""
    first = text.split("\n", 1)[0]
    best, found = ",", -1
    for delimiter in (",", ";", "\t"):
        cells = next(csv.reader([first], delimiter=delimiter), [])
        known = sum(_column_key(c) in COLUMNS for c in cells)
        if known > found:
            best, found = delimiter, known
    return best


def _read_csv(data: bytes) -> _Sheet:
    sheet = _Sheet()
    text, problem = _decode(data)
    if problem is not None:
        sheet.errors.append(problem)
        return sheet
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        for index, cells in enumerate(reader):
            if index == 0:
                sheet.header = cells
            elif not _blank(cells):
                if len(sheet.rows) == MAX_ROWS:
                    return _Sheet(errors=[_too_many_rows(None)])
                if len(cells) != len(sheet.header):
                    # "79,81" unquoted in a comma-separated file splits into 79 and 81.
                    sheet.errors.append(_at_row(index + 1, Message(
                        "upload.cell_count", cells=len(cells), columns=len(sheet.header))))
                sheet.rows.append((index + 1, list(cells)))
    except csv.Error as exc:
        sheet.errors.append(_at_row(reader.line_num, Message("upload.bad_csv",
                                                             detail=str(exc))))
    return sheet


def _read_xlsx(data: bytes) -> _Sheet:
    sheet = _Sheet()
    if not data.startswith(b"PK\x03\x04"):
        sheet.errors.append(Message("upload.not_xlsx"))
        return sheet
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
        if sum(m.file_size for m in members) > MAX_UNZIPPED:
            sheet.errors.append(Message("upload.unzipped", limit=MAX_UNZIPPED // 2**20))
            return sheet
        if any(m.filename.lower().endswith("vbaproject.bin") for m in members):
            sheet.errors.append(Message("upload.macros"))
            return sheet
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except Exception as exc:  # noqa: BLE001 - any parser error becomes a clear message
        sheet.errors.append(Message("upload.bad_xlsx", detail=str(exc)))
        return sheet
    names: list[str] = list(wb.sheetnames)
    if len(names) != 1:
        sheet.errors.append(Message("upload.sheets", n=len(names),
                                    names=tuple(map(repr, names)),
                                    extra=tuple(map(repr, names[1:]))))
        return sheet
    ws = wb[names[0]]
    if not hasattr(ws, "merged_cells"):
        sheet.errors.append(Message("upload.chart", sheet=names[0]))
        return sheet
    merged = [str(r) for r in ws.merged_cells.ranges]
    if merged:
        sheet.errors.append(Message("upload.merged", cells=", ".join(merged), sheet=names[0]))
        return sheet
    if ws.max_row - 1 > MAX_ROWS:
        sheet.errors.append(_too_many_rows(ws.max_row - 1))
        return sheet
    grid = [[cell for cell in row] for row in ws.iter_rows()]
    if not grid:
        return sheet
    sheet.header = ["" if c.value is None else str(c.value) for c in grid[0]]
    for row in grid:
        for cell in row:
            if cell.data_type == "f" or isinstance(cell.value, ArrayFormula | DataTableFormula):
                formula = getattr(cell.value, "text", None) or str(cell.value)
                column = _column_key(sheet.header[cell.column - 1]) if (
                    cell.column <= len(sheet.header)) else ""
                sheet.errors.append(Message(
                    "upload.formula", row=cell.row, column=column or cell.column_letter,
                    cell=cell.coordinate, formula=formula))
    if sheet.errors:
        return sheet
    for row in grid[1:]:
        cells: list[object] = [c.value for c in row]
        if not _blank(cells):
            sheet.rows.append((row[0].row, cells))
    return sheet


# ----------------------------------------------------------------------------- checking


def _as_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime | date | time):
        return cell.isoformat()
    return str(cell).replace("\u00a0", " ").strip()


def _parse_value(cell: object, ind: Indicator | None) -> tuple[float | None, Message | None]:
    """Return ``(value, problem)``; ``(None, None)`` for an empty cell (no change)."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None, None
    if isinstance(cell, bool):
        return None, Message("entry.not_number", value=str(cell))
    if isinstance(cell, datetime | date | time):
        return None, Message("upload.date", value=str(cell))
    text = _as_text(cell)
    if isinstance(cell, int | float):
        value = float(cell)
    elif _VALUE.match(text):
        value = float(text.replace(",", "."))
    elif re.fullmatch(r"[+-]?[\d.,\s]+", text) and re.search(r"\d", text):
        return None, Message("upload.thousands", text=text)
    else:
        return None, Message("upload.not_number", text=text)
    if not math.isfinite(value):
        return None, Message("upload.not_finite", text=text)
    if ind is not None:
        if not ind.in_range(value):
            return None, Message("entry.out_of_range", value=text, indicator=ind.id,
                                 range=ind.range_message())
        if ind.decimals == 0 and not value.is_integer():
            if re.fullmatch(r"\d{1,3}[.,]\d{3}", text):
                return None, Message("upload.count_thousands", indicator=ind.id,
                                     unit_id=ind.unit_id, unit_en=ind.unit_en, text=text)
            return None, Message("upload.count_whole", indicator=ind.id, unit_id=ind.unit_id,
                                 unit_en=ind.unit_en, text=text)
    return value, None


def _no_entry(role: str) -> Message:
    return Message("upload.no_entry", role=Message(f"role.{role}"))


def _scope_problem(scope: Scope, registry: Registry, code: str) -> Message | None:
    if scope.can_write(code):
        return None
    if scope.region is None:
        return _no_entry(scope.role)
    return Message("upload.outside", code=code, name=registry.name(code),
                   home_name=registry.name(scope.region), home=scope.region)


def _current_entries(conn: Connection, keys: Iterable[Key]) -> dict[Key, tuple[int, float, str]]:
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


@dataclass
class _Draft:
    """A row while it is being checked."""

    row: int
    cells: dict[str, object]
    errors: list[Message] = field(default_factory=list)

    def text(self, column: str) -> str:
        return _as_text(self.cells.get(column))

    def err(self, column: str, message: Message) -> None:
        self.errors.append(Message("upload.cell", row=self.row, column=column, problem=message))


def _header_index(header: Sequence[str]) -> tuple[dict[str, int], list[Message]]:
    index: dict[str, int] = {}
    errors: list[Message] = []
    for i, cell in enumerate(header):
        key = _column_key(cell)
        if key in COLUMNS and key in index:
            errors.append(_at_row(1, Message(
                "upload.twice", column=key, first=get_column_letter(index[key] + 1),
                second=get_column_letter(i + 1))))
        elif key:
            index.setdefault(key, i)
    missing = [c for c in REQUIRED_COLUMNS if c not in index]
    if missing:
        errors.append(_at_row(1, Message("upload.missing_columns", missing=", ".join(missing),
                                         columns=",".join(COLUMNS))))
    return index, errors


def _check_row(draft: _Draft, registry: Registry, catalogue: Mapping[str, Indicator],
               scope: Scope) -> tuple[Indicator | None, str, int | None, float | None]:
    """Check one row; return (indicator, code, period, value) with problems in ``draft``."""
    ind_id = draft.text("indicator")
    ind = catalogue.get(ind_id)
    if ind is None:
        draft.err("indicator", _unknown_indicator(ind_id, catalogue))
    level, code, name = draft.text("level"), draft.text("code"), draft.text("name")
    known = False
    if level not in LEVELS[:4]:
        draft.err("level", Message("upload.unknown_level", level=level,
                                   levels=", ".join(LEVELS[:4])))
    if not code:
        draft.err("code", Message("upload.empty_code"))
    elif code not in registry:
        draft.err("code", Message("upload.dropped_zero", code=code) if _DROPPED_ZERO.match(code)
                  else Message("entry.unknown_code", code=code))
    else:
        known = True
        official = registry.name(code)
        if level in LEVELS[:4] and level_of(code) != level:
            draft.err("level", Message("upload.level_mismatch", code=code,
                                       actual=level_of(code), level=level))
        if not name:
            draft.err("name", Message("upload.empty_name", official=official))
        elif normalize_name(name) != normalize_name(official):
            draft.err("name", Message("upload.name_mismatch", name=name, code=code,
                                      official=official))
        if ind is not None and LEVELS.index(level_of(code)) > LEVELS.index(ind.lowest_level):
            draft.err("level", Message("entry.not_defined_below", indicator=ind.id,
                                       level=ind.lowest_level))
        problem = _scope_problem(scope, registry, code)
        if problem is not None:
            draft.err("code", problem)
    year_text = draft.text("year")
    period = int(year_text) if re.fullmatch(r"\d{4}", year_text) else None
    if period is None:
        draft.err("year", Message("upload.bad_year", year=year_text))
    elif ind is not None and period not in ind.periods:
        draft.err("year", no_period(ind, period))
    value, problem = _parse_value(draft.cells.get("value"), ind)
    if problem is not None:
        draft.err("value", problem)
    if len(draft.text("reason")) > MAX_REASON:
        draft.err("reason", Message("upload.reason_length", n=len(draft.text("reason")),
                                    limit=MAX_REASON))
    return ind, code if known else "", period, value


def preview(conn: Connection, registry: Registry, catalogue: Mapping[str, Indicator],
            account: Account, filename: str, data: bytes) -> Preview:
    """Read and check an uploaded file and compare it with the stored values.

    Nothing is written. Each data row gets a status: ``new`` (no entered value yet),
    ``changed`` (differs from the newest entered version, or that version was
    withdrawn), ``unchanged``, ``skipped`` (empty value: no change) or ``error``.
    Blank rows are ignored.

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
        The file's bytes.

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
    home = scope.region or NATIONAL_CODE
    if not scope.can_write(home):
        return refused(_no_entry(account.role))
    suffix = PurePath(name).suffix.lower()
    if suffix not in (*CSV_SUFFIXES, ".xlsx"):
        return refused(Message("upload.file_type", suffix=suffix or name))
    if len(data) > MAX_BYTES:
        return refused(Message("upload.too_big", size=len(data) / 2**20,
                               limit=MAX_BYTES // 2**20))
    if not data:
        return refused(Message("upload.empty_file"))
    sheet = _read_xlsx(data) if suffix == ".xlsx" else _read_csv(data)
    if sheet.errors:
        return refused(*sheet.errors)
    index, header_errors = _header_index(sheet.header)
    if header_errors:
        return refused(*header_errors)
    if not sheet.rows:
        return refused(Message("upload.no_rows"))

    drafts: list[tuple[_Draft, Indicator | None, str, int | None, float | None]] = []
    seen: dict[tuple[str, str, int | None], int] = {}
    for number, cells in sheet.rows:
        draft = _Draft(number, {c: cells[i] if i < len(cells) else None
                                for c, i in index.items() if c in COLUMNS})
        ind, code, period, value = _check_row(draft, registry, catalogue, scope)
        key = (draft.text("indicator"), draft.text("code"), period)
        if key[1] and key in seen:
            draft.err("code", Message("upload.duplicate", first=seen[key], indicator=key[0],
                                      code=key[1], period=period))
        seen.setdefault(key, number)
        drafts.append((draft, ind, code, period, value))

    valid = [(ind.id, code, period) for d, ind, code, period, _ in drafts
             if not d.errors and ind is not None and period is not None]
    stored = _current_entries(conn, valid)
    rows: list[PreviewRow] = []
    for draft, ind, code, period, value in drafts:
        base: dict[str, Any] = {
            "row": draft.row, "indicator_id": ind.id if ind else draft.text("indicator"),
            "level": draft.text("level"), "code": draft.text("code"), "name": draft.text("name"),
            "period": period, "value": value, "reason": draft.text("reason")}
        if draft.errors or ind is None or period is None:
            rows.append(PreviewRow(**base, status="error", errors=tuple(draft.errors)))
            continue
        now = stored.get((ind.id, code, period))
        if value is None:
            status = "skipped"
        elif now is None:
            status = "new"
        elif now[1] == value and now[2] != "withdrawn":
            status = "unchanged"
        else:
            status = "changed"
        rows.append(PreviewRow(**base, status=status,
                               current=None if now is None else now[1],
                               current_status=None if now is None else now[2],
                               base_version=None if now is None else now[0]))
    errors = [e for r in rows for e in r.errors]
    if not errors and all(r.status == "skipped" for r in rows):
        errors.append(Message("upload.all_empty"))
    return Preview(name, digest, account.username, tuple(rows), tuple(errors))


# -------------------------------------------------------------------------------- apply


def apply(conn: Connection, registry: Registry, catalogue: Mapping[str, Indicator],
          account: Account, preview: Preview, remote_addr: str = "") -> ApplyReport:
    """Save the new and changed rows of a checked upload as drafts, all or nothing.

    Call inside the caller's transaction (``with engine.begin() as conn``). Each row is
    saved with :func:`ingest.entry.save_draft` on top of the version the preview saw;
    unchanged and skipped rows write nothing, so applying the same file twice changes
    nothing. When any row fails the error propagates and the caller's transaction rolls
    back, so none of the rows stays (no savepoint: pysqlite commits a savepoint on release
    when no explicit BEGIN ran, which would break all-or-nothing). When anything was
    written, one
    ``upload.apply`` audit entry names the file and its SHA-256 (besides the
    ``entry.draft`` entry of each row).

    Raises
    ------
    UploadError
        If the preview has errors, belongs to another account, or a row is refused by
        the write path (the message names the row).
    UploadConflictError
        If a value changed after the preview (a :class:`ingest.entry.ConflictError`).
    auth.scope.ScopeError
        If the account may not write a row's region.
    """
    if not preview.ok:
        raise UploadError(Message("upload.has_problems", filename=preview.filename,
                                  n=len(preview.errors)))
    if preview.username != account.username:
        raise UploadError(Message("upload.other_user", filename=preview.filename,
                                  checked=preview.username, user=account.username))
    versions: list[tuple[str, str, int, int]] = []
    for row in preview.rows:
        if row.status not in ("new", "changed"):
            continue
        ind = catalogue.get(row.indicator_id)
        if ind is None or row.period is None or row.value is None:
            raise UploadError(Message("upload.gone", row=row.row, indicator=row.indicator_id))
        target = Target(ind, row.code, row.period)
        try:
            version = save_draft(conn, registry, account, target, row.value,
                                 base_version=row.base_version, reason=row.reason,
                                 remote_addr=remote_addr)
        except ConflictError as exc:
            raise UploadConflictError(row, exc) from None
        except EntryError as exc:
            raise UploadError(Message("upload.refused", row=row.row, cause=exc.message)) from None
        versions.append((ind.id, row.code, row.period, version))
    totals = preview.totals
    if versions:
        audit(conn, account.username, "upload.apply", preview.filename,
              f"sha256:{preview.sha256} new {totals['new']} changed {totals['changed']} "
              f"unchanged {totals['unchanged']} skipped {totals['skipped']}", remote_addr)
    return ApplyReport(preview.filename, totals["new"], totals["changed"], totals["unchanged"],
                       totals["skipped"], tuple(versions))
