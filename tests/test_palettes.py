"""Palettes: published values, light-to-dark order, direction rules, readable labels."""

from __future__ import annotations

import re

import plotly.colors
import pytest

from presentation.palettes import (
    DEFAULT_DIVERGING,
    DIVERGING,
    MISSING_COLOR,
    SEQUENTIAL,
    colors,
    default_palette,
    diverging_colors,
    relative_luminance,
    text_color,
)
from queries.catalogue import Indicator, load_catalogue_file

HEX = re.compile(r"^#[0-9a-f]{6}$")
ALL = {**SEQUENTIAL, **DIVERGING}
Catalogue = dict[str, Indicator]


def rgb(hex_color: str) -> tuple[int, int, int]:
    return int(hex_color[1:3], 16), int(hex_color[3:5], 16), int(hex_color[5:7], 16)


def is_warm(hex_color: str) -> bool:
    r, _, b = rgb(hex_color)
    return r > b + 40


def is_cool(hex_color: str) -> bool:
    r, _, b = rgb(hex_color)
    return b > r + 40


def contrast(a: float, b: float) -> float:
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Indicator]:
    return load_catalogue_file()


def test_every_palette_has_3_to_9_valid_colours() -> None:
    assert set(SEQUENTIAL) == {"Blues", "Greens", "Purples", "Oranges", "Reds", "YlGnBu",
                               "YlOrRd", "viridis", "cividis"}
    assert set(DIVERGING) == {"PuOr", "BrBG", "RdBu"}
    for name, palette in ALL.items():
        assert sorted(palette) == list(range(3, 10)), name
        for n, swatches in palette.items():
            assert len(swatches) == n, (name, n)
            assert len(set(swatches)) == n, (name, n)
            assert all(HEX.match(c) for c in swatches), (name, n)


@pytest.mark.parametrize("name", ["Blues", "Greens", "Purples", "Oranges", "Reds", "YlGnBu",
                                  "YlOrRd"])
def test_nine_class_colorbrewer_matches_plotly(name: str) -> None:
    published = getattr(plotly.colors.colorbrewer, name)
    as_hex = ["#{:02x}{:02x}{:02x}".format(*map(int, re.findall(r"\d+", c))) for c in published]
    assert list(SEQUENTIAL[name][9]) == as_hex


def test_viridis_and_cividis_ends_match_matplotlib() -> None:
    assert SEQUENTIAL["viridis"][9][0] == "#fde725"  # light end first
    assert SEQUENTIAL["viridis"][9][-1] == "#440154"
    assert SEQUENTIAL["viridis"][5][2] == "#21918c"
    assert SEQUENTIAL["cividis"][9][0] == "#fee838"
    assert SEQUENTIAL["cividis"][9][-1] == "#00224e"


@pytest.mark.parametrize("name", sorted(SEQUENTIAL))
@pytest.mark.parametrize("n", range(1, 13))
def test_sequential_runs_light_to_dark(name: str, n: int) -> None:
    swatches = colors(name, n)
    assert len(swatches) == n
    lum = [relative_luminance(c) for c in swatches]
    assert lum == sorted(lum, reverse=True)
    assert len(set(swatches)) == n


def test_small_and_large_n() -> None:
    three = SEQUENTIAL["Blues"][3]
    assert colors("Blues", 1) == [three[1]]
    assert colors("Blues", 2) == [three[0], three[2]]
    nine = list(SEQUENTIAL["Blues"][9])
    many = colors("Blues", 17)  # every other colour lands exactly on a published one
    assert many[::2] == nine


def test_default_palette_follows_direction(catalogue: Catalogue) -> None:
    ikp = catalogue["ikp"]
    assert ikp.direction == "higher_worse"
    name = default_palette(ikp.direction)
    assert name == "YlOrRd"
    swatches = colors(name, len(ikp.categories))
    assert is_warm(swatches[-1])  # the most vulnerable class is red
    assert relative_luminance(swatches[-1]) < relative_luminance(swatches[0])  # and darkest
    better = colors(default_palette(catalogue["idi"].direction), 5)
    assert is_cool(better[-1])
    assert default_palette("neutral") == "Purples"
    assert default_palette(catalogue["ormas"].direction) == "Purples"


@pytest.mark.parametrize("name", sorted(DIVERGING))
@pytest.mark.parametrize("n", [3, 5, 7, 9])
def test_diverging_direction(name: str, n: int) -> None:
    better = diverging_colors(name, n, "higher_better")
    worse = diverging_colors(name, n, "higher_worse")
    # higher_better: a rise (last colour) is an improvement, drawn cool
    assert is_cool(better[-1]) and is_warm(better[0])
    # higher_worse: a rise is a decline, drawn warm
    assert is_warm(worse[-1]) and is_cool(worse[0])
    assert worse == better[::-1]
    assert diverging_colors(name, n, "neutral") == better
    middle = better[n // 2]  # odd n: a light, neutral middle for "no change"
    assert relative_luminance(middle) > 0.85


def test_default_diverging_is_known() -> None:
    assert DEFAULT_DIVERGING in DIVERGING


def test_text_color_on_swatches() -> None:
    assert text_color("#08306b") == "#ffffff"
    assert text_color("#ffffcc") == "#000000"
    assert text_color("#000") == "#ffffff"
    assert text_color("#FFFFFF") == "#000000"
    for palette in ALL.values():
        for swatches in palette.values():
            for swatch in swatches:
                label = text_color(swatch)
                ratio = contrast(relative_luminance(swatch), relative_luminance(label))
                assert ratio >= 4.5, (swatch, label)


def test_missing_colour_is_a_grey_not_in_any_palette() -> None:
    r, g, b = rgb(MISSING_COLOR)
    assert r == g == b
    assert all(MISSING_COLOR not in swatches
               for palette in ALL.values() for swatches in palette.values())


def test_unknown_names_and_bad_n() -> None:
    with pytest.raises(ValueError, match=r"'Rainbow'.*Blues.*YlOrRd"):
        colors("Rainbow", 5)
    with pytest.raises(ValueError, match=r"diverging palette 'Blues'.*PuOr, BrBG, RdBu"):
        diverging_colors("Blues", 5, "higher_better")
    with pytest.raises(ValueError, match="direction 'up'"):
        diverging_colors("RdBu", 5, "up")
    with pytest.raises(ValueError, match="direction 'up'"):
        default_palette("up")
    with pytest.raises(ValueError, match="got 0"):
        colors("Blues", 0)
    with pytest.raises(ValueError, match="not a hex colour"):
        text_color("blue")
    with pytest.raises(ValueError, match="not a hex colour"):
        text_color("#12345g")
