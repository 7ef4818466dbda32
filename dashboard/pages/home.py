"""Overview: real counts, the newest experiments and recent activity."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.access import guard_layout
from dashboard.auth import app_state, current_actor, current_db
from dashboard.components.arm_rows import arm_badge
from dashboard.components.feedback import empty_state, icon
from dashboard.components.formatting import gravity
from dashboard.components.frame import page_header
from dashboard.components.provenance_badge import provenance_badge
from dashboard.components.timestamp import timestamp
from dashboard.services import datasets, experiments, overview, provenance

HOME_STATS = "home-stats"
HOME_LATEST = "home-latest"
HOME_ACTIVITY = "home-activity"
HOME_DATASETS = "home-datasets"
LATEST_DATASETS = 5
NEW_PATH = "/experiments/new"
# Columns a phone leaves out of the latest-experiments table (the experiment page has them).
WIDE_ONLY = "d-none d-md-table-cell"


def _stat(label: str, value: int, icon_name: str, stat_id: str, href: str) -> dbc.Col:
    """A count card; the whole card links to the list it counts."""
    return dbc.Col(
        dcc.Link(
            dbc.Card(
                dbc.CardBody(
                    [
                        html.Div(
                            [icon(icon_name, "me-2"), label],
                            className="text-body-secondary small",
                        ),
                        html.Div(str(value), className="display-6", id=stat_id),
                    ]
                ),
                className="msg-stat shadow-sm h-100",
            ),
            href=href,
            className="msg-stat-link",
            title=f"{label}: open the list",
        ),
        md=3,
        xs=6,
        className="mb-3",
    )


def _arm_badges(arms: tuple[experiments.ArmView, ...]) -> list[html.Span]:
    """Each arm by name, with the flight or ground icon (the same look as the grids)."""
    badges = []
    for arm in arms:
        badge = arm_badge(arm.name, arm.spaceflight)
        badge.title = f"{arm.spaceflight}, {gravity(arm.gravity_g)}"
        badge.className += " me-1 mb-1"
        badges.append(badge)
    return badges


def _latest_table(data: overview.Overview) -> html.Div | dbc.Table:
    if not data.latest:
        action = (
            dcc.Link(
                dbc.Button([icon("plus-lg", "me-1"), "Create the first experiment"]),
                href=NEW_PATH,
            )
            if data.can_create
            else None
        )
        return empty_state(
            "flask",
            "No experiments yet",
            "Experiments group the flight and ground arms of a study.",
            action,
        )
    rows = [
        html.Tr(
            [
                html.Td(dcc.Link(e.name, href=f"/experiments/{e.id}")),
                html.Td(html.I(e.organism), className=WIDE_ONLY),
                html.Td(_arm_badges(e.arms)),
                html.Td(e.created_by or "—", className=WIDE_ONLY),
                html.Td(timestamp(e.created_at), className=f"text-nowrap small {WIDE_ONLY}"),
            ]
        )
        for e in data.latest
    ]
    head = html.Thead(
        html.Tr(
            [
                html.Th("Experiment"),
                html.Th("Organism", className=WIDE_ONLY),
                html.Th("Arms"),
                html.Th("Created by", className=WIDE_ONLY),
                html.Th("Created", className=WIDE_ONLY),
            ]
        )
    )
    return html.Div(
        dbc.Table(
            [head, html.Tbody(rows)],
            hover=True,
            size="sm",
            className="msg-table mb-0",
            id=HOME_LATEST,
        ),
        className="table-responsive",
    )


def _latest_datasets() -> html.Div | dbc.ListGroup:
    """The newest datasets with their provenance on the ledger."""
    db = current_db()
    latest = datasets.list_datasets(db, limit=LATEST_DATASETS)
    if not latest:
        return empty_state(
            "files", "No datasets yet", "Sequence files imported for samples show up here."
        )
    required = app_state().settings.chain_confirmations
    statuses = provenance.status_map(db, [d.id for d in latest], required)
    items = [
        dbc.ListGroupItem(
            html.Div(
                [
                    html.Div(
                        [
                            dcc.Link(d.filename, href=f"/datasets/{d.id}", className="text-break"),
                            html.Div(
                                [f"#{d.id} · {d.experiment_name} · ", timestamp(d.imported_at)],
                                className="small text-body-secondary",
                            ),
                        ],
                        className="me-auto",
                    ),
                    provenance_badge(statuses.get(d.id)),
                ],
                className="d-flex align-items-center gap-2",
            )
        )
        for d in latest
    ]
    return dbc.ListGroup(items, flush=True, id=HOME_DATASETS)


def _latest_datasets_body() -> dbc.CardBody:
    body = _latest_datasets()
    return dbc.CardBody(body, className="p-0" if isinstance(body, dbc.ListGroup) else "")


def _activity(data: overview.Overview) -> html.Div | dbc.ListGroup:
    if not data.activity:
        return empty_state(
            "clock-history", "No activity yet", "Creating and editing experiments shows up here."
        )
    items = []
    for item in data.activity:
        items.append(
            dbc.ListGroupItem(
                [
                    html.Div(
                        [
                            html.B(item.username),
                            f" {item.verb} ",
                            dcc.Link(
                                item.experiment_name, href=f"/experiments/{item.experiment_id}"
                            ),
                            html.Span(
                                f" (then {item.name_then!r})", className="small text-body-secondary"
                            )
                            if item.name_then
                            else None,
                        ]
                    ),
                    html.Div(timestamp(item.occurred_at), className="small text-body-secondary"),
                ]
            )
        )
    return dbc.ListGroup(items, flush=True, id=HOME_ACTIVITY)


def layout(**_query: str) -> html.Div:
    """The overview for the logged-in user."""
    actor = current_actor()
    data = overview.summary(current_db(), actor)
    new_button = dcc.Link(
        [icon("plus-lg", "me-1"), "New experiment"], href=NEW_PATH, className="btn btn-primary"
    )
    return html.Div(
        [
            page_header(
                "Overview",
                subtitle=f"Welcome, {actor.username}. Microbes cultured on orbit beside ground "
                "controls: experiments, runs, genomes and their provenance.",
                actions=[new_button] if data.can_create else [],
            ),
            dbc.Row(
                [
                    _stat(
                        "Experiments",
                        data.experiment_count,
                        "flask",
                        "home-stat-experiments",
                        "/experiments",
                    ),
                    _stat(
                        "Flight arms",
                        data.flight_arm_count,
                        "rocket-takeoff",
                        "home-stat-flight",
                        "/experiments?q=Space+Flight",
                    ),
                    _stat(
                        "Ground arms",
                        data.ground_arm_count,
                        "globe-americas",
                        "home-stat-ground",
                        "/experiments?q=Ground+Control",
                    ),
                    _stat(
                        "Organisms",
                        data.organism_count,
                        "bug",
                        "home-stat-organisms",
                        "/experiments?sort=organism",
                    ),
                ],
                id=HOME_STATS,
            ),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Card(
                                [
                                    dbc.CardHeader(
                                        [
                                            icon("flask", "me-2"),
                                            "Latest experiments",
                                            dcc.Link(
                                                "All experiments →",
                                                href="/experiments",
                                                className="float-end small",
                                            ),
                                        ]
                                    ),
                                    dbc.CardBody(_latest_table(data)),
                                ],
                                className="shadow-sm mb-3",
                            ),
                            dbc.Card(
                                [
                                    dbc.CardHeader(
                                        [
                                            icon("files", "me-2"),
                                            "Latest datasets",
                                            dcc.Link(
                                                "All datasets →",
                                                href="/datasets",
                                                className="float-end small",
                                            ),
                                        ]
                                    ),
                                    _latest_datasets_body(),
                                ],
                                className="shadow-sm",
                            ),
                        ],
                        lg=8,
                        className="mb-3",
                    ),
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader([icon("clock-history", "me-2"), "Recent activity"]),
                                dbc.CardBody(
                                    _activity(data), className="p-0" if data.activity else ""
                                ),
                            ],
                            className="shadow-sm",
                        ),
                        lg=4,
                        className="mb-3",
                    ),
                ]
            ),
        ]
    )


dash.register_page(
    __name__,
    path="/",
    name="Overview",
    order=0,
    icon="house",
    title="Overview · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)
