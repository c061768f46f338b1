r"""Text and numbers typed by people, normalised once at the edge whichever door they use.

Every door that stores typed text passes it through :func:`clean_text` (the entry grid's
reasons and comments, uploaded and imported files, names and usernames of accounts),
and every typed number through :func:`parse_number` (the grid and the files). The
rules are decided here only.

Text
    Stored in Unicode NFC, the composed form (``e`` + U+0301 becomes ``é``), so that
    the same word is always the same string. Refused, with a message naming the field,
    the character and its position: control characters (C0, U+0000 to U+001F, DEL
    U+007F and C1, U+0080 to U+009F), which no one types and which break exports and
    PostgreSQL (NUL); lone surrogates, which are not characters; and the noncharacters
    U+FDD0 to U+FDEF and the last two code points of every plane (U+FFFE, U+FFFF,
    U+1FFFE, ...). Multi-line text (reasons, comments, notes) may hold tabs and line
    breaks; a carriage return, alone or before a line break (a Windows line end),
    becomes one line break there.
Numbers
    ASCII digits, an optional sign, and one decimal point *or* one decimal comma
    (``79.81`` and ``79,81`` are both 79.81). Refused: thousands separators and several
    decimal marks (``1.234,5``: to an Indonesian reader ``1.234`` is a thousand), other
    digits than 0 to 9 (``٥٥``, ``５５``), exponents (``1e-400``), words (``inf``,
    ``nan``), a number too large for a double and one so small it would be stored as 0.
"""

from __future__ import annotations

import re
import unicodedata

from i18n import Message, MessageError

_REFUSED = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane + 0xFFFE)}{chr(plane + 0xFFFF)}" for plane in range(0, 0x110000,
                                                                               0x10000))
    + "]")
_LINE_CHARACTERS = "\t\n"
_KINDS = {"Cc": "text.control", "Cs": "text.surrogate"}  # else a noncharacter
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)")
_GROUPED = re.compile(r"[+-]?[0-9.,\s]+", re.ASCII)  # with a digit: thousands separators


class TextError(MessageError):
    """Typed text that cannot be stored.

    ``message`` names the field and the problem; ``problem`` is the problem alone, for
    a caller that names the place itself (a file's row and column).
    """

    def __init__(self, field: str | Message, problem: Message) -> None:
        super().__init__(Message("text.in_field", field=field, problem=problem))
        self.problem = problem


class NumberError(MessageError):
    """Typed text that is not a number by the rules above; ``message`` says why."""


def clean_text(text: str, field: str | Message, *, multiline: bool = False) -> str:
    r"""Return ``text`` in NFC, or refuse a character that has no place in stored text.

    Parameters
    ----------
    text
        The text as typed, uploaded or received.
    field
        What the text is, for the message: a column name, or a catalogue text such as
        ``Message("isian.reason")``.
    multiline
        Whether the text may hold tabs and line breaks (a reason, a comment, a note);
        carriage returns then become line breaks.

    Returns
    -------
    str
        The text in Unicode NFC, otherwise as given (not stripped).

    Raises
    ------
    TextError
        If the text holds a control character (other than a tab or line break in
        multi-line text), a lone surrogate or a noncharacter; the message names the
        field, the first such character (``U+0001``) and its position (from 1).

    Examples
    --------
    >>> clean_text("Cafe\u0301", "name")
    'Café'
    >>> clean_text("baris 1\r\nbaris 2", "reason", multiline=True)
    'baris 1\nbaris 2'
    """
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for found in _REFUSED.finditer(text):
        char = found.group()
        if multiline and char in _LINE_CHARACTERS:
            continue
        kind = _KINDS.get(unicodedata.category(char), "text.noncharacter")
        raise TextError(field, Message("text.refused", char=f"U+{ord(char):04X}",
                                       position=found.start() + 1, kind=Message(kind)))
    return unicodedata.normalize("NFC", text)


def parse_number(text: str) -> float:
    """Return the number written in ``text`` (stripped of surrounding spaces).

    Raises
    ------
    NumberError
        If ``text`` breaks the rules of the module's "Numbers"; the message says what
        to write instead.

    Examples
    --------
    >>> parse_number("79,81"), parse_number("-0.5"), parse_number("+70")
    (79.81, -0.5, 70.0)
    """
    text = text.strip()
    if _NUMBER.fullmatch(text):
        value = float(text.replace(",", "."))
        if value in (float("inf"), float("-inf")):
            raise NumberError(Message("upload.not_finite", text=text))
        if value == 0 and text.strip("+-0.,"):
            raise NumberError(Message("number.underflow", text=text))
        return value
    if any(char.isdecimal() and not char.isascii() for char in text):
        raise NumberError(Message("number.digits", text=text))
    if _GROUPED.fullmatch(text) and re.search("[0-9]", text):
        raise NumberError(Message("upload.thousands", text=text))
    raise NumberError(Message("upload.not_number", text=text))
