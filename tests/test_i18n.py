"""The translation catalogue: every key used exists in both languages; number formats."""

from __future__ import annotations

import re

import pytest

from i18n import TEXTS, format_number, pick_language, t
from settings import PROJECT_ROOT

SOURCES = [p for folder in ("pages", "components") for p in (PROJECT_ROOT / folder).glob("*.py")]
SOURCES += [PROJECT_ROOT / "app.py"]


def used_keys() -> set[str]:
    pattern = re.compile(r"""\bt\(\s*f?["']([a-z_.]+)["']""")
    return {key for path in SOURCES for key in pattern.findall(path.read_text())}


def test_every_literal_key_exists_in_both_languages() -> None:
    keys = used_keys()
    assert len(keys) > 30
    missing = sorted(k for k in keys if k not in TEXTS and not k.endswith("."))
    assert missing == []
    for key, texts in TEXTS.items():
        assert set(texts) == {"id", "en"}, key
        assert texts["id"] and texts["en"], key


def test_dynamic_key_families_are_complete() -> None:
    for family in ("peta.method.kategori", "peta.method.kuantil", "peta.method.jenks",
                   "peta.method.interval", "peta.method.perubahan", "peta.show.nilai",
                   "peta.show.perubahan", "peta.level.provinsi", "peta.level.kabkota",
                   "peta.level.kecamatan"):
        assert family in TEXTS


@pytest.mark.parametrize(("value", "decimals", "lang", "text"), [
    (79.81, 2, "id", "79,81"), (79.81, 2, "en", "79.81"), (431465, 0, "id", "431.465"),
    (431465, 0, "en", "431,465"), (1234.5, 1, "id", "1.234,5"), (None, 2, "id",
                                                                  "Data tidak tersedia"),
    (float("nan"), 2, "en", "No data"),
])
def test_numbers(value: float | None, decimals: int, lang: str, text: str) -> None:
    assert format_number(value, decimals, lang) == text


def test_language_choice_and_fields() -> None:
    assert pick_language("en") == "en"
    assert pick_language("fr") == "id"
    assert pick_language(None, "en") == "en"
    assert t("peta.error.kode", "en", kode="99") == (
        "Unknown region code '99'; showing the national map.")
    with pytest.raises(KeyError):
        t("no.such.key")
