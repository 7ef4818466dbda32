"""Overview: real counts, the newest experiments and recent activity."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.access import guard_layout
from dashboard.auth import current_actor, current_db
from dashboard.components.feedback import empty_state, icon
from dashboard.components.formatting import gravity, when
from dashboard.services import overview

HOME_STATS = "home-stats"
HOME_LATEST = "home-latest"
HOME_ACTIVITY = "home-activity"


def _stat(label: str, value: int, icon_name: str, stat_id: str) -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(
                        [icon(icon_name, "me-2"), label], className="text-body-secondary small"
                    ),
                    html.Div(str(value), className="display-6", id=stat_id),
                ]
            ),
            className="msg-stat shadow-sm h-100",
        ),
        md=3,
        sm=6,
        className="mb-3",
    )


def _arm_badges(arms: tuple[object, ...]) -> list[dbc.Badge]:
    badges = []
    for arm in arms:
        is_flight = getattr(arm, "spaceflight", "") == "Space Flight"
        badges.append(
            dbc.Badge(
                arm.name,  # type: ignore[attr-defined]
                title=f"{arm.spaceflight}, {gravity(arm.gravity_g)}",  # type: ignore[attr-defined]
                color="primary" if is_flight else "secondary",
                className="me-1",
            )
        )
    return badges


def _latest_table(data: overview.Overview) -> html.Div | dbc.Table:
    if not data.latest:
        action = (
            dcc.Link(
                dbc.Button([icon("plus-lg", "me-1"), "Create the first experiment"]),
                href="/experiments?new=1",
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
                html.Td(html.I(e.organism)),
                html.Td(_arm_badges(e.arms)),
                html.Td(e.created_by or "—"),
                html.Td(when(e.created_at), className="text-nowrap small"),
            ]
        )
        for e in data.latest
    ]
    head = html.Thead(
        html.Tr([html.Th(h) for h in ("Experiment", "Organism", "Arms", "Created by", "Created")])
    )
    return dbc.Table(
        [head, html.Tbody(rows)],
        hover=True,
        responsive=True,
        size="sm",
        className="msg-table mb-0",
        id=HOME_LATEST,
    )


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
                        ]
                    ),
                    html.Div(when(item.occurred_at), className="small text-body-secondary"),
                ]
            )
        )
    return dbc.ListGroup(items, flush=True, id=HOME_ACTIVITY)


def layout(**_query: str) -> html.Div:
    """The overview for the logged-in user."""
    actor = current_actor()
    data = overview.summary(current_db(), actor)
    return html.Div(
        [
            html.H1(f"Welcome, {actor.username}", className="h3 mb-1"),
            html.P(
                "Microbes cultured on orbit beside ground controls: experiments, runs, genomes "
                "and their provenance.",
                className="text-body-secondary",
            ),
            dbc.Row(
                [
                    _stat("Experiments", data.experiment_count, "flask", "home-stat-experiments"),
                    _stat(
                        "Flight arms", data.flight_arm_count, "rocket-takeoff", "home-stat-flight"
                    ),
                    _stat(
                        "Ground arms", data.ground_arm_count, "globe-americas", "home-stat-ground"
                    ),
                    _stat("Organisms", data.organism_count, "bug", "home-stat-organisms"),
                ],
                id=HOME_STATS,
            ),
            dbc.Row(
                [
                    dbc.Col(
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
                            className="shadow-sm",
                        ),
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
