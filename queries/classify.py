"""Choropleth classification: split indicator values into the colour classes of a map.

Four methods, named as the dashboard's method picker names them:

``kategori``
    The indicator's official categories (for example IDI: Buruk, Sedang, Baik).
``kuantil``
    Quantiles: classes with about the same number of regions.
``jenks``
    Fisher-Jenks natural breaks: the partition with the least within-class variance.
``interval``
    Equal intervals between the smallest and the largest value.

Conventions shared by every method
----------------------------------
* A missing value (``None`` or NaN) is counted in :attr:`Classes.missing` and never
  placed in a class; ``sum(counts) + missing == len(values)`` always holds.
* ``bounds`` holds ``k + 1`` ascending edges. For the data-driven methods class ``i``
  is ``(bounds[i], bounds[i + 1]]`` and the first class is also closed on the left,
  so a value on an edge goes to the lower class, except the minimum, which is in the
  first class (the convention of PySAL's mapclassify). For ``kategori`` membership
  follows each category's own ``include_min``/``include_max`` flags instead, as
  decided by :func:`queries.catalogue.category_index`.
* The data-driven methods never make more classes than there are distinct values:
  ``n`` is lowered to that number. One distinct value gives one class whose two
  bounds are equal.
* An input with no value at all gives a :class:`Classes` with no bounds and no
  classes, whatever the method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from queries.catalogue import Category, category_index, check_categories

METHODS: tuple[str, ...] = ("kategori", "kuantil", "jenks", "interval")
MIN_CLASSES = 2
MAX_CLASSES = 9
LANGS: tuple[str, ...] = ("id", "en")
JENKS_SAMPLE_SIZE = 1000
"""Above this many distinct values, natural breaks are fitted to a sample of this size."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

_MINUS = "\u2212"
_RANGE_DASH = " \u2013 "


@dataclass(frozen=True)
class Classes:
    """The classes of a choropleth and where each value falls.

    Attributes
    ----------
    bounds : tuple of float
        ``k + 1`` ascending edges; class ``i`` covers ``bounds[i]`` to ``bounds[i + 1]``.
        Empty when there was no value to classify.
    labels : tuple of str or None
        The official category labels for method ``kategori``, else None.
    index : tuple of int or None
        The class of each input value, in input order; None for a missing value.
    counts : tuple of int
        How many values fall in each class.
    missing : int
        How many values were missing (None or NaN).
    """

    bounds: tuple[float, ...]
    labels: tuple[str, ...] | None
    index: tuple[int | None, ...]
    counts: tuple[int, ...]
    missing: int


def classify(
    values: Sequence[float | None],
    method: str,
    n: int,
    *,
    categories: Sequence[Category] = (),
    lang: str = "id",
) -> Classes:
    """Classify ``values`` for a choropleth.

    Parameters
    ----------
    values : sequence of float or None
        One value per region; None or NaN marks a missing value.
    method : str
        One of :data:`METHODS`: ``kategori`` (official categories), ``kuantil``
        (quantiles), ``jenks`` (Fisher-Jenks natural breaks) or ``interval`` (equal
        intervals).
    n : int
        The number of classes wanted, :data:`MIN_CLASSES` to :data:`MAX_CLASSES`. It is
        checked for every method but ``kategori`` uses the categories instead, and the
        data-driven methods may return fewer classes (see Notes).
    categories : sequence of Category, optional
        The indicator's official categories, in ascending order; needed for ``kategori``.
    lang : {"id", "en"}, optional
        The language of the category labels.

    Returns
    -------
    Classes
        The bounds, labels, class of each value, counts per class and missing count.

    Raises
    ------
    ValueError
        For an unknown method or language, ``n`` outside 2..9, an infinite value,
        ``kategori`` without categories or with bands that overlap or leave gaps (a
        :class:`~queries.catalogue.CatalogueError`, see
        :func:`~queries.catalogue.check_categories`), or a value that falls in no
        official category.

    Notes
    -----
    ``kuantil`` puts the breaks at the ``i/n`` quantiles (linear interpolation, as
    ``mapclassify.Quantiles``; a quantile whose position falls exactly on a value is
    that value). Ties can make two breaks equal; equal breaks are collapsed into one,
    and a class that would still be empty (all its quantiles fall between the same
    two tied values) is merged into the next class, so there may be fewer than ``n``
    classes but never an empty one. When the minimum itself is a break, the first
    class holds just the minimum and its two bounds are equal.

    ``interval`` splits ``[min, max]`` into ``n`` classes of equal width (as
    ``mapclassify.EqualInterval``); some classes may be empty.

    ``jenks`` finds the exact Fisher-Jenks optimum (the same breaks as
    ``mapclassify.FisherJenks``, which sums in float32 and so may settle on a
    slightly worse partition when two are nearly tied) by dynamic programming over
    the sorted distinct values. With more than :data:`JENKS_SAMPLE_SIZE` distinct
    values it is fitted to that many evenly spaced order statistics (always including
    the minimum and the maximum), like ``mapclassify.FisherJenksSampled`` but
    deterministic, and every value is then placed with those breaks; 7,285 values
    take about 10 ms.
    """
    if method not in METHODS:
        raise ValueError(
            f"unknown classification method {method!r}; expected one of {', '.join(METHODS)}"
        )
    _check_n(n)
    _check_lang(lang)
    if method == "kategori" and not categories:
        raise ValueError(
            "method 'kategori' needs official categories, and this indicator has no"
            f" official categories; use one of {', '.join(METHODS[1:])}"
        )
    x = _as_array(values)
    present = ~np.isnan(x)
    data = x[present]
    if data.size == 0:
        return _empty(x.size)
    if method == "kategori":
        return _by_category(x, present, tuple(categories), lang)

    distinct = np.unique(data)
    k = min(n, distinct.size)
    lowest = float(distinct[0])
    if method == "kuantil":
        upper = _quantile_breaks(data, k)
    elif method == "interval":
        upper = _equal_interval_breaks(lowest, float(distinct[-1]), k)
    else:
        upper = _jenks_breaks(data, k)
    bounds = np.concatenate(([lowest], upper))
    classes = _assign(x, present, bounds)
    if method == "kuantil" and 0 in classes.counts:
        empty = [i + 1 for i, count in enumerate(classes.counts) if count == 0]
        classes = _assign(x, present, np.delete(bounds, empty))
    return classes


def diverging_classes(values: Sequence[float | None], n: int) -> Classes:
    """Classify changes (for example since an earlier period) symmetrically around 0.

    The edges split ``[-m, m]`` evenly, where ``m`` is the largest absolute change.

    Parameters
    ----------
    values : sequence of float or None
        One change per region; None or NaN marks a missing value.
    n : int
        The number of classes wanted, :data:`MIN_CLASSES` to :data:`MAX_CLASSES`.

    Returns
    -------
    Classes
        Classes with ``labels`` None.

    Raises
    ------
    ValueError
        For ``n`` outside 2..9 or an infinite value.

    Notes
    -----
    There is always a middle class around 0, so that a region that did not change
    never looks better or worse: an even ``n`` is raised to ``n + 1``. A value on an
    edge goes to the class nearer 0 (negative classes are ``[lo, hi)``, the middle
    class ``[lo, hi]``, positive classes ``(lo, hi]``), which keeps the classes
    symmetric. When every change is 0 there is one class with bounds ``(0, 0)``.
    """
    _check_n(n)
    x = _as_array(values)
    present = ~np.isnan(x)
    data = x[present]
    if data.size == 0:
        return _empty(x.size)
    reach = float(np.abs(data).max())
    if reach == 0.0:
        return _assign(x, present, np.zeros(2))
    k = n + 1 if n % 2 == 0 else n
    bounds = np.linspace(-reach, reach, k + 1)
    inner = bounds[1:-1]
    idx = np.where(
        x < 0,
        np.searchsorted(inner, x, side="right"),
        np.searchsorted(inner, x, side="left"),
    )
    return _result(bounds, None, idx, present)


def format_bounds(classes: Classes, decimals: int, lang: str) -> list[str]:
    """Describe each class for a legend.

    Parameters
    ----------
    classes : Classes
        The result of :func:`classify` or :func:`diverging_classes`.
    decimals : int
        Digits after the decimal separator (the indicator's ``decimals``).
    lang : {"id", "en"}
        ``id`` writes ``1.234,50`` (decimal comma, thousands dot); ``en`` writes
        ``1,234.50``.

    Returns
    -------
    list of str
        One label per class, such as ``"60,00 – 70,00"``; for official categories
        the label comes first, such as ``"Sedang (60,00 – 80,00)"``. Empty when there
        are no classes.

    Raises
    ------
    ValueError
        For an unknown language or negative ``decimals``.
    """
    _check_lang(lang)
    if decimals < 0:
        raise ValueError(f"decimals must be 0 or more, got {decimals}")
    edges = [format_number(b, decimals, lang) for b in classes.bounds]
    ranges = [edges[i] + _RANGE_DASH + edges[i + 1] for i in range(len(edges) - 1)]
    if classes.labels is None:
        return ranges
    return [f"{label} ({text})" for label, text in zip(classes.labels, ranges, strict=True)]


def format_number(value: float, decimals: int, lang: str) -> str:
    """Write ``value`` with ``decimals`` digits in the number style of ``lang``.

    Parameters
    ----------
    value : float
        The number.
    decimals : int
        Digits after the decimal separator.
    lang : {"id", "en"}
        ``id``: ``-1.234,5`` style, ``en``: ``-1,234.5`` style; the minus is U+2212.

    Returns
    -------
    str
        The formatted number; a value that rounds to zero has no sign.
    """
    text = f"{abs(value):,.{decimals}f}"
    if lang == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    if value < 0 and any(ch not in "0.," for ch in text):
        text = _MINUS + text
    return text


def _check_n(n: int) -> None:
    whole = isinstance(n, int | np.integer) and not isinstance(n, bool)
    if not whole or not MIN_CLASSES <= n <= MAX_CLASSES:
        raise ValueError(
            f"number of classes must be an integer from {MIN_CLASSES} to {MAX_CLASSES},"
            f" got {n!r}"
        )


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")


def _as_array(values: Sequence[float | None]) -> FloatArray:
    """Return ``values`` as float64 with NaN for missing, refusing infinities."""
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"values must be numbers or None: {exc}") from None
    if x.ndim != 1:
        raise ValueError(f"values must be a flat sequence, got shape {x.shape}")
    infinite = np.flatnonzero(np.isinf(x))
    if infinite.size:
        pos = int(infinite[0])
        raise ValueError(
            f"value at position {pos} is {x[pos]}; expected a finite number or None"
        )
    return x


def _empty(size: int) -> Classes:
    return Classes(bounds=(), labels=None, index=(None,) * size, counts=(), missing=size)


def _result(
    bounds: FloatArray, labels: tuple[str, ...] | None, idx: IntArray,
    present: npt.NDArray[np.bool_],
) -> Classes:
    k = bounds.size - 1
    counts = np.bincount(idx[present], minlength=k)
    index = tuple(int(i) if p else None for i, p in zip(idx.tolist(), present.tolist(),
                                                         strict=True))
    return Classes(
        bounds=tuple(float(b) for b in bounds),
        labels=labels,
        index=index,
        counts=tuple(int(c) for c in counts),
        missing=int(present.size - present.sum()),
    )


def _assign(x: FloatArray, present: npt.NDArray[np.bool_], bounds: FloatArray) -> Classes:
    """Place values in ``(b[i], b[i+1]]`` classes, the first closed on the left."""
    idx = np.searchsorted(bounds[1:-1], x, side="left")
    return _result(bounds, None, idx, present)


def _by_category(
    x: FloatArray, present: npt.NDArray[np.bool_], categories: tuple[Category, ...], lang: str,
) -> Classes:
    check_categories(categories, "official categories")
    idx = category_index(x, categories)
    outside = np.flatnonzero(present & (idx < 0))
    if outside.size:
        pos = int(outside[0])
        bands = ", ".join(c.band() for c in categories)
        raise ValueError(
            f"value {x[pos]:g} at position {pos} falls in no official category ({bands})"
        )
    bounds = np.array([categories[0].min, *(c.max for c in categories)], dtype=np.float64)
    labels = tuple(c.label(lang) for c in categories)
    return _result(bounds, labels, idx, present)


def _quantile_breaks(data: FloatArray, k: int) -> FloatArray:
    """Return the distinct upper bounds at the ``i/k`` quantiles, the last the maximum.

    Linear interpolation between order statistics (numpy's default), with the
    positions ``(size - 1) * i / k`` computed in integers so that a quantile that
    falls exactly on a value is that value, not one ulp beside it.
    """
    ordered = np.sort(data)
    steps = (ordered.size - 1) * np.arange(1, k + 1)
    low = steps // k
    frac = (steps % k) / k
    high = np.minimum(low + 1, ordered.size - 1)
    q = ordered[low] + frac * (ordered[high] - ordered[low])
    q = np.where(frac == 0, ordered[low], q)
    return np.unique(q)


def _equal_interval_breaks(lowest: float, highest: float, k: int) -> FloatArray:
    """Return ``k`` upper bounds of equal-width classes, the last exactly ``highest``."""
    upper = lowest + (highest - lowest) / k * np.arange(1, k + 1, dtype=np.float64)
    upper[-1] = highest
    return upper


def _jenks_breaks(data: FloatArray, k: int) -> FloatArray:
    """Return the upper bounds of the Fisher-Jenks classes of ``data`` (``k`` at most)."""
    ordered = np.sort(data)
    values, weights = np.unique(ordered, return_counts=True)
    if values.size > JENKS_SAMPLE_SIZE:
        ranks = np.rint(np.linspace(0, ordered.size - 1, JENKS_SAMPLE_SIZE)).astype(np.intp)
        values, weights = np.unique(ordered[ranks], return_counts=True)
    k = min(k, values.size)
    starts = _fisher_jenks(values, weights.astype(np.float64), k)
    ends = np.append(starts[1:], values.size)
    upper: FloatArray = values[ends - 1]
    return upper


def _fisher_jenks(values: FloatArray, weights: FloatArray, k: int) -> IntArray:
    """Return the first index of each of the ``k`` optimal classes of sorted ``values``.

    Dynamic programming over the ``m`` sorted distinct values with their counts as
    weights. ``cost[j, i]`` is the weighted sum of squared deviations of
    ``values[i:j]``, computed from prefix sums of ``w``, ``w x`` and ``w x²``; row
    ``j`` of each step's table holds every choice for the start of the last class of
    ``values[:j]``, so each step is one vectorised add and row-wise argmin, O(m²).
    Ties go to the smallest start, as in mapclassify.
    """
    m = values.size
    if k == 1:
        return np.zeros(1, dtype=np.intp)
    # Centre and scale so the prefix sums of squares stay small and exact enough.
    x = values - values.mean()
    span = float(x.max() - x.min())
    x = x / span
    w_sum = np.concatenate(([0.0], np.cumsum(weights)))
    x_sum = np.concatenate(([0.0], np.cumsum(weights * x)))
    sq_sum = np.concatenate(([0.0], np.cumsum(weights * x * x)))
    dw = np.subtract.outer(w_sum, w_sum)
    np.maximum(dw, 0.5, out=dw)  # segments need j > i; the rest is masked below
    ds = np.subtract.outer(x_sum, x_sum)
    ds *= ds
    ds /= dw
    cost = np.subtract.outer(sq_sum, sq_sum)
    cost -= ds
    pos = np.arange(m + 1)
    cost[pos[:, None] <= pos[None, :]] = np.inf
    best = cost[:, 0].copy()
    table = np.empty_like(cost)
    choices: list[IntArray] = []
    for _ in range(2, k):
        np.add(cost, best[None, :], out=table)
        arg = table.argmin(axis=1)
        best = table[pos, arg]
        choices.append(arg)
    last = int(np.argmin(cost[m] + best))
    starts = [last]
    for arg in reversed(choices):
        starts.append(int(arg[starts[-1]]))
    starts.append(0)
    return np.array(starts[::-1], dtype=np.intp)
