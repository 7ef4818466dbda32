"""The sequence explorer's layout: picker, summary, genome map, and the CDS, ORF, motif,
region and alignment tools. Built from the URL (``layout(**query)``) and the database only;
everything computed from the sequence arrives through callbacks once the record is parsed.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.auth import current_db, current_files
from dashboard.components import forms
from dashboard.components.arm_rows import spaceflight_badge
from dashboard.components.explorer_state import (
    DEFAULT_ORFS,
    ExplorerQuery,
    format_position,
    orf_key,
    parse_query,
)
from dashboard.components.explorer_views import tool_tabs
from dashboard.components.feedback import empty_state, icon
from dashboard.components.frame import card, loading, page_header
from dashboard.components.grid import GridSpec, data_grid
from dashboard.components.sequence_figures import (
    clamp_view,
    default_window,
    empty_figure,
    length_histogram,
)
from dashboard.components.sequence_tables import (
    CDS_COLUMNS,
    DIFFERENCE_COLUMNS,
    HIT_COLUMNS,
    ORF_COLUMNS,
    check_legend,
)
from dashboard.components.sizes import bases, byte_size
from dashboard.components.theme import current_scheme
from dashboard.components.view_state import GridView, Sort
from dashboard.services import datasets, explorer
from dashboard.services.datasets import DatasetView, RecordRow
from dashboard.services.errors import NotFound, ValidationFailed

from . import ids

API = "/api/v1"
DATASETS_PATH = "/datasets"
RECORDS_SHOWN_MAX = 5_000  # records offered in the picker (huge assemblies: the first ones)
GRAPH_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "scrollZoom": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "svg", "filename": "genome-map"},
}
IUPAC_HELP = (
    "IUPAC codes: A C G T (U = T); R = A/G, Y = C/T, S = G/C, W = A/T, K = G/T, M = A/C; "
    "B = not A, D = not C, H = not G, V = not T; N = any base. Both strands are searched; "
    "overlapping hits count."
)

CDS_SPEC = GridSpec(
    ids.CDS_IDS,
    CDS_COLUMNS,
    default=GridView(sort=(Sort("start"),)),
    label="CDS",
    # The grid's URL callback also keeps the explorer's view (the page has one query
    # string): the values come from stores a clientside callback keeps from the inputs.
    url_params={
        "start": (ids.URL_START, "data"),
        "end": (ids.URL_END, "data"),
        "window": (ids.URL_WINDOW, "data"),
        "step": (ids.URL_STEP, "data"),
        "skew": (ids.CUMULATIVE, "value"),
        "tab": (ids.URL_TAB, "data"),
        "orfs": (ids.ORF_APPLIED, "data"),
        "motif": (ids.MOTIF_APPLIED, "data"),
        "differing": (ids.DIFFERING, "value"),
        "cds": (ids.CDS_CHOSEN, "data"),
    },
)
ORF_SPEC = GridSpec(ids.ORF_IDS, ORF_COLUMNS, label="ORFs")
HIT_SPEC = GridSpec(ids.HIT_IDS, HIT_COLUMNS, label="hits")
DIFF_SPEC = GridSpec(ids.DIFF_IDS, DIFFERENCE_COLUMNS, label="differences")
SELECT_ROW = {
    "rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}
}


# --- picking a dataset and a record -------------------------------------------------------


def dataset_label(view: DatasetView) -> str:
    """How a dataset reads in a picker: id, file, sample and experiment."""
    return f"#{view.id} {view.filename} · {view.sample.name} · {view.experiment_name}"


def explorable(db: Any) -> list[DatasetView]:
    """Datasets the explorer opens (genomes and assemblies), newest first."""
    return [d for d in datasets.list_datasets(db) if not d.is_reads]


def record_options(rows: list[RecordRow]) -> list[dict[str, str]]:
    """Records as picker options: id and length."""
    return [{"label": f"{r.id} · {r.length:,} bp", "value": r.id} for r in rows[:RECORDS_SHOWN_MAX]]


def _picker(
    choices: list[DatasetView],
    dataset: DatasetView | None,
    records: list[RecordRow],
    record_id: str,
) -> dbc.Card:
    options = [{"label": dataset_label(d), "value": str(d.id)} for d in choices]
    if dataset is not None and dataset.id not in {d.id for d in choices}:
        options.insert(0, {"label": dataset_label(dataset), "value": str(dataset.id)})
    record_note = (
        html.Div(
            f"The first {RECORDS_SHOWN_MAX:,} of {len(records):,} records are listed.",
            className="form-text",
        )
        if len(records) > RECORDS_SHOWN_MAX
        else None
    )
    return card(
        dbc.Row(
            [
                dbc.Col(
                    [
                        dbc.Label("Dataset", html_for=ids.DATASET),
                        dbc.Select(
                            id=ids.DATASET,
                            options=options,
                            value=str(dataset.id) if dataset else "",
                            placeholder="Pick a genome or assembly",
                        ),
                        html.Div(
                            "Genomes and assemblies (GenBank, EMBL, FASTA). Reads have their "
                            "statistics on their dataset's page.",
                            className="form-text",
                        ),
                    ],
                    lg=7,
                ),
                dbc.Col(
                    [
                        dbc.Label("Record", html_for=ids.RECORD),
                        dbc.Select(
                            id=ids.RECORD,
                            options=record_options(records),
                            value=record_id,
                            disabled=not records,
                        ),
                        record_note,
                    ],
                    lg=5,
                ),
            ],
            className="g-3",
        ),
        class_name="mb-3",
    )


# --- summary ------------------------------------------------------------------------------


def _fact(term: str, value: Any, fact_id: str | None = None) -> html.Div:
    return html.Div(
        [html.Dt(term), html.Dd(value, **({"id": fact_id} if fact_id else {}))],
        className="msg-explorer-fact",
    )


def _summary(dataset: DatasetView, record: RecordRow, *, parsed: bool) -> dbc.Card:
    stats = dataset.stats.get("assembly")
    figures = stats if isinstance(stats, dict) else {}
    facts = [
        _fact("Records", f"{dataset.record_count:,}"),
        _fact("Total length", f"{dataset.total_length:,} bp"),
    ]
    if "n50" in figures:
        facts.append(
            _fact("N50 / L50", f"{int(figures['n50']):,} bp / {int(figures.get('l50', 0)):,}")
        )
    if "gc_fraction" in figures:
        facts.append(_fact("GC (all records)", f"{float(figures['gc_fraction']) * 100:.2f} %"))
    facts.append(_fact("This record", f"{record.length:,} bp"))
    message = (
        "Reading the features…"
        if parsed
        else f"Parsing {bases(dataset.total_length)} {dataset.material}… the first "
        "open of a file takes a few seconds; later ones are instant."
    )
    counts = html.Div(
        [html.Span(message, className="text-body-secondary", id=ids.LOAD_MESSAGE)],
        id=ids.FEATURE_COUNTS,
        className="msg-explorer-counts",
        role="status",
    )
    body: list[Any] = [
        html.Dl(facts, className="msg-explorer-facts mb-2", id=ids.SUMMARY),
        loading(counts, min_height="1.5rem"),
    ]
    histogram = figures.get("length_histogram")
    if dataset.record_count > 1 and isinstance(histogram, list) and histogram:
        body.append(
            html.Div(
                [
                    html.H2("Record lengths", className="h6 mt-3 mb-1"),
                    dcc.Graph(
                        id=ids.HISTOGRAM,
                        figure=length_histogram(histogram, current_scheme()),
                        config={"displaylogo": False, "responsive": True},
                    ),
                ]
            )
        )
    return card(body, class_name="mb-3")


# --- the genome map -----------------------------------------------------------------------


def _range_controls(first: int, last: int) -> html.Form:
    return html.Form(
        dbc.Row(
            [
                dbc.Col(
                    forms.field(
                        ids.RANGE_FORM,
                        "start",
                        "From",
                        value=format_position(first),
                        units="bp",
                        input_mode="numeric",
                        class_name="mb-0",
                    ),
                    xs=6,
                    md=3,
                ),
                dbc.Col(
                    forms.field(
                        ids.RANGE_FORM,
                        "end",
                        "To",
                        value=format_position(last),
                        units="bp",
                        input_mode="numeric",
                        class_name="mb-0",
                    ),
                    xs=6,
                    md=3,
                ),
                dbc.Col(
                    [
                        html.Button(
                            [icon("eye", "me-1"), "Show"],
                            type="submit",
                            className="btn btn-primary msg-form-submit",
                            id=ids.RANGE_FORM.submit,
                        ),
                        dbc.Button(
                            [icon("arrows-angle-expand", "me-1"), "Whole record"],
                            id=ids.WHOLE,
                            color="secondary",
                            outline=True,
                        ),
                    ],
                    xs=12,
                    md=6,
                    className="d-flex gap-2 align-items-end flex-wrap msg-explorer-range-actions",
                ),
            ],
            className="g-2",
        ),
        id=ids.RANGE_FORM.root,
        noValidate=True,
        className="msg-form mb-2",
        **{"aria-label": "Bases to show"},
    )


def _gc_controls(window: int, step: int, cumulative: bool) -> html.Form:
    return html.Form(
        dbc.Row(
            [
                dbc.Col(
                    forms.field(
                        ids.GC_FORM,
                        "window",
                        "GC window",
                        value=str(window),
                        units="bp",
                        input_mode="numeric",
                        class_name="mb-0",
                    ),
                    xs=6,
                    md=3,
                ),
                dbc.Col(
                    forms.field(
                        ids.GC_FORM,
                        "step",
                        "Step",
                        value=str(step),
                        units="bp",
                        input_mode="numeric",
                        class_name="mb-0",
                    ),
                    xs=6,
                    md=3,
                ),
                dbc.Col(
                    [
                        html.Button(
                            [icon("arrow-repeat", "me-1"), "Apply"],
                            type="submit",
                            className="btn btn-outline-secondary msg-form-submit",
                            id=ids.GC_FORM.submit,
                        ),
                        dbc.Switch(
                            id=ids.CUMULATIVE,
                            label="Cumulative GC skew",
                            value=cumulative,
                            className="mb-0 ms-1",
                        ),
                    ],
                    xs=12,
                    md=6,
                    className="d-flex gap-3 align-items-end flex-wrap msg-explorer-range-actions",
                ),
            ],
            className="g-2",
        ),
        id=ids.GC_FORM.root,
        noValidate=True,
        className="msg-form mb-2",
        **{"aria-label": "GC windows"},
    )


def _unless(value: int | None, default: int) -> str | None:
    """A URL value: nothing for the default."""
    return None if value is None or value == default else str(value)


def _map_card(q: ExplorerQuery, length: int, *, parsed: bool, size: str) -> dbc.Card:
    first, last = clamp_view(q.start, q.end, length)
    window, step = default_window(length)
    is_whole = (first, last) == (1, length)
    message = "Drawing the map…" if parsed else f"Parsing {size}…"
    return card(
        [
            _range_controls(first, last),
            html.Div(id=ids.VIEW_INFO, className="small text-body-secondary mb-1", role="status"),
            loading(
                dcc.Graph(
                    id=ids.MAP,
                    figure=empty_figure(message, current_scheme(), height=530),
                    config=GRAPH_CONFIG,
                    className="msg-explorer-map",
                ),
                area_id=ids.MAP_AREA,
                min_height="530px",
            ),
            html.P(
                "Drag across the map to zoom (double-click: whole record); click a feature "
                "to zoom to it and, for a CDS, to see its protein below.",
                className="small text-body-secondary mb-2",
            ),
            _gc_controls(q.window or window, q.step or step, q.cumulative),
            # What the URL keeps, as it came (the grid's URL callback writes them back).
            dcc.Store(id=ids.URL_START, data=None if is_whole else str(first)),
            dcc.Store(id=ids.URL_END, data=None if is_whole else str(last)),
            dcc.Store(id=ids.URL_WINDOW, data=_unless(q.window, window)),
            dcc.Store(id=ids.URL_STEP, data=_unless(q.step, step)),
            dcc.Store(id=ids.URL_TAB, data=None if q.tab == ids.TAB_CDS else q.tab),
        ],
        header=[icon("bar-chart-steps", "me-2"), "Genome map"],
        class_name="mb-3",
    )


# --- tools --------------------------------------------------------------------------------


def _cds_tab(q: ExplorerQuery, query: dict[str, Any], record_id: str) -> html.Div:
    differing = dbc.Switch(
        id=ids.DIFFERING,
        label="Only differing translations",
        value=q.differing,
        className="mb-0",
    )
    grid = data_grid(
        CDS_SPEC,
        [],
        view=CDS_SPEC.view(query),  # search, sort, filters and page from the URL
        csv_name=f"{record_id}-cds.csv",
        legend=check_legend(),
        toolbar_extra=[differing],
        no_match="No CDS match. Clear the search, the filters or the switch to see all.",
        grid_options=SELECT_ROW,
    )
    return html.Div(
        [
            html.Div(id=ids.CDS_INFO, role="status"),
            grid,
            card(
                loading(
                    html.Div(
                        "Pick a CDS in the table or on the map to see its protein, translated "
                        "from the sequence beside the annotated one.",
                        className="text-body-secondary",
                        id=ids.CDS_DETAIL,
                    ),
                ),
                header=[icon("capsule", "me-2"), "Chosen CDS"],
                class_name="mt-3",
            ),
        ]
    )


def _orf_form(q: ExplorerQuery, codes: dict[int, str]) -> html.Form:
    minimum, table, starts = q.orfs or DEFAULT_ORFS
    starts_field = html.Fieldset(
        [
            html.Legend("Start codons", className="form-label fs-6 mb-2"),
            dbc.Checklist(
                id=ids.ORF_STARTS,
                options=[{"label": c, "value": c} for c in explorer.START_CODONS],
                value=list(starts),
                inline=True,
                className="msg-explorer-codons",
            ),
            forms.field_error(ids.ORF_FORM, "starts"),
        ],
        className="msg-field mb-3",
        id=ids.ORF_FORM.wrapper("starts"),
    )
    return html.Form(
        [
            dbc.Row(
                [
                    dbc.Col(
                        forms.field(
                            ids.ORF_FORM,
                            "min_length",
                            "Minimum length",
                            value=str(minimum),
                            units="nt",
                            input_mode="numeric",
                            help_text=f"{explorer.ORF_MIN_NT}–{explorer.ORF_MAX_NT:,} nt, "
                            "stop codon included.",
                        ),
                        md=3,
                    ),
                    dbc.Col(
                        forms.field(
                            ids.ORF_FORM,
                            "table",
                            "Genetic code",
                            value=str(table),
                            kind="select",
                            options=[(str(k), f"{k}. {name}") for k, name in codes.items()],
                        ),
                        md=5,
                    ),
                    dbc.Col(starts_field, md=4),
                ],
                className="g-3",
            ),
            html.Div(
                [
                    html.Button(
                        [icon("search", "me-1"), "Find ORFs"],
                        id=ids.ORF_RUN,
                        type="submit",
                        className="btn btn-primary msg-form-submit",
                    ),
                    html.A(
                        [icon("download", "me-1"), "Proteins (FASTA)"],
                        id=ids.ORF_FASTA,
                        className="btn btn-outline-secondary",
                        href="#",
                        hidden=True,
                    ),
                    html.A(
                        [icon("download", "me-1"), "Nucleotides (FASTA)"],
                        id=ids.ORF_FASTA_NT,
                        className="btn btn-outline-secondary",
                        href="#",
                        hidden=True,
                    ),
                ],
                className="d-flex flex-wrap gap-2",
            ),
        ],
        id=ids.ORF_FORM.root,
        noValidate=True,
        className="msg-form mb-3",
        **{"aria-label": "Find open reading frames"},
    )


def _orf_tab(q: ExplorerQuery, codes: dict[int, str]) -> html.Div:
    return html.Div(
        [
            card(
                [
                    html.P(
                        "Open reading frames in all six frames: from a start codon to the "
                        "next in-frame stop, the longest per stop codon. They are drawn on "
                        "the map's outer lanes.",
                        className="text-body-secondary",
                    ),
                    _orf_form(q, codes),
                    html.Div(id=ids.ORF_INFO, role="status"),
                ],
                class_name="mb-3",
            ),
            data_grid(
                ORF_SPEC,
                [],
                csv_name="orfs.csv",
                grid_options=SELECT_ROW,
                no_match="No ORFs yet: set the search above and press Find ORFs.",
            ),
        ]
    )


def _motif_tab(q: ExplorerQuery) -> html.Div:
    form = html.Form(
        [
            dbc.Row(
                [
                    dbc.Col(
                        forms.field(
                            ids.MOTIF_FORM,
                            "motif",
                            "Motif or primer",
                            value=q.motif,
                            max_length=200,
                            placeholder="e.g. GAATTC or TTGACA",
                            help_text=IUPAC_HELP,
                            class_name="mb-2",
                        ),
                        md=9,
                    ),
                    dbc.Col(
                        html.Button(
                            [icon("search", "me-1"), "Search"],
                            id=ids.MOTIF_RUN,
                            type="submit",
                            className="btn btn-primary msg-form-submit",
                        ),
                        md=3,
                        className="msg-explorer-submit-col",
                    ),
                ],
                className="g-2",
            ),
        ],
        id=ids.MOTIF_FORM.root,
        noValidate=True,
        className="msg-form",
        **{"aria-label": "Search a motif"},
    )
    return html.Div(
        [
            card([form, html.Div(id=ids.MOTIF_INFO, role="status")], class_name="mb-3"),
            data_grid(
                HIT_SPEC,
                [],
                csv_name="motif-hits.csv",
                grid_options=SELECT_ROW,
                no_match="No hits yet: type a motif above and press Search.",
            ),
        ]
    )


def _region_tab() -> html.Div:
    return card(
        [
            html.Div(
                [
                    html.Div(id=ids.REGION_INFO, role="status", className="me-auto"),
                    html.A(
                        [icon("download", "me-1"), "Download region (FASTA)"],
                        id=ids.REGION_FASTA,
                        className="btn btn-outline-secondary btn-sm",
                        href="#",
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
            loading(html.Div(id=ids.REGION_BASES), min_height="6rem"),
        ],
        header=[icon("body-text", "me-2"), "Bases in view"],
    )


def _align_side(
    side: str, title: str, choices: list[DatasetView], dataset_id: int, record_id: str
) -> dbc.Col:
    options = [(str(d.id), dataset_label(d)) for d in choices]
    return dbc.Col(
        [
            html.H2(title, className="h6"),
            forms.field(
                ids.ALIGN_FORM,
                f"{side}-dataset",
                "Dataset",
                value=str(dataset_id),
                kind="select",
                options=options,
            ),
            forms.field(
                ids.ALIGN_FORM,
                f"{side}-record",
                "Record",
                value=record_id,
                kind="select",
                options=[(record_id, record_id)],
            ),
            html.Div(
                [
                    dbc.Label("Quick pick: a CDS", html_for=ids.align_pick(side)),
                    dbc.Input(
                        id=ids.align_pick(side),
                        type="search",
                        list=ids.align_pick_options(side),
                        placeholder="Type a locus tag, gene or product",
                        autoComplete="off",
                        debounce=True,
                    ),
                    html.Datalist(id=ids.align_pick_options(side)),
                    dcc.Store(id=ids.align_pick_spans(side)),
                    html.Div(
                        "Fills From and To with the CDS (on the forward strand).",
                        className="form-text",
                    ),
                ],
                className="mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        forms.field(
                            ids.ALIGN_FORM,
                            f"{side}-start",
                            "From",
                            units="bp",
                            input_mode="numeric",
                        ),
                        xs=6,
                    ),
                    dbc.Col(
                        forms.field(
                            ids.ALIGN_FORM,
                            f"{side}-end",
                            "To",
                            units="bp",
                            input_mode="numeric",
                        ),
                        xs=6,
                    ),
                ],
                className="g-2",
            ),
        ],
        md=6,
    )


def _align_tab(choices: list[DatasetView], dataset: DatasetView, record_id: str) -> html.Div:
    form = html.Form(
        [
            html.P(
                "Align two regions end to end (blastn scores: match +2, mismatch −3, gap "
                f"5 + 2 per base), each up to {explorer.ALIGN_MAX_BP:,} bp, e.g. the same "
                "gene in a flight and a ground isolate. Both are read on the forward strand.",
                className="text-body-secondary",
            ),
            dbc.Row(
                [
                    _align_side("first", "Region A", choices, dataset.id, record_id),
                    _align_side("second", "Region B", choices, dataset.id, record_id),
                ],
                className="g-4",
            ),
            html.Button(
                [icon("distribute-horizontal", "me-1"), "Align"],
                id=ids.ALIGN_RUN,
                type="submit",
                className="btn btn-primary msg-form-submit",
            ),
        ],
        id=ids.ALIGN_FORM.root,
        noValidate=True,
        className="msg-form",
        **{"aria-label": "Align two regions"},
    )
    return html.Div(
        [
            card([form, html.Div(id=ids.ALIGN_ERROR)], class_name="mb-3 msg-filter-card"),
            loading(
                html.Div(
                    [
                        html.Div(id=ids.ALIGN_SUMMARY),
                        html.Div(
                            data_grid(
                                DIFF_SPEC,
                                [],
                                csv_name="differences.csv",
                                no_match="No differences yet: align two regions above.",
                            ),
                            className="mb-3",
                        ),
                        html.Div(id=ids.ALIGN_RESULT),
                    ]
                ),
                min_height="4rem",
            ),
        ]
    )


def _tabs(
    q: ExplorerQuery,
    choices: list[DatasetView],
    dataset: DatasetView,
    record_id: str,
    cds_grid: Any,
) -> html.Div:
    codes = explorer.genetic_code_names()
    return html.Div(
        [
            dcc.Store(id=ids.TABS, data=q.tab),
            tool_tabs(
                ids.TAB_PREFIX,
                [
                    (ids.TAB_CDS, "CDS", cds_grid),
                    (ids.TAB_ORFS, "ORF finder", _orf_tab(q, codes)),
                    (ids.TAB_MOTIF, "Motif search", _motif_tab(q)),
                    (ids.TAB_REGION, "Bases", _region_tab()),
                    (ids.TAB_ALIGN, "Align", _align_tab(choices, dataset, record_id)),
                ],
                q.tab,
                "Tools",
            ),
        ]
    )


# --- downloads ----------------------------------------------------------------------------


def _download(label: str, href: str, name: str, link_id: str | None = None) -> html.A:
    return html.A(
        label,
        href=href,
        download=name,
        className="dropdown-item",
        **({"id": link_id} if link_id else {}),
    )


def _downloads(dataset: DatasetView, record_id: str) -> dbc.DropdownMenu:
    base = f"{API}/datasets/{dataset.id}"
    record = f"record={record_id}"
    return dbc.DropdownMenu(
        [
            dbc.DropdownMenuItem("This dataset", header=True),
            _download(
                f"Original file ({byte_size(dataset.size)})",
                f"{base}/content",
                dataset.filename,
            ),
            _download("Statistics (CSV)", f"{base}/stats.csv", f"dataset-{dataset.id}-stats.csv"),
            dbc.DropdownMenuItem(f"Record {record_id}", header=True),
            _download(
                "Bases in view (FASTA)",
                f"{base}/region?{record}",
                "region.fasta",
                ids.DOWNLOAD_REGION,
            ),
            _download(
                "CDS proteins (FASTA)",
                f"{base}/cds.fasta?{record}&protein=true",
                f"{record_id}-proteins.fasta",
            ),
            _download(
                "CDS nucleotides (FASTA)",
                f"{base}/cds.fasta?{record}&protein=false",
                f"{record_id}-cds.fasta",
            ),
        ],
        label=[icon("download", "me-1"), "Downloads"],
        color="primary",
        align_end=True,
        id=ids.DOWNLOADS,
    )


# --- the page -----------------------------------------------------------------------------


def _header(dataset: DatasetView | None, actions: list[Any]) -> html.Header:
    crumbs = [("Overview", "/"), ("Datasets", DATASETS_PATH)]
    subtitle: Any = "Genomes and assemblies: features, GC, CDS, ORFs, motifs, alignments."
    if dataset is not None:
        crumbs.append((f"#{dataset.id} {dataset.filename}", f"{DATASETS_PATH}/{dataset.id}"))
        subtitle = html.Span(
            [
                html.Span(dataset.filename, className="fw-semibold"),
                " · sample ",
                dataset.sample.name,
                " ",
                spaceflight_badge(dataset.sample.spaceflight)
                if dataset.sample.spaceflight
                else None,
                " · ",
                dcc.Link(dataset.experiment_name, href=f"/experiments/{dataset.experiment_id}"),
            ],
            className="msg-explorer-subtitle",
        )
    crumbs.append(("Sequence explorer", None))
    return page_header(
        "Sequence explorer", breadcrumb_items=crumbs, actions=actions, subtitle=subtitle
    )


def _nothing_to_open(choices: list[DatasetView], message: Any) -> html.Div:
    return html.Div(
        [
            _header(None, []),
            dcc.Location(id=ids.NAVIGATE, refresh="callback-nav"),
            dcc.Store(id=ids.VIEW),
            _picker(choices, None, [], ""),
            message,
        ]
    )


def layout(**query: Any) -> html.Div:
    """The explorer on the dataset and record the URL names (or a picker)."""
    db = current_db()
    q = parse_query(query)
    choices = explorable(db)
    if q.dataset is None:
        if not choices:
            return _nothing_to_open(
                choices,
                empty_state(
                    "search",
                    "No genome or assembly yet",
                    "Import a GenBank, EMBL or FASTA file on the datasets page; it opens here.",
                    dcc.Link("Datasets", href=DATASETS_PATH),
                ),
            )
        return _nothing_to_open(
            choices,
            empty_state(
                "search",
                "Pick a dataset",
                "Choose a genome or an assembly above to see its features, GC content, CDS "
                "and more.",
            ),
        )
    try:
        dataset = datasets.get_dataset(db, q.dataset)
    except NotFound:
        return _nothing_to_open(
            choices,
            empty_state(
                "question-circle",
                f"No dataset {q.dataset}",
                "It may have been deleted. Pick another above.",
                dcc.Link("All datasets", href=DATASETS_PATH),
            ),
        )
    if dataset.is_reads:
        return _nothing_to_open(
            choices,
            empty_state(
                "file-earmark-bar-graph",
                f"Dataset {dataset.id} holds reads (FASTQ)",
                "The explorer shows genomes and assemblies; the read statistics (lengths, "
                "qualities, GC) are on the dataset's page.",
                dcc.Link(
                    "Open its dataset page",
                    href=f"{DATASETS_PATH}/{dataset.id}",
                    className="btn btn-primary",
                ),
            ),
        )
    records = datasets.records(db, dataset.id)
    if not records:
        return _nothing_to_open(
            choices,
            empty_state("question-circle", f"Dataset {dataset.id} has no records", ""),
        )
    record = next((r for r in records if r.id == q.record), records[0])
    if q.record and record.id != q.record:
        q = ExplorerQuery(dataset=q.dataset, record=record.id)  # a stale link: start afresh
    parsed = explorer.is_parsed(db, current_files(), dataset.id)
    view = {
        "dataset": dataset.id,
        "record": record.id,
        "length": record.length,
        "default_window": list(default_window(record.length)),
    }
    return html.Div(
        [
            _header(dataset, [_downloads(dataset, record.id)]),
            dcc.Location(id=ids.NAVIGATE, refresh="callback-nav"),
            dcc.Store(id=ids.VIEW, data=view),
            dcc.Store(id=ids.LOADED),
            dcc.Store(id=ids.RANGE, data=list(clamp_view(q.start, q.end, record.length))),
            dcc.Store(id=ids.CDS_CHOSEN, data=q.cds),
            dcc.Store(id=ids.CDS_SHOWN),
            dcc.Store(id=ids.ORF_APPLIED, data=_orf_text(q)),
            dcc.Store(id=ids.MOTIF_APPLIED, data=_motif_text(q)),
            dcc.Download(id=ids.CDS_DOWNLOAD),
            _picker(choices, dataset, records, record.id),
            _summary(dataset, record, parsed=parsed),
            _map_card(q, record.length, parsed=parsed, size=bases(record.length)),
            _tabs(q, choices, dataset, record.id, _cds_tab(q, query, record.id)),
        ],
        className="msg-explorer",
    )


def _orf_text(q: ExplorerQuery) -> str | None:
    """The URL's ORF search if the service accepts it (else the form shows why, on search)."""
    if q.orfs is None:
        return None
    try:
        options = explorer.orf_options(*q.orfs)
    except ValidationFailed:
        return None
    return orf_key(options.min_length_nt, options.table, options.starts)


def _motif_text(q: ExplorerQuery) -> str | None:
    """The URL's motif if it is one (else the form says why once the record is read)."""
    if not q.motif:
        return None
    try:
        return explorer.check_motif(q.motif)
    except ValidationFailed:
        return None
