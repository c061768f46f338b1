"""Request parameters: one error for input no page sends, and the checks that raise it.

A callback's arguments and an export's query string come from the client, which may send
anything. Each parser here takes the parameter's name (a query parameter, or a
callback's ``component-id.property``) and its raw value, and returns the value in its
Python form or raises :class:`ParameterError`, which the app answers with 400 and a
message naming the parameter and what was expected (:mod:`app`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from geodata.registry import Registry
from i18n import Message, text_of
from queries.catalogue import Indicator

MAX_TEXT = 2000  # characters of any free text a request carries (a reason, a search)
_SHOWN = 80  # characters of a bad value repeated in the answer


class ParameterError(ValueError):
    """A request parameter that cannot be used: the request is answered with 400.

    ``expected`` is a text (a list of choices) or a :class:`i18n.Message` describing
    the values the parameter takes.
    """

    def __init__(self, name: str, value: object, expected: str | Message) -> None:
        super().__init__(f"{name}={_shown(value)}: expected {text_of(expected, 'en')}")
        self.name, self.value, self.expected = name, value, expected

    def text(self, lang: str) -> str:
        """Return the message in ``lang``: the parameter, its value and what it takes."""
        return Message("request.parameter", name=self.name, value=_shown(self.value),
                       expected=text_of(self.expected, lang)).text(lang)


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def choice(name: str, value: object, choices: Collection[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ParameterError(name, value, ", ".join(choices))
    return value


def optional_choice(name: str, value: object, choices: Collection[str]) -> str | None:
    """Return ``value`` if it is one of ``choices``; None for None or an empty text."""
    return None if value in (None, "") else choice(name, value, choices)


def integer(name: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """Return an integer given as a JSON integer or as ASCII digits, within ``low``-``high``.

    A whole float (``2024.0``, as some inputs send numbers) counts as its integer.
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.isascii() and value.removeprefix("-").isdigit():
        value = int(value)
    if (not isinstance(value, int) or isinstance(value, bool)
            or (low is not None and value < low) or (high is not None and value > high)):
        raise ParameterError(name, value, Message("request.expected.integer", low=(
            "-∞" if low is None else low), high="∞" if high is None else high))
    return value


def optional_integer(name: str, value: object, low: int | None = None,
                     high: int | None = None) -> int | None:
    """Return :func:`integer` of ``value``; None for None or an empty text."""
    return None if value in (None, "") else integer(name, value, low, high)


def number(name: str, value: object) -> float:
    """Return a finite JSON number."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise ParameterError(name, value, Message("request.expected.number"))
    return float(value)


def text(name: str, value: object, limit: int = MAX_TEXT) -> str:
    """Return a text of at most ``limit`` characters; None counts as the empty text."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise ParameterError(name, value, Message("request.expected.text", limit=limit))
    return value


def boolean(name: str, value: object) -> bool:
    """Return a JSON boolean."""
    if not isinstance(value, bool):
        raise ParameterError(name, value, "true, false")
    return value


def mapping(name: str, value: object) -> Mapping[str, Any]:
    """Return a JSON object."""
    if not isinstance(value, dict):
        raise ParameterError(name, value, Message("request.expected.object"))
    return value


def indicator(name: str, value: object, catalogue: Mapping[str, Indicator]) -> Indicator:
    """Return the catalogue's indicator ``value``."""
    return catalogue[choice(name, value, catalogue)]


def period(name: str, value: object, periods: Sequence[int]) -> int:
    """Return the period ``value``, given as a number or its digits, if it is in ``periods``.

    ``periods``: an indicator's ``shown_periods`` for what a view shows, its ``periods``
    for what is open for entry.
    """
    found = integer(name, value)
    if found not in periods:
        raise ParameterError(name, value, ", ".join(map(str, periods)))
    return found


def region(name: str, value: object, registry: Registry) -> str:
    """Return the Kemendagri region code ``value`` if the registry has it."""
    if not isinstance(value, str) or value not in registry:
        raise ParameterError(name, value, Message("request.expected.kode"))
    return value


def entry_rows(name: str, value: object) -> list[dict[str, Any]]:
    """Return rows of the entry grid: JSON objects with a ``code`` text and a ``version``.

    ``version`` (the version a row was shown at) is an integer from 1, or None for a
    region without a value yet; it is returned as an ``int``. Other keys pass unchanged.
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParameterError(name, value, Message("request.expected.rows"))
    rows = []
    for row in value:
        if not isinstance(row, dict) or not isinstance(row.get("code"), str):
            raise ParameterError(name, row, Message("request.expected.rows"))
        rows.append({**row, "version": optional_integer(f"{name}.version", row.get("version"),
                                                        low=1)})
    return rows
