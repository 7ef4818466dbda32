"""Experiments: the list (creating one has its own view, /experiments/new)."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

from dashboard.access import guard_layout
from dashboard.auth import current_actor, current_db
from dashboard.components.experiments_table import (
    EXPERIMENT_COLUMNS,
    arm_legend,
    experiment_rows,
)
from dashboard.components.feedback import empty_state, icon
from dashboard.components.frame import page_header
from dashboard.components.grid import GridSpec, data_grid, grid_ids, register_grid
from dashboard.components.view_state import GridView, Sort
from dashboard.services import experiments, policy

NEW_PATH = "/experiments/new"
NEW_LINK = "experiments-new-link"
SPEC = GridSpec(
    grid_ids("experiments"),
    EXPERIMENT_COLUMNS,
    default=GridView(sort=(Sort("created_at", descending=True),)),
    label="experiments",
)
register_grid(SPEC)


def _new_link(link_id: str | None = None) -> dcc.Link:
    return dcc.Link(
        [icon("plus-lg", "me-1"), "New experiment"],
        href=NEW_PATH,
        className="btn btn-primary",
        **({"id": link_id} if link_id else {}),
    )


def layout(**query: Any) -> html.Div:
    """The experiments, newest first; search, sort, filters and page come from the URL."""
    may_create = policy.allows(current_actor(), policy.Action.EXPERIMENT_CREATE)
    empty = empty_state(
        "flask",
        "No experiments yet",
        "An experiment groups the flight and ground arms of a study.",
        _new_link() if may_create else None,
    )
    grid = data_grid(
        SPEC,
        experiment_rows(experiments.list_experiments(current_db())),
        view=SPEC.view(query),
        csv_name="experiments.csv",
        legend=arm_legend(),
        empty=empty,
        no_match="No experiments match. Clear the search or the column filters to see all.",
    )
    header = page_header(
        "Experiments",
        breadcrumb_items=[("Overview", "/"), ("Experiments", None)],
        actions=[_new_link(NEW_LINK)] if may_create else [],
        subtitle="Studies with their flight and ground arms.",
    )
    return html.Div([header, grid])


dash.register_page(
    __name__,
    path="/experiments",
    name="Experiments",
    order=1,
    icon="flask",
    title="Experiments · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)
