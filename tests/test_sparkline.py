"""The side panel's trend chart, drawn as inline SVG."""

from __future__ import annotations

import re
from urllib.parse import unquote

from components.sparkline import sparkline, svg


def test_lines_points_and_gaps() -> None:
    region = [(2019, 70.0), (2020, None), (2021, 74.0), (2022, 76.0)]
    national = [(2019, 72.0), (2020, 73.0), (2021, 73.5), (2022, 74.0)]
    text = svg(region, national, region_name="Jawa Barat", decimals=2, lang="id")
    assert text.startswith("<svg") and text.endswith("</svg>")
    # The region's gap in 2020 splits its line; the national line is whole.
    assert text.count("<polyline") == 2
    assert text.count("<circle") == 3 + 4
    assert "Jawa Barat" in text and "Indonesia" in text
    assert re.search(r">7\d,\d<", text), "axis labels use a decimal comma in Indonesian"


def test_no_data_gives_no_chart() -> None:
    assert svg([(2019, None)], [], region_name="x", decimals=2, lang="en") == ""
    assert sparkline([], [], region_name="x", decimals=2, lang="en", alt="a") is None


def test_image_has_alt_text_and_escapes_names() -> None:
    img = sparkline([(2019, 1.0), (2020, 2.0)], [(2019, 1.5)], region_name="A & <B>",
                    decimals=1, lang="en", alt="trend of A")
    assert img is not None and img.alt == "trend of A"
    assert "A &amp; &lt;B&gt;" in unquote(img.src)


def test_simulated_points_are_hollow() -> None:
    region = [(2019, 70.0), (2020, 71.0), (2021, 74.0)]
    national = [(2019, 72.0), (2020, 73.0), (2021, 73.5)]
    text = svg(region, national, region_name="Aceh", decimals=2, lang="id",
               simulated=({2020, 2021}, {2021}))
    hollow = re.findall(r'<circle [^>]*fill="#ffffff"[^>]*stroke="(#\w+)"', text)
    assert sorted(hollow) == sorted(["#364fc7", "#364fc7", "#868e96"])
    assert text.count("<circle") == 6
