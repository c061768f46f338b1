"""The translation catalogue: every key the code uses exists in both languages and every
key is used; plural forms; the catalogue files; number formats.

The code uses a key where it writes it as a string (a call's argument, `nav_key=`, a
tuple of keys, a message held as data: any string shaped like a key in a namespace of
the catalogue), where a translator is called with it (`t("missing")`), and where it
puts one of the suffixes listed in FAMILIES after a prefix (`t(f"status.{s}")`).
"""

from __future__ import annotations

import ast
import functools
import pickle
import re
import string
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from auth.scope import ROLES
from geodata.registry import MAP_LEVELS
from i18n import (
    LANGUAGES,
    PLURAL_CATEGORIES,
    TEXTS,
    CatalogueError,
    Message,
    format_number,
    load_catalogue,
    pick_language,
    plural_category,
    t,
    text_of,
)
from ingest.entry import ACTIONS, STATUSES
from ingest.upload import STATUSES as UPLOAD_STATUSES
from lake.streams import STREAMS
from queries.catalogue import DIRECTIONS
from queries.classify import METHODS
from queries.indicators import CHANGE_REASONS
from queries.provenance import KINDS
from settings import PROJECT_ROOT

# Calls whose first argument is a key, with the prefix the callee puts before it
# (ingest/upload/template.py's `_text("help", lang)` reads "upload.help").
TRANSLATORS = {"t": "", "translate": "", "Message": "", "_text": "upload."}
# Keys built from a prefix (`t(f"status.{s}")`, `key.startswith("signin.")`): every
# suffix the code can put after it.
FAMILIES: dict[str, tuple[str, ...]] = {
    "status.": STATUSES,
    "role.": ROLES,
    "direction.": DIRECTIONS,
    "level.": ("nasional", "provinsi", "kabkota", "kecamatan"),  # the entry page's rows
    "isian.": ACTIONS,  # the entry page's buttons
    "entry.action.": ("submit", "verify", "reject", "withdraw"),  # ingest/entry.py
    "unggah.status.": UPLOAD_STATUSES,
    "peta.level.": MAP_LEVELS,
    "peta.method.": (*METHODS, "perubahan"),
    "peta.show.": ("nilai", "perubahan"),
    "peta.tt.": ("value", "category", "rank", "of", "change", "source", "missing"),
    "peta.reason.": CHANGE_REASONS,
    "provenance.": KINDS,  # queries/provenance.py: label
    "provenance.count.": ("official", "simulated", "missing"),  # provenance_counts
    # auth/web.py takes every "signin." text; its forms and the sign-in's reasons pick one.
    "signin.": ("title", "username", "password", "submit", "wrong", "locked", "csrf",
                "change", "current", "current_wrong", "new", "again", "must", "mismatch",
                "policy"),
    "catatan.stream.": tuple(STREAMS),  # pages/records.py
    "catatan.col.": tuple({c for s in STREAMS.values() for c in s.schema}),
    "upload.": (),  # the `_text` helper itself: its calls are read through TRANSLATORS
}
# Strings shaped like keys (or prefixes) that are something else: audit log actions.
NOT_KEYS = {"signin.failed", "signin.throttled", "signin.unlock", "request.refused",
            "upload.apply", "entry.", "catatan.csv"}
KEY = re.compile(r"[a-z][a-z_]*(?:\.[a-z_]+)+")
PREFIX = re.compile(r"[a-z][a-z_]*(?:\.[a-z_]+)*\.")
NAMESPACES = {key.split(".")[0] for key in TEXTS}


@functools.cache
def sources() -> tuple[tuple[str, ast.Module], ...]:
    """Every Python file of the application, parsed: the modules and packages pyproject.toml
    ships (tests/test_deploy.py checks that those are all the code outside tests/)."""
    setup = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = [PROJECT_ROOT.joinpath(*name.split(".")) for name in setup["packages"]]
    paths = [*(PROJECT_ROOT / f"{name}.py" for name in setup["py-modules"]),
             *(path for folder in packages for path in sorted(folder.glob("*.py")))]
    return tuple((str(path.relative_to(PROJECT_ROOT)), ast.parse(path.read_text()))
                 for path in paths)


def strings(tree: ast.AST) -> Iterator[ast.Constant]:
    """Every string in the code, the literal parts of f-strings included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node


def translator_calls(tree: ast.AST) -> Iterator[tuple[ast.Call, str]]:
    """Every call of a translator with a literal key: (the call, the key)."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in TRANSLATORS and node.args
                and isinstance(node.args[0], ast.Constant)):
            yield node, TRANSLATORS[node.func.id] + str(node.args[0].value)


@functools.cache
def used_keys() -> tuple[dict[str, str], set[str]]:
    """Return every key the code uses (with where) and every key prefix it builds on."""
    keys: dict[str, str] = {}
    prefixes: set[str] = set()
    for where, tree in sources():
        for node in strings(tree):
            if node.value.split(".")[0] not in NAMESPACES or node.value in NOT_KEYS:
                continue
            if KEY.fullmatch(node.value):
                keys.setdefault(node.value, f"{where}:{node.lineno}")
            elif PREFIX.fullmatch(node.value):
                prefixes.add(node.value)
        for call, key in translator_calls(tree):
            keys.setdefault(key, f"{where}:{call.lineno}")
    for prefix in prefixes & set(FAMILIES):
        for suffix in FAMILIES[prefix]:
            keys.setdefault(prefix + suffix, f"family {prefix}")
    return keys, prefixes


def fields(template: str, lang: str = "") -> set[str]:
    """The ``{fields}`` of a template; ``{unit_en}`` in English counts as ``{unit}``."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return {name.removesuffix(f"_{lang}") for name in names} if lang else names


def templates(key: str) -> Iterator[tuple[str, str, str]]:
    """Every template of ``key``: (language, plural category or "", template)."""
    for lang, text in TEXTS[key].items():
        forms = text if isinstance(text, dict) else {"": text}
        for category, template in forms.items():
            yield lang, category, template


def test_every_key_the_code_uses_exists() -> None:
    keys, prefixes = used_keys()
    assert {k: where for k, where in keys.items() if k not in TEXTS} == {}
    assert prefixes == set(FAMILIES)  # a new family needs its suffixes listed above
    # A key of each kind of use: nav_key=, a one-word key, export/, auth/, a message held
    # as data in queries/, ingest/upload/template.py's helper.
    assert {"nav.peta", "missing", "export.meta.audit", "signin.locked", "policy.min",
            "peta.error.tingkat", "upload.help"} <= set(keys)


def test_every_key_in_the_catalogue_is_used() -> None:
    keys, _ = used_keys()
    assert sorted(set(TEXTS) - set(keys)) == []


def test_languages_have_the_same_fields() -> None:
    for key in TEXTS:
        found = {(lang, form): fields(template, lang) for lang, form, template in templates(key)}
        assert len(set(map(frozenset, found.values()))) == 1, (key, found)
        for lang, form, template in templates(key):  # formats and conversions work
            assert template.format(**dict.fromkeys(fields(template), 1)), (key, lang, form)


def test_every_call_gives_the_fields_of_its_text() -> None:
    checked = 0
    for where, tree in sources():
        for call, key in translator_calls(tree):
            names = {k.arg for k in call.keywords}
            if None in names:  # **values: not known here
                continue
            names.discard("lang")
            expected = {name for *_, template in templates(key) for name in fields(template)}
            if isinstance(TEXTS[key]["id"], dict):
                expected.add("n")  # the count picks the plural form
            assert names == expected, f"{where}:{call.lineno}: {key}"
            checked += 1
    assert checked > 250


@pytest.mark.parametrize(("lang", "n", "text"), [
    ("en", 1, "1 value saved as a draft."), ("en", 0, "0 values saved as drafts."),
    ("en", 2, "2 values saved as drafts."), ("en", 21, "21 values saved as drafts."),
    ("id", 1, "1 nilai tersimpan sebagai draf."), ("id", 2, "2 nilai tersimpan sebagai draf."),
    ("fr", 1, "1 nilai tersimpan sebagai draf."),
])
def test_the_count_picks_the_plural_form(lang: str, n: int, text: str) -> None:
    assert t("unggah.saved", lang, n=n) == text


def test_plural_messages_and_nested_counts() -> None:
    assert str(Message("upload.has_problems", filename="isian.csv", n=1)) == (
        "isian.csv: 1 problem; fix the file and upload it again; nothing was saved")
    cells = Message("upload.cell_count", cells=Message("upload.cells", n=1),
                    columns=Message("upload.columns", n=7))
    assert str(cells).startswith("1 cell, but the header has 7 columns;")
    assert cells.text("id").startswith("1 sel, padahal baris judul punya 7 kolom;")
    with pytest.raises(TypeError, match="unggah.saved"):
        t("unggah.saved", "en")


def test_each_language_rule_gives_exactly_its_categories() -> None:
    for lang in LANGUAGES:
        assert {plural_category(n, lang) for n in range(200)} == set(PLURAL_CATEGORIES[lang])
    assert [plural_category(n, "en") for n in (0, 1, 2, 11, 101)] == [
        "other", "one", "other", "other", "other"]


@pytest.mark.parametrize(("files", "error"), [
    ({"a.toml": '["x.y"]\nid = "A"\nen = "A"\n', "b.toml": '["x.y"]\nid = "B"\nen = "B"\n'},
     "b.toml: 'x.y' is also in a.toml"),
    ({"a.toml": '["x.y"]\nid = "A"\n'}, "a.toml: 'x.y': expected one text per language"),
    ({"a.toml": '["x.y"]\nid = "A"\nen = "A"\nfr = "A"\n'}, "expected one text per language"),
    ({"a.toml": '["x.y"]\nid = "{n} A"\nen.one = "{n} A"\nen.other = "{n} As"\n'},
     "plural forms in some languages only"),
    ({"a.toml": '["x.y"]\nid.other = "{n} A"\nen.other = "{n} As"\n'},
     "en has the plural forms ['other'], expected ['one', 'other']"),
    ({"a.toml": '["x.y"]\nid.one = "A"\nid.other = "A"\nen.one = "A"\nen.other = "As"\n'},
     "id has the plural forms ['one', 'other'], expected ['other']"),
    ({"a.toml": '["x.y"]\nid = ""\nen = "A"\n'}, "a.toml: 'x.y': id is not a text, or empty"),
    ({"a.toml": '["x.y"]\nid = 1\nen = "A"\n'}, "id is not a text, or empty"),
])
def test_a_broken_catalogue_file_is_refused(tmp_path: Path, files: dict[str, str],
                                            error: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(CatalogueError, match=re.escape(error)):
        load_catalogue(tmp_path)


def test_catalogue_files_join_into_one(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('["x.y"]\nid = "A"\nen = "A"\n')
    (tmp_path / "b.toml").write_text('["x.z"]\nid.other = "{n} B"\nen.one = "{n} B"\n'
                                     'en.other = "{n} Bs"\n')
    assert load_catalogue(tmp_path) == {
        "x.y": {"id": "A", "en": "A"},
        "x.z": {"id": {"other": "{n} B"}, "en": {"one": "{n} B", "other": "{n} Bs"}}}


def test_the_catalogue_loads_from_any_working_directory(tmp_path: Path) -> None:
    shown = subprocess.run([sys.executable, "-c", "from i18n import t; print(t('nav.peta', 'en'))"],
                           cwd=tmp_path, check=True, capture_output=True, text=True).stdout
    assert shown == "Map\n"


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
