"""What the sequence explorer's URL says: dataset, record, the bases in view, GC window,
the ORF search, the motif, the open tab and the chosen CDS. Pure functions, no Dash.

Values come from a URL, so anything that does not parse is ignored (the default stands),
never an error; the service checks what is then asked of it.

>>> q = parse_query({"dataset": "3", "record": "NC_005816.1", "start": "87", "end": "1109",
...                  "motif": "ATGAAC", "orfs": "300:11:ATG,GTG", "tab": "motif", "x": "?"})
>>> q.dataset, q.record, (q.start, q.end), q.motif, q.orfs, q.tab
(3, 'NC_005816.1', (87, 1109), 'ATGAAC', (300, 11, ('ATG', 'GTG')), 'motif')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from .view_state import parse_int

TABS = ("cds", "orfs", "motif", "region", "align")
DEFAULT_TAB = "cds"
POSITION_MAX = 10**10
MOTIF_MAX = 200
RECORD_MAX = 255
ORF_KEY = re.compile(r"^(\d{1,6}):(\d{1,2}):([ACGT]{3}(?:,[ACGT]{3}){0,9})$")
DEFAULT_ORFS = (300, 11, ("ATG", "GTG", "TTG"))


@dataclass(frozen=True)
class ExplorerQuery:
    """The explorer's view as its URL gives it (None or empty: not given)."""

    dataset: int | None = None
    record: str = ""
    start: int | None = None
    end: int | None = None
    window: int | None = None
    step: int | None = None
    cumulative: bool = False
    motif: str = ""
    orfs: tuple[int, int, tuple[str, ...]] | None = None
    differing: bool = False
    tab: str = DEFAULT_TAB
    cds: int | None = None


def _text(raw: object, limit: int) -> str:
    if not isinstance(raw, str):
        return ""
    return "".join(ch for ch in raw if ch.isprintable()).strip()[:limit]


def orf_key(min_length_nt: int, table: int, starts: tuple[str, ...] | list[str]) -> str:
    """The ORF search as one URL value.

    >>> orf_key(300, 11, ("ATG", "GTG"))
    '300:11:ATG,GTG'
    """
    return f"{min_length_nt}:{table}:{','.join(starts)}"


def parse_orf_key(raw: object) -> tuple[int, int, tuple[str, ...]] | None:
    """The ORF search of an URL value, or None.

    >>> parse_orf_key("90:4:ATG"), parse_orf_key("90:4:XYZ"), parse_orf_key(None)
    ((90, 4, ('ATG',)), None, None)
    """
    match = ORF_KEY.fullmatch(_text(raw, 60).upper())
    if match is None:
        return None
    return int(match[1]), int(match[2]), tuple(match[3].split(","))


def parse_query(query: Mapping[str, object]) -> ExplorerQuery:
    """The view a URL query asks for (garbage ignored)."""

    def number(key: str) -> int | None:
        return parse_int(query.get(key), minimum=1, maximum=POSITION_MAX)

    tab = _text(query.get("tab"), 20)
    cds = parse_int(query.get("cds"), minimum=0, maximum=10**7)
    return ExplorerQuery(
        dataset=parse_int(query.get("dataset"), minimum=1, maximum=2**31 - 1),
        record=_text(query.get("record"), RECORD_MAX),
        start=number("start"),
        end=number("end"),
        window=number("window"),
        step=number("step"),
        cumulative=query.get("skew") == "1",
        motif=_text(query.get("motif"), MOTIF_MAX),
        orfs=parse_orf_key(query.get("orfs")),
        differing=query.get("differing") == "1",
        tab=tab if tab in TABS else DEFAULT_TAB,
        cds=cds,
    )


def explorer_href(path: str, dataset: int | None, record: str | None = None) -> str:
    """The explorer opened on ``dataset`` (and ``record``), every other view reset.

    >>> explorer_href("/explorer", 3, "NC 1"), explorer_href("/explorer", None)
    ('/explorer?dataset=3&record=NC+1', '/explorer')
    """
    params = {"dataset": dataset, "record": record or None}
    kept = {k: v for k, v in params.items() if v is not None}
    return f"{path}?{urlencode(kept)}" if kept else path


def format_position(value: int | None) -> str:
    """A position with thousands separators, as the inputs show it ("" for none).

    >>> format_position(1234567), format_position(None)
    ('1,234,567', '')
    """
    return "" if value is None else f"{value:,}"


def parse_position(raw: object) -> int | None:
    """A position typed with or without thousands separators, or None.

    >>> parse_position("1,234,567"), parse_position(" 1 234 "), parse_position("12a")
    (1234567, 1234, None)
    """
    text = re.sub(r"[,_\s\u00a0\u202f']", "", raw) if isinstance(raw, str) else str(raw)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None
