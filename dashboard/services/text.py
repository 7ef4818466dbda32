"""Validation of free text typed by users (names, descriptions, labels)."""

from __future__ import annotations

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
