"""Text in spreadsheet cells: shown as text, never run as a formula.

Every file the application writes for a spreadsheet (exports, upload templates) puts its
text cells through :func:`safe_cell`.
"""

from __future__ import annotations

import re
from typing import overload

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$")


@overload
def safe_cell(value: str) -> str: ...


@overload
def safe_cell(value: float | None) -> float | None: ...


def safe_cell(value: str | float | None) -> str | float | None:
    """Neutralise spreadsheet formula injection in a cell written to CSV or XLSX.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading apostrophe, so Excel, LibreOffice and Google Sheets show it as text instead
    of running it (OWASP, "CSV Injection"). Numbers, and text that is a plain number
    such as ``-12.5``, stay as they are.

    Parameters
    ----------
    value
        The cell value.

    Returns
    -------
    str or float or None
        ``value``, with an apostrophe in front when it could be read as a formula.

    Examples
    --------
    >>> safe_cell("=1+1"), safe_cell("@SUM(A1)")
    ("'=1+1", "'@SUM(A1)")
    >>> safe_cell("-12.5"), safe_cell(-12.5), safe_cell("Kota Bandung")
    ('-12.5', -12.5, 'Kota Bandung')
    """
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value
