"""The form pattern's builders and callback helpers (dashboard/components/forms.py)."""

from __future__ import annotations

from typing import Any

from dash import html

from dashboard.components import forms
from dashboard.components.experiment_form import editor_errors, editor_ids, experiment_editor
from dashboard.services.experiments import CONFIRM_HYPERGRAVITY, default_arms

FORM = forms.FormIds("f")


def _ids(*fields: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return [FORM.control(f) for f in fields], [FORM.error(f) for f in fields]


def _texts(component: Any) -> list[str]:
    """Every string in a component tree, in order."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, list | tuple):
        return [t for child in component for t in _texts(child)]
    children = getattr(component, "children", None)
    return _texts(children) if children is not None else []


def _find(component: Any, predicate: Any) -> list[Any]:
    found = [component] if predicate(component) else []
    children = getattr(component, "children", None)
    if isinstance(children, list | tuple):
        for child in children:
            found += _find(child, predicate)
    elif children is not None and not isinstance(children, str):
        found += _find(children, predicate)
    return found


def test_field_has_label_marker_units_help_and_error_slot() -> None:
    block = forms.field(
        FORM, "arms[0].gravity_g", "Gravity", required=True, units="g", help_text="In g."
    )
    assert block.id == FORM.wrapper("arms[0].gravity_g")
    assert getattr(block, "data-msg-field") == "arms[0].gravity_g"
    label, group, help_text, error = block.children
    assert label.html_for == '{"field":"arms[0].gravity_g","form":"f"}'
    assert _texts(label) == ["Gravity", " *"]
    control, units = group.children
    assert (control.id, control.required, control.class_name) == (
        FORM.control("arms[0].gravity_g"),
        True,
        "msg-field-control",
    )
    assert units.children == "g"
    assert (help_text.id, help_text.children) == (FORM.help("arms[0].gravity_g"), "In g.")
    assert error.id == FORM.error("arms[0].gravity_g")
    assert "invalid-feedback" in error.className


def test_optional_field_has_no_marker_and_no_required() -> None:
    block = forms.field(FORM, "mission", "Mission")
    label, control, _error = block.children
    assert _texts(label) == ["Mission"]
    assert not getattr(control, "required", None)


def test_show_errors_marks_each_field_and_lists_them_in_the_services_order() -> None:
    control_ids, error_ids = _ids("name", "organism", "arms[0].gravity_g")
    found = {
        "arms[0].gravity_g": "Arm 1 gravity cannot be negative.",
        "name": "Name is required.",
        "version": "Changed by someone else.",
    }
    out = forms.show_errors(found, control_ids, error_ids)
    assert out["invalid"] == [True, False, True]
    assert out["feedback"] == ["Name is required.", None, "Arm 1 gravity cannot be negative."]
    assert [("d-block" in c) for c in out["feedback_class"]] == [True, False, True]
    summary = out["summary"]
    assert _texts(summary) == [
        "3 problems stop this from being saved:",
        "Changed by someone else.",  # no field of the form: listed without a link
        "Arm 1 gravity cannot be negative.",
        "Name is required.",
    ]
    links = _find(summary, lambda c: isinstance(c, html.A))
    assert [getattr(a, "data-msg-focus-field") for a in links] == ["arms[0].gravity_g", "name"]
    assert (
        links[1].href
        == "#%7B%22field%22%3A%22name%22%2C%22form%22%3A%22f%22%2C%22part%22%3A%22field%22%7D"
    )


def test_one_message_about_the_whole_form_and_clearing() -> None:
    control_ids, error_ids = _ids("name")
    out = forms.show_errors("Not allowed now.", control_ids, error_ids)
    assert out["invalid"] == [False]
    assert "Not allowed now." in _texts(out["summary"])
    assert forms.clear_errors(control_ids, error_ids) == {
        "invalid": [False],
        "feedback": [None],
        "feedback_class": ["invalid-feedback msg-field-error"],
        "summary": None,
    }


def test_field_values_nest_rows_in_order_whatever_order_they_come_in() -> None:
    ids = [{"field": f} for f in ("arms[1].name", "name", "arms[0].name", "arms[1].gravity_g")]
    assert forms.field_values(ids, ["ground", "BRIC", "flight", "1"]) == {
        "arms": [{"name": "flight"}, {"name": "ground", "gravity_g": "1"}],
        "name": "BRIC",
    }


def test_editor_shows_the_confirmation_step_only_when_asked() -> None:
    ids = editor_ids("e")
    control_ids = [ids.form.control("arms[0].gravity_g")]
    error_ids = [ids.form.error("arms[0].gravity_g"), ids.form.error(CONFIRM_HYPERGRAVITY)]
    asked = editor_errors(
        {"arms[0].gravity_g": "5 g?", CONFIRM_HYPERGRAVITY: "Confirm."},
        control_ids,
        error_ids,
        confirmed=False,
    )
    assert "d-none" not in asked["confirm_box"]
    assert "is-invalid" in asked["confirm_input"]
    other = editor_errors({"arms[0].gravity_g": "Negative."}, control_ids, error_ids, False)
    assert "d-none" in other["confirm_box"]
    ticked = editor_errors({"name": "Name is required."}, control_ids, error_ids, True)
    assert "d-none" not in ticked["confirm_box"]  # stays in view once ticked


def test_editor_names_every_field_by_the_services_paths() -> None:
    ids = editor_ids("e")
    tree = experiment_editor(
        ids, {"arms": default_arms()}, submit_label="Create", cancel_href="/experiments", title="t"
    )
    fields = [
        c.id["field"]
        for c in _find(tree, lambda c: isinstance(getattr(c, "id", None), dict))
        if set(c.id) == {"form", "field"}
    ]
    assert fields == [
        "name",
        "organism",
        "mission",
        "hardware",
        "osdr_accession",
        "description",
        *[
            f"arms[{i}].{k}"
            for i in (0, 1)
            for k in ("name", "spaceflight", "gravity_g", "description")
        ],
    ]
