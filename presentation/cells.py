"""Text in spreadsheet cells: shown as text, never run as a formula, always writable.

Every file the application writes for a spreadsheet (exports, upload templates) puts its
text cells through :func:`safe_cell`.
"""

from __future__ import annotations

import re
from typing import overload

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$")
# What XML 1.0 (so an XLSX cell) cannot hold: control characters other than tab, line
# feed and carriage return; lone surrogates; U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_REPLACEMENT = "\ufffd"


@overload
def safe_cell(value: str) -> str: ...


@overload
def safe_cell(value: float | None) -> float | None: ...


def safe_cell(value: str | float | None) -> str | float | None:
    r"""Neutralise spreadsheet formula injection in a cell written to CSV or XLSX.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading apostrophe, so Excel, LibreOffice and Google Sheets show it as text instead
    of running it (OWASP, "CSV Injection"). Numbers, and text that is a plain number
    such as ``-12.5``, stay as they are.

    Each character an XLSX cannot hold (a control character other than tab, line feed
    and carriage return, a lone surrogate, U+FFFE or U+FFFF) becomes U+FFFD, the
    replacement character, so that text stored before it was checked at the edge
    (:mod:`presentation.text`) can always be exported, the same in CSV and XLSX.

    Parameters
    ----------
    value
        The cell value.

    Returns
    -------
    str or float or None
        ``value``, with an apostrophe in front when it could be read as a formula and
        U+FFFD for each character an XLSX cannot hold.

    Examples
    --------
    >>> safe_cell("=1+1"), safe_cell("@SUM(A1)")
    ("'=1+1", "'@SUM(A1)")
    >>> safe_cell("-12.5"), safe_cell(-12.5), safe_cell("Kota Bandung")
    ('-12.5', -12.5, 'Kota Bandung')
    >>> safe_cell("rekap\x00final")
    'rekap\ufffdfinal'
    """
    if not isinstance(value, str):
        return value
    value = _NOT_XML.sub(_REPLACEMENT, value)
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value
