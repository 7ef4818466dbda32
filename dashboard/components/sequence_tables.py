"""Tables of the sequence explorer: CDS with their translation check, ORFs, motif hits and
alignment differences, as grid columns and rows (1-based coordinates, as people read them).

The CDS grid keeps its view in the URL like every list; the others are results of a search
on the same page, so :func:`register_local_grid` wires their toolbar without the URL (one
page has one query string, and the CDS grid owns its grid keys).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from dash import ClientsideFunction, Input, Output, State, clientside_callback

from analysis.sequences import CdsRow, Difference, MotifHit, Orf

from .grid import (
    Column,
    GridSpec,
    badge_column,
    name_column,
    number_column,
    text_column,
    vocabulary_legend,
)
from .status import Status

THOUSANDS = "params.value == null ? '' : Number(params.value).toLocaleString('en-US')"
PREVIEW_AA = 40  # residues of a protein shown in a grid cell (the FASTA has them all)
STRAND_TEXT = {1: "+", -1: "−", 0: "·"}

# The translation check of a CDS: the translation computed from the sequence against the
# /translation the file annotates.
AGREES, DIFFERS, NOT_ANNOTATED = "agrees", "differs", "not annotated"
TRANSLATION_CHECK: dict[str, Status] = {
    AGREES: Status(
        AGREES,
        "check-circle",
        "success",
        "The protein translated from the sequence equals the annotated /translation.",
    ),
    DIFFERS: Status(
        DIFFERS,
        "exclamation-triangle",
        "danger",
        "The translated protein differs from the annotated one (see the problem).",
    ),
    NOT_ANNOTATED: Status(
        NOT_ANNOTATED,
        "dash-circle",
        "secondary",
        "The file gives no /translation to compare with.",
    ),
}


def position_column(field_name: str, header: str, *, width: int = 120) -> Column:
    """A position or a length: right-aligned, shown with thousands separators (exported
    to CSV as plain digits)."""
    column = number_column(field_name, header, width=width)
    column.update(
        valueFormatter={"function": THOUSANDS},
        useValueFormatterForExport=False,
    )
    return column


def check_state(agrees: bool | None) -> str:
    """The translation check of a CDS as a state of ``TRANSLATION_CHECK``.

    >>> check_state(True), check_state(False), check_state(None)
    ('agrees', 'differs', 'not annotated')
    """
    return NOT_ANNOTATED if agrees is None else AGREES if agrees else DIFFERS


def check_legend() -> Any:
    """The key to the translation-check badges."""
    return vocabulary_legend(TRANSLATION_CHECK)


def preview(protein: str, limit: int = PREVIEW_AA) -> str:
    """The start of a protein, with an ellipsis when it goes on.

    >>> preview("MKV", 5), preview("MKVLAAGIV", 5)
    ('MKV', 'MKVL…')
    """
    return protein if len(protein) <= limit else protein[: limit - 1] + "…"


def cds_name(row: CdsRow) -> str:
    """What names a CDS: its locus tag, else its protein id, gene or coordinates."""
    return row.locus_tag or row.protein_id or row.gene or f"{row.start + 1}..{row.end}"


# --- CDS ------------------------------------------------------------------------------------

CDS_COLUMNS: list[Column] = [
    name_column("name", "Locus tag", min_width=150),
    text_column("gene", "Gene", min_width=90, flex=0.6),
    text_column("product", "Product", min_width=200, flex=2.5),
    position_column("start", "Start", width=110),
    position_column("end", "End", width=110),
    text_column("strand", "Strand", min_width=105, flex=0.3, tooltip=False),
    position_column("length_aa", "Length (aa)", width=140),
    text_column("protein_id", "Protein id", min_width=130, flex=1),
    badge_column("check", "Translation check", statuses=TRANSLATION_CHECK, width=170),
    text_column("problem", "Problem", min_width=200, flex=2),
]


def cds_rows(rows: Sequence[CdsRow], *, only_differing: bool = False) -> list[dict[str, Any]]:
    """Grid rows of the CDS table; ``id`` is the CDS's place in ``rows`` (what the map's
    click keys and the protein download name).

    >>> from analysis.sequences import CdsRow
    >>> r = CdsRow("NC_1", 86, 1109, 1, "YP_1", "rep", "Rep", "NP_1.1", "MKV", "MKV", True, "")
    >>> row = cds_rows([r])[0]
    >>> row["start"], row["end"], row["strand"], row["length_aa"], row["check"]
    (87, 1109, '+', 3, 'agrees')
    """
    found = []
    for index, row in enumerate(rows):
        state = check_state(row.agrees)
        if only_differing and state != DIFFERS:
            continue
        found.append(
            {
                "id": index,
                "name": cds_name(row),
                "gene": row.gene,
                "product": row.product,
                "start": row.start + 1,
                "end": row.end,
                "strand": STRAND_TEXT.get(row.strand, "·"),
                "length_aa": len(row.translation),
                "protein_id": row.protein_id,
                "check": state,
                "problem": row.problem,
            }
        )
    return found


# --- ORFs -------------------------------------------------------------------------------------

ORF_COLUMNS: list[Column] = [
    position_column("start", "Start", width=110),
    position_column("end", "End", width=110),
    text_column("strand", "Strand", min_width=105, flex=0.3, tooltip=False),
    {
        **number_column("frame", "Frame", width=100),
        "valueFormatter": {"function": "params.value > 0 ? '+' + params.value : params.value"},
        "useValueFormatterForExport": False,
    },
    position_column("length_nt", "Length (nt)", width=140),
    position_column("length_aa", "Length (aa)", width=140),
    text_column("protein", "Protein (start)", min_width=220, flex=3),
]


def orf_rows(orfs: Iterable[Orf]) -> list[dict[str, Any]]:
    """Grid rows of the ORF finder's results (1-based start, end including the stop codon).

    >>> from analysis.sequences import Orf
    >>> orf_rows([Orf(2, 11, 1, 3, 9, "MK")])[0]["start"]
    3
    """
    return [
        {
            "id": index,
            "start": orf.start + 1,
            "end": orf.end,
            "strand": STRAND_TEXT[orf.strand],
            "frame": orf.frame,
            "length_nt": orf.length_nt,
            "length_aa": len(orf.protein),
            "protein": preview(orf.protein),
        }
        for index, orf in enumerate(orfs)
    ]


# --- motif hits -------------------------------------------------------------------------------

HIT_COLUMNS: list[Column] = [
    position_column("start", "Position", width=120),
    position_column("end", "End", width=110),
    text_column("strand", "Strand", min_width=105, flex=0.3, tooltip=False),
    text_column("matched", "Matched (on its strand)", min_width=200, flex=2),
]


def hit_rows(hits: Iterable[MotifHit]) -> list[dict[str, Any]]:
    """Grid rows of motif hits: 1-based first and last base on the forward strand, the
    bases as read on the hit's strand."""
    return [
        {
            "id": index,
            "start": hit.start + 1,
            "end": hit.end,
            "strand": STRAND_TEXT[hit.strand],
            "matched": hit.matched,
        }
        for index, hit in enumerate(hits)
    ]


# --- alignment differences --------------------------------------------------------------------

DIFFERENCE_COLUMNS: list[Column] = [
    text_column("kind", "Kind", min_width=120, flex=0.8),
    position_column("position_a", "Position in A", width=140),
    position_column("position_b", "Position in B", width=140),
    text_column("a", "A", min_width=90, flex=1),
    text_column("b", "B", min_width=90, flex=1),
]


def difference_rows(
    differences: Iterable[Difference], start_a: int = 1, start_b: int = 1
) -> list[dict[str, Any]]:
    """Grid rows of an alignment's differences, positions 1-based on each record (the
    regions began at ``start_a`` and ``start_b``); a gap shows as "—".

    >>> from analysis.sequences import Difference
    >>> difference_rows([Difference("insertion", 7, 7, "", "G")], 100, 200)[0]
    {'id': 0, 'kind': 'insertion', 'position_a': 107, 'position_b': 207, 'a': '—', 'b': 'G'}
    """
    return [
        {
            "id": index,
            "kind": d.kind,
            "position_a": d.position_a + start_a,
            "position_b": d.position_b + start_b,
            "a": d.a or "—",
            "b": d.b or "—",
        }
        for index, d in enumerate(differences)
    ]


# --- grids without URL state ------------------------------------------------------------------


def register_local_grid(spec: GridSpec) -> None:
    """Wire the toolbar of a grid whose view is not kept in the URL: quick search, column
    chooser and CSV export (the browser half is ``assets/grid.js``)."""
    ids = spec.ids
    grid = State(ids.grid, "id")
    clientside_callback(
        ClientsideFunction("msgGrid", "quickFilter"),
        Input(ids.search, "value"),
        grid,
        prevent_initial_call=True,
    )
    clientside_callback(
        ClientsideFunction("msgGrid", "showColumns"),
        Input(ids.columns, "value"),
        State(ids.columns, "options"),
        grid,
        prevent_initial_call=True,
    )
    clientside_callback(
        ClientsideFunction("msgGrid", "exportCsv"),
        Output(ids.grid, "exportDataAsCsv"),
        Input(ids.export, "n_clicks"),
        prevent_initial_call=True,
    )
