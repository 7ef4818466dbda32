"""One experiment: what it is, its arms and its change history (edits open their own view)."""

from __future__ import annotations

import json
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.access import guard_layout
from dashboard.auth import current_actor, current_db
from dashboard.components.arm_rows import spaceflight_badge
from dashboard.components.feedback import empty_state, icon, success_alert
from dashboard.components.file_input import file_field
from dashboard.components.formatting import gravity
from dashboard.components.forms import FormIds, dom_id
from dashboard.components.frame import card, page_header
from dashboard.components.timestamp import timestamp
from dashboard.services import datasets, experiments, policy

DETAILS = "experiment-details"
MESSAGE = "experiment-message"
EDIT_LINK = "experiment-edit-link"
ARMS = "experiment-arms"
HISTORY = "experiment-history"
OSDR_LINK = "experiment-osdr-link"
DATASETS = "experiment-datasets"
DATASETS_LINK = "experiment-datasets-link"
IMPORT_LINK = "experiment-import-link"
SHEET_LINK = "experiment-sheet-link"
SHEET = FormIds("experiment-sheet")
SHEET_HOST = "experiment-sheet-file-host"
SHEET_BUTTON = "experiment-sheet-import"
SHEET_RESULT = "experiment-sheet-result"
LIST_PATH = "/experiments"


def _osdr_link(accession: str) -> html.A:
    """The only link out of the app: the study's page on NASA OSDR, in a new tab."""
    return html.A(
        [
            accession,
            icon("box-arrow-up-right", "ms-1 small"),
            html.Span(" (NASA OSDR, opens in a new tab)", className="visually-hidden"),
        ],
        href=experiments.osdr_study_url(accession),
        target="_blank",
        rel="noopener noreferrer",
        id=OSDR_LINK,
    )


def _facts(view: experiments.ExperimentView) -> html.Dl:
    rows: list[tuple[str, Any]] = [
        ("Organism", html.I(view.organism)),
        ("Mission", view.mission or "—"),
        ("Culture hardware", view.hardware or "—"),
        ("NASA OSDR study", _osdr_link(view.osdr_accession) if view.osdr_accession else "—"),
        ("Created", [timestamp(view.created_at), f" by {view.created_by or '—'}"]),
        ("Last change", [timestamp(view.updated_at), f" · version {view.version}"]),
    ]
    children: list[Any] = []
    for term, value in rows:
        children += [html.Dt(term), html.Dd(value)]
    return html.Dl(children, className="msg-facts")


def _about(view: experiments.ExperimentView) -> dbc.Card:
    return card(
        [
            html.P(
                view.description or "No description yet.",
                className="mb-3" + ("" if view.description else " text-body-secondary"),
                style={"whiteSpace": "pre-wrap"},
            ),
            _facts(view),
        ],
        header=[icon("info-circle", "me-2"), "About"],
        class_name="mb-3",
    )


def _arms(view: experiments.ExperimentView) -> dbc.Card:
    rows = [
        html.Tr(
            [
                html.Th(a.name, scope="row", className="fw-semibold text-nowrap"),
                html.Td(spaceflight_badge(a.spaceflight), className="text-nowrap"),
                html.Td(gravity(a.gravity_g), className="text-nowrap"),
                html.Td(a.description or "—", className="text-body-secondary msg-notes"),
            ]
        )
        for a in view.arms
    ]
    table = html.Table(
        [
            html.Thead(
                html.Tr(
                    [
                        html.Th(h, scope="col", className="text-nowrap")
                        for h in ("Arm", "Spaceflight factor", "Gravity", "Notes")
                    ]
                )
            ),
            html.Tbody(rows),
        ],
        className="table table-sm align-middle mb-0 msg-table",
        id=ARMS,
    )
    # A phone reads the arms as a list (a four-column table squeezes the notes to a few
    # letters per line); wider screens get the table.
    stacked = html.Ul(
        [
            html.Li(
                [
                    html.Div(
                        [
                            html.Span(a.name, className="fw-semibold me-2"),
                            spaceflight_badge(a.spaceflight),
                            html.Span(gravity(a.gravity_g), className="ms-2 text-nowrap"),
                        ],
                        className="d-flex flex-wrap align-items-center gap-1",
                    ),
                    html.Div(a.description, className="small text-body-secondary mt-1")
                    if a.description
                    else None,
                ],
                className="list-group-item px-0",
            )
            for a in view.arms
        ],
        className="list-group list-group-flush d-md-none mb-0",
        **{"aria-label": "Arms"},
    )
    return card(
        [
            stacked,
            html.Div(
                table,
                className="msg-card-scroll d-none d-md-block",
                tabIndex="0",
                role="region",
                **{"aria-label": "Arms"},
            ),
        ],
        header=[icon("diagram-3", "me-2"), f"Arms ({len(view.arms)})"],
        class_name="mb-3",
    )


def _change(change: experiments.FieldChange) -> html.Li:
    return html.Li(
        [
            html.Span(change.label, className="msg-diff-field"),
            ": ",
            html.Del(change.old) if change.old != experiments.ABSENT else change.old,
            " → ",
            html.Ins(change.new) if change.new != experiments.ABSENT else change.new,
        ]
    )


def _history(view: experiments.ExperimentView) -> dbc.Card:
    entries = experiments.change_log(current_db(), view.id)
    items = [
        dbc.ListGroupItem(
            [
                html.Div(
                    [html.Span(e.username, className="fw-semibold"), f" {e.verb} it"],
                ),
                html.Div(timestamp(e.occurred_at), className="small text-body-secondary"),
                html.Ul([_change(c) for c in e.changes], className="msg-diff")
                if e.changes
                else None,
            ]
        )
        for e in entries
    ]
    body: Any = (
        dbc.ListGroup(items, flush=True, id=HISTORY)
        if items
        else dbc.CardBody("No recorded changes.", className="text-body-secondary")
    )
    return card(
        body,
        header=[icon("clock-history", "me-2"), "History"],
        class_name="mb-3",
        body=False,
    )


def _sheet_import(view: experiments.ExperimentView) -> html.Form:
    """A sample sheet (TSV) sent to the API by assets/sample_sheet.js; the answer shows here."""
    config = {
        "url": f"/api/v1/experiments/{view.id}/samples.tsv",
        "input": dom_id(SHEET.control("sheet")),
        "button": SHEET_BUTTON,
        "result": SHEET_RESULT,
        "error": SHEET.error("sheet"),
    }
    return html.Form(
        [
            file_field(
                SHEET,
                "sheet",
                "Import a sample sheet",
                accept=(".tsv", ".txt"),
                host_id=SHEET_HOST,
                note_id=SHEET_RESULT,
                class_name="mb-2",
            ),
            html.Button(
                [icon("upload", "me-1"), "Import sheet"],
                id=SHEET_BUTTON,
                type="button",
                className="btn btn-sm btn-outline-primary msg-outline-primary",
            ),
        ],
        className="msg-form mt-3",
        noValidate=True,
        **{"data-msg-sheet": json.dumps(config), "aria-label": "Import a sample sheet"},
    )


def _datasets(view: experiments.ExperimentView) -> dbc.Card:
    """How many datasets the experiment has, and the ways in: import, sample sheet."""
    actor = current_actor()
    count = datasets.count_datasets(current_db(), datasets.DatasetFilter(view.id))
    counted = f"{count:,} dataset{'' if count == 1 else 's'}"
    links: list[Any] = [
        dcc.Link(counted, href=f"/datasets?experiment={view.id}", id=DATASETS_LINK),
    ]
    if datasets.can_import(actor):
        links.append(
            dcc.Link(
                [icon("upload", "me-1"), "Import dataset"],
                href=f"/datasets/import?experiment={view.id}",
                id=IMPORT_LINK,
                className="btn btn-sm btn-primary",
            )
        )
    links.append(
        html.A(
            [icon("file-earmark-spreadsheet", "me-1"), "Sample sheet (TSV)"],
            href=f"/api/v1/experiments/{view.id}/samples.tsv",
            download=f"experiment-{view.id}-samples.tsv",
            id=SHEET_LINK,
            className="btn btn-sm btn-outline-secondary msg-outline-quiet",
        )
    )
    body: list[Any] = [html.Div(links, className="d-flex flex-wrap align-items-center gap-2")]
    if policy.allows(actor, policy.Action.SAMPLE_SHEET_IMPORT):
        body.append(_sheet_import(view))
    return card(
        html.Div(body, id=DATASETS),
        header=[icon("files", "me-2"), "Datasets and samples"],
        class_name="mb-3",
    )


def _message(view: experiments.ExperimentView, created: str | None, saved: str | None) -> Any:
    if created:
        return success_alert(f"Created experiment {view.name!r} with {len(view.arms)} arms.")
    if saved:
        number = saved if saved.isdigit() and len(saved) < 10 else str(view.version)
        return success_alert(f"Saved version {number}.")
    return None


def layout(
    experiment_id: str = "", created: str | None = None, saved: str | None = None, **_query: str
) -> html.Div:
    """Show one experiment, or say clearly that it does not exist."""
    view = experiments.find_experiment(current_db(), experiment_id)
    if view is None:
        return empty_state(
            "question-circle",
            f"No experiment {experiment_id!r}",
            "It may have been mistyped or deleted. See the list of experiments.",
            dcc.Link("All experiments", href=LIST_PATH),
        )
    actions = []
    if experiments.can_edit(current_actor()):
        actions.append(
            dcc.Link(
                [icon("pencil", "me-1"), "Edit"],
                href=f"/experiments/{view.id}/edit",
                id=EDIT_LINK,
                className="btn btn-primary",
            )
        )
    return html.Div(
        [
            page_header(
                view.name,
                breadcrumb_items=[
                    ("Overview", "/"),
                    ("Experiments", LIST_PATH),
                    (view.name, None),
                ],
                actions=actions,
                subtitle=html.I(view.organism),
            ),
            html.Div(_message(view, created, saved), id=MESSAGE),
            dbc.Row(
                [
                    dbc.Col([_about(view), _arms(view)], lg=7),
                    dbc.Col([_datasets(view), _history(view)], lg=5),
                ],
                id=DETAILS,
            ),
        ]
    )


def title(experiment_id: str = "", **_query: str) -> str:
    """The browser tab names the experiment."""
    view = experiments.find_experiment(current_db(), experiment_id)
    return f"{view.name} · MicroSpaceGen" if view else "No such experiment · MicroSpaceGen"


dash.register_page(
    __name__,
    path_template="/experiments/<experiment_id>",
    name="Experiment",
    in_nav=False,
    title=title,
    layout=guard_layout(__name__, layout),
)
