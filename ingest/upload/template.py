"""The fill-in template an operator downloads: their regions, one indicator and period."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Literal

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import Connection

from auth.accounts import Account
from auth.scope import Scope
from geodata.registry import LEVELS, NATIONAL_CODE, Region, Registry
from i18n import Message
from i18n import t as translate
from ingest.entry import no_period
from ingest.tidy import unknown_indicator
from ingest.upload.preview import COLUMNS, UploadError, current_entries
from presentation.cells import safe_cell
from queries.catalogue import Indicator

SHEET_TITLE = "isian"
Format = Literal["csv", "xlsx"]
_READ_ONLY_FILL = PatternFill("solid", fgColor="EEEEEE")


def _text(key: str, lang: str, **values: object) -> str:
    return translate(f"upload.{key}", lang, **values)


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
        raise UploadError(unknown_indicator(indicator_id, catalogue))
    if period not in ind.periods:
        raise UploadError(no_period(ind, period))
    if fmt not in ("csv", "xlsx"):
        raise UploadError(Message("upload.unknown_format", fmt=fmt))
    lang = "en" if lang == "en" else "id"
    scope = account.scope
    home = scope.region or NATIONAL_CODE
    scope.require(scope.can_write(home), "write", home)
    regions = template_regions(registry, scope, ind)
    stored = (current_entries(conn, [(ind.id, r.code, period) for r in regions])
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
