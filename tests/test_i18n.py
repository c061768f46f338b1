"""The translation catalogue: every key used exists in both languages; number formats."""

from __future__ import annotations

import ast
import pickle
import re
import string

import pytest

from auth.scope import ROLES
from i18n import TEXTS, Message, format_number, pick_language, t, text_of
from ingest import entry
from settings import PROJECT_ROOT

SOURCES = [p for folder in ("pages", "components", "ingest")
           for p in (PROJECT_ROOT / folder).glob("*.py")]
SOURCES += [PROJECT_ROOT / "app.py"]
WRITE_PATH = [PROJECT_ROOT / "ingest" / "entry.py", PROJECT_ROOT / "ingest" / "upload.py"]


def used_keys() -> set[str]:
    pattern = re.compile(r"""\b(?:t|Message)\(\s*f?["']([a-z_.]+)["']""")
    return {key for path in SOURCES for key in pattern.findall(path.read_text())}


def message_calls() -> list[tuple[str, str, set[str]]]:
    """Every ``Message(...)`` of the write path: (where, key or "" if not literal, fields)."""
    calls = []
    for path in WRITE_PATH:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "Message"):
                continue
            first = node.args[0]
            key = first.value if isinstance(first, ast.Constant) else ""
            assert all(k.arg for k in node.keywords), f"{path.name}:{node.lineno}: **values"
            calls.append((f"{path.name}:{node.lineno}", key, {str(k.arg) for k in node.keywords}))
    return calls


def test_every_literal_key_exists_in_both_languages() -> None:
    keys = used_keys()
    assert len(keys) > 30
    missing = sorted(k for k in keys if k not in TEXTS and not k.endswith("."))
    assert missing == []
    for key, texts in TEXTS.items():
        assert set(texts) == {"id", "en"}, key
        assert texts["id"] and texts["en"], key


def test_every_write_path_message_renders_in_both_languages() -> None:
    calls = message_calls()
    assert len(calls) > 60
    for where, key, fields in calls:
        if not key:  # a key built from a value: checked below, family by family
            continue
        assert key in TEXTS, where
        used: set[str] = set()
        for lang in ("id", "en"):
            template = TEXTS[key][lang]
            names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
            assert names <= fields, (where, lang, names - fields)
            used |= names
            assert t(key, lang, **dict.fromkeys(fields, 1))  # conversions and formats work
        assert used == fields, (where, fields - used)  # no value given for nothing
    source = (PROJECT_ROOT / "ingest" / "entry.py").read_text()
    actions = set(re.findall(r'action="([a-z]+)"', source))
    assert actions == {"submit", "verify", "reject", "withdraw"}
    families = [f"status.{s}" for s in entry.STATUSES] + [f"role.{r}" for r in ROLES]
    for key in families + [f"entry.action.{a}" for a in actions]:
        assert key in TEXTS, key


def test_message_renders_nested_values_per_language() -> None:
    msg = Message("entry.wrong_status", action=Message("entry.action.verify"),
                  status=Message("status.draft"),
                  allowed=(Message("status.submitted"), Message("status.verified")))
    assert msg.text("id") == ("tidak dapat memverifikasi nilai berstatus Draf (status yang "
                              "boleh: Diajukan, Diverifikasi)")
    assert str(msg) == msg.text("en") == (
        "cannot verify a value with status Draft (allowed: Submitted, Verified)")
    assert msg.text("fr") == msg.text("id")  # an unknown language falls back to Indonesian
    assert pickle.loads(pickle.dumps(msg)) == msg and hash(msg) == hash(
        Message("entry.wrong_status", action=Message("entry.action.verify"),
                status=Message("status.draft"),
                allowed=(Message("status.submitted"), Message("status.verified"))))
    assert msg != Message("entry.wrong_status")
    assert repr(Message("entry.unknown_code", code="99")) == (
        "Message('entry.unknown_code', code='99')")
    assert text_of(Message("entry.unknown_code", code="99"), "id") == (
        "kode wilayah '99' tidak dikenal")
    assert text_of("as it is", "en") == "as it is"


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
