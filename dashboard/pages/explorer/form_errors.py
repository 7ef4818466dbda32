"""Error outputs of the explorer's tool forms: each message beside its field (the page has
no form summary: a tool's error concerns one field or two)."""

from __future__ import annotations

from typing import Any

from dash import Output, State, no_update

from dashboard.components import forms


def error_outputs(form: forms.FormIds) -> dict[str, Output]:
    """Error outputs of a tool's form (no summary: the message stands beside its field)."""
    found = forms.error_outputs(form)
    found.pop("summary")
    return found


def error_states(form: forms.FormIds) -> dict[str, State]:
    """The form's control and error ids, for :func:`shown_errors`."""
    return {
        "control_ids": State(form.controls, "id"),
        "error_ids": State(form.errors, "id"),
    }


def shown_errors(
    found: dict[str, str] | str, control_ids: list[Any], error_ids: list[Any]
) -> dict[str, Any]:
    """Outputs of :func:`error_outputs` showing ``found`` beside their fields."""
    shown = forms.show_errors(found, control_ids, error_ids)
    shown.pop("summary")
    return shown


def cleared(control_ids: list[Any], error_ids: list[Any]) -> dict[str, Any]:
    """Outputs of :func:`error_outputs` with no error left."""
    return shown_errors({}, control_ids, error_ids)


def unchanged(control_ids: list[Any], error_ids: list[Any]) -> dict[str, Any]:
    """The form's error outputs left as they are (wildcard outputs take one per field)."""
    return {
        "invalid": [no_update] * len(control_ids),
        "feedback": [no_update] * len(error_ids),
        "feedback_class": [no_update] * len(error_ids),
    }
