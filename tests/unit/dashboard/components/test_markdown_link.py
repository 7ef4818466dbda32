"""Links built from names in grids go where the app says, whatever the name holds."""

from __future__ import annotations

import re
import string

import pytest

from dashboard.components.formatting import markdown_link

HOSTILE = [
    "x](https://evil.example) [y",
    "https://evil.example/login",
    "www.evil.example",
    "<https://evil.example>",
    "[a](javascript:alert(1))",
    "name\n\n[b]: https://evil.example",
    "trailing backslash \\",
    "mail@evil.example",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_link_text_is_inert(name: str) -> None:
    link = markdown_link(name, "/experiments/7")
    assert link.endswith("](/experiments/7)")
    text = link[1 : -len("](/experiments/7)")]
    assert "\n" not in text
    assert "\r" not in text
    # Every ASCII punctuation character in the text is escaped, so nothing in it can end the
    # brackets, start another link, or form an autolink (https://, www., an e-mail address).
    unescaped = re.sub(r"\\.", "", text)
    assert not set(unescaped) & set(string.punctuation), unescaped
