"""Provenance of a value: what kind of value it is and how it is labelled.

Every value shown carries its kind, decided here and nowhere else:

* ``published``: a figure published by an agency (the label names the publisher);
* ``entry``: an office's entry, verified;
* ``aggregated``: rolled up from records of the lake (``ingest.aggregates``); the label
  names the publisher and says how many records the value was computed from;
* ``simulated``: synthetic demo data, always labelled DATA SIMULASI; a rollup of
  simulated records is simulated too, and its label adds the record count.

A value frame carries ``records`` (null unless the value was computed from records).
The map's colours and legend, tooltips, KPI cards, rankings, the trend, the tables and
every export read the ``kind``, ``simulated`` and ``provenance`` columns that
:func:`with_provenance` adds, and count them with :func:`count_kinds`. Whether simulated
values are read at all is one query-level filter, :func:`stored_kinds`.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from i18n import format_number, t

KINDS = ("published", "entry", "aggregated", "simulated")
#: The stored ``observation.source_kind`` of each kind.
STORED = {"published": "published", "entry": "entry", "aggregated": "agregat",
          "simulated": "simulasi"}
_KIND_OF_STORED = {stored: kind for kind, stored in STORED.items()}


def stored_kinds(simulated: bool) -> tuple[str, ...]:
    """Return the ``source_kind`` values a query reads: all, or all but the simulated.

    ``simulated`` is False when the app runs without demo data (``MATA_GARUDA_DEMO``) or
    a view asks for official data only (``resmi=1``).
    """
    return tuple(s for k, s in STORED.items() if simulated or k != "simulated")


def label(kind: str | None, source: str | None, lang: str,
          records: int | None = None) -> str | None:
    """Return the label of a value's provenance: its publisher, or what kind it is.

    A published figure is labelled with its publisher (``BPS``), a verified entry with
    its kind and office; a value computed from records says how many, after its
    publisher (``KPU (data TPS): dihitung dari 1.234 catatan``) or after DATA SIMULASI
    for a rollup of simulated records. None for a missing value (no kind).
    """
    if kind is None:
        return None
    if records is not None and kind in ("aggregated", "simulated"):
        count = {"n": records, "count": format_number(records, 0, lang)}
        if kind == "simulated":
            return t("provenance.simulated.records", lang, **count)
        if source:
            return t("provenance.aggregated.by", lang, source=source, **count)
        return t("provenance.aggregated.records", lang, **count)
    if kind == "published" and source:
        return source
    if kind == "entry" and source:
        return t("provenance.entry.by", lang, office=source)
    return t(f"provenance.{kind}", lang)


def with_provenance(frame: pl.LazyFrame, lang: str) -> pl.LazyFrame:
    """Add ``kind``, ``simulated`` and ``provenance`` (the :func:`label`) to a frame of values.

    ``frame`` has the stored ``source_kind``, ``source`` and ``records`` of each value; a
    row without a value has no kind, is not simulated and has no label. An unknown
    ``source_kind`` raises (``polars.exceptions.InvalidOperationError``) when the frame
    is collected.
    """
    kind = pl.col("source_kind").replace_strict(_KIND_OF_STORED, return_dtype=pl.String)
    return frame.with_columns(kind=kind).with_columns(
        simulated=pl.col("kind") == "simulated",
        provenance=pl.struct("kind", "source", "records").map_elements(
            lambda row: label(row["kind"], row["source"], lang, row["records"]),
            return_dtype=pl.String),
    )


def kind_label(column: str, lang: str) -> pl.Expr:
    """Return the name of each kind in ``column`` (:func:`label` without a publisher)."""
    return pl.col(column).replace_strict({k: label(k, None, lang) for k in KINDS},
                                         default=None, return_dtype=pl.String)


@dataclass(frozen=True)
class KindCounts:
    """How many regions of a view have a real value, a simulated one, or none."""

    official: int
    simulated: int
    missing: int

    @property
    def total(self) -> int:
        """Return the number of regions counted."""
        return self.official + self.simulated + self.missing


def count_kinds(frame: pl.DataFrame, column: str = "value") -> KindCounts:
    """Count the regions of ``frame`` by the provenance of ``column`` (a value or a change)."""
    shown = frame.filter(pl.col(column).is_not_null())
    simulated = int(shown["simulated"].fill_null(False).sum())
    return KindCounts(official=shown.height - simulated, simulated=simulated,
                      missing=frame.height - shown.height)


def provenance_counts(counts: KindCounts, lang: str) -> str:
    """Return ``11 resmi · 26 simulasi · 1 tidak tersedia`` for the regions of a view."""
    return " · ".join(t(f"provenance.count.{kind}", lang, n=getattr(counts, kind))
                      for kind in ("official", "simulated", "missing"))


def simulated_label(counts: KindCounts, lang: str) -> str:
    """Return the badge's ``DATA SIMULASI · 26 dari 38 wilayah``."""
    return t("provenance.badge", lang, simulated=counts.simulated, n=counts.total)
