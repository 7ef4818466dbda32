"""Validation of free text typed by users (names, descriptions, labels)."""

from __future__ import annotations

import functools
import unicodedata

from .errors import ValidationFailed

# Line breaks and tabs are text; other control characters (NUL above all, which
# PostgreSQL refuses to store) are not.
ALLOWED_CONTROL = frozenset("\n\r\t")


def has_control_characters(value: str, *, multiline: bool = True) -> bool:
    """Whether ``value`` holds a control character a person would not type.

    >>> has_control_characters("E. coli\\tK-12"), has_control_characters("bad\\x00name")
    (False, True)
    """
    allowed = ALLOWED_CONTROL if multiline else frozenset()
    return any((ord(ch) < 32 or ord(ch) == 127) and ch not in allowed for ch in value)


def plain_text(
    raw: object, label: str, limit: int, *, field: str, required: bool, multiline: bool = True
) -> str:
    """Return ``raw`` stripped, or raise :class:`ValidationFailed` saying what is wrong."""
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise ValidationFailed(f"{label} must be text.", field=field)
    value = raw.strip()
    if required and not value:
        raise ValidationFailed(f"{label} is required.", field=field)
    if len(value) > limit:
        raise ValidationFailed(
            f"{label} must have at most {limit} characters (got {len(value)}).", field=field
        )
    if has_control_characters(value, multiline=multiline):
        raise ValidationFailed(f"{label} contains control characters.", field=field)
    return value


def _refused(ch: str, *, multiline: bool) -> bool:
    # Surrogates stay out of the pattern: no UTF-8 text holds one, so a generator of valid
    # strings never makes one, and a class naming them confuses such generators.
    return has_control_characters(ch, multiline=multiline)


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
