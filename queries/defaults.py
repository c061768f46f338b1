"""The indicator each view opens with, declared once.

Keyed by the view's word in its URL: the page (``/isian``) and its export
(``/ekspor/isian``) share it. A query string (``?indikator=ikp``) chooses another.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

_ENTRY: Final = "turnout_pilkada"  # defined down to kecamatan: every office enters it

DEFAULT_INDICATORS: Final[Mapping[str, str]] = MappingProxyType({
    "peta": "idi",  # the map and its exports (table, image, trend)
    "tabel": "idi",  # the province table
    "isian": _ENTRY,
    "unggah": _ENTRY,
    "kelengkapan": _ENTRY,
})
