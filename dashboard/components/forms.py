"""One form pattern for every page that asks for input.

Each field has its label, a required marker (a visible ``*`` and ``required`` /
``aria-required`` on the control), units beside the input, help text, and its error beside
it (``is-invalid`` + ``invalid-feedback``; ``assets/forms.js`` adds ``aria-invalid`` and
points ``aria-describedby`` at the help and the message). The service names every problem at
once (``ServiceError.errors``: field path → message); an announced summary (``role="alert"``)
at the top lists them, each a link that moves focus to its field. A form with unsaved changes
asks before the page is left (``beforeunload``, and in-app links).

Ids are pattern-matching dicts, so one callback reads every field and marks every error::

    FORM = FormIds("experiment-new")
    form(FORM, [field(FORM, "name", "Name", required=True, max_length=NAME_MAX),
                field(FORM, "gravity_g", "Gravity", units="g", input_mode="decimal")],
         actions=form_actions(FORM, "Create experiment", cancel_href="/experiments"))

    @callback(output={**error_outputs(FORM), ...},
              inputs={"_n": Input(FORM.submit, "n_clicks"), **field_states(FORM)})
    def save(_n, values, control_ids, error_ids):
        data = field_values(control_ids, values)          # {"name": ..., "arms": [{...}]}
        try:
            service.create(db, actor, data)
        except InputError as exc:
            return show_errors(exc.errors or exc.message, control_ids, error_ids)
        return clear_errors(control_ids, error_ids) | {...}

A field named ``arms[2].gravity_g`` nests into ``{"arms": [.., .., {"gravity_g": ..}]}``, the
same path the service names in its errors, so errors land beside the right input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import dash_bootstrap_components as dbc
from dash import ALL, Output, State, dcc, html

from .feedback import icon

DIRTY_MESSAGE = "You have unsaved changes. Leave this page and lose them?"
Kind = Literal["text", "textarea", "select"]
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class FormIds:
    """The component ids of one form, from its name (e.g. ``"experiment-new"``)."""

    name: str

    def control(self, field: str) -> dict[str, str]:
        """The input, select or textarea of ``field`` (a path like ``arms[0].name``)."""
        return {"form": self.name, "field": field}

    def error(self, field: str) -> dict[str, str]:
        """Where ``field``'s error message is shown."""
        return {"form": self.name, "field": field, "part": "error"}

    def help(self, field: str) -> dict[str, str]:
        """``field``'s help text."""
        return {"form": self.name, "field": field, "part": "help"}

    def wrapper(self, field: str) -> dict[str, str]:
        """The block holding ``field``'s label, control, help and error."""
        return {"form": self.name, "field": field, "part": "field"}

    @property
    def controls(self) -> dict[str, Any]:
        """Every control of the form (for ``State``/``Output`` with ``ALL``)."""
        return {"form": self.name, "field": ALL}

    @property
    def errors(self) -> dict[str, Any]:
        """Every error message slot of the form."""
        return {"form": self.name, "field": ALL, "part": "error"}

    @property
    def root(self) -> str:
        """The ``<form>`` element."""
        return self.name

    @property
    def summary(self) -> str:
        """The announced list of every problem, at the top."""
        return f"{self.name}-summary"

    @property
    def submit(self) -> str:
        """The submit button."""
        return f"{self.name}-submit"

    @property
    def cancel(self) -> str:
        """The cancel link."""
        return f"{self.name}-cancel"


def dom_id(component_id: str | Mapping[str, object]) -> str:
    """The ``id`` attribute Dash gives a component (pattern-matching ids become JSON).

    >>> dom_id({"form": "f", "field": "arms[0].name"})
    '{"field":"arms[0].name","form":"f"}'
    """
    if isinstance(component_id, str):
        return component_id
    return (
        "{"
        + ",".join(f"{json.dumps(k)}:{json.dumps(component_id[k])}" for k in sorted(component_id))
        + "}"
    )


def label(ids: FormIds, field: str, text: str, *, required: bool = False) -> dbc.Label:
    """A field's label; a required field's carries a visible ``*`` (its control says so too)."""
    parts: list[Any] = [text]
    if required:
        parts.append(html.Span(" *", className="msg-required", **{"aria-hidden": "true"}))
    return dbc.Label(parts, html_for=dom_id(ids.control(field)), className="form-label")


def field_error(ids: FormIds, field: str, message: str | None = None) -> html.Div:
    """The slot for ``field``'s error, shown beside it."""
    return html.Div(
        message,
        id=ids.error(field),
        className="invalid-feedback msg-field-error" + (" d-block" if message else ""),
    )


def _control(
    ids: FormIds,
    field: str,
    kind: Kind,
    value: object,
    *,
    required: bool,
    options: Sequence[str | tuple[str, str]],
    max_length: int | None,
    placeholder: str | None,
    input_mode: str | None,
    autocomplete: str | None,
    rows: int,
) -> Any:
    common: dict[str, Any] = {"id": ids.control(field), "class_name": "msg-field-control"}
    if required:
        common["required"] = True
    if kind == "select":
        choices = [
            {"label": o[1], "value": o[0]} if isinstance(o, tuple) else {"label": o, "value": o}
            for o in options
        ]
        # dbc.Select shows its placeholder, not an option, while the value is "": an option
        # whose value is "" ("No arm") needs its label as the placeholder to be seen.
        empty = next((c["label"] for c in choices if c["value"] == ""), None)
        if empty is not None:
            common["placeholder"] = empty
        return dbc.Select(options=choices, value=value, **common)
    if max_length is not None:
        common["maxLength"] = max_length
    if placeholder:
        common["placeholder"] = placeholder
    if kind == "textarea":
        return dbc.Textarea(value="" if value is None else value, rows=rows, **common)
    extra: dict[str, Any] = {}
    if input_mode:
        extra["inputMode"] = input_mode
    if autocomplete:
        extra["autoComplete"] = autocomplete
    return dbc.Input(value="" if value is None else value, type="text", **common, **extra)


def field(
    ids: FormIds,
    name: str,
    text: str,
    *,
    value: object = None,
    kind: Kind = "text",
    required: bool = False,
    units: str | None = None,
    help_text: object = None,
    options: Sequence[str | tuple[str, str]] = (),
    max_length: int | None = None,
    placeholder: str | None = None,
    input_mode: str | None = None,
    autocomplete: str | None = "off",
    rows: int = 3,
    class_name: str = "mb-3",
) -> html.Div:
    """One field: label (``*`` when required), control, units, help text and error slot.

    ``name`` is the path the service names the field by (``organism``, ``arms[1].gravity_g``);
    ``options`` are values or ``(value, label)`` pairs of a select; ``units`` (``"g"``,
    ``"°C"``) stand beside the input; limits (``max_length``) come from the service.
    """
    control = _control(
        ids,
        name,
        kind,
        value,
        required=required,
        options=options,
        max_length=max_length,
        placeholder=placeholder,
        input_mode=input_mode,
        autocomplete=autocomplete,
        rows=rows,
    )
    body: Any = (
        dbc.InputGroup([control, dbc.InputGroupText(units)], class_name="has-validation")
        if units
        else control
    )
    children: list[Any] = [label(ids, name, text, required=required), body]
    if help_text is not None:
        children.append(
            html.Div(help_text, id=ids.help(name), className="form-text msg-field-help")
        )
    children.append(field_error(ids, name))
    return html.Div(
        children,
        id=ids.wrapper(name),
        className=f"msg-field {class_name}".strip(),
        **{"data-msg-field": name},
    )


def required_note() -> html.P:
    """The key to the ``*`` marker."""
    return html.P(
        [html.Span("*", className="msg-required", **{"aria-hidden": "true"}), " required"],
        className="small text-body-secondary mb-3",
    )


def error_summary(ids: FormIds) -> html.Div:
    """The announced summary of every problem (empty until a refused submit fills it)."""
    return html.Div(id=ids.summary, role="alert", tabIndex="-1", className="msg-error-summary")


def form_actions(
    ids: FormIds,
    submit_label: str,
    *,
    cancel_href: str | None = None,
    submit_icon: str = "check-lg",
) -> html.Div:
    """The submit button (Enter in a field submits too) and a cancel link back."""
    children: list[Any] = [
        html.Button(
            [icon(submit_icon, "me-1"), submit_label],
            id=ids.submit,
            type="submit",
            className="btn btn-primary msg-form-submit",
        )
    ]
    if cancel_href:
        children.append(
            dcc.Link("Cancel", href=cancel_href, id=ids.cancel, className="btn btn-link")
        )
    return html.Div(children, className="msg-form-actions d-flex flex-wrap gap-2 mt-4")


def form(
    ids: FormIds,
    children: Sequence[Any],
    *,
    actions: Any,
    dirty_message: str = DIRTY_MESSAGE,
    title: str | None = None,
) -> html.Form:
    """The ``<form>``: summary on top, the fields, the actions; warns before unsaved leaves.

    The browser never submits it itself (``assets/forms.js`` cancels the submit event): the
    submit button's ``n_clicks`` drives the page's callback.
    """
    return html.Form(
        [error_summary(ids), required_note(), *children, actions],
        id=ids.root,
        noValidate=True,
        className="msg-form",
        **{
            "data-msg-dirty-check": "true",
            "data-msg-dirty-message": dirty_message,
            **({"aria-label": title} if title else {}),
        },
    )


# --- callbacks --------------------------------------------------------------------------


def field_states(ids: FormIds) -> dict[str, State]:
    """``State``s giving a callback every field's value, and the ids to read them by."""
    return {
        "values": State(ids.controls, "value"),
        "control_ids": State(ids.controls, "id"),
        "error_ids": State(ids.errors, "id"),
    }


def error_outputs(ids: FormIds) -> dict[str, Output]:
    """The ``Output``s :func:`show_errors` and :func:`clear_errors` fill (dict-style)."""
    return {
        "invalid": Output(ids.controls, "invalid"),
        "feedback": Output(ids.errors, "children"),
        "feedback_class": Output(ids.errors, "className"),
        "summary": Output(ids.summary, "children"),
    }


def _path(field_name: str) -> list[str | int]:
    """``"arms[2].gravity_g"`` → ``["arms", 2, "gravity_g"]``.

    >>> _path("arms[2].gravity_g"), _path("name")
    (['arms', 2, 'gravity_g'], ['name'])
    """
    return [int(index) if index else key for key, index in _PATH_PART.findall(field_name)]


def field_values(
    control_ids: Sequence[Mapping[str, Any]], values: Sequence[object]
) -> dict[str, Any]:
    """The form's values keyed the way the service reads them (paths nest, in order).

    >>> ids = [{"field": "name"}, {"field": "arms[0].name"}, {"field": "arms[1].name"},
    ...        {"field": "arms[0].gravity_g"}]
    >>> field_values(ids, ["BRIC", "flight", "ground", "0"])
    {'name': 'BRIC', 'arms': [{'name': 'flight', 'gravity_g': '0'}, {'name': 'ground'}]}
    """
    data: dict[str, Any] = {}
    for control_id, value in zip(control_ids, values, strict=True):
        node: Any = data
        path = _path(str(control_id["field"]))
        for step, following in zip(path, [*path[1:], None], strict=True):
            if following is None:
                node[step] = value
            elif isinstance(step, int):
                while len(node) <= step:
                    node.append({})
                node = node[step]
            else:
                node = node.setdefault(step, [] if isinstance(following, int) else {})
    return data


def _problems(found: Mapping[str, str] | str) -> tuple[dict[str, str], list[str]]:
    if isinstance(found, str):
        return {}, [found]
    return dict(found), []


def show_errors(
    found: Mapping[str, str] | str,
    control_ids: Sequence[Mapping[str, Any]],
    error_ids: Sequence[Mapping[str, Any]],
    *,
    note: Any = None,
) -> dict[str, Any]:
    """Outputs of :func:`error_outputs` for the problems ``found``: each beside its field.

    ``found`` maps field paths to messages (``ServiceError.errors``, in form order) or is one
    message about the whole form. A problem whose field the form lacks is shown in the
    summary only; ``note`` (e.g. a link to what changed) goes under the list.
    """
    errors, general = _problems(found)
    slots = {str(e["field"]) for e in error_ids}
    # The service's order (which follows the form); Dash lists rows added later last.
    in_form = [f for f in errors if f in slots]
    general += [m for f, m in errors.items() if f not in slots]
    form_name = str((error_ids or control_ids or [{"form": ""}])[0].get("form", ""))
    return {
        "invalid": [str(c["field"]) in errors for c in control_ids],
        "feedback": [errors.get(str(e["field"])) for e in error_ids],
        "feedback_class": [
            "invalid-feedback msg-field-error" + (" d-block" if str(e["field"]) in errors else "")
            for e in error_ids
        ],
        "summary": _summary(FormIds(form_name), [(f, errors[f]) for f in in_form], general, note),
    }


def clear_errors(
    control_ids: Sequence[Mapping[str, Any]], error_ids: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Outputs of :func:`error_outputs` with no problem left."""
    return show_errors({}, control_ids, error_ids) | {"summary": None}


def _summary(
    ids: FormIds, linked: Sequence[tuple[str, str]], general: Sequence[str], note: Any = None
) -> html.Div | None:
    count = len(linked) + len(general)
    if not count:
        return None
    title = (
        "This could not be saved:"
        if count == 1
        else f"{count} problems stop this from being saved:"
    )
    items = [html.Li(message) for message in general] + [
        html.Li(
            html.A(
                message,
                href="#" + quote(dom_id(ids.wrapper(name)), safe=""),
                className="alert-link fw-normal msg-error-link",
                **{"data-msg-focus-field": name},
            )
        )
        for name, message in linked
    ]
    return html.Div(
        [
            html.H2(
                [icon("exclamation-triangle", "me-2"), title],
                className="h6 mb-2",
            ),
            html.Ul(items, className="mb-0 ps-3"),
            html.Div(note, className="mt-2") if note is not None else None,
        ],
        className="alert alert-danger mb-3",
    )
