"""The sequence explorer's layout: picker, summary, genome map, and the CDS, ORF, motif,
region and alignment tools. Built from the URL (``layout(**query)``) and the database only;
everything computed from the sequence arrives through callbacks once the record is parsed.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.auth import app_state, current_db, current_files
from dashboard.components import forms
from dashboard.components.arm_rows import spaceflight_badge
from dashboard.components.explorer_state import (
    ExplorerQuery,
    format_position,
    orf_key,
    parse_query,
)
from dashboard.components.explorer_views import (
    RECORDS_SHOWN_MAX,
    dataset_label,
    record_options,
)
from dashboard.components.feedback import empty_state, icon
from dashboard.components.frame import card, loading, page_header
from dashboard.components.provenance_badge import provenance_badge
from dashboard.components.sequence_figures import (
    clamp_view,
    empty_figure,
    length_histogram,
)
from dashboard.components.sizes import bases, byte_size
from dashboard.components.theme import current_scheme
from dashboard.services import datasets, explorer, provenance
from dashboard.services.datasets import DatasetView, RecordRow
from dashboard.services.errors import NotFound, ValidationFailed

from . import ids
from .tool_layout import tools

API = "/api/v1"
DATASETS_PATH = "/datasets"
GRAPH_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "scrollZoom": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "svg", "filename": "genome-map"},
}
# --- picking a dataset and a record -------------------------------------------------------


def explorable(db: Any) -> list[DatasetView]:
    """Datasets the explorer opens (genomes and assemblies), newest first."""
    return [d for d in datasets.list_datasets(db) if explorer.can_explore(d)]


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
    window, step = explorer.default_window(length)
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
        required = app_state().settings.chain_confirmations
        status = provenance.status_map(current_db(), [dataset.id], required)[dataset.id]
        subtitle = html.Span(
            [
                html.Span(dataset.filename, className="fw-semibold"),
                " ",
                provenance_badge(status, badge_id=ids.PROVENANCE),
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
    if not explorer.can_explore(dataset):
        return _nothing_to_open(
            choices,
            empty_state(
                "arrows-angle-expand",
                f"Dataset {dataset.id} is too large for the explorer",
                f"It holds {dataset.total_length / 1e6:,.0f} Mb; the explorer opens genomes and "
                f"assemblies up to {explorer.EXPLORER_MAX_BP / 1e6:,.0f} Mb. Its statistics are "
                "on its dataset page.",
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
        "default_window": list(explorer.default_window(record.length)),
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
            tools(q, query, choices, dataset, record.id),
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
