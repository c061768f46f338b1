"""Translation catalogue and number formatting: Bahasa Indonesia first, English second.

Every user-facing text goes through :func:`t`. The chosen language lives in the
``lang`` cookie, set by the switch in the header.

The texts live beside this module, one TOML file per area (``map.toml``,
``upload.toml``, ...). An entry is a key with one ``str.format`` template per
language::

    ["peta.error.kode"]
    id = "Kode wilayah '{kode}' tidak dikenal; ditampilkan peta nasional."
    en = "Unknown region code '{kode}'; showing the national map."

A text that counts something has one template per plural category of each
language (:data:`PLURAL_CATEGORIES`), and the count ``n`` picks it::

    ["unggah.saved"]
    id.other = "{n} nilai tersimpan sebagai draf."
    en.one = "{n} value saved as a draft."
    en.other = "{n} values saved as drafts."

``tests/test_i18n.py`` checks that every key the code uses is here, that no key
is unused, and that every language's templates have the same ``{fields}``.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

LANGUAGES = ("id", "en")
COOKIE = "lang"
CATALOGUE_DIR = Path(__file__).parent
#: The CLDR plural categories each language writes differently (see :func:`plural_category`).
PLURAL_CATEGORIES: dict[str, tuple[str, ...]] = {"id": ("other",), "en": ("one", "other")}

Text = str | dict[str, str]
"""A template, or one template per plural category."""


class CatalogueError(ValueError):
    """A translation file breaks the format; the message names the file and the key."""


def load_catalogue(folder: Path = CATALOGUE_DIR) -> dict[str, dict[str, Text]]:
    """Return the entries of every ``*.toml`` file in ``folder``, by key.

    Raises
    ------
    CatalogueError
        If a key is in two files, an entry lacks a language or has another one, has
        plural forms in some languages only, or its plural forms are not exactly
        the categories of their language.
    """
    texts: dict[str, dict[str, Text]] = {}
    homes: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as file:
            entries = tomllib.load(file)
        for key, entry in entries.items():
            where = f"{path.name}: {key!r}"
            if key in texts:
                raise CatalogueError(f"{where} is also in {homes[key]}")
            _check_entry(entry, where)
            texts[key], homes[key] = entry, path.name
    return texts


def _check_entry(entry: object, where: str) -> None:
    if not isinstance(entry, dict) or sorted(entry) != sorted(LANGUAGES):
        raise CatalogueError(f"{where}: expected one text per language {LANGUAGES}, "
                             f"got {entry!r}")
    plural = {isinstance(text, dict) for text in entry.values()}
    if len(plural) > 1:
        raise CatalogueError(f"{where}: plural forms in some languages only")
    for lang, text in entry.items():
        forms = text if isinstance(text, dict) else {"": text}
        expected = PLURAL_CATEGORIES[lang] if isinstance(text, dict) else ("",)
        if sorted(forms) != sorted(expected):
            raise CatalogueError(f"{where}: {lang} has the plural forms {sorted(forms)}, "
                                 f"expected {list(expected)}")
        if not all(isinstance(form, str) and form for form in forms.values()):
            raise CatalogueError(f"{where}: {lang} is not a text, or empty")


TEXTS: Mapping[str, Mapping[str, Text]] = MappingProxyType(load_catalogue())


def plural_category(n: float, lang: str) -> str:
    """Return the CLDR plural category of the count ``n`` in ``lang``.

    Indonesian writes every count alike (``other``); English has ``one`` for
    exactly 1 and ``other`` for every other count (0, 2, 1.5).
    """
    return "one" if lang == "en" and n == 1 else "other"


def t(key: str, lang: str = "id", **values: object) -> str:
    """Return the text for ``key`` in ``lang``, with ``{name}`` fields filled in.

    A text with plural forms takes the form of the count ``n``:
    ``t("unggah.saved", "en", n=1)`` is ``"1 value saved as a draft."``. An unknown
    language falls back to Indonesian.

    Raises
    ------
    KeyError
        If ``key`` is not in the catalogue (a test checks every key used exists).
    TypeError
        If the text has plural forms and no count ``n`` is given.
    """
    lang = lang if lang in LANGUAGES else LANGUAGES[0]
    text = TEXTS[key][lang]
    if isinstance(text, dict):
        count = values.get("n")
        if not isinstance(count, int | float):
            raise TypeError(f"{key!r} has plural forms: give the count as n=, got {count!r}")
        text = text[plural_category(count, lang)]
    return text.format(**values) if values else text


@dataclass(frozen=True, init=False)
class Message:
    """A catalogue text not rendered yet: its key and the values of its fields.

    Code below the pages (the write path) raises and returns these instead of
    English strings, and a page renders them in the user's language. A value may
    itself be a :class:`Message` (rendered in the same language) or a tuple of
    values (rendered and joined with ``", "``); a count ``n`` picks the plural form,
    as in :func:`t`. ``str(message)`` is the English text, for logs, the command
    line and tests. Immutable, hashable and picklable, so a message can sit in a
    frozen dataclass kept in the server cache.

    Examples
    --------
    >>> msg = Message("peta.error.kode", kode="99")
    >>> msg.text("id")
    "Kode wilayah '99' tidak dikenal; ditampilkan peta nasional."
    >>> str(msg)
    "Unknown region code '99'; showing the national map."
    """

    key: str
    values: tuple[tuple[str, object], ...]

    def __init__(self, key: str, /, **values: object) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "values", tuple(values.items()))

    def text(self, lang: str = "id") -> str:
        """Return the text in ``lang``, with every field filled in."""
        return t(self.key, lang, **{name: _render(v, lang) for name, v in self.values})

    def __str__(self) -> str:
        return self.text("en")

    def __repr__(self) -> str:
        fields = "".join(f", {name}={value!r}" for name, value in self.values)
        return f"Message({self.key!r}{fields})"


class MessageError(ValueError):
    """An error whose :class:`Message` a page shows in the user's language.

    ``error.message`` is the message; ``str(error)`` is its English text.
    """

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def _render(value: object, lang: str) -> object:
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, tuple):
        return ", ".join(str(_render(v, lang)) for v in value)
    return value


def text_of(value: Message | str, lang: str = "id") -> str:
    """Return a :class:`Message` rendered in ``lang``, or a plain string as it is."""
    return value.text(lang) if isinstance(value, Message) else value


def format_number(value: float | None, decimals: int = 2, lang: str = "id") -> str:
    """Format a number the way the language writes it: ``79,81`` / ``431.465`` in Indonesian.

    Missing values come back as the "no data" text, never as zero.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("missing", lang)
    text = f"{value:,.{decimals}f}"
    if lang == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def pick_language(cookie_value: str | None, default: str = "id") -> str:
    """Return a supported language from a cookie value, else ``default``."""
    return cookie_value if cookie_value in LANGUAGES else default
