"""The datasets pages without a browser: routing, who may open them, and their callbacks
driven the way the browser drives them (POST /_dash-update-component)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import dash
import pytest
from dash._pages import _path_to_page
from flask.testing import FlaskClient

from .conftest import Site, call_callback, find_callback

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sequences" / "biopython"
FORM = "dataset-import"
CONTROLS = (
    "experiment_id",
    "arm_id",
    "sample_name",
    "material",
    "instrument",
    "source_run",
    "factors.strain",
    "factors.taxon_id",
    "factors.spaceflight",
    "factors.gravity_g",
    "factors.radiation_mgy",
    "factors.time_point",
    "factors.replicate",
)
ERROR_SLOTS = ("experiment_id", "arm_id", "sample_name", "file", *CONTROLS[3:6], "derived_from")
ERROR_SLOTS += CONTROLS[6:]
JOB_STATE = {"name": FORM, "type": "job-progress-state"}
FILE = {"name": "reads.fastq.gz", "size": 123_456, "lastModified": 1}


def _field(name: str, part: str | None = None) -> dict[str, str]:
    return {"form": FORM, "field": name, **({"part": part} if part else {})}


def _key(component_id: dict[str, str]) -> str:
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


@pytest.fixture(scope="module")
def experiment(site: Site) -> dict[str, Any]:
    body = {
        "name": "Dataset pages test",
        "organism": "Escherichia coli REL606",
        "arms": [
            {"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0},
            {"name": "ground", "spaceflight": "Ground Control", "gravity_g": 1},
        ],
    }
    response = site.client("sci").post("/api/v1/experiments", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    created: dict[str, Any] = response.get_json()
    return created


@pytest.fixture(scope="module")
def genome(site: Site, experiment: dict[str, Any]) -> dict[str, Any]:
    """pPCP1 as EMBL imported through the API (a genome with one record)."""
    data = (FIXTURES / "AE017046.embl").read_bytes()
    form = {
        "file": (io.BytesIO(data), "pPCP1.embl"),
        "experiment_id": str(experiment["id"]),
        "sample_name": "ancestor",
    }
    response = site.client("sci").post(
        "/api/v1/datasets", data=form, content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    created: dict[str, Any] = response.get_json()
    return created


# --- routing and access --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "module", "variables"),
    [
        ("datasets/import", "dashboard.pages.dataset_import", None),
        ("datasets/12", "dashboard.pages.dataset", {"dataset_id": "12"}),
        ("datasets", "dashboard.pages.datasets", None),
    ],
)
def test_the_import_path_wins_over_the_dataset_template(
    site: Site, path: str, module: str, variables: dict[str, str] | None
) -> None:
    assert site.server is not None
    page, found = _path_to_page(path)
    assert page.get("module") == module
    assert found == variables
    assert dash.page_registry[module] is page


def test_only_importers_open_the_import_view(site: Site, genome: dict[str, Any]) -> None:
    for user, status in (("sci", 200), ("boss", 200), ("oper", 403), ("rev", 403)):
        assert site.client(user).get("/datasets/import").status_code == status, user
        assert site.client(user).get("/datasets").status_code == 200, user
        assert site.client(user).get(f"/datasets/{genome['id']}").status_code == 200, user


def _layout(client: FlaskClient, path: str, search: str = "") -> str:
    values = {"_pages_location.pathname": path, "_pages_location.search": search}
    response = call_callback(client, "_pages_content.children", values)
    assert response.status_code == 200, response.get_data(as_text=True)
    # Decoded and written again: Dash's encoder writes "/" as "\\u002f".
    return json.dumps(response.get_json(), ensure_ascii=False)


def test_the_list_offers_import_to_importers_only(site: Site, genome: dict[str, Any]) -> None:
    assert '"datasets-import-link"' in _layout(site.client("sci"), "/datasets")
    page = _layout(site.client("oper"), "/datasets")
    assert '"datasets-import-link"' not in page
    assert genome["sha256"] in page  # the full digest travels for the tooltip
    filtered = _layout(site.client("oper"), "/datasets", f"?experiment={genome['experiment_id']}")
    assert '"pPCP1.embl"' in filtered
    other = _layout(site.client("oper"), "/datasets", "?experiment=999999")
    assert '"pPCP1.embl"' not in other


def test_the_dataset_page_shows_the_stored_statistics(site: Site, genome: dict[str, Any]) -> None:
    page = _layout(site.client("rev"), f"/datasets/{genome['id']}")
    assert genome["sha256"] in page
    assert "9,609 bp" in page  # total length from the stored statistics
    assert '"AE017046.1"' in page  # the records table
    assert f"/explorer?dataset={genome['id']}" in page  # a genome opens in the explorer
    assert f"/api/v1/datasets/{genome['id']}/content" in page
    assert '"dataset-delete"' not in page  # only admins delete
    assert '"dataset-delete"' in _layout(site.client("boss"), f"/datasets/{genome['id']}")
    missing = _layout(site.client("rev"), "/datasets/999999")
    assert "No dataset '999999'" in missing


def test_the_experiment_page_links_its_datasets(
    site: Site, experiment: dict[str, Any], genome: dict[str, Any]
) -> None:
    page = _layout(site.client("sci"), f"/experiments/{experiment['id']}")
    assert f"/datasets?experiment={experiment['id']}" in page
    assert f"/datasets/import?experiment={experiment['id']}" in page
    assert f"/api/v1/experiments/{experiment['id']}/samples.tsv" in page
    assert '"experiment-sheet-import"' in page
    reviewer = _layout(site.client("rev"), f"/experiments/{experiment['id']}")
    assert f"/datasets/import?experiment={experiment['id']}" not in reviewer
    assert '"experiment-sheet-import"' not in reviewer  # reviewers do not change samples
    assert "samples.tsv" in reviewer  # but may download the sheet


# --- the import form -----------------------------------------------------------------------


TRIGGERS = {  # what changed → (that input, an output naming the callback it runs)
    "submit": (f"{FORM}-submit.n_clicks", f"{FORM}-start.data"),
    "event": (f"{FORM}-event.data", f"{_key(JOB_STATE | {'type': 'job-progress-id'})}.data"),
    "job": (f"{_key(JOB_STATE)}.data", f"{FORM}-redirect.href"),
}


def _outputs_of(dep: dict[str, Any]) -> list[str]:
    """A callback's outputs as "id.property" (without allow_duplicate's suffix)."""
    return [part.split("@")[0] for part in dep["output"].strip(".").split("...")]


def _resolved(spec: dict[str, Any], values: dict[str, Any] | None = None) -> Any:
    """A dependency as the browser sends it (with its value from ``values`` when given):
    a dict id parsed, an ALL pattern as the list of the form's ids."""
    ident = json.loads(spec["id"]) if spec["id"].startswith("{") else spec["id"]
    if not (isinstance(ident, dict) and ident.get("field") == ["ALL"]):
        return {**spec, "id": ident, **({"value": values[spec["id"]]} if values else {})}
    part = ident.get("part")
    found = []
    for name in ERROR_SLOTS if part else CONTROLS:
        item: dict[str, Any] = {"id": _field(name, part), "property": spec["property"]}
        if values:
            given = values["fields"].get(name, "")
            item["value"] = item["id"] if spec["property"] == "id" else given
        found.append(item)
    return found


def _submit(
    client: FlaskClient,
    fields: dict[str, object],
    *,
    file_info: object = FILE,
    derived: list[int] | None = None,
    trigger: str = "submit",
    event: object = None,
    job: object = None,
) -> Any:
    """Run the import page's callback for ``trigger`` as the browser does."""
    changed, output = TRIGGERS[trigger]
    dep = find_callback(client, output)
    outputs = []
    for part in _outputs_of(dep):
        ident, prop = part.rsplit(".", 1)
        outputs.append(_resolved({"id": ident, "property": prop}))
    values = {
        f"{FORM}-submit": 1,
        f"{FORM}-event": event,
        _key(JOB_STATE): job,
        f"{FORM}-derived": derived or [],
        f"{FORM}-file-info": file_info,
        "fields": fields,
    }
    body = {
        "output": dep["output"],
        "outputs": outputs,
        "inputs": [_resolved(i, values) for i in dep["inputs"]],
        "state": [_resolved(i, values) for i in dep["state"]],
        "changedPropIds": [changed],
    }
    response = client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    if response.status_code == 204:  # nothing to change
        return {}
    assert response.status_code == 200, response.get_data(as_text=True)
    payload: dict[str, Any] = response.get_json()["response"]
    return payload


def _errors(payload: dict[str, Any]) -> dict[str, str]:
    """The messages shown beside fields, by field."""
    found = {}
    for name in ERROR_SLOTS:
        message = payload.get(_key(_field(name, "error")), {}).get("children")
        if message:
            found[name] = message
    return found


def test_every_problem_shows_beside_its_field_before_a_byte_is_sent(
    site: Site, experiment: dict[str, Any]
) -> None:
    sci = site.client("sci")
    payload = _submit(sci, {}, file_info=None)
    errors = _errors(payload)
    assert errors["experiment_id"] == "Experiment is required."
    assert errors["sample_name"] == "Sample name is required."
    assert errors["file"] == "Choose the file to import."
    assert f"{FORM}-start" not in payload  # nothing handed to the uploader

    fields = {
        "experiment_id": str(experiment["id"]),
        "sample_name": "F1",
        "factors.gravity_g": "-1",
        "factors.taxon_id": "E. coli",
        "factors.spaceflight": "Orbit",
    }
    errors = _errors(_submit(sci, fields, derived=[999_999]))
    assert set(errors) == {"factors.gravity_g", "factors.taxon_id", "factors.spaceflight"}
    assert "NCBI taxonomy id must be a whole number" in errors["factors.taxon_id"]

    arm = str(experiment["arms"][1]["id"])
    payload = _submit(
        sci,
        {
            **fields,
            "factors.gravity_g": "",
            "factors.taxon_id": "562",
            "factors.spaceflight": "",
            "arm_id": arm,
        },
        derived=[999_999],
    )
    assert _errors(payload) == {"derived_from": "No dataset with id 999999 to derive from."}
    assert payload[f"{FORM}-derived"]["input_class_name"] == "is-invalid"


def test_sound_details_go_to_the_uploader_checked(site: Site, experiment: dict[str, Any]) -> None:
    arm = experiment["arms"][0]["id"]
    fields = {
        "experiment_id": str(experiment["id"]),
        "arm_id": str(arm),
        "sample_name": " F2 ",
        "factors.taxon_id": "562",
        "factors.gravity_g": "0",
    }
    payload = _submit(site.client("sci"), fields)
    assert _errors(payload) == {}
    start = payload[f"{FORM}-start"]["data"]
    assert (start["filename"], start["size"]) == (FILE["name"], FILE["size"])
    details = start["details"]
    assert details["experiment_id"] == experiment["id"]
    assert details["arm_id"] == arm
    assert details["sample_name"] == "F2"
    assert details["factors"] == {"taxon_id": 562, "gravity_g": 0.0}
    assert json.loads(start["key"]) == details  # what a resumed upload must match
    assert payload[f"{FORM}-submit"]["disabled"] is True


def test_a_sample_that_records_other_values_is_refused_beside_them(
    site: Site, experiment: dict[str, Any]
) -> None:
    sci = site.client("sci")
    sheet = (
        "Sample Name\tFactor Value[Spaceflight]\tFactor Value[Replicate]\nG7\tGround Control\tB\n"
    )
    made = sci.post(
        f"/api/v1/experiments/{experiment['id']}/samples.tsv",
        data=sheet.encode(),
        content_type="text/tab-separated-values",
    )
    assert made.status_code == 200, made.get_data(as_text=True)
    fields = {
        "experiment_id": str(experiment["id"]),
        "sample_name": "G7",
        "factors.spaceflight": "Space Flight",
        "factors.replicate": "B",
        "factors.strain": "REL606",
    }
    errors = _errors(_submit(sci, fields))
    assert list(errors) == ["factors.spaceflight"]  # the service says "spaceflight"
    assert "already records spaceflight = 'Ground Control'" in errors["factors.spaceflight"]


def test_what_the_uploader_reports_lands_beside_the_fields(site: Site) -> None:
    sci = site.client("sci")
    refused = {"kind": "refused", "errors": {"gravity_g": "conflict", "file": "too large"}}
    errors = _errors(_submit(sci, {}, trigger="event", event=refused))
    assert errors == {"factors.gravity_g": "conflict", "file": "too large"}
    failed = {"kind": "failed", "message": "The connection to the server is lost."}
    assert _errors(_submit(sci, {}, trigger="event", event=failed)) == {
        "file": "The connection to the server is lost."
    }
    started = _submit(sci, {}, trigger="event", event={"kind": "started", "job_id": 42})
    assert started[_key(JOB_STATE | {"type": "job-progress-id"})]["data"] == 42
    for nonsense in (None, "x", 3, {"kind": "started", "job_id": "42"}, {"kind": "?"}):
        answer = _submit(sci, {}, trigger="event", event=nonsense)
        assert _key(JOB_STATE | {"type": "job-progress-id"}) not in answer


def test_the_import_jobs_end_opens_the_dataset_or_names_the_problem(site: Site) -> None:
    sci = site.client("sci")
    done = {"state": "succeeded", "result": {"dataset_id": 7}}
    assert _submit(sci, {}, trigger="job", job=done)[f"{FORM}-redirect"]["href"] == (
        "/datasets/7?imported=1"
    )
    message = "reads.fq, line 4: quality string is 24 characters but the sequence is 25"
    failed = _submit(sci, {}, trigger="job", job={"state": "failed", "error": message})
    assert _errors(failed) == {"file": message}
    assert failed[f"{FORM}-upload"]["hidden"] is True  # its bytes are gone with the import
    assert f"{FORM}-redirect" not in failed
    assert _submit(sci, {}, trigger="job", job={"state": "running", "result": None}) == {}


def test_the_panels_report_on_the_job_reaches_a_callback_that_did_not_start_it(
    site: Site,
) -> None:
    """The import job's end must not be read by the callback that wrote its id: the panel's
    report is caused by that id, and Dash drops a callback that an update it caused would
    trigger again. A quick job ended by the panel's first look then never opened the dataset
    (the page stayed on the form saying "Imported … as dataset N")."""
    deps = site.client("sci").get("/_dash-dependencies").get_json()
    job_id = f"{_key(JOB_STATE | {'type': 'job-progress-id'})}.data"
    state = {"id": _key(JOB_STATE), "property": "data"}
    writers = [d for d in deps if job_id in _outputs_of(d)]
    readers = [d for d in deps if state in d["inputs"]]
    assert len(writers) == 1, [d["output"] for d in writers]
    assert len(readers) == 1, [d["output"] for d in readers]
    assert writers[0]["output"] != readers[0]["output"]
    assert f"{FORM}-redirect.href" in _outputs_of(readers[0])  # the reader opens the dataset


def _arms(client: FlaskClient, experiment_id: object, arm_id: object) -> dict[str, Any]:
    dep = find_callback(client, f"{_key(_field('arm_id'))}.options")
    body = {
        "output": dep["output"],
        "outputs": [
            {"id": _field("arm_id"), "property": "options"},
            {"id": _field("arm_id"), "property": "value"},
            {"id": _field("arm_id"), "property": "placeholder"},
            {"id": _field("arm_id", "help"), "property": "children"},
        ],
        "inputs": [
            {"id": _field("experiment_id"), "property": "value", "value": experiment_id},
            {"id": _field("arm_id"), "property": "value", "value": arm_id},
        ],
        "changedPropIds": [f"{_key(_field('experiment_id'))}.value"],
    }
    response = client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    answer: dict[str, Any] = response.get_json()["response"]
    return answer


def test_choosing_an_experiment_offers_its_arms(site: Site, experiment: dict[str, Any]) -> None:
    sci = site.client("sci")
    flight = str(experiment["arms"][0]["id"])
    answer = _arms(sci, str(experiment["id"]), flight)
    arm = answer[_key(_field("arm_id"))]
    assert [o["label"] for o in arm["options"]] == [
        "No arm",
        "flight (Space Flight, µg)",
        "ground (Ground Control, 1 g)",
    ]
    assert (arm["value"], arm["placeholder"]) == (flight, "No arm")
    assert "(Space Flight) and gravity (µg)" in answer[_key(_field("arm_id", "help"))]["children"]
    # An arm of another experiment is dropped, not kept out of sight.
    for other in ("999999", None, "x", 999_999, ["1"], {"id": 1}):
        arm = _arms(sci, other, flight)[_key(_field("arm_id"))]
        assert (arm["value"], arm["options"][0]["label"]) == ("", "Choose the experiment first")
