"""Text that goes to spreadsheets (CSV and TSV exports) without becoming a formula."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import TextIO

# A cell a spreadsheet would run as a formula starts with one of these; exports put a quote
# before them (OWASP's advice for CSV injection) and imports take it off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """``text`` made inert for spreadsheets (a leading ``'`` before a formula character).

    >>> spreadsheet_safe("=HYPERLINK(1)"), spreadsheet_safe("-12.5"), spreadsheet_safe("F1")
    ("'=HYPERLINK(1)", '-12.5', 'F1')
    """
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def unescaped(cell: str) -> str:
    """A cell as it was before :func:`spreadsheet_safe` (for sheets coming back in)."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


class SafeWriter:
    """A CSV writer whose text cells are made inert with :func:`spreadsheet_safe`."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, row: Sequence[object]) -> None:
        """Write one row."""
        self._writer.writerow([spreadsheet_safe(c) if isinstance(c, str) else c for c in row])
