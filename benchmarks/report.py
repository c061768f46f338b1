"""Figures, their targets and the printed table (ratios to the baseline of the same run)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def percentile(samples: list[float], q: float) -> float:
    """Return the ``q``-th percentile (0-100), linear between closest ranks."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


QUANTILE = {"p50": 50, "p95": 95, "max": 100}


@dataclass
class Figure:
    """One measured figure: the app's samples, its target and the baseline's samples.

    ``stat`` is the statistic the target and the ratio use (``p50``, ``p95`` or ``max``);
    ``target`` is an upper bound in ``unit``; ``max_ratio`` an upper bound on app/baseline.
    """

    key: str
    label: str
    unit: str  # "ms" or "B"
    samples: list[float]
    stat: str = "p95"
    target: float | None = None
    max_ratio: float | None = None
    baseline: list[float] | None = None
    baseline_note: str = ""  # why the baseline has fewer runs or none
    extra: dict[str, Any] = field(default_factory=dict)

    def p(self, q: float, samples: list[float] | None = None) -> float:
        """Return a percentile of the app's (or the given) samples."""
        return percentile(self.samples if samples is None else samples, q)

    @property
    def value(self) -> float:
        """Return the statistic the target applies to."""
        return self.p(QUANTILE[self.stat])

    @property
    def ratio(self) -> float | None:
        """Return app / baseline for ``stat``, when the baseline was measured."""
        if not self.baseline:
            return None
        base = percentile(self.baseline, QUANTILE[self.stat])
        return self.value / base if base else None

    @property
    def verdict(self) -> str:
        """Return PASS or MISS against the target (informational), or an empty string."""
        if self.target is None and self.max_ratio is None:
            return ""
        if not self.samples:
            return "n/a"
        ok = self.target is None or self.value < self.target
        if self.max_ratio is not None:
            ok = ok and self.ratio is not None and self.ratio < self.max_ratio
        return "PASS" if ok else "MISS"

    def target_text(self) -> str:
        """Return the target as printed, e.g. ``p95 < 200 ms and < 1/3 baseline``."""
        parts = []
        if self.target is not None:
            parts.append(f"{self.stat} < {fmt(self.target, self.unit)}")
        if self.max_ratio is not None:
            parts.append(f"< {self.max_ratio:.2g}x baseline")
        return " and ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """Return the figure with its summary statistics, for the JSON file."""
        out = asdict(self)
        out.update(n=len(self.samples), p50=self.p(50), p95=self.p(95), value=self.value,
                   ratio=self.ratio, verdict=self.verdict, target_text=self.target_text())
        if self.baseline:
            out.update(baseline_p50=self.p(50, self.baseline),
                       baseline_p95=self.p(95, self.baseline))
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()}


def fmt(value: float | None, unit: str) -> str:
    """Format milliseconds or bytes (decimal kB/MB) for the table."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "B":
        if value >= 1e6:
            return f"{value / 1e6:.2f} MB"
        return f"{value / 1e3:.1f} kB" if value >= 1e3 else f"{value:.0f} B"
    return f"{value / 1000:.2f} s" if value >= 10_000 else f"{value:.0f} ms"


def _pair(f: Figure, samples: list[float] | None) -> str:
    if not samples:
        return "-"
    p50, p95 = f.p(50, samples), f.p(95, samples)
    if f.unit == "B" and p50 == p95:
        return fmt(p50, f.unit)
    return f"{fmt(p50, f.unit)} / {fmt(p95, f.unit)}"


def table(figures: list[Figure]) -> str:
    """Return the results as a Markdown table."""
    head = ["figure", "n", "app p50 / p95", "target", "baseline p50 / p95", "app / baseline",
            "verdict"]
    rows = [head, ["---"] * len(head)]
    for f in figures:
        ratio = f"{f.ratio:.2f}x ({f.stat})" if f.ratio is not None else "-"
        rows.append([f.label, str(len(f.samples)), _pair(f, f.samples), f.target_text() or "-",
                     " ".join(x for x in (_pair(f, f.baseline) if f.baseline else "",
                                          f.baseline_note) if x) or "-", ratio,
                     f.verdict or "info"])
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def breakdown(rows: list[tuple[str, list[dict[str, Any]]]]) -> str:
    """Return where the time goes (p50s, ms from navigation start or from the input).

    "answered": the render callback's response (the page's last callback) and the boundary
    request; "drawing": drawn minus the later of the two; "longest task": the longest
    main-thread task before drawn.
    """
    lines = ["| what | n | drawn | callback answered | geometry answered | drawing after"
             " answers | longest task |", "|---|---|---|---|---|---|---|"]
    for label, samples in rows:
        def p50(values: list[float | None]) -> str:
            known = [v for v in values if v is not None]
            return fmt(percentile(known, 50), "ms") if known else "-"
        drawing = [s["ms"] - max(s["callback_done"] or 0, s["geo_done"] or 0) for s in samples]
        lines.append(f"| {label} | {len(samples)} | {p50([s['ms'] for s in samples])} | "
                     f"{p50([s['callback_done'] for s in samples])} | "
                     f"{p50([s['geo_done'] for s in samples])} | {p50(drawing)} | "
                     f"{p50([s['longest_task'] for s in samples])} |")
    return "\n".join(lines)


def write_json(path: Path, meta: dict[str, Any], figures: list[Figure],
               raw: dict[str, Any]) -> None:
    """Write the run (environment, figures with statistics, raw samples) as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "figures": [f.as_dict() for f in figures],
                                "raw": raw}, indent=1, default=str))
