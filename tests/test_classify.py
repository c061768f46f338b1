"""Choropleth classification: against mapclassify, hand-computed breaks and the catalogue."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest

from queries.catalogue import Indicator, load_catalogue_file
from queries.classify import (
    JENKS_SAMPLE_SIZE,
    MAX_CLASSES,
    METHODS,
    MIN_CLASSES,
    Classes,
    _fisher_jenks,
    classify,
    diverging_classes,
    format_bounds,
    format_number,
)

mc = pytest.importorskip("mapclassify")

# mapclassify warns that numba is missing and when it lowers k; neither matters here.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

DATA_METHODS = ("kuantil", "jenks", "interval")
Catalogue = dict[str, Indicator]


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Indicator]:
    return load_catalogue_file()


def sample(size: int, seed: int, kind: str = "normal") -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "lognormal":  # skewed, like population or counts of events
        return rng.lognormal(3.0, 0.7, size)
    if kind == "index":  # bounded 0..100, like IDI scores
        return np.clip(rng.normal(72.0, 8.0, size), 0.0, 100.0)
    return rng.normal(0.0, 1.0, size)


def within_ss(values: np.ndarray, idx: Sequence[int | None] | npt.NDArray[np.intp]) -> float:
    """Sum over classes of squared deviations from the class mean."""
    classes = np.asarray(idx)
    return float(sum(((values[classes == c] - values[classes == c].mean()) ** 2).sum()
                     for c in np.unique(classes)))


def gvf(values: np.ndarray, idx: Sequence[int | None] | npt.NDArray[np.intp]) -> float:
    """Goodness of variance fit: 1 - within / total sum of squares."""
    return 1.0 - within_ss(values, idx) / float(((values - values.mean()) ** 2).sum())


def assert_consistent(result: Classes, values: list[float | None]) -> None:
    """The invariants every result keeps."""
    assert len(result.index) == len(values)
    assert sum(result.counts) + result.missing == len(values)
    assert len(result.bounds) == (len(result.counts) + 1 if result.counts else 0)
    assert list(result.bounds) == sorted(result.bounds)
    for value, cls in zip(values, result.index, strict=True):
        is_missing = value is None or math.isnan(value)
        assert (cls is None) == is_missing
    counted = [sum(1 for c in result.index if c == i) for i in range(len(result.counts))]
    assert counted == list(result.counts)


# --- against mapclassify -------------------------------------------------------------


@pytest.mark.parametrize(("size", "seed", "kind"), [
    (38, 1, "normal"), (38, 2, "index"), (514, 3, "lognormal"), (514, 4, "index"),
])
@pytest.mark.parametrize("k", range(MIN_CLASSES, MAX_CLASSES + 1))
def test_quantiles_match_mapclassify(size: int, seed: int, kind: str, k: int) -> None:
    y = sample(size, seed, kind)
    ours = classify(y.tolist(), "kuantil", k)
    ref = mc.Quantiles(y, k=k)
    assert ours.bounds[0] == y.min()
    np.testing.assert_allclose(ours.bounds[1:], ref.bins, rtol=1e-12)
    # mapclassify's percentiles can land one ulp beside a value that sits exactly on a
    # quantile; ours are that value. Compare every value not on a break.
    on_break = np.isclose(y[:, None], np.asarray(ours.bounds)[None, 1:], rtol=1e-12).any(axis=1)
    np.testing.assert_array_equal(np.asarray(ours.index)[~on_break], ref.yb[~on_break])


@pytest.mark.parametrize(("size", "seed", "kind"), [
    (38, 5, "normal"), (38, 6, "index"), (514, 7, "lognormal"), (514, 8, "index"),
])
@pytest.mark.parametrize("k", range(MIN_CLASSES, MAX_CLASSES + 1))
def test_equal_interval_matches_mapclassify(size: int, seed: int, kind: str, k: int) -> None:
    y = sample(size, seed, kind)
    ours = classify(y.tolist(), "interval", k)
    ref = mc.EqualInterval(y, k=k)
    np.testing.assert_allclose(ours.bounds[1:], ref.bins, rtol=1e-12)
    assert list(ours.index) == ref.yb.tolist()
    assert list(ours.counts) == ref.counts.tolist()


@pytest.mark.parametrize("k", range(MIN_CLASSES, MAX_CLASSES + 1))
def test_jenks_matches_mapclassify_small(k: int) -> None:
    y = sample(38, 11, "index")
    ours = classify(y.tolist(), "jenks", k)
    ref = mc.FisherJenks(y, k=k)
    np.testing.assert_allclose(ours.bounds[1:], ref.bins, rtol=1e-12)
    assert list(ours.index) == ref.yb.tolist()


@pytest.mark.parametrize(("seed", "kind", "k"), [
    (12, "normal", 3), (13, "normal", 5), (14, "index", 5), (15, "lognormal", 7),
    (16, "index", 9),
])
def test_jenks_matches_mapclassify_514(seed: int, kind: str, k: int) -> None:
    y = sample(514, seed, kind)
    ours = classify(y.tolist(), "jenks", k)
    ref = mc.FisherJenks(y, k=k)
    # mapclassify accumulates in float32, so on near-ties it can settle on a slightly
    # worse partition; ours is exact in float64: equal breaks, or a better fit.
    if not np.allclose(ours.bounds[1:], ref.bins, rtol=1e-12):
        assert within_ss(y, ours.index) < within_ss(y, ref.yb)
    else:
        assert list(ours.index) == ref.yb.tolist()


def test_jenks_integer_data_with_ties_matches_mapclassify() -> None:
    y = np.random.default_rng(17).integers(0, 60, 300).astype(float)
    for k in (3, 6):
        ours = classify(y.tolist(), "jenks", k)
        ref = mc.FisherJenks(y, k=k)
        assert within_ss(y, ours.index) <= within_ss(y, ref.yb) * (1 + 1e-9)


def test_jenks_is_optimal_by_brute_force() -> None:
    rng = np.random.default_rng(18)
    for _ in range(30):
        y = np.round(rng.lognormal(1.0, 0.8, rng.integers(4, 11)), 1)
        distinct = np.unique(y)
        for k in range(2, min(5, distinct.size) + 1):
            best = min(
                within_ss(y, np.searchsorted(distinct[list(cuts)], y, side="left"))
                for cuts in itertools.combinations(range(distinct.size - 1), k - 1)
            )
            ours = classify(y.tolist(), "jenks", k)
            assert len(ours.counts) == k
            assert within_ss(y, ours.index) == pytest.approx(best, rel=1e-9, abs=1e-12)


def test_jenks_sampled_fit_close_to_mapclassify_sampled() -> None:
    y = sample(7285, 19, "lognormal")
    np.random.seed(0)  # mapclassify draws its sample with the global generator
    for k in (5, 7, 9):
        ours = classify(y.tolist(), "jenks", k)
        ref = mc.FisherJenksSampled(y, k=k)
        assert len(ours.counts) == k
        assert gvf(y, ours.index) >= gvf(y, ref.yb) - 0.01


def test_jenks_sampled_fit_close_to_exact() -> None:
    y = sample(1500, 20, "index")
    assert np.unique(y).size > JENKS_SAMPLE_SIZE
    distinct, weights = np.unique(y, return_counts=True)
    for k in (4, 7):
        starts = _fisher_jenks(distinct, weights.astype(float), k)
        upper = distinct[np.append(starts[1:], distinct.size) - 1]
        exact = np.searchsorted(upper[:-1], y, side="left")
        sampled = classify(y.tolist(), "jenks", k)
        assert sampled.bounds[0] == y.min() and sampled.bounds[-1] == y.max()
        assert gvf(y, sampled.index) >= gvf(y, exact) * 0.99


def test_jenks_sample_does_not_depend_on_the_order_of_the_values() -> None:
    y = sample(5000, 21, "lognormal")
    shuffled = np.random.default_rng(3).permutation(y)
    ours, again = classify(y.tolist(), "jenks", 6), classify(shuffled.tolist(), "jenks", 6)
    assert (again.bounds, again.counts) == (ours.bounds, ours.counts)
    assert sorted(zip(shuffled, again.index, strict=True)) == sorted(
        zip(y, ours.index, strict=True))  # each value keeps its class


# --- hand-computed breaks -------------------------------------------------------------


def test_interval_by_hand_and_edge_goes_to_lower_class() -> None:
    result = classify([0, 2, 5, 7, 10], "interval", 2)
    assert result.bounds == (0.0, 5.0, 10.0)
    assert result.index == (0, 0, 0, 1, 1)
    assert result.counts == (3, 2)


def test_quantiles_by_hand() -> None:
    result = classify([1, 2, 3, 4, 5, 6, 7, 8], "kuantil", 4)
    assert result.bounds == (1.0, 2.75, 4.5, 6.25, 8.0)
    assert result.counts == (2, 2, 2, 2)
    # positions 2, 4, 6, 8 fall exactly on values: each such value is its class's top
    result = classify([1, 2, 3, 4, 5, 6, 7, 8, 9], "kuantil", 4)
    assert result.bounds == (1.0, 3.0, 5.0, 7.0, 9.0)
    assert result.index == (0, 0, 0, 1, 1, 2, 2, 3, 3)


def test_quantiles_collapse_duplicate_edges() -> None:
    result = classify([1, 1, 1, 1, 1, 2, 3], "kuantil", 3)
    assert result.bounds == (1.0, 1.0, 3.0)  # first class holds exactly the minimum
    assert result.counts == (5, 2)


def test_quantiles_merge_a_class_that_would_be_empty() -> None:
    # breaks 1, 1.67, 3 would leave (1, 1.67] empty: it is merged into the next class
    result = classify([1, 1, 1, 2, 3], "kuantil", 3)
    assert result.bounds == (1.0, 1.0, 3.0)
    assert result.counts == (3, 2)
    assert 0 not in result.counts


def test_jenks_by_hand() -> None:
    result = classify([12, 1, 50, 2, 11, 3, 10], "jenks", 3)
    assert result.bounds == (1.0, 3.0, 12.0, 50.0)
    assert result.index == (1, 0, 2, 0, 1, 0, 1)


@pytest.mark.parametrize(("method", "bounds"), [
    ("jenks", (5.0, 5.0, 7.0)), ("interval", (5.0, 6.0, 7.0)), ("kuantil", (5.0, 5.0, 7.0)),
])
def test_fewer_distinct_values_than_classes(method: str, bounds: tuple[float, ...]) -> None:
    result = classify([5, 5, 7], method, 5)
    assert result.bounds == bounds
    assert result.counts == (2, 1)


@pytest.mark.parametrize("method", DATA_METHODS)
def test_one_distinct_value_is_one_class(method: str) -> None:
    result = classify([4.0, None, 4.0], method, 5)
    assert result.bounds == (4.0, 4.0)
    assert result.index == (0, None, 0)
    assert result.counts == (2,)
    assert result.missing == 1


# --- missing values -------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_missing_values_are_counted_never_classed(method: str, catalogue: Catalogue) -> None:
    rng = np.random.default_rng(22)
    values: list[float | None] = rng.uniform(0, 100, 60).tolist()
    for pos in (0, 7, 8, 30, 59):
        values[pos] = None
    values[15] = float("nan")
    result = classify(values, method, 5, categories=catalogue["idi"].categories)
    assert result.missing == 6
    assert_consistent(result, values)


def test_missing_values_in_diverging_classes() -> None:
    values = [-3.0, None, 0.0, float("nan"), 4.5]
    result = diverging_classes(values, 3)
    assert result.missing == 2
    assert_consistent(result, values)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("values", [[None, None, float("nan")], []])
def test_all_missing(method: str, values: list[float | None], catalogue: Catalogue) -> None:
    result = classify(values, method, 4, categories=catalogue["idi"].categories)
    assert result == Classes(bounds=(), labels=None, index=(None,) * len(values), counts=(),
                             missing=len(values))
    assert diverging_classes(values, 5).bounds == ()


def test_numpy_input_with_nan() -> None:
    values = np.array([1.0, np.nan, 3.0, 4.0])
    result = classify(values, "interval", 3)  # type: ignore[arg-type]
    assert result.index == (0, None, 1, 2)  # 3 is on the edge 1 | 2 | 3 | 4


# --- official categories -------------------------------------------------------------


def test_idi_categories_and_boundaries(catalogue: Catalogue) -> None:
    idi = catalogue["idi"]
    values = [0, 59.99, 60, 79.99, 80, 80.01, 100, None]
    result = classify(values, "kategori", 5, categories=idi.categories)
    assert result.labels == ("Buruk", "Sedang", "Baik")
    assert result.bounds == (0.0, 60.0, 80.0, 100.0)
    assert result.index == (0, 0, 1, 1, 1, 2, 2, None)  # 80 is Sedang, 80.01 Baik
    assert result.counts == (2, 3, 2)
    for value, cls in zip(values, result.index, strict=True):
        expected = idi.category_of(value, 2024)
        assert (cls is None) == (expected is None)
        if cls is not None:
            assert idi.categories[cls] == expected


def test_category_labels_in_english(catalogue: Catalogue) -> None:
    result = classify([10, 70, 90], "kategori", 3, categories=catalogue["idi"].categories,
                      lang="en")
    assert result.labels == ("Poor", "Moderate", "Good")


def test_open_middle_category(catalogue: Catalogue) -> None:
    # IKUB: Rendah [0, 40], Sedang (40, 60), Tinggi [60, 80], Sangat tinggi (80, 100]
    result = classify([40, 40.5, 60, 80, 80.5], "kategori", 4,
                      categories=catalogue["ikub"].categories)
    assert result.index == (0, 1, 2, 2, 3)


@pytest.mark.parametrize("bad", [101, -0.5])
def test_value_outside_every_category(bad: float, catalogue: Catalogue) -> None:
    with pytest.raises(ValueError, match=rf"value {bad:g} at position 1 falls in no official"):
        classify([50, bad], "kategori", 3, categories=catalogue["idi"].categories)


def test_kategori_without_categories(catalogue: Catalogue) -> None:
    with pytest.raises(ValueError, match="no official categories"):
        classify([1.0, 2.0], "kategori", 3, categories=catalogue["turnout_pilpres"].categories)


# --- diverging classes ---------------------------------------------------------------


def test_diverging_classes_by_hand() -> None:
    values = [-10, -6, -3, -2, 0, 2, 6, 10]
    result = diverging_classes(values, 5)
    np.testing.assert_allclose(result.bounds, [-10, -6, -2, 2, 6, 10])
    # edges go to the class nearer zero; 0 is in the middle class
    assert result.index == (0, 1, 1, 2, 2, 2, 3, 4)
    assert result.labels is None


def test_diverging_classes_even_n_gets_a_middle_class() -> None:
    result = diverging_classes([-4, 0, 1, 4], 4)
    assert len(result.counts) == 5
    assert result.index[1] == 2
    np.testing.assert_allclose(result.bounds, np.linspace(-4, 4, 6))


@pytest.mark.parametrize("n", [3, 5, 7, 9])
def test_diverging_classes_are_symmetric(n: int) -> None:
    y = np.random.default_rng(23).normal(0, 5, 200)
    values = np.concatenate([y, -y]).tolist()
    result = diverging_classes(values, n)
    k = len(result.counts)
    np.testing.assert_allclose(result.bounds, [-b for b in reversed(result.bounds)])
    for v, cls in zip(values, result.index, strict=True):
        mirror = result.index[values.index(-v)]
        assert cls is not None and mirror is not None
        assert mirror == k - 1 - cls


def test_diverging_classes_no_change_at_all() -> None:
    result = diverging_classes([0.0, 0.0, None], 5)
    assert result.bounds == (0.0, 0.0)
    assert result.counts == (2,)


# --- labels ---------------------------------------------------------------------------


def test_format_bounds_both_languages() -> None:
    result = classify([60, 65, 70, 80], "interval", 2)
    assert format_bounds(result, 2, "id") == ["60,00 – 70,00", "70,00 – 80,00"]
    assert format_bounds(result, 2, "en") == ["60.00 – 70.00", "70.00 – 80.00"]


def test_format_bounds_thousands_and_decimals() -> None:
    result = classify([1234.5, 98765.25, 2_500_000.0], "jenks", 2)
    assert format_bounds(result, 1, "id") == ["1.234,5 – 98.765,2", "98.765,2 – 2.500.000,0"]
    assert format_bounds(result, 0, "en") == ["1,234 – 98,765", "98,765 – 2,500,000"]


def test_format_bounds_categories(catalogue: Catalogue) -> None:
    cats = catalogue["idi"].categories
    result = classify([50, 70, 90], "kategori", 3, categories=cats)
    assert format_bounds(result, 2, "id") == [
        "Buruk (0,00 – 60,00)", "Sedang (60,00 – 80,00)", "Baik (80,00 – 100,00)",
    ]
    result_en = classify([50, 70, 90], "kategori", 3, categories=cats, lang="en")
    assert format_bounds(result_en, 2, "en")[1] == "Moderate (60.00 – 80.00)"


def test_format_bounds_negative_and_empty() -> None:
    result = diverging_classes([-5, 5], 3)
    assert format_bounds(result, 2, "id") == [
        "\u22125,00 – \u22121,67", "\u22121,67 – 1,67", "1,67 – 5,00",
    ]
    assert format_number(-0.001, 2, "id") == "0,00"
    assert format_bounds(classify([None], "jenks", 3), 2, "id") == []


# --- bad input ------------------------------------------------------------------------


def test_unknown_method() -> None:
    with pytest.raises(ValueError, match=r"'quantile'.*kategori, kuantil, jenks, interval"):
        classify([1.0, 2.0], "quantile", 3)


@pytest.mark.parametrize("n", [1, 10, 0, -3, 2.5, True, "5"])
def test_bad_number_of_classes(n: int) -> None:
    with pytest.raises(ValueError, match=rf"from 2 to 9, got {n!r}"):
        classify([1.0, 2.0], "jenks", n)
    with pytest.raises(ValueError, match="from 2 to 9"):
        diverging_classes([1.0, 2.0], n)


def test_bad_language() -> None:
    with pytest.raises(ValueError, match="'fr'"):
        classify([1.0, 2.0], "jenks", 3, lang="fr")
    with pytest.raises(ValueError, match="'fr'"):
        format_bounds(classify([1.0, 2.0], "jenks", 3), 2, "fr")


def test_bad_values() -> None:
    with pytest.raises(ValueError, match="position 1 is inf"):
        classify([1.0, float("inf")], "kuantil", 3)
    with pytest.raises(ValueError, match="numbers or None"):
        classify([1.0, "x"], "kuantil", 3)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="decimals"):
        format_bounds(classify([1.0, 2.0], "jenks", 2), -1, "id")
