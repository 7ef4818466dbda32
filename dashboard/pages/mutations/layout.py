"""The Mutations page's layout: a result (summary, genome map, calls table, downloads), the
comparison of several results, and the calling form. Built from the URL
(``layout(**query)``) and the services only.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.auth import current_actor, current_db, current_files
from dashboard.components.feedback import (
    delete_dialog,
    empty_state,
    error_alert,
    icon,
    success_alert,
)
from dashboard.components.forms import dom_id
from dashboard.components.frame import card, loading, page_header
from dashboard.components.grid import GridSpec, data_grid
from dashboard.components.job_progress import job_progress
from dashboard.components.mutation_figures import empty_figure, genome_map, graph_config
from dashboard.components.mutation_state import (
    MutationsQuery,
    generations_text,
    ids_text,
    parse_query,
)
from dashboard.components.mutation_views import (
    CALL_COLUMNS,
    HIDDEN_CALL_COLUMNS,
    MODE_CHOICES,
    READ_COLUMNS,
    call_rows,
    compare_columns,
    read_rows,
    reference_options,
    result_label,
    summary,
    unresolved_stretches,
)
from dashboard.components.tabs import Tab, tabs
from dashboard.components.theme import current_scheme
from dashboard.components.view_state import GridView, Sort
from dashboard.services import mutations, policy
from dashboard.services.errors import ServiceError
from dashboard.services.policy import Action

from . import ids

CALLS_SPEC = GridSpec(
    ids.CALL_IDS,
    CALL_COLUMNS,
    default=GridView(sort=(Sort("position"),), hidden=tuple(sorted(HIDDEN_CALL_COLUMNS))),
    label="mutations",
    # The calls grid's URL callback keeps the whole page's view (one page, one query string).
    url_params={
        "result": (ids.RESULT, "data"),
        "tab": (ids.TABS.store, "data"),
        "compare": (ids.URL_COMPARE, "data"),
        "ancestor": (ids.URL_ANCESTOR, "data"),
        "ground": (ids.URL_GROUND, "data"),
        "gens": (ids.URL_GENERATIONS, "data"),
    },
)
READS_SPEC = GridSpec(ids.READ_IDS, READ_COLUMNS, label="read datasets")
COMPARE_SPEC = GridSpec(ids.COMPARE_IDS, compare_columns([]), label="mutations")
RESULTS_LIMIT = 500
MAP_POINTS = 1500  # coverage buckets per record drawn (min/max each, so gaps survive)


def href(result_id: int, tab: str = ids.TAB_RESULT, **extra: str) -> str:
    """The page showing result ``result_id`` (its table's view reset)."""
    query = "&".join(f"{k}={v}" for k, v in {"result": str(result_id), "tab": tab, **extra}.items())
    return f"{ids.PATH}?{query}"


def may_call() -> bool:
    """Whether the signed-in user may start a calling."""
    return mutations.may_call(current_actor())


# --- one result ---------------------------------------------------------------------------------


def _downloads(result_id: int) -> html.Div:
    """Download links, and for admins the delete button."""

    def link(button_id: str, fmt: str, text: str) -> html.A:
        return html.A(
            [icon("download", "me-1"), text],
            id=button_id,
            href=f"/api/v1/mutations/{result_id}.{fmt}",
            download=f"mutations-{result_id}.{fmt}",
            className="btn btn-sm btn-outline-secondary msg-outline-quiet",
        )

    return html.Div(
        [
            link(ids.DOWNLOAD_GD, "gd", "GenomeDiff"),
            link(ids.DOWNLOAD_VCF, "vcf", "VCF"),
            link(ids.DOWNLOAD_CSV, "csv", "CSV"),
            *(
                [
                    dbc.Button(
                        [icon("trash", "me-1"), "Delete"],
                        id=ids.DELETE,
                        color="danger",
                        outline=True,
                        size="sm",
                        className="msg-outline-danger",
                    )
                ]
                if mutations.may_delete(current_actor())
                else []
            ),
        ],
        className="d-flex flex-wrap gap-2",
        role="group",
        **{"aria-label": "Download this result"},
    )


def _delete_dialog(view: mutations.ResultView) -> dbc.Modal:
    return delete_dialog(
        (ids.DELETE_DIALOG, ids.DELETE_CANCEL, ids.DELETE_CONFIRM, ids.DELETE_PROBLEM),
        f"Delete result #{view.id}?",
        [
            "Mutation result ",
            html.Strong(f"#{view.id} {view.name}"),
            f" ({view.mutation_count:,} calls), its GenomeDiff dataset #{view.dataset_id} and "
            "its files go for good; the reads, the reference and the sample stay. This cannot "
            "be undone.",
        ],
        "Delete result",
    )


def _picker(results: list[mutations.ResultView], shown: int) -> html.Div:
    options = [{"label": result_label(r), "value": str(r.id)} for r in results]
    if str(shown) not in {o["value"] for o in options}:
        options.insert(0, {"label": f"#{shown}", "value": str(shown)})
    return html.Div(
        [
            dbc.Label("Result", html_for=ids.PICK_RESULT, className="small mb-1"),
            dbc.Select(id=ids.PICK_RESULT, options=options, value=str(shown), size="sm"),
        ],
        className="msg-mut-picker",
    )


def _result_view(
    view: mutations.ResultView, results: list[mutations.ResultView], query: dict[str, Any]
) -> list[Any]:
    db, files = current_db(), current_files()
    try:
        found = mutations.calls(db, files, view.id)
        tracks = mutations.coverage(db, files, view.id, max_points=MAP_POINTS)
        gd, _mime, _name = mutations.export(db, files, view.id, "gd")
    except ServiceError as exc:
        return [error_alert(exc)]
    stretches = unresolved_stretches(gd)
    scheme = current_scheme()
    figure = genome_map(tracks, found, scheme) if tracks else empty_figure("No coverage.", scheme)
    header = html.Div(
        [_picker(results, view.id), _downloads(view.id)],
        className="d-flex flex-wrap align-items-end justify-content-between gap-2",
    )
    graph = dcc.Graph(
        id=ids.MAP,
        figure=figure,
        config=graph_config(f"mutations-{view.id}-map"),
        className="msg-mut-map",
    )
    return [
        card(header, class_name="mb-3"),
        dbc.Row(
            [
                dbc.Col(
                    card(
                        summary(view, stretches, f"/datasets/{view.dataset_id}"),
                        header=[icon("clipboard-data", "me-2"), "Summary"],
                        class_name="mb-3 h-100",
                    ),
                    xl=4,
                    id=ids.SUMMARY,
                ),
                dbc.Col(
                    card(
                        [
                            html.P(
                                "Read depth along each record (the band spans each stretch's "
                                "lowest to highest depth) and the calls below it by type. "
                                "Click a call to find it in the table.",
                                className="small text-body-secondary mb-1",
                            ),
                            loading(graph, area_id=ids.MAP_AREA, min_height="320px"),
                        ],
                        header=[icon("map", "me-2"), "Genome map"],
                        class_name="mb-3",
                    ),
                    xl=8,
                ),
            ],
            className="g-3",
        ),
        html.Section(
            [
                html.H2("Mutations", className="h5 mb-2"),
                data_grid(
                    CALLS_SPEC,
                    call_rows(found),
                    view=CALLS_SPEC.view(query),
                    csv_name=f"mutations-{view.id}-table.csv",
                    # No ``empty``: the grid stays (its URL callback keeps the page's view).
                    no_match="No mutation to show: none was called, or the search or column "
                    "filters hide them.",
                    grid_options={"rowSelection": {"mode": "singleRow", "checkboxes": False}},
                ),
            ],
            className="mt-3 mb-3",
            **{"aria-label": "Mutations"},
        ),
        dcc.Store(id=ids.CALL_SHOWN),
        *([_delete_dialog(view)] if mutations.may_delete(current_actor()) else []),
    ]


def _result_panel(
    q: MutationsQuery, results: list[mutations.ResultView], query: dict[str, Any]
) -> tuple[list[Any], int | None]:
    """The shown result's view and its id (the newest when the URL names none or a gone one)."""
    if not results:
        hint = "Call mutations of samples' reads against a reference genome to see them here."
        return [card(empty_state("bug", "No mutation results yet", hint))], None
    view = next((r for r in results if r.id == q.result), None)
    notice = None
    if view is None and q.result is not None:
        try:
            view = mutations.get_result(current_db(), q.result)
        except ServiceError:
            notice = dbc.Alert(
                f"There is no mutation result {q.result}; showing the newest.",
                color="warning",
                class_name="py-2",
            )
    shown = view or results[0]
    return [notice, *_result_view(shown, results, query)], shown.id


# --- calling ------------------------------------------------------------------------------------


def _radio(control_id: str, label: str, choices: Any, value: str) -> html.Div:
    return html.Div(
        [
            html.Div(label, className="form-label", id=f"{control_id}-label"),
            dbc.RadioItems(
                id=control_id,
                options=[
                    {
                        "label": html.Span(
                            [html.Span(text, className="fw-semibold"), f" — {hint}"]
                        ),
                        "value": key,
                    }
                    for key, text, hint in choices
                ],
                value=value,
            ),
        ],
        role="radiogroup",
        className="mb-3",
        **{"aria-labelledby": f"{control_id}-label"},
    )


def _call_panel() -> list[Any]:
    if not may_call():
        needed = policy.grant(Action.MUTATION_CALL).describe()
        return [
            card(
                empty_state(
                    "shield-lock",
                    "Calling needs another role",
                    f"Starting a calling needs the role {needed}; your roles may read and "
                    "compare every result. Ask an administrator if you need it.",
                ),
            )
        ]
    db = current_db()
    references = reference_options(mutations.reference_choices(db))
    reads = read_rows(mutations.read_choices(db))
    form = [
        html.Div(
            [
                dbc.Label("Reference genome", html_for=ids.REFERENCE),
                dbc.Select(
                    id=ids.REFERENCE,
                    options=references,
                    value=references[0]["value"] if references else None,
                    placeholder="Import a GenBank or FASTA genome first",
                ),
                html.Div(
                    "GenBank genes annotate the calls (gene, codon and amino-acid change); "
                    "every record (chromosome, plasmids) is one reference.",
                    className="form-text",
                ),
            ],
            className="mb-3",
        ),
        html.Div(
            [
                html.Div("Read datasets (FASTQ)", className="form-label"),
                html.Div(
                    "Tick the reads to call; each sample's reads are pooled into one result, "
                    "R1/R2 files of a sample are called as pairs.",
                    className="form-text mb-2",
                ),
                data_grid(
                    READS_SPEC,
                    reads,
                    csv_name="read-datasets.csv",
                    empty=empty_state(
                        "files",
                        "No read datasets",
                        "Import the samples' FASTQ reads first.",
                        dcc.Link(
                            "Import a dataset", href="/datasets/import", className="btn btn-primary"
                        ),
                    ),
                    grid_options={
                        "rowSelection": {
                            "mode": "multiRow",
                            "checkboxes": True,
                            "headerCheckbox": True,
                            "selectAll": "filtered",
                            "enableClickSelection": True,
                        },
                    },
                ),
                html.Div(
                    "No read dataset chosen.", id=ids.PICKED, className="small mt-1", role="status"
                ),
            ],
            className="mb-3",
        ),
        _radio(ids.MODE, "Mode", MODE_CHOICES, "consensus"),
        dbc.Button([icon("play-fill", "me-1"), "Call mutations"], id=ids.START, color="primary"),
        html.Div(id=ids.CALL_ALERT, className="mt-3", role="status"),
        job_progress(ids.CALL_JOB, "Calling mutations"),
    ]
    return [card(form, header=[icon("bug", "me-2"), "Call mutations"], class_name="mb-3")]


# --- comparing ----------------------------------------------------------------------------------


def generation_inputs(chosen: list[mutations.ResultView], entered: dict[int, float]) -> list[Any]:
    """One generations field per chosen result (optional: rates need them)."""
    if not chosen:
        return [html.P("Tick results to compare.", className="small text-body-secondary mb-0")]
    fields = []
    for r in chosen:
        control = {"type": ids.GENERATION, "result": r.id}
        value = entered.get(r.id)
        fields.append(
            html.Div(
                [
                    dbc.Label(
                        f"{r.name} (#{r.id})",
                        html_for=dom_id(control),
                        className="small mb-0 text-truncate",
                    ),
                    dbc.Input(
                        id=control,
                        value=f"{value:g}" if value else "",
                        inputMode="decimal",
                        size="sm",
                        placeholder="generations",
                        debounce=True,
                        maxLength=14,
                    ),
                ],
                className="msg-mut-generation",
            )
        )
    return fields


def _compare_panel(q: MutationsQuery, results: list[mutations.ResultView]) -> list[Any]:
    if not results:
        return [card(empty_state("intersect", "Nothing to compare yet", "Call samples first."))]
    known = {r.id: r for r in results}
    chosen = [known[i] for i in q.compare if i in known]
    options = [{"label": result_label(r), "value": r.id} for r in results]
    controls = html.Div(
        [
            html.Div(
                [
                    html.Div(
                        "Results (samples)", className="form-label", id="mutations-pick-label"
                    ),
                    html.Div(
                        dbc.Checklist(
                            id=ids.COMPARE_PICK,
                            options=options,
                            value=[r.id for r in chosen],
                            className="msg-mut-checklist",
                        ),
                        className="msg-mut-choices",
                        role="group",
                        **{"aria-labelledby": "mutations-pick-label"},
                    ),
                ],
                className="mb-3",
            ),
            html.Div(
                [
                    dbc.Switch(
                        id=ids.SUBTRACT_ANCESTOR,
                        label="Subtract the ancestor's mutations",
                        value=q.subtract_ancestor,
                    ),
                    dbc.Switch(
                        id=ids.SUBTRACT_GROUND,
                        label="Subtract the ground controls' mutations",
                        value=q.subtract_ground,
                    ),
                ],
                className="mb-3",
            ),
            html.Div(
                [
                    html.Div("Generations since the ancestor (for rates)", className="form-label"),
                    html.Div(
                        generation_inputs(chosen, dict(q.generations)),
                        id=ids.GENERATIONS,
                        className="msg-mut-generations",
                    ),
                ],
                className="mb-3",
            ),
            dbc.Button(
                [icon("intersect", "me-1"), "Compare"], id=ids.COMPARE_BUTTON, color="primary"
            ),
        ]
    )
    scheme = current_scheme()

    def plot(graph_id: str, name: str) -> Any:
        return loading(
            dcc.Graph(
                id=graph_id,
                figure=empty_figure("Compare results to see this plot.", scheme, 160),
                config=graph_config(name),
            ),
            min_height="160px",
        )

    output = html.Div(
        [
            html.Div(id=ids.COMPARE_MESSAGE, role="status"),
            html.Section(
                [
                    html.Div(
                        [
                            html.H2("Mutations × samples", className="h5 mb-0"),
                            _compare_downloads(),
                        ],
                        className="d-flex flex-wrap align-items-center "
                        "justify-content-between gap-2 mb-2",
                    ),
                    data_grid(COMPARE_SPEC, [], csv_name="mutations-compare.csv", row_id="id"),
                    html.P(
                        "Cells: frequency; empty: absent; ? not resolved (no coverage); "
                        "D deleted by a larger event.",
                        className="small text-body-secondary mt-1",
                    ),
                ],
                className="mb-3",
                **{"aria-label": "Mutations by sample"},
            ),
            dbc.Row(
                [
                    dbc.Col(
                        card(
                            [plot(ids.PARALLEL, "parallel-genes"), html.Div(id=ids.PARALLEL_FACTS)],
                            header="Parallel evolution: genes hit in two or more lines",
                            class_name="mb-3",
                        ),
                        xl=6,
                    ),
                    dbc.Col(
                        card(
                            [plot(ids.SPECTRUM, "spectrum"), html.Div(id=ids.SPECTRUM_TEST)],
                            header="Mutation spectrum by condition",
                            class_name="mb-3",
                        ),
                        xl=6,
                    ),
                    dbc.Col(
                        card(
                            html.Div(id=ids.RATES),
                            header="Mutation rates per line",
                            class_name="mb-3",
                        ),
                        xl=12,
                    ),
                    dbc.Col(
                        card(
                            plot(ids.PROFILES, "gene-profiles"),
                            header="Samples by their mutated genes (PCA and clustering), "
                            "coloured by condition",
                            class_name="mb-3",
                        ),
                        xl=12,
                    ),
                ],
                className="g-3",
            ),
        ],
        id=ids.COMPARE_OUTPUT,
    )
    return [
        dbc.Row(
            [
                dbc.Col(card(controls, header="Compare results", class_name="mb-3"), xl=3),
                dbc.Col(output, xl=9),
            ],
            className="g-3",
        )
    ]


def _compare_downloads() -> html.Div:
    """The table as gdtools COMPARE's GenomeDiff and as CSV (links set by the comparison)."""

    def link(link_id: str, text: str, name: str) -> html.A:
        return html.A(
            [icon("download", "me-1"), text],
            id=link_id,
            download=name,
            className="btn btn-sm btn-outline-secondary msg-outline-quiet",
        )

    return html.Div(
        [
            link(ids.COMPARE_GD, "GenomeDiff (COMPARE)", "mutations-compare.gd"),
            link(ids.COMPARE_CSV, "CSV", "mutations-compare.csv"),
        ],
        id=ids.COMPARE_DOWNLOADS,
        hidden=True,
        className="d-flex flex-wrap gap-2",
        role="group",
        **{"aria-label": "Download this comparison"},
    )


# --- the page -----------------------------------------------------------------------------------


def _stores(q: MutationsQuery, shown: int | None) -> list[dcc.Store]:
    return [
        dcc.Store(id=ids.RESULT, data=shown),
        dcc.Store(id=ids.URL_COMPARE, data=ids_text(q.compare)),
        dcc.Store(id=ids.URL_ANCESTOR, data=None if q.subtract_ancestor else "0"),
        dcc.Store(id=ids.URL_GROUND, data="1" if q.subtract_ground else None),
        dcc.Store(id=ids.URL_GENERATIONS, data=generations_text(q.generations)),
    ]


def layout(**query: Any) -> html.Div:
    """Results, their comparison and the calling form, as the URL says."""
    q = parse_query(query, ids.TAB_KEYS)
    results, _total = mutations.list_results(current_db(), limit=RESULTS_LIMIT)
    may = may_call()
    active = q.tab or (ids.TAB_RESULT if results or not may else ids.TAB_CALL)
    result_panel, shown = _result_panel(q, results, query)
    deleted = query.get("deleted")
    if isinstance(deleted, str) and deleted.isdigit() and len(deleted) <= 10:
        result_panel.insert(0, success_alert(f"Deleted mutation result {int(deleted)}."))
    actions = []
    if may:
        actions.append(
            dcc.Link(
                [icon("plus-lg", "me-1"), "Call mutations"],
                href=f"{ids.PATH}?tab={ids.TAB_CALL}",
                className="btn btn-primary",
                id="mutations-new-link",
            )
        )
    return html.Div(
        [
            dcc.Location(id=ids.NAVIGATE, refresh="callback-nav"),
            page_header(
                "Mutations",
                breadcrumb_items=[("Overview", "/"), ("Mutations", None)],
                actions=actions,
                subtitle="Which mutations the flight lines gained that the ground controls "
                "did not: calls against a reference, their evidence and annotation, and "
                "comparisons across samples.",
            ),
            *_stores(q, shown),
            tabs(
                ids.TABS,
                [
                    Tab(ids.TAB_RESULT, [icon("list-ul", "me-1"), "Result"], result_panel),
                    Tab(
                        ids.TAB_COMPARE,
                        [icon("intersect", "me-1"), "Compare"],
                        _compare_panel(q, results),
                    ),
                    Tab(ids.TAB_CALL, [icon("play-circle", "me-1"), "New calling"], _call_panel()),
                ],
                active=active,
                label="Mutations",
            ),
        ]
    )
