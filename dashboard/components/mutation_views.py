"""Pieces of the Mutations page: the calls table's columns and rows, a result's summary, the
calling form's choices, and the comparison's table and statistics, each test with the counts
it was computed from and its assumptions. Plain values from the services in, Dash
components and grid rows out (no data access).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from analysis.mutations.genomediff import parse

from .datasets_table import FORMAT_LABELS, SPACEFLIGHT_BADGES
from .feedback import icon
from .grid import Column, badge_column, name_column, number_column, text_column
from .mutation_figures import annotation_text, p_text
from .sequence_tables import position_column
from .sizes import bases

MODE_CHOICES: tuple[tuple[str, str, str], ...] = (
    ("consensus", "Consensus", "Clonal isolates: every read of a site agrees."),
    (
        "polymorphism",
        "Polymorphism",
        "Mixed populations: allele frequencies, tested against sequencing error.",
    ),
)
CATEGORY_LABELS = {  # (one, several)
    "snp": ("SNP", "SNPs"),
    "small_indel": ("small indel", "small indels"),
    "large_deletion": ("large deletion", "large deletions"),
    "amplification": ("amplification", "amplifications"),
    "mobile_element_insertion": ("mobile-element insertion", "mobile-element insertions"),
}
CONDITION_ORDER = ("Ancestor", "Ground Control", "Space Flight")
PERCENT = (
    "params.value == null ? '' : (100 * params.value).toFixed(params.value < 0.1 ? 1 : 0) + ' %'"
)


# --- the calls table ----------------------------------------------------------------------------

CALL_COLUMNS: list[Column] = [
    {**number_column("id", "#", width=70, filter_kind=None)},
    text_column("seq_id", "Record", min_width=110, flex=0.6),
    position_column("position", "Position", width=135),
    text_column("kind", "Type", min_width=95, flex=0.4),
    name_column("change", "Change", min_width=130),
    text_column("annotation", "Annotation", min_width=200, flex=1.6),
    text_column("gene", "Gene", min_width=95, flex=0.5),
    text_column("product", "Product", min_width=170, flex=1.2),
    {
        **number_column("frequency", "Frequency", width=125),
        "valueFormatter": {"function": PERCENT},
        "useValueFormatterForExport": False,
    },
    text_column("evidence", "Evidence reads", min_width=150, flex=0.8, filter_kind=None),
    number_column("depth", "Depth", width=100),
    number_column("quality", "Quality", width=110),
    text_column("effect", "Effect", min_width=130, flex=0.8),
    text_column("notes", "Notes", min_width=140, flex=1),
]
HIDDEN_CALL_COLUMNS = frozenset({"id", "depth", "quality", "notes"})


def evidence_text(call: Mapping[str, Any]) -> str:
    """Supporting reads per strand, and the junction reads of large events.

    >>> evidence_text({"supporting_forward": 9, "supporting_reverse": 4, "junction_reads": 0})
    '13 (9+/4−)'
    """
    forward, reverse = (
        int(call.get("supporting_forward", 0)),
        int(call.get("supporting_reverse", 0)),
    )
    text = f"{forward + reverse} ({forward}+/{reverse}−)"
    junction = int(call.get("junction_reads") or 0)
    return f"{text}, {junction} junction" if junction else text


def call_rows(calls: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The calls as grid rows (the id is the call's line in the GenomeDiff)."""
    return [
        {
            "id": c["id"],
            "seq_id": c["seq_id"],
            "position": c["position"],
            "kind": c["kind"],
            "change": c["change"],
            "annotation": annotation_text(c),
            "gene": c.get("gene") or c.get("genes") or "",
            "product": c.get("product", ""),
            "frequency": c.get("frequency"),
            "evidence": evidence_text(c),
            "depth": c.get("depth"),
            "quality": c.get("quality"),
            "effect": str(c.get("effect", "")).replace("_", " "),
            "notes": c.get("notes", ""),
        }
        for c in calls
    ]


def unresolved_stretches(genome_diff: str | bytes) -> list[tuple[str, int, int]]:
    """The stretches a GenomeDiff marks unresolved (``UN``): (record, first, last).

    >>> unresolved_stretches("#=GENOME_DIFF\\t1.0\\nUN\\t1\\t.\\tc\\t1\\t9\\n")
    [('c', 1, 9)]
    """
    found = parse(genome_diff, "result.gd")
    return [
        (e.fields["seq_id"], int(e.fields["start"]), int(e.fields["end"]))
        for e in found.entries
        if e.type == "UN"
    ]


# --- the summary --------------------------------------------------------------------------------


def _fact(label: str, value: object, fact_id: str | None = None) -> html.Div:
    return html.Div(
        [html.Dt(label, className="small text-body-secondary"), html.Dd(value, className="mb-0")],
        className="msg-mut-fact",
        **({"id": fact_id} if fact_id else {}),
    )


def category_badges(counts: Mapping[str, int]) -> list[Any]:
    """Calls per category as quiet badges, empty categories left out."""
    shown = [
        html.Span(
            f"{counts[key]:,} {labels[counts[key] != 1]}", className="badge msg-mut-count me-1 mb-1"
        )
        for key, labels in CATEGORY_LABELS.items()
        if counts.get(key)
    ]
    return shown or [html.Span("no mutation", className="text-body-secondary")]


def summary(view: Any, stretches: Sequence[tuple[str, int, int]], dataset_href: str) -> html.Div:
    """A result's facts: sample, mode, reads and how many mapped, calls per category, what
    was skipped and which stretches could not be resolved."""
    mapped = f"{view.mapped:,} of {view.reads:,} ({view.mapped_fraction:.1%})"
    unresolved: Any
    if stretches:
        items = [html.Li(f"{seq}: {stretch(a, b)}") for seq, a, b in stretches[:20]]
        if len(stretches) > 20:
            items.append(html.Li(f"… and {len(stretches) - 20:,} more (see the GenomeDiff)"))
        unresolved = html.Ul(items, className="mb-0 ps-3 small")
    else:
        unresolved = "none"
    facts = [
        _fact("Sample", [view.name, " ", _condition_badge(view.condition)]),
        _fact("Reference", view.reference_filename),
        _fact("Mode", view.mode),
        _fact("Reads mapped", mapped, "mutations-mapped"),
        _fact(
            "Mutations", [html.Strong(f"{view.mutation_count:,} "), *category_badges(view.counts)]
        ),
        _fact("Unresolved (no coverage)", unresolved, "mutations-unresolved"),
    ]
    if view.skipped:
        facts.append(
            _fact("Skipped", html.Ul([html.Li(s) for s in view.skipped], className="mb-0 ps-3"))
        )
    facts.append(
        _fact(
            "GenomeDiff dataset",
            html.A(f"dataset {view.dataset_id}", href=dataset_href),
        )
    )
    return html.Dl(facts, className="msg-mut-facts mb-0")


def stretch(first: int, last: int) -> str:
    """A stretch of bases for people.

    >>> stretch(1, 1), stretch(9700, 9701)
    ('1 (1 bp)', '9,700–9,701 (2 bp)')
    """
    where = f"{first:,}" if last == first else f"{first:,}–{last:,}"
    return f"{where} ({last - first + 1:,} bp)"


def _condition_badge(condition: str) -> Any:
    look = SPACEFLIGHT_BADGES.get(condition)
    if look is None:
        return html.Span(condition or "no condition", className="badge text-bg-secondary")
    return html.Span(
        [icon(look.icon, "me-1"), look.label],
        className=f"badge msg-badge text-bg-{look.tone}",
        title=look.meaning,
    )


def result_label(view: Any) -> str:
    """One line naming a result in a picker."""
    condition = f" · {view.condition}" if view.condition else ""
    return (
        f"#{view.id} {view.name}{condition} · {view.reference_filename} · {view.mode} · "
        f"{view.mutation_count:,} mutation{'s' if view.mutation_count != 1 else ''}"
    )


# --- the calling form ---------------------------------------------------------------------------

READ_COLUMNS: list[Column] = [
    number_column("id", "#", width=80, filter_kind=None),
    text_column("sample", "Sample", min_width=130, flex=1.2),
    badge_column("spaceflight", "Spaceflight", statuses=SPACEFLIGHT_BADGES, width=160),
    text_column("experiment", "Experiment", min_width=140, flex=1.2),
    text_column("filename", "File", min_width=170, flex=1.4),
    {
        **number_column("reads", "Reads", width=110),
        "valueFormatter": {
            "function": "params.value == null ? '' : Number(params.value).toLocaleString('en-US')"
        },
    },
]


def read_rows(views: Iterable[Any]) -> list[dict[str, Any]]:
    """Read datasets (FASTQ) a calling can use, one row each."""
    return [
        {
            "id": v.id,
            "sample": v.sample.name,
            "spaceflight": v.sample.spaceflight,
            "experiment": v.experiment_name,
            "filename": v.filename,
            "reads": v.record_count,
        }
        for v in views
        if v.is_reads
    ]


def reference_options(views: Iterable[Any]) -> list[dict[str, str]]:
    """Genomes a calling can align to (GenBank, EMBL or FASTA), newest first."""
    return [
        {
            "label": f"#{v.id} {v.filename} · {FORMAT_LABELS.get(v.format, v.format)} · "
            f"{bases(v.total_length)} · {v.sample.name}",
            "value": str(v.id),
        }
        for v in views
        if v.is_sequence and not v.is_reads
    ]


# --- the comparison -----------------------------------------------------------------------------


def cell_text(cell: object) -> str:
    """A sample's cell as gdtools COMPARE shows it: a frequency, "" absent, "?", "D".

    >>> cell_text(1.0), cell_text(0.125), cell_text(0.0), cell_text("?")
    ('100%', '12.5%', '', '?')
    """
    if isinstance(cell, str):
        return cell
    if not isinstance(cell, int | float) or cell <= 0:
        return ""
    percent = 100 * float(cell)
    return f"{percent:.0f}%" if percent >= 99.95 or percent.is_integer() else f"{percent:.1f}%"


def compare_columns(samples: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The comparison grid's columns: the mutation, then each sample under its condition."""
    fixed: list[dict[str, Any]] = [
        text_column("seq_id", "Record", min_width=110, flex=0.6),
        position_column("position", "Position", width=115),
        text_column("kind", "Type", min_width=90, flex=0.3),
        name_column("change", "Change", min_width=130),
        text_column("annotation", "Annotation", min_width=170, flex=1.2),
        text_column("gene", "Gene", min_width=95, flex=0.5),
    ]
    groups: list[dict[str, Any]] = []
    conditions = list(dict.fromkeys(str(s["condition"]) for s in samples))
    conditions.sort(key=lambda c: CONDITION_ORDER.index(c) if c in CONDITION_ORDER else 9)
    for condition in conditions:
        children = [
            {
                "field": f"s{index}",
                "headerName": str(s["name"]),
                "headerTooltip": f"{s['name']} ({condition or 'no condition'}), result "
                f"{s['result_id']}",
                "minWidth": 150,
                "width": 150,
                "flex": None,
                "sortable": True,
                "filter": "agTextColumnFilter",
                "cellClass": "msg-mut-cell",
            }
            for index, s in enumerate(samples)
            if str(s["condition"]) == condition
        ]
        groups.append({"headerName": condition or "No condition", "children": children})
    flags = text_column("flags", "Seen in", min_width=130, flex=0.6)
    # The samples right after the change (as gdtools COMPARE), the annotation after them.
    return [*fixed[:4], *groups, *fixed[4:], flags]


def compare_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The comparison's rows, one per event, with one cell per sample (``s0``, ``s1``…)."""
    out = []
    for number, row in enumerate(rows, start=1):
        m = row["mutation"]
        flags = []
        if row.get("private_to_flight"):
            flags.append("flight only")
        if row.get("in_all"):
            flags.append("every line")
        out.append(
            {
                "id": number,
                "seq_id": m["seq_id"],
                "position": m["position"],
                "kind": m["kind"],
                "change": m["change"],
                "annotation": annotation_text(m),
                "gene": m.get("gene") or m.get("genes") or "",
                "flags": ", ".join(flags),
                **{f"s{i}": cell_text(c) for i, c in enumerate(row["cells"])},
            }
        )
    return out


def _assumptions(items: Iterable[object]) -> html.Details:
    return html.Details(
        [
            html.Summary("Assumptions", className="small"),
            html.Ul([html.Li(str(a)) for a in items], className="small mb-0 ps-3"),
        ],
        className="mt-1",
    )


def _note(text: object) -> html.P:
    return html.P(
        [icon("info-circle", "me-1"), str(text)], className="small text-body-secondary mb-1"
    )


def _count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _counts_table(
    rows: Sequence[str], columns: Sequence[str], values: Sequence[Sequence[object]]
) -> dbc.Table:
    header = html.Thead(html.Tr([html.Th(""), *[html.Th(c, scope="col") for c in columns]]))
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Th(r, scope="row"),
                    *[html.Td(f"{v:,}" if isinstance(v, int) else str(v)) for v in vs],
                ]
            )
            for r, vs in zip(rows, values, strict=True)
        ]
    )
    return dbc.Table([header, body], size="sm", bordered=True, className="msg-mut-counts mb-1")


def spectrum_test(tests: Mapping[str, Mapping[str, Any]]) -> html.Div:
    """The spectrum tests (six classes; transitions against transversions), each with the
    table of counts it tested and its assumptions, or why it could not be done."""
    parts: list[Any] = []
    titles = {"class": "Six classes", "transition": "Transitions / transversions"}
    for key, title in titles.items():
        test = tests.get(key) or {}
        parts.append(html.H4(title, className="h6 mt-2 mb-1"))
        if "note" in test:
            parts.append(_note(test["note"]))
            continue
        table = test.get("table") or []
        parts.append(
            html.P(
                f"{test.get('method')}: statistic {float(test.get('statistic') or 0):.3g}, "
                f"p = {p_text(test.get('p_value'))}"
                + (f", {test['dof']} df" if test.get("dof") else ""),
                className="small mb-1",
            )
        )
        parts.append(
            _counts_table(list(test.get("rows") or []), list(test.get("categories") or []), table)
        )
        parts.append(_assumptions(test.get("assumptions") or []))
    return html.Div(parts)


def parallel_facts(parallel: Mapping[str, Any]) -> html.Div:
    """What the parallelism test counted and assumed."""
    if "note" in parallel:
        return html.Div(_note(parallel["note"]))
    text = (
        f"{parallel.get('total_mutations', 0):,} mutations in {len(parallel.get('lines') or [])} "
        f"lines over {parallel.get('genes_tested', 0):,} genes of a "
        f"{int(parallel.get('genome_length') or 0):,} bp genome; "
        f"{len(parallel.get('genes') or []):,} genes hit in two or more lines."
    )
    return html.Div(
        [html.P(text, className="small mb-1"), _assumptions(parallel.get("assumptions") or [])]
    )


def bound(value: object) -> str:
    """A statistic or a bound of its interval (the service gives an infinite one as None).

    >>> bound(0.00325), bound(None)
    ('0.00325', '∞')
    """
    return f"{float(value):.3g}" if isinstance(value, int | float) else "∞"


def _rate(r: Mapping[str, Any]) -> str:
    return f"{bound(r['rate'])} ({bound(r['lower'])}–{bound(r['upper'])})"


def rates_view(rates: Sequence[Mapping[str, Any]], ratio: Mapping[str, Any]) -> html.Div:
    """Each line's mutations per genome per generation with its interval, and the
    flight/ground ratio with its test."""
    if not rates:
        return html.Div(
            _note("Enter generations for the samples above to see their mutation rates.")
        )
    header = html.Thead(
        html.Tr(
            [
                html.Th(h, scope="col")
                for h in ("Sample", "Condition", "Mutations", "Generations", "Rate (95 % CI)")
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Th(str(r["sample"]), scope="row"),
                    html.Td(str(r["condition"])),
                    html.Td(f"{int(r['count']):,}"),
                    html.Td(f"{float(r['generations']):,.0f}"),
                    html.Td(
                        f"{float(r['rate']):.3g} ({float(r['lower']):.3g}–{float(r['upper']):.3g})"
                    ),
                ]
            )
            for r in rates
        ]
    )
    parts: list[Any] = [
        dbc.Table([header, body], size="sm", bordered=True, className="msg-mut-counts mb-1"),
        _assumptions(rates[0].get("assumptions") or []),
        html.H4("Flight / ground", className="h6 mt-2 mb-1"),
    ]
    if "note" in ratio:
        parts.append(_note(ratio["note"]))
    else:
        value = ratio.get("ratio")
        shown = bound(value) if value is not None else "—"
        parts += [
            html.P(
                f"Rate ratio {shown} (95 % CI {bound(ratio.get('lower'))}–"
                f"{bound(ratio.get('upper'))}), p = {p_text(ratio.get('p_value'))}; "
                f"{ratio.get('method')}.",
                className="small mb-1",
                id="mutations-rate-ratio",
            ),
            _counts_table(
                ["Space Flight", "Ground Control"],
                ["Mutations", "Genome-generations"],
                [
                    [int(ratio["flight_count"]), f"{float(ratio['flight_exposure']):,.0f}"],
                    [int(ratio["ground_count"]), f"{float(ratio['ground_exposure']):,.0f}"],
                ],
            ),
            _assumptions(ratio.get("assumptions") or []),
        ]
    return html.Div(parts)
