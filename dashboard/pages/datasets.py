"""Datasets: every imported sequence file, filterable by experiment (importing has its own
view, /datasets/import)."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard.access import guard_layout
from dashboard.auth import app_state, current_actor, current_db
from dashboard.components.datasets_table import (
    DATASET_COLUMNS,
    HIDDEN_COLUMNS,
    dataset_rows,
    spaceflight_legend,
)
from dashboard.components.feedback import empty_state, icon, success_alert
from dashboard.components.frame import page_header
from dashboard.components.grid import GridSpec, data_grid, grid_ids, register_grid
from dashboard.components.provenance_badge import provenance_legend
from dashboard.components.view_state import GridView, Sort, parse_int
from dashboard.services import datasets, experiments, provenance

PATH = "/datasets"
IMPORT_PATH = "/datasets/import"
IMPORT_LINK = "datasets-import-link"
EXPERIMENT = "datasets-experiment"  # the experiment filter (?experiment=ID)
MESSAGE = "datasets-message"
ID_MAX = 2**31 - 1
IDS = grid_ids("datasets")
SPEC = GridSpec(
    IDS,
    DATASET_COLUMNS,
    default=GridView(sort=(Sort("imported_at", descending=True),), hidden=HIDDEN_COLUMNS),
    label="datasets",
    url_params={"experiment": (EXPERIMENT, "value")},
)
register_grid(SPEC)


def _experiment_id(raw: object) -> int | None:
    return parse_int(raw, minimum=1, maximum=ID_MAX)


def _rows(experiment_id: int | None) -> list[dict[str, Any]]:
    db = current_db()
    found = datasets.list_datasets(db, datasets.DatasetFilter(experiment_id))
    required = app_state().settings.chain_confirmations
    return dataset_rows(found, provenance.status_map(db, [d.id for d in found], required))


def _import_link(experiment_id: int | None, link_id: str | None = None) -> dcc.Link:
    href = IMPORT_PATH + (f"?experiment={experiment_id}" if experiment_id else "")
    return dcc.Link(
        [icon("upload", "me-1"), "Import dataset"],
        href=href,
        className="btn btn-primary",
        **({"id": link_id} if link_id else {}),
    )


def _how_to_import(may_import: bool, experiment_id: int | None) -> html.Div:
    """The empty list: what a dataset is and, for those who may, the three ways in."""
    what = (
        "A dataset is one sequence file of a sample (FASTQ reads, a FASTA assembly, a GenBank "
        "or EMBL genome; gzip allowed), checked and kept byte for byte."
    )
    title = "No datasets for this experiment yet" if experiment_id else "No datasets yet"
    if not may_import:
        return empty_state("files", title, f"{what} Scientists import them.")
    command = "python app.py import reads.fastq.gz --experiment ID --sample NAME"
    ways = html.Ul(
        [
            html.Li("in the browser, below (files of any size; an interrupted upload resumes);"),
            html.Li(
                [
                    "through the API: ",
                    html.Code("POST /api/v1/datasets"),
                    ", or in chunks with ",
                    html.Code("/api/v1/uploads"),
                    " (see the ",
                    dcc.Link("API reference", href="/api-docs"),
                    ");",
                ]
            ),
            html.Li(["on the server: ", html.Code(command), "."]),
        ],
        className="text-start d-inline-block small mb-0 mt-2",
    )
    return empty_state(
        "files",
        title,
        f"{what} Import one:",
        html.Div([ways, html.Div(_import_link(experiment_id), className="mt-3")]),
    )


def _experiment_filter(value: int | None) -> html.Div:
    options = [{"label": "Every experiment", "value": ""}] + [
        {"label": e.name, "value": str(e.id)} for e in experiments.list_experiments(current_db())
    ]
    return html.Div(
        [
            dbc.Label(
                "Only datasets of this experiment", html_for=EXPERIMENT, className="visually-hidden"
            ),
            dbc.Select(
                id=EXPERIMENT,
                options=options,
                value=str(value) if value else "",
                placeholder=options[0]["label"],  # dbc shows it for "" (the first option's value)
                size="sm",
                className="msg-grid-select",
            ),
        ]
    )


def layout(**query: Any) -> html.Div:
    """The datasets, newest first; the experiment filter, search and view come from the URL."""
    experiment_id = _experiment_id(query.get("experiment"))
    may_import = datasets.can_import(current_actor())
    rows = _rows(experiment_id)
    grid = data_grid(
        SPEC,
        rows,
        view=SPEC.view(query),
        csv_name="datasets.csv",
        legend=html.Div([spaceflight_legend(), provenance_legend()], className="vstack gap-2"),
        toolbar_extra=[_experiment_filter(experiment_id)],
        empty=_how_to_import(may_import, experiment_id),
        no_match="No datasets match. Clear the search, the column filters or the experiment "
        "to see all.",
    )
    deleted = parse_int(query.get("deleted"), minimum=1, maximum=ID_MAX)
    return html.Div(
        [
            page_header(
                "Datasets",
                breadcrumb_items=[("Overview", "/"), ("Datasets", None)],
                actions=[_import_link(experiment_id, IMPORT_LINK)] if may_import else [],
                subtitle="Sequence files of the experiments' samples: reads, assemblies and "
                "genomes, each kept with its SHA-256.",
            ),
            html.Div(success_alert(f"Deleted dataset {deleted}.") if deleted else None, id=MESSAGE),
            grid,
        ]
    )


@callback(
    Output(IDS.grid, "rowData"),
    Input(EXPERIMENT, "value"),
    prevent_initial_call=True,
)
def filter_by_experiment(experiment: object) -> list[dict[str, Any]]:
    """The datasets of the chosen experiment (all for none)."""
    return _rows(_experiment_id(experiment))


dash.register_page(
    __name__,
    path=PATH,
    name="Datasets",
    order=10,
    icon="files",
    title="Datasets · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)
