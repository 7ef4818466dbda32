"""Small formatters used by tables and cards."""

from __future__ import annotations

import string
from datetime import UTC, datetime


def when(moment: datetime | None) -> str:
    """A UTC timestamp as ``2026-11-26 09:58 UTC`` (empty for None)."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def when_utc(moment: datetime | None) -> str:
    """``2026-11-26 09:58`` for table cells whose header already says UTC."""
    return when(moment).removesuffix(" UTC")


def gravity(value_g: float) -> str:
    """Gravity level for people: µg for (near) zero, otherwise in g."""
    return "µg" if value_g < 1e-3 else f"{value_g:g} g"


# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping them all
# also keeps "https://…" or "www.…" in a name from turning into an autolink to elsewhere.
MARKDOWN_SPECIALS = frozenset(string.punctuation)


def markdown_link(text: str, href: str) -> str:
    r"""A Markdown link whose text cannot break out of the brackets or link elsewhere
    (names are user input); ``href`` is the app's own path.

    >>> print(markdown_link("x](javascript:alert(1)) [y", "/experiments/1"))
    [x\]\(javascript\:alert\(1\)\) \[y](/experiments/1)
    """
    escaped = "".join(
        "\\" + ch if ch in MARKDOWN_SPECIALS else " " if ch.isspace() or ord(ch) < 32 else ch
        for ch in text
    )
    return f"[{escaped}]({href})"


def change_lines(detail: dict[str, object]) -> list[str]:
    """What an update changed, one ``field: old → new`` line per changed field."""
    before, after = detail.get("before"), detail.get("after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [detail_text(detail)] if detail else []
    lines = []
    for key in after:
        old, new = before.get(key), after.get(key)
        if old != new:
            show_old = ", ".join(map(str, old)) if isinstance(old, list) else old
            show_new = ", ".join(map(str, new)) if isinstance(new, list) else new
            lines.append(f"{key}: {show_old} → {show_new}")
    return lines or ["no field changed"]


def detail_text(detail: dict[str, object]) -> str:
    """An audit detail mapping in one compact line (empty values left out)."""
    parts = []
    for key, value in detail.items():
        if value in ("", None, []):
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        parts.append(f"{key}={shown}")
    return "; ".join(parts)
