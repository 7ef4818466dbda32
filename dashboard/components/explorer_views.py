"""What the sequence explorer shows of each result: a record's make-up, the bases in view,
the chosen CDS, ORF and motif summaries, an alignment; and the API links of its downloads.
Pure functions from service results to Dash components.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import html

from analysis.sequences import CdsRow, MotifResult, Orf, PairAlignment

from .feedback import icon
from .frame import card
from .sequence_figures import MapData
from .sequence_tables import STRAND_TEXT, TRANSLATION_CHECK, cds_name, check_state
from .sequence_text import alignment_block, protein_comparison, sequence_block

API = "/api/v1"
CDS_OPTIONS_MAX = 20_000  # CDS offered in the alignment's quick pick
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def dataset_api(dataset_id: int, path: str, **params: object) -> str:
    """An API link of a dataset (the session cookie opens it), e.g. a FASTA download.

    >>> dataset_api(3, "region", record="NC_1", start=1, end=60)
    '/api/v1/datasets/3/region?record=NC_1&start=1&end=60'
    """
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{API}/datasets/{dataset_id}/{path}" + (f"?{query}" if query else "")


# --- pickers ------------------------------------------------------------------------------

RECORDS_SHOWN_MAX = 5_000  # records offered in a picker (huge assemblies: the first ones)


def dataset_label(view: Any) -> str:
    """How a dataset (``datasets.DatasetView``) reads in a picker: id, file, sample and
    experiment."""
    return f"#{view.id} {view.filename} · {view.sample.name} · {view.experiment_name}"


def record_options(rows: Sequence[Any]) -> list[dict[str, str]]:
    """Records (``datasets.RecordRow``) as picker options: id and length."""
    return [{"label": f"{r.id} · {r.length:,} bp", "value": r.id} for r in rows[:RECORDS_SHOWN_MAX]]


# --- the record ---------------------------------------------------------------------------


def feature_counts(summary: Any) -> html.Div:
    """A record's topology, GC and features by type (``explorer.RecordSummary``)."""
    counts = [
        html.Span(
            [html.Span(kind, className="fw-semibold"), f" {count:,}"],
            className="badge msg-explorer-count",
        )
        for kind, count in summary.feature_counts.items()
    ]
    return html.Div(
        [
            html.Span(
                f"{summary.id} · {summary.topology} · {summary.length:,} bp · GC "
                f"{summary.gc_fraction * 100:.2f} %",
                className="me-2",
            ),
            html.Span("Features:", className="me-1 text-body-secondary") if counts else None,
            *counts,
            None
            if counts
            else html.Span("No annotated features.", className="text-body-secondary"),
        ],
        className="d-flex flex-wrap align-items-center gap-1",
    )


def view_info(data: MapData, first: int, last: int) -> str:
    """What the map shows: the bases in view and the GC window.

    >>> import numpy as np
    >>> from analysis.sequences import gc_windows
    >>> d = MapData("NC_1", 9609, gc_windows("ACGT" * 100, 50, 10), ())
    >>> view_info(d, 87, 1109)
    'Bases 87..1,109 of 9,609 (1,023 bp) · GC window 50 bp, step 10 bp'
    """
    return (
        f"Bases {first:,}..{last:,} of {data.length:,} ({last - first + 1:,} bp) · "
        f"GC window {data.gc.window:,} bp, step {data.gc.step:,} bp"
    )


# --- CDS ----------------------------------------------------------------------------------


def cds_info(rows: Sequence[CdsRow], record_id: str) -> html.P:
    """How many CDS the record has and how their translations compare.

    >>> from analysis.sequences import CdsRow
    >>> r = CdsRow("R", 0, 9, 1, "A", "", "", "", "MK", "MR", False, "")
    >>> cds_info([r, r], "R").children
    '2 CDS: 0 translations agree with the annotation, 2 differ, 0 not annotated.'
    >>> cds_info([], "R").children
    'No CDS annotated on R (a FASTA record has no annotation).'
    """
    if not rows:
        return html.P(
            f"No CDS annotated on {record_id} (a FASTA record has no annotation).",
            className="mb-2",
        )
    states = [check_state(r.agrees) for r in rows]
    counts = {state: states.count(state) for state in TRANSLATION_CHECK}
    return html.P(
        f"{len(rows):,} CDS: {counts['agrees']:,} translations agree with the annotation, "
        f"{counts['differs']:,} differ, {counts['not annotated']:,} not annotated.",
        className="mb-2",
    )


def file_stem(row: CdsRow) -> str:
    """A file name for one CDS's download (its name, safe on every system).

    >>> from analysis.sequences import CdsRow
    >>> file_stem(CdsRow("NC_1", 0, 9, 1, "YP/01 a", "", "", "", "", "", None, ""))
    'YP_01_a'
    """
    return SAFE_NAME.sub("_", cds_name(row)).strip("_") or "cds"


def _check_badge(row: CdsRow) -> html.Span:
    state = TRANSLATION_CHECK[check_state(row.agrees)]
    return html.Span(
        [icon(state.icon, "me-1"), state.label],
        className=f"badge msg-badge text-bg-{state.tone}",
        title=state.meaning,
    )


def cds_detail(row: CdsRow, *, download_id: str, align_id: str) -> html.Div:
    """One CDS: names, place, translation check and its problems, the protein translated
    beside the annotated one (differences marked), a FASTA download and "align with…"."""
    strand = STRAND_TEXT.get(row.strand, "·")
    facts: list[tuple[str, Any]] = [
        ("Location", f"{row.record}: {row.start + 1:,}..{row.end:,} ({strand})"),
        ("Length", f"{row.end - row.start:,} bp · {len(row.translation):,} aa"),
        ("Protein id", row.protein_id or "—"),
        ("Translation check", _check_badge(row)),
    ]
    if row.problem:
        facts.append(("Problem", row.problem))
    items: list[Any] = []
    for term, value in facts:
        items += [html.Dt(term), html.Dd(value)]
    title: list[Any] = [html.Span(cds_name(row), className="fw-semibold")]
    if row.gene:
        title += [" ", html.I(row.gene)]
    if row.product:
        title += [" · ", row.product]
    heading = "Translated from the sequence" + (
        " beside the annotated /translation (differences marked)"
        if row.annotated_translation
        else " (the file annotates no protein)"
    )
    return html.Div(
        [
            html.Div(
                [
                    html.H2(title, className="h6 mb-0 me-auto"),
                    dbc.Button(
                        [icon("download", "me-1"), "Protein (FASTA)"],
                        id=download_id,
                        color="primary",
                        size="sm",
                    ),
                    dbc.Button(
                        [icon("distribute-horizontal", "me-1"), "Align with…"],
                        id=align_id,
                        color="secondary",
                        outline=True,
                        size="sm",
                        title="Make this CDS region A of the alignment; then pick region B",
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
            html.Dl(items, className="msg-facts mb-3"),
            html.H3(heading, className="h6 small text-body-secondary"),
            protein_comparison(row.translation, row.annotated_translation),
        ],
        className="msg-explorer-cds",
    )


def cds_options(rows: Sequence[CdsRow]) -> list[dict[str, Any]]:
    """The CDS of a record for a quick pick: name, gene, product and place; ``span`` is
    1-based inclusive.

    >>> from analysis.sequences import CdsRow
    >>> cds_options([CdsRow("NC_1", 86, 1109, 1, "YP_01", "rep", "Rep", "", "", "", None, "")])
    [{'label': 'YP_01 rep · Rep (87..1,109 +)', 'value': 0, 'span': [87, 1109]}]
    """
    found = []
    for index, row in enumerate(rows[:CDS_OPTIONS_MAX]):
        name = " ".join(x for x in (cds_name(row), row.gene) if x)
        product = f" · {row.product}" if row.product else ""
        found.append(
            {
                "label": f"{name}{product} ({row.start + 1:,}..{row.end:,} "
                f"{STRAND_TEXT.get(row.strand, '·')})",
                "value": index,
                "span": [row.start + 1, row.end],
            }
        )
    return found


# --- ORFs and motifs ----------------------------------------------------------------------


def orf_links(dataset_id: int, record_id: str, options: Any) -> tuple[str, str]:
    """FASTA downloads of the ORFs found with ``options`` (``explorer.OrfOptions``):
    proteins, then nucleotides."""
    params = {
        "record": record_id,
        "min_length": options.min_length_nt,
        "table": options.table,
        "starts": ",".join(options.starts),
    }
    return (
        dataset_api(dataset_id, "orfs.fasta", **params, protein="true"),
        dataset_api(dataset_id, "orfs.fasta", **params, protein="false"),
    )


def orf_info(found: Sequence[Orf], options: Any) -> html.P:
    """How many ORFs were found and with which settings."""
    plus = sum(1 for o in found if o.strand > 0)
    return html.P(
        f"{_counted(len(found), 'ORF')} of at least {options.min_length_nt:,} nt "
        f"({plus:,} on the plus strand, {len(found) - plus:,} on the minus) with genetic "
        f"code {options.table} and start codons {', '.join(options.starts)}; drawn on the "
        "map's outer lanes. Pick a row to zoom to it.",
        className="mb-0 mt-2",
    )


def _counted(n: int, word: str) -> str:
    """``1 hit``, ``2 hits``.

    >>> _counted(1, "hit"), _counted(1200, "deletion")
    ('1 hit', '1,200 deletions')
    """
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def motif_info(result: MotifResult) -> html.P:
    """How many hits the motif has on each strand."""
    plus = sum(1 for h in result.hits if h.strand > 0)
    total = len(result.hits)
    text = (
        f"{_counted(total, 'hit')} of {result.motif} ({plus:,} on the plus strand, "
        f"{total - plus:,} on the minus), marked on the map by triangles. Pick a row to zoom "
        "to it."
        if total
        else f"No hits of {result.motif} on either strand."
    )
    if result.is_truncated:
        text += f" Only the first {total:,} are listed."
    return html.P(text, className="mb-0 mt-2")


# --- the bases in view --------------------------------------------------------------------


def region_info(region: Any) -> html.Div:
    """Where the bases in view are, how many, and their GC (``explorer.RegionView``)."""
    lines: list[Any] = [
        html.Span(
            f"Bases {region.start:,}..{region.end:,} of {region.record_id}: "
            f"{region.length:,} bp, GC {region.gc_fraction * 100:.2f} %",
            className="fw-semibold",
        )
    ]
    if region.is_truncated:
        lines += [
            html.Br(),
            html.Span(
                f"The first {len(region.bases):,} bases are shown; download the region for "
                f"all {region.length:,}.",
                className="small text-body-secondary",
            ),
        ]
    return html.Div(lines)


def region_bases(region: Any) -> html.Pre:
    """The bases in view in numbered lines of 60."""
    return sequence_block(region.bases, region.start)


# --- alignment ----------------------------------------------------------------------------


def align_summary(result: PairAlignment) -> html.Div:
    """Score, identity, aligned length and differences of an alignment."""
    kinds: dict[str, int] = {}
    for difference in result.differences:
        kinds[difference.kind] = kinds.get(difference.kind, 0) + 1
    figures = [
        ("Score", f"{result.score:,.0f}"),
        (
            "Identity",
            f"{result.identity * 100:.2f} % ({result.matches:,} of "
            f"{result.aligned_length:,} columns)",
        ),
        ("Aligned length", f"{result.aligned_length:,} columns"),
        (
            "Differences",
            ", ".join(_counted(n, kind) for kind, n in kinds.items()) or "none: identical",
        ),
    ]
    items: list[Any] = []
    for term, value in figures:
        items += [html.Dt(term), html.Dd(value)]
    return card(
        html.Dl(items, className="msg-facts"),
        header=[icon("distribute-horizontal", "me-2"), "A aligned with B"],
        class_name="mb-3 msg-explorer-align",
    )


def alignment(result: PairAlignment, start_a: int, start_b: int) -> html.Div:
    """The alignment in blocks of 60 columns with its match line."""
    return card(
        alignment_block(result.aligned_a, result.aligned_b, start_a, start_b),
        header=[icon("body-text", "me-2"), "Alignment (| the same base)"],
    )
