"""Validation of free text typed by users (names, descriptions, labels)."""

from __future__ import annotations

import functools
import math
import re
import unicodedata

from .errors import ValidationFailed

# Line breaks and tabs are text; other control characters (NUL above all, which
# PostgreSQL refuses to store) are not.
ALLOWED_CONTROL = frozenset("\n\r\t")
# Characters that make a one-line name look other than it is: line and paragraph separators,
# bidirectional overrides, embeddings, isolates and marks (which can reverse what a reader
# sees), and zero-width characters (which make two names look the same).
LINE_SEPARATORS = frozenset("\u2028\u2029\x85")
BIDI_CONTROLS = frozenset(
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u180e")
_WHITESPACE = re.compile(r"\s+")


def has_control_characters(value: str, *, multiline: bool = True) -> bool:
    """Whether ``value`` holds a control character a person would not type.

    >>> has_control_characters("E. coli\\tK-12"), has_control_characters("bad\\x00name")
    (False, True)
    """
    allowed = ALLOWED_CONTROL if multiline else frozenset()
    return any((ord(ch) < 32 or 127 <= ord(ch) < 160) and ch not in allowed for ch in value)


def has_lone_surrogate(value: str) -> bool:
    """Whether ``value`` holds a UTF-16 surrogate, which no UTF-8 text (or database) can hold.

    >>> has_lone_surrogate("ok"), has_lone_surrogate("\\ud800")
    (False, True)
    """
    return not value.isascii() and any("\ud800" <= ch <= "\udfff" for ch in value)


def invisible_character(value: str) -> str | None:
    """The first character that hides or reorders what a one-line name shows, or None.

    >>> invisible_character("Admin exp"), invisible_character("Ad\\u200bmin")
    (None, '\\u200b')
    """
    for ch in value:
        if ch in BIDI_CONTROLS or ch in ZERO_WIDTH or ch in LINE_SEPARATORS:
            return ch
        # Other invisible format characters (category Cf) hide in names the same way.
        if not ch.isascii() and unicodedata.category(ch) == "Cf":
            return ch
    return None


def name_key(name: str) -> str:
    """The key two names are compared by: look-alikes (case, width, spaces) share a key.

    NFKC folds compatibility forms (a no-break space becomes a space, full-width letters
    plain ones), casefold ignores case, and runs of white space count as one space.

    >>> name_key("Admin\\u00a0exp") == name_key("admin  EXP") == "admin exp"
    True
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return _WHITESPACE.sub(" ", folded).strip()


def plain_text(
    raw: object, label: str, limit: int, *, field: str, required: bool, multiline: bool = True
) -> str:
    """Return ``raw`` stripped and NFC-normalised, or raise :class:`ValidationFailed`.

    One-line text (``multiline=False``: names, labels) also refuses line breaks,
    bidirectional controls and zero-width characters.
    """
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise ValidationFailed(f"{label} must be text.", field=field)
    if has_lone_surrogate(raw):
        raise ValidationFailed(f"{label} is not valid Unicode text.", field=field)
    # One spelling per text: "é" typed as one code point or as e + accent is stored the same.
    value = unicodedata.normalize("NFC", raw).strip()
    if required and not value:
        raise ValidationFailed(f"{label} is required.", field=field)
    if len(value) > limit:
        raise ValidationFailed(
            f"{label} must have at most {limit} characters (got {len(value)}).", field=field
        )
    if has_control_characters(value, multiline=multiline):
        what = "control characters" if multiline else "line breaks or control characters"
        raise ValidationFailed(f"{label} contains {what}.", field=field)
    if not multiline:
        hidden = invisible_character(value)
        if hidden is not None:
            raise ValidationFailed(
                f"{label} contains an invisible or direction-changing character "
                f"(U+{ord(hidden):04X}); type it without.",
                field=field,
            )
    return value


def one_line_name(raw: object, label: str, limit: int, *, field: str, required: bool) -> str:
    """A name shown on one line (experiment, arm, display name, token label)."""
    return plain_text(raw, label, limit, field=field, required=required, multiline=False)


def _refused(ch: str, *, multiline: bool) -> bool:
    # Surrogates stay out of the pattern: no UTF-8 text holds one, so a generator of valid
    # strings never makes one, and a class naming them confuses such generators.
    if has_control_characters(ch, multiline=multiline):
        return True
    return not multiline and invisible_character(ch) is not None


def _char_class(chars: list[int]) -> str:
    """A regex class body for BMP code points, escaped so Python and JSON Schema (ECMA-262,
    where astral characters need a flag the schema cannot set) read it alike."""
    parts, start = [], None
    for i, cp in enumerate(chars):
        if start is None:
            start = cp
        if i + 1 < len(chars) and chars[i + 1] == cp + 1:
            continue
        ends = (start, cp) if cp != start else (start,)
        parts.append("-".join(f"\\u{c:04x}" for c in ends))
        start = None
    return "".join(parts)


@functools.cache
def _candidates() -> tuple[int, ...]:
    # Every refused or blank character is a control, format, surrogate or separator one.
    # Astral format characters (tags, some scripts' marks) stay out: see _char_class.
    kinds = {"Cc", "Cf", "Cs", "Zl", "Zp", "Zs"}
    return tuple(cp for cp in range(0x10000) if unicodedata.category(chr(cp)) in kinds)


@functools.cache
def text_pattern(*, multiline: bool, required: bool) -> str:
    """The regular expression :func:`plain_text` accepts, for API schemas and forms.

    Built from the same checks, so the OpenAPI document names exactly the characters refused
    (and, for required text, that something other than white space must be there).

    >>> import re
    >>> bool(re.fullmatch(text_pattern(multiline=False, required=True), "E. coli K-12"))
    True
    >>> [bool(re.fullmatch(text_pattern(multiline=False, required=True), s)) for s in ("", " ")]
    [False, False]
    >>> bool(re.fullmatch(text_pattern(multiline=False, required=False), "a\\x00b"))
    False
    """
    refused = [cp for cp in _candidates() if _refused(chr(cp), multiline=multiline)]
    anything = f"[^{_char_class(refused)}]*"
    if not required:
        return f"^{anything}$"
    blank = sorted({*refused, *(cp for cp in _candidates() if chr(cp).isspace())})
    return f"^{anything}[^{_char_class(blank)}]{anything}$"


def finite_number(raw: object, label: str, *, field: str) -> float:
    """``raw`` as a finite float (a JSON number or a numeric string; never a boolean), or
    :class:`ValidationFailed` naming ``label``.

    >>> finite_number("37.5", "Temperature", field="value")
    37.5
    >>> finite_number(float("nan"), "Temperature", field="value")
    Traceback (most recent call last):
    ...
    dashboard.services.errors.ValidationFailed: Temperature must be a finite number.
    """
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValidationFailed(f"{label} must be a number.", field=field)
    try:
        value = float(raw)
    except ValueError:
        raise ValidationFailed(
            f"{label} must be a number, not {str(raw)[:40]!r}.", field=field
        ) from None
    if not math.isfinite(value):
        raise ValidationFailed(f"{label} must be a finite number.", field=field)
    return value
