"""The create and edit views: routing, role checks and their save callbacks, driven the way the
browser drives them (POST /_dash-update-component with pattern-matching ids)."""

from __future__ import annotations

import json
import re
from typing import Any

import dash
import pytest
from dash._pages import _path_to_page
from flask.testing import FlaskClient

from dashboard.services.experiments import CONFIRM_HYPERGRAVITY

from .conftest import Site, find_callback

NEW = "experiment-new"
EDIT = "experiment-edit"


@pytest.mark.parametrize(
    ("path", "module", "variables"),
    [
        ("experiments/new", "dashboard.pages.experiment_new", None),
        ("experiments/12/edit", "dashboard.pages.experiment_edit", {"experiment_id": "12"}),
        ("experiments/12", "dashboard.pages.experiment", {"experiment_id": "12"}),
        ("experiments", "dashboard.pages.experiments", None),
    ],
)
def test_exact_paths_win_over_the_detail_template(
    site: Site, path: str, module: str, variables: dict[str, str] | None
) -> None:
    """Dash matches pages in registry order; "new" and "12/edit" must not be read as ids."""
    assert site.server is not None
    page, found = _path_to_page(path)
    assert page.get("module") == module
    assert found == variables
    assert dash.page_registry[module] is page


def test_views_open_for_editors_only(site: Site) -> None:
    created = site.client("sci").post(
        "/api/v1/experiments",
        json={
            "name": "views by role",
            "organism": "Bacillus subtilis 168",
            "arms": [{"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0}],
        },
    )
    assert created.status_code == 201
    edit = f"/experiments/{created.get_json()['id']}/edit"
    for path in ("/experiments/new", edit):
        assert site.client("sci").get(path).status_code == 200
        assert site.client("boss").get(path).status_code == 200
        assert site.client("oper").get(path).status_code == 403
        assert site.client("rev").get(path).status_code == 403


def _field(form: str, name: str) -> dict[str, str]:
    return {"form": form, "field": name}


def _save(
    client: FlaskClient,
    form: str,
    fields: dict[str, object],
    *,
    confirm: bool = False,
    extra_state: list[dict[str, Any]] | None = None,
) -> Any:
    """Click the form's submit button with ``fields`` typed in (field path -> value)."""
    dep = find_callback(client, f"{form}-redirect.href")
    control_ids = [_field(form, name) for name in fields]
    error_ids = [{**_field(form, name), "part": "error"} for name in fields]
    outputs: list[Any] = [
        [{"id": i, "property": "invalid"} for i in control_ids],
        [{"id": i, "property": "children"} for i in error_ids],
        [{"id": i, "property": "className"} for i in error_ids],
        {"id": f"{form}-summary", "property": "children"},
        {"id": f"{form}-confirm-box", "property": "className"},
        {"id": f"{form}-confirm-hypergravity", "property": "input_class_name"},
        {"id": f"{form}-redirect", "property": "href"},
    ]
    state: list[Any] = [
        *(extra_state or []),
        [{"id": _field(form, n), "property": "value", "value": v} for n, v in fields.items()],
        [{"id": i, "property": "id", "value": i} for i in control_ids],
        [{"id": i, "property": "id", "value": i} for i in error_ids],
        {"id": f"{form}-confirm-hypergravity", "property": "value", "value": confirm},
    ]
    body = {
        "output": dep["output"],
        "outputs": outputs,
        "inputs": [{"id": f"{form}-submit", "property": "n_clicks", "value": 1}],
        "state": state,
        "changedPropIds": [f"{form}-submit.n_clicks"],
    }
    return client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )


FIELDS: dict[str, object] = {
    "name": "callback experiment",
    "organism": "Bacillus subtilis 168",
    "mission": "",
    "hardware": "",
    "osdr_accession": "osd-379",
    "description": "",
    "arms[0].name": "flight",
    "arms[0].spaceflight": "Space Flight",
    "arms[0].gravity_g": "0",
    "arms[0].description": "",
    "arms[1].name": "centrifuge",
    "arms[1].spaceflight": "Space Flight",
    "arms[1].gravity_g": "5",
    "arms[1].description": "",
}


def _response(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    payload: dict[str, Any] = answer.get_json()["response"]
    return payload


def _key(component_id: dict[str, str]) -> str:
    """How a callback's response names a pattern-matching id."""
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


def _error_of(payload: dict[str, Any], form: str, name: str) -> object:
    return payload[_key({**_field(form, name), "part": "error"})]["children"]


def test_create_view_saves_through_the_service(site: Site) -> None:
    refused = _save(site.client("oper"), NEW, FIELDS, confirm=True)
    assert refused.status_code == 403  # the service checks the role; no form error hides it

    sci = site.client("sci")
    bad = {**FIELDS, "name": "", "arms[0].gravity_g": "-1"}
    payload = _response(_save(sci, NEW, bad))
    assert _error_of(payload, NEW, "name") == "Name is required."
    assert str(_error_of(payload, NEW, "arms[0].gravity_g")).startswith(
        "Arm 1 gravity cannot be negative"
    )
    assert str(_error_of(payload, NEW, "arms[1].gravity_g")).startswith(
        "Arm 2 “centrifuge” is set to 5 g: hypergravity (centrifuge) is intended?"
    )
    assert _error_of(payload, NEW, "organism") is None
    assert payload[_key(_field(NEW, "name"))]["invalid"] is True
    assert payload[_key(_field(NEW, "organism"))]["invalid"] is False
    assert payload[f"{NEW}-confirm-box"]["className"] == "mt-3"  # the confirmation step shows
    assert f"{NEW}-redirect" not in payload  # nothing saved, nowhere to go

    created = _response(_save(sci, NEW, FIELDS, confirm=True))
    href = created[f"{NEW}-redirect"]["href"]
    assert re.fullmatch(r"/experiments/[0-9]+\?created=1", href), href
    names = [e["name"] for e in sci.get("/api/v1/experiments").get_json()]
    assert names.count("callback experiment") == 1


def test_edit_view_refuses_a_stale_version(site: Site) -> None:
    sci = site.client("sci")
    body = {
        "name": "callback edit",
        "organism": "Deinococcus radiodurans R1",
        "arms": [{"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0}],
    }
    experiment = sci.post("/api/v1/experiments", json=body).get_json()
    fields = {
        "name": "callback edit",
        "organism": "D. radiodurans R1",
        "arms[0].name": "flight",
        "arms[0].spaceflight": "Space Flight",
        "arms[0].gravity_g": "0",
    }

    def started(version: int) -> list[dict[str, Any]]:
        data = {"id": experiment["id"], "version": version}
        return [{"id": "experiment-edit-version", "property": "data", "value": data}]

    saved = _response(_save(sci, EDIT, fields, extra_state=started(1)))
    assert saved[f"{EDIT}-redirect"]["href"] == f"/experiments/{experiment['id']}?saved=2"
    stale = _response(_save(sci, EDIT, {**fields, "organism": "other"}, extra_state=started(1)))
    assert f"{EDIT}-redirect" not in stale
    assert "changed by someone else" in json.dumps(stale[f"{EDIT}-summary"])
    stored = sci.get(f"/api/v1/experiments/{experiment['id']}").get_json()
    assert (stored["organism"], stored["version"]) == ("D. radiodurans R1", 2)
    assert CONFIRM_HYPERGRAVITY not in stored
