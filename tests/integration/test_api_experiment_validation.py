"""The API names every field at fault in one answer, and refuses implausible gravity with a
reason: negative, above the maximum, or hypergravity (above 3 g) that was not confirmed."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from dashboard.services import experiments
from dashboard.services.experiments import CONFIRM_HYPERGRAVITY

from .conftest import Site

URL = "/api/v1/experiments"
FLIGHT = {"name": "flight µg", "spaceflight": "Space Flight", "gravity_g": 0}
GROUND = {"name": "ground 1 g", "spaceflight": "Ground Control", "gravity_g": 1}
CENTRIFUGE = {"name": "centrifuge", "spaceflight": "Space Flight", "gravity_g": 5}


def _body(name: str, **changes: Any) -> dict[str, Any]:
    return {"name": name, "organism": "Escherichia coli", "arms": [FLIGHT, GROUND], **changes}


def _refused(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.get_data(as_text=True)
    error: dict[str, Any] = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    return error


def _names(client: FlaskClient) -> list[str]:
    return [e["name"] for e in client.get(URL).get_json()]


def test_every_semantic_problem_comes_back_at_once(site: Site) -> None:
    sci = site.client("sci")
    arms = [FLIGHT, {**GROUND, "name": "Flight  µg"}, CENTRIFUGE]
    error = _refused(sci.post(URL, json=_body("api all errors", arms=arms)))
    assert list(error["errors"]) == ["arms[1].name", "arms[2].gravity_g", CONFIRM_HYPERGRAVITY]
    assert error["field"] == "arms[1].name"
    assert error["message"] == error["errors"]["arms[1].name"]
    assert "api all errors" not in _names(sci)


def test_every_schema_problem_comes_back_at_once(site: Site) -> None:
    sci = site.client("sci")
    body = {
        "name": "api schema errors",
        "arms": [FLIGHT, {"name": "down", "spaceflight": "Orbit", "gravity_g": -1}],
    }
    error = _refused(sci.post(URL, json=body))
    assert set(error["errors"]) == {"organism", "arms[1].spaceflight", "arms[1].gravity_g"}
    assert error["errors"]["arms[1].gravity_g"] == (
        "Gravity is in g (9.81 m/s² = 1 g), from 0 (microgravity) to 20 g; got -1.0."
    )
    assert error["field"] in error["errors"]
    assert "details" in error  # marshmallow's own report stays for clients that read it


def test_hypergravity_needs_confirmation_naming_the_arm(site: Site) -> None:
    sci = site.client("sci")
    body = _body("api centrifuge", arms=[FLIGHT, CENTRIFUGE])
    error = _refused(sci.post(URL, json=body))
    assert error["field"] == "arms[1].gravity_g"
    assert error["message"].startswith(
        "Arm 2 “centrifuge” is set to 5 g: hypergravity (centrifuge) is intended?"
    )
    assert CONFIRM_HYPERGRAVITY in error["errors"]
    refused = _refused(sci.post(URL, json={**body, CONFIRM_HYPERGRAVITY: False}))
    assert refused["field"] == "arms[1].gravity_g"
    # Only a JSON boolean confirms (the schema says so, and refuses "yes").
    not_boolean = _refused(sci.post(URL, json={**body, CONFIRM_HYPERGRAVITY: "yes"}))
    assert CONFIRM_HYPERGRAVITY in not_boolean["errors"]
    assert "api centrifuge" not in _names(sci)

    created = sci.post(URL, json={**body, CONFIRM_HYPERGRAVITY: True})
    assert created.status_code == 201, created.get_data(as_text=True)
    stored = created.get_json()
    assert [a["gravity_g"] for a in stored["arms"]] == [0.0, 5.0]
    assert CONFIRM_HYPERGRAVITY not in stored  # a request flag, never stored or shown


def test_earth_gravity_typed_in_m_s2_is_questioned(site: Site) -> None:
    arms = [FLIGHT, {**GROUND, "gravity_g": 9.81}]
    error = _refused(site.client("sci").post(URL, json=_body("api m/s2 slip", arms=arms)))
    assert error["field"] == "arms[1].gravity_g"
    assert "9.81 m/s² = 1 g" in error["message"]


def test_negative_and_excessive_gravity_are_refused_even_when_confirmed(site: Site) -> None:
    sci = site.client("sci")
    for gravity_g in (-0.1, experiments.GRAVITY_MAX_G + 0.5):
        arms = [FLIGHT, {**GROUND, "gravity_g": gravity_g}]
        body = _body("api implausible", arms=arms, **{CONFIRM_HYPERGRAVITY: True})
        error = _refused(sci.post(URL, json=body))
        assert list(error["errors"]) == ["arms[1].gravity_g"]
    assert "api implausible" not in _names(sci)


def test_patch_asks_again_only_for_a_changed_hypergravity_arm(site: Site) -> None:
    sci = site.client("sci")
    created = sci.post(
        URL,
        json=_body("api patch centrifuge", arms=[FLIGHT, CENTRIFUGE], confirm_hypergravity=True),
    ).get_json()
    url = f"{URL}/{created['id']}"
    # The 5 g arm was confirmed when it was set: other edits need no confirmation.
    renamed = sci.patch(url, json={"organism": "E. coli B", "version": 1})
    assert renamed.status_code == 200, renamed.get_data(as_text=True)
    heavier = {"arms": [FLIGHT, {**CENTRIFUGE, "gravity_g": 8}], "version": 2}
    error = _refused(sci.patch(url, json=heavier))
    assert list(error["errors"]) == ["arms[1].gravity_g", CONFIRM_HYPERGRAVITY]
    confirmed = sci.patch(url, json={**heavier, CONFIRM_HYPERGRAVITY: True})
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    assert confirmed.get_json()["arms"][1]["gravity_g"] == 8.0


def test_single_field_errors_carry_errors_too(site: Site) -> None:
    sci = site.client("sci")
    created = sci.post(URL, json=_body("api stale")).get_json()
    url = f"{URL}/{created['id']}"
    assert sci.patch(url, json={"organism": "first", "version": 1}).status_code == 200
    stale = sci.patch(url, json={"organism": "second", "version": 1})
    assert stale.status_code == 409
    error = stale.get_json()["error"]
    assert error["field"] == "version"
    assert error["errors"] == {"version": error["message"]}


def test_openapi_documents_all_errors_and_the_confirmation(site: Site) -> None:
    schemas = site.client("sci").get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    errors = schemas["ApiErrorBody"]["properties"]["errors"]
    assert errors["type"] == "object"
    assert errors["additionalProperties"] == {"type": "string"}
    gravity = schemas["Arm"]["properties"]["gravity_g"]
    assert (gravity["minimum"], gravity["maximum"]) == (0.0, experiments.GRAVITY_MAX_G)
    assert gravity["description"] == experiments.GRAVITY_RULE
    for name in ("Experiment", "ExperimentPatch"):
        confirm = schemas[name]["properties"][CONFIRM_HYPERGRAVITY]
        assert (confirm["type"], confirm["writeOnly"]) == ("boolean", True)
