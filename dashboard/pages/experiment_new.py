"""Create an experiment in its own view (scientists and admins)."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, callback, html

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
from dashboard.components.frame import card, page_header
from dashboard.services import experiments
from dashboard.services.errors import InputError

EDITOR = editor_ids("experiment-new")
FORM = EDITOR.form
PATH = "/experiments/new"
LIST_PATH = "/experiments"


def layout(**_query: str) -> html.Div:
    """The creation form, prefilled with a flight arm and its ground control."""
    return html.Div(
        [
            page_header(
                "New experiment",
                breadcrumb_items=[
                    ("Overview", "/"),
                    ("Experiments", LIST_PATH),
                    ("New experiment", None),
                ],
                subtitle="Its flight and ground arms, with the conditions each one grows in.",
            ),
            card(
                experiment_editor(
                    EDITOR,
                    {"arms": experiments.default_arms()},
                    submit_label="Create experiment",
                    cancel_href=LIST_PATH,
                    title="New experiment",
                )
            ),
        ]
    )


register_arm_buttons(EDITOR)


OUTPUTS = {**forms.error_outputs(FORM), **editor_outputs(EDITOR)}


@callback(
    output=OUTPUTS,
    inputs={"_submit": Input(FORM.submit, "n_clicks"), **editor_states(EDITOR)},
    prevent_initial_call=True,
)
def create(
    _submit: int | None,
    values: list[object],
    control_ids: list[dict[str, Any]],
    error_ids: list[dict[str, Any]],
    confirmed: bool | None,
) -> dict[str, Any]:
    """Create the experiment and open it; or show every problem beside its field.

    A refused role is not an input problem: it raises, and the server answers 403.
    """
    try:
        view = experiments.create_experiment(
            current_db(), current_actor(), editor_data(control_ids, values, confirmed)
        )
    except InputError as exc:
        return editor_errors(exc.errors or exc.message, control_ids, error_ids, confirmed)
    return editor_errors({}, control_ids, error_ids, confirmed) | {
        "summary": None,
        "redirect": f"/experiments/{view.id}?created=1",
    }


dash.register_page(
    __name__,
    path=PATH,
    name="New experiment",
    in_nav=False,
    # Pages with an order are matched first: this exact path must win over the detail
    # page's /experiments/<experiment_id> template, which would read "new" as an id.
    order=2,
    title="New experiment · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)
