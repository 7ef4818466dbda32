"""One-line names: normalised, free of invisible characters, compared by a look-alike key."""

from __future__ import annotations

import unicodedata

import pytest

from dashboard.services.errors import ValidationFailed
from dashboard.services.text import name_key, one_line_name, plain_text


def _name(raw: str) -> str:
    return one_line_name(raw, "Name", 120, field="name", required=True)


def test_names_are_stored_in_nfc() -> None:
    decomposed = "Cafe\u0301 culture"  # e + combining acute
    assert _name(decomposed) == "Caf\u00e9 culture"
    assert unicodedata.is_normalized("NFC", _name(decomposed))


@pytest.mark.parametrize(
    "raw",
    [
        "two\nlines",
        "carriage\rreturn",
        "tab\tbed",
        "line\u2028separator",
        "next\x85line",
        "evil\u202egnp.exe",  # right-to-left override
        "isolate\u2066x\u2069",
        "zero\u200bwidth",
        "joiner\u200dx",
        "bom\ufeffx",
        "soft\u00adhyphen",
        "nul\x00byte",
        "lone \ud800 surrogate",
    ],
)
def test_one_line_names_refuse_breaks_and_invisible_characters(raw: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        _name(raw)
    assert info.value.field == "name"


def test_multiline_text_keeps_line_breaks_but_not_surrogates() -> None:
    assert plain_text("a\nb", "Text", 100, field="t", required=False) == "a\nb"
    with pytest.raises(ValidationFailed, match="not valid Unicode"):
        plain_text("a\ud800", "Text", 100, field="t", required=False)


def test_look_alikes_share_a_key() -> None:
    assert name_key("Admin\u00a0exp") == name_key("Admin exp")
    assert name_key("ADMIN  exp ") == name_key("admin exp")
    assert name_key("\uff21dmin exp") == name_key("Admin exp")  # full-width A
    assert name_key("Stra\u00dfe") == name_key("STRASSE")
    assert name_key("Admin exp") != name_key("Admin exp 2")
