"""Colour-blind-safe palettes for choropleths, as hex colours.

Plain data and functions, no Dash: the map, the legend and exports share them.

Sequential palettes are ColorBrewer's Blues, Greens, Purples, Oranges, Reds, YlGnBu
and YlOrRd (colorbrewer2.org; Cynthia Brewer, Mark Harrower and The Pennsylvania
State University, Apache License 2.0), plus matplotlib's viridis and cividis sampled
at ``n`` evenly spaced points (``cmap(np.linspace(0, 1, n))``). Every
sequential palette runs light -> dark, which is low value -> high value, so on every
map a darker colour means a higher value; viridis and cividis are therefore stored
reversed (yellow first) compared with matplotlib's order.

Diverging palettes are ColorBrewer's PuOr, BrBG and RdBu, stored in ColorBrewer's
order: the warm end (orange, brown, red) first and the cool end (purple, teal,
blue) last. :func:`diverging_colors` turns them so that the cool end is always the
good end.

Missing data is shown with a hatch on the map; :data:`MISSING_COLOR` is the grey for
places where a hatch cannot be drawn (a legend swatch, an export).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from queries.mapview import MapData

MISSING_COLOR: Final = "#bdbdbd"
MIN_PUBLISHED = 3
MAX_PUBLISHED = 9
DEFAULT_DIVERGING: Final = "RdBu"

Palette = dict[int, tuple[str, ...]]


def _palette(*rows: str) -> Palette:
    """Build ``{n: colours}`` from one row of space-separated hex colours per n, 3..9."""
    return {len(row.split()): tuple(row.split()) for row in rows}


SEQUENTIAL: Final[dict[str, Palette]] = {
    "Blues": _palette(
        "#deebf7 #9ecae1 #3182bd",
        "#eff3ff #bdd7e7 #6baed6 #2171b5",
        "#eff3ff #bdd7e7 #6baed6 #3182bd #08519c",
        "#eff3ff #c6dbef #9ecae1 #6baed6 #3182bd #08519c",
        "#eff3ff #c6dbef #9ecae1 #6baed6 #4292c6 #2171b5 #084594",
        "#f7fbff #deebf7 #c6dbef #9ecae1 #6baed6 #4292c6 #2171b5 #084594",
        "#f7fbff #deebf7 #c6dbef #9ecae1 #6baed6 #4292c6 #2171b5 #08519c #08306b",
    ),
    "Greens": _palette(
        "#e5f5e0 #a1d99b #31a354",
        "#edf8e9 #bae4b3 #74c476 #238b45",
        "#edf8e9 #bae4b3 #74c476 #31a354 #006d2c",
        "#edf8e9 #c7e9c0 #a1d99b #74c476 #31a354 #006d2c",
        "#edf8e9 #c7e9c0 #a1d99b #74c476 #41ab5d #238b45 #005a32",
        "#f7fcf5 #e5f5e0 #c7e9c0 #a1d99b #74c476 #41ab5d #238b45 #005a32",
        "#f7fcf5 #e5f5e0 #c7e9c0 #a1d99b #74c476 #41ab5d #238b45 #006d2c #00441b",
    ),
    "Purples": _palette(
        "#efedf5 #bcbddc #756bb1",
        "#f2f0f7 #cbc9e2 #9e9ac8 #6a51a3",
        "#f2f0f7 #cbc9e2 #9e9ac8 #756bb1 #54278f",
        "#f2f0f7 #dadaeb #bcbddc #9e9ac8 #756bb1 #54278f",
        "#f2f0f7 #dadaeb #bcbddc #9e9ac8 #807dba #6a51a3 #4a1486",
        "#fcfbfd #efedf5 #dadaeb #bcbddc #9e9ac8 #807dba #6a51a3 #4a1486",
        "#fcfbfd #efedf5 #dadaeb #bcbddc #9e9ac8 #807dba #6a51a3 #54278f #3f007d",
    ),
    "Oranges": _palette(
        "#fee6ce #fdae6b #e6550d",
        "#feedde #fdbe85 #fd8d3c #d94701",
        "#feedde #fdbe85 #fd8d3c #e6550d #a63603",
        "#feedde #fdd0a2 #fdae6b #fd8d3c #e6550d #a63603",
        "#feedde #fdd0a2 #fdae6b #fd8d3c #f16913 #d94801 #8c2d04",
        "#fff5eb #fee6ce #fdd0a2 #fdae6b #fd8d3c #f16913 #d94801 #8c2d04",
        "#fff5eb #fee6ce #fdd0a2 #fdae6b #fd8d3c #f16913 #d94801 #a63603 #7f2704",
    ),
    "Reds": _palette(
        "#fee0d2 #fc9272 #de2d26",
        "#fee5d9 #fcae91 #fb6a4a #cb181d",
        "#fee5d9 #fcae91 #fb6a4a #de2d26 #a50f15",
        "#fee5d9 #fcbba1 #fc9272 #fb6a4a #de2d26 #a50f15",
        "#fee5d9 #fcbba1 #fc9272 #fb6a4a #ef3b2c #cb181d #99000d",
        "#fff5f0 #fee0d2 #fcbba1 #fc9272 #fb6a4a #ef3b2c #cb181d #99000d",
        "#fff5f0 #fee0d2 #fcbba1 #fc9272 #fb6a4a #ef3b2c #cb181d #a50f15 #67000d",
    ),
    "YlGnBu": _palette(
        "#edf8b1 #7fcdbb #2c7fb8",
        "#ffffcc #a1dab4 #41b6c4 #225ea8",
        "#ffffcc #a1dab4 #41b6c4 #2c7fb8 #253494",
        "#ffffcc #c7e9b4 #7fcdbb #41b6c4 #2c7fb8 #253494",
        "#ffffcc #c7e9b4 #7fcdbb #41b6c4 #1d91c0 #225ea8 #0c2c84",
        "#ffffd9 #edf8b1 #c7e9b4 #7fcdbb #41b6c4 #1d91c0 #225ea8 #0c2c84",
        "#ffffd9 #edf8b1 #c7e9b4 #7fcdbb #41b6c4 #1d91c0 #225ea8 #253494 #081d58",
    ),
    "YlOrRd": _palette(
        "#ffeda0 #feb24c #f03b20",
        "#ffffb2 #fecc5c #fd8d3c #e31a1c",
        "#ffffb2 #fecc5c #fd8d3c #f03b20 #bd0026",
        "#ffffb2 #fed976 #feb24c #fd8d3c #f03b20 #bd0026",
        "#ffffb2 #fed976 #feb24c #fd8d3c #fc4e2a #e31a1c #b10026",
        "#ffffcc #ffeda0 #fed976 #feb24c #fd8d3c #fc4e2a #e31a1c #b10026",
        "#ffffcc #ffeda0 #fed976 #feb24c #fd8d3c #fc4e2a #e31a1c #bd0026 #800026",
    ),
    # matplotlib's colormap(np.linspace(0, 1, n)), reversed to run light -> dark.
    "viridis": _palette(
        "#fde725 #21918c #440154",
        "#fde725 #35b779 #31688e #440154",
        "#fde725 #5ec962 #21918c #3b528b #440154",
        "#fde725 #7ad151 #22a884 #2a788e #414487 #440154",
        "#fde725 #90d743 #35b779 #21918c #31688e #443983 #440154",
        "#fde725 #a0da39 #4ac16d #1fa187 #277f8e #365c8d #46327e #440154",
        "#fde725 #addc30 #5ec962 #28ae80 #21918c #2c728e #3b528b #472d7b #440154",
    ),
    "cividis": _palette(
        "#fee838 #7d7c78 #00224e",
        "#fee838 #a59c74 #575d6d #00224e",
        "#fee838 #bcae6c #7d7c78 #434e6c #00224e",
        "#fee838 #c8b866 #948e77 #666970 #35456c #00224e",
        "#fee838 #d2c060 #a59c74 #7d7c78 #575d6d #2a3f6d #00224e",
        "#fee838 #d9c55c #b1a570 #8e8978 #6c6e72 #4c556c #213b6e #00224e",
        "#fee838 #dec958 #bcae6c #9b9476 #7d7c78 #61656f #434e6c #1a386f #00224e",
    ),
}
"""Sequential palettes: name -> {number of classes (3..9) -> colours, light -> dark}."""

DIVERGING: Final[dict[str, Palette]] = {
    "PuOr": _palette(
        "#f1a340 #f7f7f7 #998ec3",
        "#e66101 #fdb863 #b2abd2 #5e3c99",
        "#e66101 #fdb863 #f7f7f7 #b2abd2 #5e3c99",
        "#b35806 #f1a340 #fee0b6 #d8daeb #998ec3 #542788",
        "#b35806 #f1a340 #fee0b6 #f7f7f7 #d8daeb #998ec3 #542788",
        "#b35806 #e08214 #fdb863 #fee0b6 #d8daeb #b2abd2 #8073ac #542788",
        "#b35806 #e08214 #fdb863 #fee0b6 #f7f7f7 #d8daeb #b2abd2 #8073ac #542788",
    ),
    "BrBG": _palette(
        "#d8b365 #f5f5f5 #5ab4ac",
        "#a6611a #dfc27d #80cdc1 #018571",
        "#a6611a #dfc27d #f5f5f5 #80cdc1 #018571",
        "#8c510a #d8b365 #f6e8c3 #c7eae5 #5ab4ac #01665e",
        "#8c510a #d8b365 #f6e8c3 #f5f5f5 #c7eae5 #5ab4ac #01665e",
        "#8c510a #bf812d #dfc27d #f6e8c3 #c7eae5 #80cdc1 #35978f #01665e",
        "#8c510a #bf812d #dfc27d #f6e8c3 #f5f5f5 #c7eae5 #80cdc1 #35978f #01665e",
    ),
    "RdBu": _palette(
        "#ef8a62 #f7f7f7 #67a9cf",
        "#ca0020 #f4a582 #92c5de #0571b0",
        "#ca0020 #f4a582 #f7f7f7 #92c5de #0571b0",
        "#b2182b #ef8a62 #fddbc7 #d1e5f0 #67a9cf #2166ac",
        "#b2182b #ef8a62 #fddbc7 #f7f7f7 #d1e5f0 #67a9cf #2166ac",
        "#b2182b #d6604d #f4a582 #fddbc7 #d1e5f0 #92c5de #4393c3 #2166ac",
        "#b2182b #d6604d #f4a582 #fddbc7 #f7f7f7 #d1e5f0 #92c5de #4393c3 #2166ac",
    ),
}
"""Diverging palettes: name -> {n (3..9) -> colours, warm/bad end first, cool/good last}."""

_DEFAULTS: Final = {
    "higher_better": "YlGnBu",
    "higher_worse": "YlOrRd",
    "neutral": "Purples",
}


def default_palette(direction: str) -> str:
    """Return the sequential palette for an indicator's direction.

    Parameters
    ----------
    direction : {"higher_better", "higher_worse", "neutral"}
        The indicator's ``direction``.

    Returns
    -------
    str
        ``YlGnBu`` (yellow-green-blue) when higher is better, ``YlOrRd`` when higher
        is worse (the darkest red is the most vulnerable), ``Purples`` for neutral.

    Raises
    ------
    ValueError
        For an unknown direction.
    """
    try:
        return _DEFAULTS[direction]
    except KeyError:
        raise ValueError(
            f"unknown direction {direction!r}; expected one of {', '.join(_DEFAULTS)}"
        ) from None


def colors(name: str, n: int) -> list[str]:
    """Return ``n`` colours of a sequential palette, light -> dark (low -> high value).

    Parameters
    ----------
    name : str
        A key of :data:`SEQUENTIAL`.
    n : int
        The number of classes, 1 or more.

    Returns
    -------
    list of str
        Hex colours. For 3..9 the published colours; for 1 the middle colour and for 2
        the two ends of the 3-class palette; above 9, colours interpolated in CIELAB
        along the 9-class palette.

    Raises
    ------
    ValueError
        For an unknown palette name or ``n`` below 1.
    """
    return _pick(_lookup(SEQUENTIAL, name, "sequential"), n)


def diverging_colors(name: str, n: int, direction: str) -> list[str]:
    """Return ``n`` colours for change classes, from most negative to most positive change.

    Parameters
    ----------
    name : str
        A key of :data:`DIVERGING`.
    n : int
        The number of classes, 1 or more (odd, with a neutral middle, for
        :func:`queries.classify.diverging_classes`).
    direction : {"higher_better", "higher_worse", "neutral"}
        The indicator's direction. An improvement is always drawn with the cool end
        (purple, teal, blue) and a decline with the warm end (orange, brown, red): when
        higher is better the last colour (largest increase) is cool; when higher is
        worse the palette is reversed so that the largest increase is warm. Neutral
        indicators are drawn as higher-is-better.

    Returns
    -------
    list of str
        Hex colours, chosen as in :func:`colors`.

    Raises
    ------
    ValueError
        For an unknown palette name or direction, or ``n`` below 1.
    """
    if direction not in _DEFAULTS:
        raise ValueError(
            f"unknown direction {direction!r}; expected one of {', '.join(_DEFAULTS)}"
        )
    picked = _pick(_lookup(DIVERGING, name, "diverging"), n)
    return picked[::-1] if direction == "higher_worse" else picked


def text_color(hex_color: str) -> Literal["#000000", "#ffffff"]:
    """Return black or white, whichever has the higher WCAG contrast on ``hex_color``.

    Parameters
    ----------
    hex_color : str
        ``#rrggbb`` or ``#rgb``.

    Returns
    -------
    str
        ``"#000000"`` or ``"#ffffff"``.

    Raises
    ------
    ValueError
        If ``hex_color`` is not a hex colour.
    """
    lum = relative_luminance(hex_color)
    on_black = (lum + 0.05) / 0.05
    on_white = 1.05 / (lum + 0.05)
    return "#000000" if on_black >= on_white else "#ffffff"


def relative_luminance(hex_color: str) -> float:
    """Return the WCAG 2 relative luminance (0 black .. 1 white) of ``hex_color``."""
    r, g, b = (_linear(c) for c in _rgb(hex_color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _lookup(table: dict[str, Palette], name: str, kind: str) -> Palette:
    try:
        return table[name]
    except KeyError:
        raise ValueError(
            f"unknown {kind} palette {name!r}; known: {', '.join(table)}"
        ) from None


def _pick(palette: Palette, n: int) -> list[str]:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"number of colours must be an integer of 1 or more, got {n!r}")
    if n in palette:
        return list(palette[n])
    if n == 1:
        return [palette[MIN_PUBLISHED][1]]
    if n == 2:
        smallest = palette[MIN_PUBLISHED]
        return [smallest[0], smallest[-1]]
    return _interpolate(palette[MAX_PUBLISHED], n)


def _rgb(hex_color: str) -> tuple[float, float, float]:
    """Return the sRGB channels of ``#rrggbb`` or ``#rgb`` as floats 0..1."""
    digits = hex_color[1:] if hex_color.startswith("#") else ""
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    try:
        if len(digits) != 6:
            raise ValueError
        values = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    except ValueError:
        raise ValueError(f"not a hex colour: {hex_color!r}; expected #rrggbb") from None
    return values[0], values[1], values[2]


def _linear(channel: float) -> float:
    """Undo the sRGB transfer curve (the WCAG 2 formula)."""
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def _gamma(channel: float) -> float:
    value = 12.92 * channel if channel <= 0.0031308 else 1.055 * channel ** (1 / 2.4) - 0.055
    return min(max(value, 0.0), 1.0)


# CIELAB with the D65 white point, for interpolation that looks even.
_WHITE = (0.95047, 1.0, 1.08883)
_RGB_TO_XYZ = ((0.4124564, 0.3575761, 0.1804375),
               (0.2126729, 0.7151522, 0.0721750),
               (0.0193339, 0.1191920, 0.9503041))
_XYZ_TO_RGB = ((3.2404542, -1.5371385, -0.4985314),
               (-0.9692660, 1.8760108, 0.0415560),
               (0.0556434, -0.2040259, 1.0572252))
_EPS = 216 / 24389
_KAPPA = 24389 / 27


def _to_lab(hex_color: str) -> tuple[float, float, float]:
    lin = [_linear(c) for c in _rgb(hex_color)]
    xyz = [sum(m * c for m, c in zip(row, lin, strict=True)) / w
           for row, w in zip(_RGB_TO_XYZ, _WHITE, strict=True)]
    fx, fy, fz = (t ** (1 / 3) if t > _EPS else (_KAPPA * t + 16) / 116 for t in xyz)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def _from_lab(lab: tuple[float, float, float]) -> str:
    big_l, a, b = lab
    fy = (big_l + 16) / 116
    fx, fz = fy + a / 500, fy - b / 200
    xyz = [(f ** 3 if f ** 3 > _EPS else (116 * f - 16) / _KAPPA) * w
           for f, w in zip((fx, fy, fz), _WHITE, strict=True)]
    rgb = [_gamma(sum(m * c for m, c in zip(row, xyz, strict=True))) for row in _XYZ_TO_RGB]
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def _interpolate(anchors: tuple[str, ...], n: int) -> list[str]:
    """Return ``n`` colours evenly spaced along ``anchors``, interpolated in CIELAB."""
    labs = [_to_lab(c) for c in anchors]
    out = []
    for i in range(n):
        t = i * (len(labs) - 1) / (n - 1)
        j = min(int(t), len(labs) - 2)
        f = t - j
        mixed = tuple(p + f * (q - p) for p, q in zip(labs[j], labs[j + 1], strict=True))
        out.append(_from_lab((mixed[0], mixed[1], mixed[2])))
    return out


def palette_colors(data: MapData) -> list[str]:
    """Return one colour per class, following the indicator's direction."""
    n = len(data.classes.counts)
    if n == 0:
        return []
    direction = data.indicator.direction
    if data.method == "perubahan":
        return diverging_colors(data.view.palet or "PuOr", n, direction)
    name = data.view.palet or default_palette(direction)
    try:
        return colors(name, n)
    except ValueError:
        return colors(default_palette(direction), n)
