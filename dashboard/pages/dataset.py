"""One dataset: its file, its sample, its lineage and the statistics computed at import."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard.access import guard_layout
from dashboard.auth import app_state, current_actor, current_db, current_files, current_principal
from dashboard.components.arm_rows import spaceflight_badge
from dashboard.components.dataset_charts import length_histogram, quality_by_position
from dashboard.components.datasets_table import count_label, format_label
from dashboard.components.feedback import (
    delete_dialog,
    empty_state,
    error_alert,
    icon,
    success_alert,
)
from dashboard.components.formatting import gravity
from dashboard.components.frame import card, page_header
from dashboard.components.grid import (
    GridSpec,
    data_grid,
    grid_ids,
    number_column,
    register_grid,
    text_column,
)
from dashboard.components.provenance_badge import provenance_badge, provenance_line
from dashboard.components.sizes import bases, byte_size, count, percent
from dashboard.components.theme import current_scheme
from dashboard.components.timestamp import timestamp
from dashboard.components.view_state import GridView, parse_int
from dashboard.services import datasets, explorer, policy, provenance
from dashboard.services.datasets import DatasetView
from dashboard.services.errors import InputError, NotFound

LIST_PATH = "/datasets"
EXPLORER_PATH = "/explorer"
PROVENANCE_PATH = "/provenance"
PROVENANCE_MODULE = "dashboard.pages.provenance"
API = "/api/v1"
ID_MAX = 2**31 - 1
NCBI_TAXONOMY = "https://www.ncbi.nlm.nih.gov/Taxonomy/Browser/wwwtax.cgi?id="
# Component ids
MESSAGE = "dataset-message"
DETAILS = "dataset-details"
SHA256 = "dataset-sha256"
COPY_SHA = "dataset-sha256-copy"
EXPLORER_LINK = "dataset-explorer-link"
DOWNLOAD = "dataset-download"
STATS_CSV = "dataset-stats-csv"
DELETE = "dataset-delete"
DELETE_DIALOG = "dataset-delete-dialog"
DELETE_CONFIRM = "dataset-delete-confirm"
DELETE_CANCEL = "dataset-delete-cancel"
DELETE_PROBLEM = "dataset-delete-problem"
DELETE_TARGET = "dataset-delete-target"  # dcc.Store: the id the dialog deletes
REDIRECT = "dataset-redirect"
LINEAGE = "dataset-lineage"
STATS = "dataset-stats"
LENGTHS_CHART = "dataset-lengths-chart"
QUALITY_CHART = "dataset-quality-chart"
PROVENANCE_BADGE = "dataset-provenance-badge"
PROVENANCE_LINE = "dataset-provenance"
PROVENANCE_LINK = "dataset-provenance-link"
GRAPH_CONFIG = {"displaylogo": False, "responsive": True}

RECORDS = GridSpec(
    grid_ids("dataset-records"),
    [
        number_column("position", "#", width=80, filter_kind=None),
        {
            **text_column("id", "Record", min_width=160, flex=1, hideable=False),
            "context": {"pinOnPhone": True},
        },
        text_column("description", "Description", min_width=200, flex=3),
        {
            **number_column("length", "Length (bp)", width=140),
            "valueFormatter": {
                "function": "params.value == null ? '' : params.value.toLocaleString('en-US')"
            },
        },
    ],
    default=GridView(),
    label="records",
)
register_grid(RECORDS)


def find_dataset(dataset_id: str) -> DatasetView | None:
    """The dataset a URL's id names (``"12"``), or None when malformed or missing."""
    number = parse_int(dataset_id, minimum=1, maximum=ID_MAX)
    if number is None:
        return None
    try:
        return datasets.get_dataset(current_db(), number)
    except NotFound:
        return None


def _facts(rows: list[tuple[str, Any]]) -> html.Dl:
    children: list[Any] = []
    for term, value in rows:
        children += [html.Dt(term), html.Dd(value if value not in (None, "") else "—")]
    return html.Dl(children, className="msg-facts mb-0")


def _sha256(view: DatasetView) -> html.Div:
    return html.Div(
        [
            html.Code(view.sha256, id=SHA256, className="msg-sha256"),
            dcc.Clipboard(
                target_id=SHA256,
                id=COPY_SHA,
                title="Copy the SHA-256",
                className="btn btn-sm btn-outline-secondary msg-outline-quiet msg-copy",
                children=[icon("clipboard"), html.Span("Copy", className="visually-hidden")],
                copied_children=[
                    icon("clipboard-check"),
                    html.Span("Copied", className="visually-hidden"),
                ],
            ),
        ],
        className="d-flex align-items-start gap-2",
    )


def _provenance(view: DatasetView) -> provenance.Status:
    required = app_state().settings.chain_confirmations
    return provenance.status_map(current_db(), [view.id], required)[view.id]


def _file(view: DatasetView, status: provenance.Status) -> dbc.Card:
    return card(
        _facts(
            [
                ("File name", html.Span(view.filename, className="text-break")),
                ("Format", format_label(view)),
                ("Size", f"{byte_size(view.size)} ({view.size:,} bytes)"),
                ("SHA-256", _sha256(view)),
                ("Holds", f"{view.material}: {count_label(view)}, {bases(view.total_length)}"),
                ("Instrument", view.instrument),
                ("Source run", view.source_run),
                ("Imported", [timestamp(view.imported_at), f" by {view.imported_by or '—'}"]),
                ("Provenance", provenance_line(status, line_id=PROVENANCE_LINE)),
            ]
        ),
        header=[icon("file-earmark-binary", "me-2"), "File"],
        class_name="mb-3",
    )


def _taxon(taxon_id: int | None) -> Any:
    """The NCBI taxonomy id as a link to NCBI's page, opened only when followed."""
    if taxon_id is None:
        return None
    return html.A(
        [
            str(taxon_id),
            icon("box-arrow-up-right", "ms-1 small"),
            html.Span(" (NCBI Taxonomy, opens in a new tab)", className="visually-hidden"),
        ],
        href=f"{NCBI_TAXONOMY}{taxon_id}",
        target="_blank",
        rel="noopener noreferrer",
    )


def _number(value: float | None, unit: str) -> str | None:
    return None if value is None else f"{value:g} {unit}"


def _sample(view: DatasetView) -> dbc.Card:
    s = view.sample
    rows: list[tuple[str, Any]] = [
        ("Sample", s.name),
        ("Experiment", dcc.Link(view.experiment_name, href=f"/experiments/{view.experiment_id}")),
        ("Arm", s.arm_name),
        ("Organism", html.I(s.organism) if s.organism else None),
        ("Strain", s.strain),
        ("NCBI taxonomy id", _taxon(s.taxon_id)),
        ("Spaceflight", spaceflight_badge(s.spaceflight) if s.spaceflight else None),
        ("Gravity", gravity(s.gravity_g) if s.gravity_g is not None else None),
        ("Radiation dose", _number(s.radiation_mgy, "mGy")),
        ("Time point", s.time_point),
        ("Replicate", s.replicate),
    ]
    rows += [(name, value) for name, value in sorted(s.extra.items())]
    return card(
        _facts(rows),
        header=[icon("eyedropper", "me-2"), "Sample"],
        class_name="mb-3",
    )


def _dataset_links(ids: tuple[int, ...]) -> Any:
    if not ids:
        return html.Span("none", className="text-body-secondary")
    required = app_state().settings.chain_confirmations
    statuses = provenance.status_map(current_db(), ids, required)
    links = []
    for dataset_id in ids:
        try:
            name = datasets.get_dataset(current_db(), dataset_id).filename
        except NotFound:
            name = "(deleted)"
        links.append(
            html.Li(
                [
                    dcc.Link(f"#{dataset_id} {name}", href=f"{LIST_PATH}/{dataset_id}"),
                    " ",
                    provenance_badge(statuses.get(dataset_id)),
                ]
            )
        )
    return html.Ul(links, className="list-unstyled mb-0")


def _lineage(view: DatasetView) -> dbc.Card:
    return card(
        html.Div(
            _facts(
                [
                    ("Derived from", _dataset_links(view.parents)),
                    ("Derived from it", _dataset_links(view.children)),
                ]
            ),
            id=LINEAGE,
        ),
        header=[icon("diagram-2", "me-2"), "Lineage"],
        class_name="mb-3",
    )


def _figure(figure: Any, graph_id: str, title: str, none: str) -> html.Div:
    body: Any = (
        dcc.Graph(id=graph_id, figure=figure, config=GRAPH_CONFIG)
        if figure is not None
        else html.P(none, className="text-body-secondary small")
    )
    return html.Div([html.H2(title, className="h6 mb-1"), body], className="mb-3")


def _figures(section: Mapping[str, Any], noun: str) -> list[Any]:
    return [
        _figure(
            length_histogram(section.get("length_histogram"), noun, current_scheme()),
            LENGTHS_CHART,
            f"Length distribution ({noun})",
            "No length distribution was stored.",
        )
    ]


def _float(section: Mapping[str, Any], key: str) -> float | None:
    value = section.get(key)
    return float(value) if isinstance(value, int | float) else None


def _read_stats(section: Mapping[str, Any]) -> list[Any]:
    mean_q = _float(section, "mean_quality")
    facts = _facts(
        [
            ("Reads", count(_float(section, "reads"))),
            ("Bases", f"{count(_float(section, 'bases'))} ({bases(_float(section, 'bases'))})"),
            (
                "Length min / mean / max",
                f"{count(_float(section, 'min_length'))} / "
                f"{_one_decimal(_float(section, 'mean_length'))} / "
                f"{count(_float(section, 'max_length'))} bp",
            ),
            ("N50", f"{count(_float(section, 'n50'))} bp"),
            ("GC", percent(_float(section, "gc_fraction"))),
            ("Bases ≥ Q20", percent(_float(section, "q20_fraction"))),
            ("Bases ≥ Q30", percent(_float(section, "q30_fraction"))),
            ("Mean quality", f"Q{mean_q:.1f}" if mean_q is not None else None),
        ]
    )
    width = section.get("position_bin_width")
    quality = quality_by_position(
        section.get("mean_quality_by_position"),
        current_scheme(),
        width if isinstance(width, int) else 1,
    )
    return [
        dbc.Row(
            [
                dbc.Col(facts, lg=4, className="mb-3"),
                dbc.Col(_figures(section, "reads"), lg=4, md=6),
                dbc.Col(
                    _figure(
                        quality,
                        QUALITY_CHART,
                        "Mean quality by position",
                        "No qualities were stored.",
                    ),
                    lg=4,
                    md=6,
                ),
            ]
        )
    ]


def _one_decimal(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _assembly_stats(view: DatasetView, section: Mapping[str, Any]) -> list[Any]:
    facts = _facts(
        [
            ("Records", count(_float(section, "records"))),
            ("Total length", f"{count(_float(section, 'total_length'))} bp"),
            (
                "Length min / max",
                f"{count(_float(section, 'min_length'))} / "
                f"{count(_float(section, 'max_length'))} bp",
            ),
            ("N50", f"{count(_float(section, 'n50'))} bp"),
            ("L50", count(_float(section, "l50"))),
            ("GC (without N)", percent(_float(section, "gc_fraction"))),
            ("N", percent(_float(section, "n_fraction"), 2)),
        ]
    )
    return [
        dbc.Row(
            [
                dbc.Col(facts, lg=5, className="mb-3"),
                dbc.Col(
                    _figures(section, "records")
                    if (_float(section, "records") or 0) > 1
                    else html.P(
                        "One record: its length is above; a distribution needs several.",
                        className="text-body-secondary small",
                    ),
                    lg=7,
                ),
            ]
        ),
        html.H2("Records", className="h6 mt-2"),
        _records(view),
    ]


def _records(view: DatasetView) -> Any:
    rows = [
        {"position": r.position + 1, "id": r.id, "description": r.description, "length": r.length}
        for r in datasets.records(current_db(), view.id)
    ]
    return data_grid(
        RECORDS,
        rows,
        csv_name=f"dataset-{view.id}-records.csv",
        row_id="position",
        no_match="No records match. Clear the search to see all.",
    )


def _statistics(view: DatasetView) -> dbc.Card:
    reads = view.stats.get("reads")
    assembly = view.stats.get("assembly")
    if isinstance(reads, Mapping):
        body: list[Any] = _read_stats(reads)
    elif isinstance(assembly, Mapping):
        body = _assembly_stats(view, assembly)
    else:
        body = [html.P("No statistics were stored for this file.", className="mb-0")]
    return card(
        html.Div(body, id=STATS),
        header=[icon("bar-chart", "me-2"), "Statistics"],
        class_name="mb-3",
    )


def _may_review() -> bool:
    principal = current_principal()
    return principal is not None and policy.may_open(principal.roles, PROVENANCE_MODULE)


def _actions(view: DatasetView) -> list[Any]:
    actions: list[Any] = []
    if explorer.can_explore(view):
        actions.append(
            dcc.Link(
                [icon("search", "me-1"), "Open in explorer"],
                href=f"{EXPLORER_PATH}?dataset={view.id}",
                id=EXPLORER_LINK,
                className="btn btn-primary",
            )
        )
    if _may_review():
        actions.append(
            dcc.Link(
                [icon("shield-check", "me-1"), "Provenance"],
                href=f"{PROVENANCE_PATH}?dataset={view.id}",
                id=PROVENANCE_LINK,
                className="btn btn-outline-secondary msg-outline-quiet",
            )
        )
    actions += [
        html.A(
            [icon("download", "me-1"), "Download original"],
            href=f"{API}/datasets/{view.id}/content",
            download=view.filename,
            id=DOWNLOAD,
            className="btn btn-outline-secondary msg-outline-quiet",
        ),
        html.A(
            [icon("filetype-csv", "me-1"), "Download stats (CSV)"],
            href=f"{API}/datasets/{view.id}/stats.csv",
            download=f"dataset-{view.id}-stats.csv",
            id=STATS_CSV,
            className="btn btn-outline-secondary msg-outline-quiet",
        ),
    ]
    if datasets.can_delete(current_actor()):
        actions.append(
            dbc.Button(
                [icon("trash", "me-1"), "Delete"],
                id=DELETE,
                color="danger",
                outline=True,
                className="msg-outline-danger",
            )
        )
    return actions


def _delete_dialog(view: DatasetView) -> dbc.Modal:
    return delete_dialog(
        (DELETE_DIALOG, DELETE_CANCEL, DELETE_CONFIRM, DELETE_PROBLEM),
        f"Delete {view.filename}?",
        [
            "Dataset ",
            html.Strong(f"#{view.id} {view.filename}"),
            f" ({byte_size(view.size)}) and its file go for good; the sample stays. This "
            "cannot be undone.",
        ],
        "Delete dataset",
    )


def layout(dataset_id: str = "", imported: str | None = None, **_query: str) -> html.Div:
    """Show one dataset, or say clearly that it does not exist."""
    view = find_dataset(dataset_id)
    if view is None:
        return empty_state(
            "question-circle",
            f"No dataset {dataset_id!r}",
            "It may have been mistyped or deleted. See the list of datasets.",
            dcc.Link("All datasets", href=LIST_PATH),
        )
    message = success_alert(f"Imported {view.filename}: checked and stored.") if imported else None
    status = _provenance(view)
    may_delete = datasets.can_delete(current_actor())
    return html.Div(
        [
            page_header(
                view.filename,
                breadcrumb_items=[
                    ("Overview", "/"),
                    ("Datasets", LIST_PATH),
                    (view.filename, None),
                ],
                actions=_actions(view),
                subtitle=html.Span(
                    [
                        f"{format_label(view)} · {count_label(view)} · "
                        f"{bases(view.total_length)} · {byte_size(view.size)} ",
                        provenance_badge(status, badge_id=PROVENANCE_BADGE, class_name="ms-1"),
                    ]
                ),
            ),
            html.Div(message, id=MESSAGE),
            dbc.Row(
                [
                    dbc.Col(_file(view, status), lg=6),
                    dbc.Col([_sample(view), _lineage(view)], lg=6),
                ],
                id=DETAILS,
            ),
            _statistics(view),
            *(
                [
                    _delete_dialog(view),
                    dcc.Store(id=DELETE_TARGET, data=view.id),
                    dcc.Location(id=REDIRECT, refresh="callback-nav"),
                ]
                if may_delete
                else []
            ),
        ]
    )


@callback(
    Output(DELETE_DIALOG, "is_open"),
    Input(DELETE, "n_clicks"),
    Input(DELETE_CANCEL, "n_clicks"),
    prevent_initial_call=True,
)
def toggle_delete(_open: int | None, _cancel: int | None) -> bool:
    """Open the confirmation; "Keep it" closes it."""
    return ctx.triggered_id == DELETE


@callback(
    Output(REDIRECT, "href"),
    Output(DELETE_PROBLEM, "children"),
    Input(DELETE_CONFIRM, "n_clicks"),
    State(DELETE_TARGET, "data"),
    prevent_initial_call=True,
)
def delete(clicks: int | None, dataset_id: object) -> tuple[Any, Any]:
    """Delete the dataset and go back to the list; or say why not (others derive from it).

    A refused role is not an input problem: it raises, and the server answers 403.
    """
    if not clicks or not isinstance(dataset_id, int):
        return no_update, no_update
    try:
        datasets.delete_dataset(current_db(), current_actor(), current_files().store, dataset_id)
    except InputError as exc:
        return no_update, error_alert(exc)
    return f"{LIST_PATH}?deleted={dataset_id}", None


def title(dataset_id: str = "", **_query: str) -> str:
    """The browser tab names the file."""
    view = find_dataset(dataset_id)
    return f"{view.filename} · MicroSpaceGen" if view else "No such dataset · MicroSpaceGen"


dash.register_page(
    __name__,
    path_template="/datasets/<dataset_id>",
    name="Dataset",
    in_nav=False,
    title=title,
    layout=guard_layout(__name__, layout),
)
