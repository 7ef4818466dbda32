"""Edit an experiment in its own view, against the version it started from."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, State, callback, dcc, html

from dashboard.access import guard_layout
from dashboard.auth import current_actor, current_db
from dashboard.components import forms
from dashboard.components.experiment_form import (
    editor_data,
    editor_errors,
    editor_ids,
    editor_outputs,
    editor_states,
    experiment_editor,
    register_arm_buttons,
)
from dashboard.components.feedback import empty_state, icon
from dashboard.components.frame import card, page_header
from dashboard.components.timestamp import timestamp
from dashboard.services import experiments
from dashboard.services.errors import Conflict, InputError

EDITOR = editor_ids("experiment-edit")
FORM = EDITOR.form
VERSION = "experiment-edit-version"
LIST_PATH = "/experiments"


def _detail_path(experiment_id: int) -> str:
    return f"/experiments/{experiment_id}"


def _what_changed(experiment_id: int) -> html.A:
    """After a stale save: the saved version beside this form, so the edit can be redone."""
    return html.A(
        [icon("box-arrow-up-right", "me-1"), "See the saved version and its history"],
        href=_detail_path(experiment_id),
        target="_blank",
        rel="noopener",
        className="alert-link",
    )


def layout(experiment_id: str = "", **_query: str) -> html.Div:
    """The edit form prefilled with the experiment as it is now."""
    view = experiments.find_experiment(current_db(), experiment_id)
    if view is None:
        return empty_state(
            "question-circle",
            f"No experiment {experiment_id!r}",
            "It may have been mistyped or deleted. See the list of experiments.",
            dcc.Link("All experiments", href=LIST_PATH),
        )
    return html.Div(
        [
            page_header(
                f"Edit {view.name}",
                breadcrumb_items=[
                    ("Overview", "/"),
                    ("Experiments", LIST_PATH),
                    (view.name, _detail_path(view.id)),
                    ("Edit", None),
                ],
                subtitle=[
                    f"Editing version {view.version}, last changed ",
                    timestamp(view.updated_at),
                    ".",
                ],
            ),
            # The version this edit starts from: a save after someone else's is refused.
            dcc.Store(id=VERSION, data={"id": view.id, "version": view.version}),
            card(
                experiment_editor(
                    EDITOR,
                    experiments.editable(view),
                    submit_label="Save changes",
                    cancel_href=_detail_path(view.id),
                    title=f"Edit {view.name}",
                )
            ),
        ]
    )


register_arm_buttons(EDITOR)


OUTPUTS = {**forms.error_outputs(FORM), **editor_outputs(EDITOR)}


@callback(
    output=OUTPUTS,
    inputs={
        "_submit": Input(FORM.submit, "n_clicks"),
        "started": State(VERSION, "data"),
        **editor_states(EDITOR),
    },
    prevent_initial_call=True,
)
def save(
    _submit: int | None,
    started: dict[str, Any],
    values: list[object],
    control_ids: list[dict[str, Any]],
    error_ids: list[dict[str, Any]],
    confirmed: bool | None,
) -> dict[str, Any]:
    """Save against the version the edit started from, then open the experiment."""
    try:
        view = experiments.update_experiment(
            current_db(),
            current_actor(),
            int(started["id"]),
            editor_data(control_ids, values, confirmed),
            started.get("version"),
        )
    except InputError as exc:
        stale = isinstance(exc, Conflict) and exc.field == "version"
        return editor_errors(
            exc.errors or exc.message,
            control_ids,
            error_ids,
            confirmed,
            note=_what_changed(int(started["id"])) if stale else None,
        )
    return editor_errors({}, control_ids, error_ids, confirmed) | {
        "summary": None,
        "redirect": f"{_detail_path(view.id)}?saved={view.version}",
    }


def title(experiment_id: str = "", **_query: str) -> str:
    """The browser tab names the experiment being edited."""
    view = experiments.find_experiment(current_db(), experiment_id)
    return f"Edit {view.name} · MicroSpaceGen" if view else "No such experiment · MicroSpaceGen"


dash.register_page(
    __name__,
    path_template="/experiments/<experiment_id>/edit",
    name="Edit experiment",
    in_nav=False,
    # Matched before the detail page's /experiments/<experiment_id>, whose wildcard would
    # otherwise take "12/edit" as an id (pages with an order are matched first).
    order=3,
    title=title,
    layout=guard_layout(__name__, layout),
)
