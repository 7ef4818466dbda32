"""The Provenance page and the provenance badges without a browser: who may open the page,
what it shows of a dataset anchored on the embedded chain (status, chain, record, proof,
lineage, batches), and its callbacks driven as the browser drives them (POST
/_dash-update-component): looking up a file's SHA-256, verifying, retracting. The badges on
the datasets list, the dataset page, the overview and the audit page's anchored head too."""

from __future__ import annotations

import hashlib
import io
import json
import secrets
from typing import Any

import pytest
from flask.testing import FlaskClient

from dashboard.access import visible_links
from dashboard.auth import app_state
from dashboard.services import jobs, ledger_anchoring, provenance, provenance_verify
from dashboard.services.actor import cli_actor
from dashboard.services.blobs import BlobStore
from dashboard.services.ledger_chain import chain_settings

from .conftest import Site, call_callback, find_callback

POLICY = ledger_anchoring.BatchPolicy(size=1000, wait_s=0.0)
RETRACT = "provenance-retract"
LOOKUP = "provenance-lookup"
FORM_FIELDS = {RETRACT: ["reason"], LOOKUP: ["sha256"]}


def _fasta(name: str) -> bytes:
    """A small FASTA no other test imports (the same bytes are one dataset)."""
    bases = "".join(secrets.choice("ACGT") for _ in range(240))
    return f">{name} {secrets.token_hex(8)}\n{bases}\n".encode()


def _import(
    client: FlaskClient, experiment_id: int, name: str, data: bytes, parents: list[int]
) -> dict[str, Any]:
    form: dict[str, Any] = {
        "file": (io.BytesIO(data), name),
        "experiment_id": str(experiment_id),
        "sample_name": name.split(".")[0],
    }
    if parents:
        form["derived_from"] = ",".join(str(p) for p in parents)
    response = client.post("/api/v1/datasets", data=form, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    created: dict[str, Any] = response.get_json()
    return created


@pytest.fixture(scope="module")
def lineage(site: Site) -> dict[str, Any]:
    """A parent and a child derived from it, imported as sci and anchored on the embedded
    chain by the anchoring worker's own step; the parent's bytes for look-ups."""
    sci = site.client("sci")
    body = {
        "name": f"Provenance pages {secrets.token_hex(3)}",
        "organism": "Yersinia pestis",
        "arms": [{"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0}],
    }
    response = sci.post("/api/v1/experiments", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    experiment_id = response.get_json()["id"]
    parent_bytes = _fasta("parent")
    parent = _import(sci, experiment_id, "parent.fasta", parent_bytes, [])
    child = _import(sci, experiment_id, "child.fasta", _fasta("child"), [parent["id"]])
    settings = app_state(site.server).settings
    list(ledger_anchoring.run_until_idle(site.db, chain_settings(settings), POLICY, "pages-test"))
    return {"parent": parent, "child": child, "parent_bytes": parent_bytes}


def _layout(client: FlaskClient, path: str, search: str = "") -> str:
    values = {"_pages_location.pathname": path, "_pages_location.search": search}
    response = call_callback(client, "_pages_content.children", values)
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.dumps(response.get_json(), ensure_ascii=False)


def _key(component_id: str | dict[str, Any]) -> str:
    if isinstance(component_id, str):
        return component_id
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


def _parsed(ident: str) -> str | dict[str, Any]:
    """An id as /_dash-dependencies writes it, as the browser sends it back."""
    if ident.startswith("{"):
        parsed: dict[str, Any] = json.loads(ident)
        return parsed
    return ident


def _expand(item: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The concrete ids of a wildcard (ALL) form id, or None for a plain id."""
    raw = item["id"]
    if not isinstance(raw, str) or not raw.startswith("{"):
        return None
    parsed = json.loads(raw)
    if parsed.get("field") != ["ALL"]:
        return None
    part = {"part": parsed["part"]} if "part" in parsed else {}
    return [{"form": parsed["form"], "field": f, **part} for f in FORM_FIELDS[parsed["form"]]]


def _run(
    client: FlaskClient, fragment: str, values: dict[str, Any], changed: str
) -> tuple[int, dict[str, Any]]:
    """Call the callback whose outputs include ``fragment`` as the browser would, after
    ``changed`` ("id.prop") changed. ``values`` maps "id.prop" to a value; a form's fields
    by "form:field". Returns the status and the response's {id: {prop: value}}."""
    exact = [d for d in client.get("/_dash-dependencies").get_json() if d["output"] == fragment]
    dep = exact[0] if exact else find_callback(client, fragment)

    def fill(item: dict[str, Any]) -> Any:
        concrete = _expand(item)
        if concrete is None:
            value = values.get(f"{item['id']}.{item['property']}")
            return {"id": _parsed(item["id"]), "property": item["property"], "value": value}
        if item["property"] == "id":
            return [{"id": c, "property": "id", "value": c} for c in concrete]
        return [
            {
                "id": c,
                "property": item["property"],
                "value": values.get(f"{c['form']}:{c['field']}"),
            }
            for c in concrete
        ]

    outputs: list[Any] = []
    for part in dep["output"].strip(".").split("..."):
        ident, prop = part.rsplit(".", 1)
        item = {"id": ident, "property": prop.split("@")[0]}
        concrete = _expand(item)
        if concrete is None:
            outputs.append({**item, "id": _parsed(ident)})
        else:
            outputs.append([{"id": c, "property": item["property"]} for c in concrete])
    body = {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [fill(i) for i in dep["inputs"]],
        "state": [fill(s) for s in dep["state"]],
        "changedPropIds": [changed],
    }
    response = client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    if response.status_code != 200:
        return response.status_code, {}
    payload: dict[str, Any] = response.get_json()["response"]
    return 200, payload


# --- who may open it ---------------------------------------------------------------------


def test_reviewers_and_admins_open_the_page_and_find_it_in_the_navbar(
    site: Site, lineage: dict[str, Any]
) -> None:
    for user, status in (("rev", 200), ("boss", 200), ("sci", 403), ("oper", 403)):
        assert site.client(user).get("/provenance").status_code == status, user
    with site.server.test_request_context():
        assert "/provenance" in {link.path for link in visible_links(frozenset({"reviewer"}))}
        assert "/provenance" not in {link.path for link in visible_links(frozenset({"scientist"}))}
    refused = _layout(site.client("sci"), "/provenance", f"?dataset={lineage['child']['id']}")
    assert "Not allowed" in refused
    assert lineage["child"]["sha256"] not in refused


# --- what it shows -----------------------------------------------------------------------


def test_a_dataset_shows_its_status_chain_record_proof_and_lineage(
    site: Site, lineage: dict[str, Any]
) -> None:
    parent, child = lineage["parent"], lineage["child"]
    page = _layout(site.client("rev"), "/provenance", f"?dataset={child['id']}")
    view = provenance.get(site.db, child["id"], 1)
    assert view.status.state == provenance.ANCHORED, view.status.detail
    assert '"provenance-status"' in page
    assert '"data-provenance": "anchored"' in page
    assert view.status.detail in page  # the line beside the badge
    assert view.status.tx_hash in page
    assert view.status.submitter in page
    assert f"chain {view.chain.chain_id}" in page or str(view.chain.chain_id) in page
    assert view.chain.contract in page
    assert provenance.EMBEDDED_NOTE in page  # the embedded chain says what it proves
    assert view.leaf in page
    assert view.root in page
    assert all(p in page for p in view.proof)
    assert child["sha256"] in page  # inside the record's JSON
    # The graph: both datasets as nodes, one edge parent -> child; the same in words.
    assert f'"source": "{parent["id"]}", "target": "{child["id"]}"' in page
    assert '"provenance-lineage-list"' in page
    assert f"/provenance?dataset={parent['id']}" in page
    assert f"/api/v1/datasets/{child['id']}/proof" in page
    assert '"provenance-verify"' in page
    assert '"provenance-retract-submit"' in page


def test_without_a_dataset_the_page_offers_a_picker_and_names_a_missing_one(
    site: Site, lineage: dict[str, Any]
) -> None:
    page = _layout(site.client("rev"), "/provenance")
    assert "Pick a dataset" in page
    assert f"#{lineage['child']['id']} child.fasta" in page  # among the picker's options
    assert "No dataset '999999'" in _layout(site.client("rev"), "/provenance", "?dataset=999999")
    assert "No dataset 'x'" in _layout(site.client("rev"), "/provenance", "?dataset=x")


def test_picking_from_the_list_opens_the_dataset_but_typing_does_not(
    site: Site, lineage: dict[str, Any]
) -> None:
    child = lineage["child"]
    page = _layout(site.client("rev"), "/provenance")
    label = next(
        part.split('"')[0]
        for part in page.split('"value": "')[1:]
        if part.startswith(f"#{child['id']} child.fasta · ")
    )
    for typed, opens in ((label, True), (f"#{child['id']}", False), ("child", False)):
        status, payload = _run(
            site.client("rev"),
            "provenance-navigate.href",
            {"provenance-dataset.value": typed, "provenance-dataset-id.data": None},
            "provenance-dataset.value",
        )
        href = payload.get("provenance-navigate", {}).get("href")
        assert (href == f"/provenance?dataset={child['id']}") is opens, (typed, status, href)


def test_the_batches_tab_lists_each_root_with_its_transaction_and_gas(
    site: Site, lineage: dict[str, Any]
) -> None:
    batches, _total = provenance.list_batches(site.db)
    newest = batches[0]
    page = _layout(site.client("boss"), "/provenance", "?tab=batches")
    assert newest.root in page
    assert str(newest.tx_hash) in page
    assert '"gas_per_leaf"' in page
    assert '"audit_seq"' in page


# --- the file check ----------------------------------------------------------------------


def test_a_hashed_file_is_found_with_its_dataset_recorder_and_anchor(
    site: Site, lineage: dict[str, Any]
) -> None:
    digest = hashlib.sha256(lineage["parent_bytes"]).hexdigest()
    hashed = {"sha256": digest, "name": "copy.fasta", "size": 12, "seconds": 0.1}
    status, payload = _run(
        site.client("rev"),
        "provenance-file-result.children",
        {"provenance-hash.data": hashed},
        "provenance-hash.data",
    )
    assert status == 200
    text = json.dumps(payload["provenance-file-result"]["children"], ensure_ascii=False)
    assert "Recorded here" in text
    assert f"#{lineage['parent']['id']} parent.fasta" in text
    assert "sci" in text  # who recorded it
    assert "Anchored in block" in text
    assert "copy.fasta" in payload["provenance-hash-status"]["children"]

    status, payload = _run(
        site.client("rev"),
        "provenance-file-result.children",
        {"provenance-hash.data": {**hashed, "sha256": hashlib.sha256(b"never").hexdigest()}},
        "provenance-hash.data",
    )
    assert "Never recorded here" in json.dumps(payload["provenance-file-result"]["children"])


def test_a_malformed_sha256_is_refused_beside_its_field(site: Site) -> None:
    error_id = _key({"form": LOOKUP, "field": "sha256", "part": "error"})
    control_id = _key({"form": LOOKUP, "field": "sha256"})
    status, payload = _run(
        site.client("rev"),
        "provenance-file-result.children",
        {f"{LOOKUP}:sha256": "xyz", f"{LOOKUP}-submit.n_clicks": 1},
        f"{LOOKUP}-submit.n_clicks",
    )
    assert status == 200
    assert "64 hexadecimal digits" in payload[error_id]["children"]
    assert payload[control_id]["invalid"] is True
    assert "provenance-file-result" not in payload  # the last answer stays


def test_a_scientist_calling_the_lookup_directly_is_refused(site: Site) -> None:
    status, _payload = _run(
        site.client("sci"),
        "provenance-file-result.children",
        {f"{LOOKUP}:sha256": "0" * 64, f"{LOOKUP}-submit.n_clicks": 1},
        f"{LOOKUP}-submit.n_clicks",
    )
    assert status == 403


# --- verify and retract ------------------------------------------------------------------


def test_verify_now_starts_the_job_and_its_result_reads_as_checks(
    site: Site, lineage: dict[str, Any]
) -> None:
    child = lineage["child"]
    status, payload = _run(
        site.client("rev"),
        "provenance-checks.children..",
        {"provenance-verify.n_clicks": 1, "provenance-dataset-id.data": child["id"]},
        "provenance-verify.n_clicks",
    )
    assert status == 200
    job_id = payload[_key({"name": "provenance-verify", "type": "job-progress-id"})]["data"]
    job = jobs.get(site.db, cli_actor("test"), job_id)
    assert (job.kind, job.params) == ("provenance.verify", {"dataset_id": child["id"]})

    settings = app_state(site.server).settings
    result = provenance_verify.verify_dataset(
        site.db,
        cli_actor("test"),
        chain_settings(settings),
        BlobStore.in_data_dir(settings.data_dir),
        child["id"],
    ).as_dict()
    status, payload = _run(
        site.client("rev"),
        "provenance-checks.children@",
        {
            _key({"name": "provenance-verify", "type": "job-progress-state"}) + ".data": {
                "state": "succeeded",
                "result": result,
            },
            "provenance-dataset-id.data": child["id"],
        },
        _key({"name": "provenance-verify", "type": "job-progress-state"}) + ".data",
    )
    assert status == 200
    checks = json.dumps(payload["provenance-checks"]["children"], ensure_ascii=False)
    assert result["verified"] is True
    assert "and its lineage verify" in checks
    assert checks.count('"data-ok": "true"') >= 10  # its own checks and its parent's
    assert f"Parent dataset #{lineage['parent']['id']}" in checks


def test_retract_needs_a_reason_then_marks_the_dataset_and_its_children(
    site: Site, lineage: dict[str, Any]
) -> None:
    parent, child = lineage["parent"], lineage["child"]
    error_id = _key({"form": RETRACT, "field": "reason", "part": "error"})
    values = {f"{RETRACT}-submit.n_clicks": 1, "provenance-dataset-id.data": parent["id"]}
    status, payload = _run(
        site.client("rev"),
        "provenance-retract-summary.children",
        {**values},
        f"{RETRACT}-submit.n_clicks",
    )
    assert status == 200
    assert "Say why" in payload[error_id]["children"]
    assert "provenance-navigate" not in payload

    # Another role calling the callback directly is refused by the service.
    status, _payload = _run(
        site.client("sci"),
        "provenance-retract-summary.children",
        {**values, f"{RETRACT}:reason": "mine"},
        f"{RETRACT}-submit.n_clicks",
    )
    assert status == 403
    assert provenance.status_map(site.db, [parent["id"]], 1)[parent["id"]].state != "retracted"

    reason = "Sample swap: the culture was another strain."
    status, payload = _run(
        site.client("rev"),
        "provenance-retract-summary.children",
        {**values, f"{RETRACT}:reason": reason},
        f"{RETRACT}-submit.n_clicks",
    )
    assert status == 200
    assert payload["provenance-navigate"]["href"] == (
        f"/provenance?dataset={parent['id']}&retracted=1"
    )
    shown = _layout(site.client("rev"), "/provenance", f"?dataset={parent['id']}&retracted=1")
    assert reason in shown
    assert "Retracted dataset" in shown
    assert '"provenance-retract-submit"' not in shown  # once is enough
    child_page = _layout(site.client("rev"), "/provenance", f"?dataset={child['id']}")
    assert "Parent retracted" in child_page
    listed = _layout(site.client("sci"), "/datasets")
    assert "Parent retracted" in listed
    assert "provenance_states" in listed


# --- badges elsewhere --------------------------------------------------------------------


def test_badges_on_the_dataset_page_overview_and_list(site: Site, lineage: dict[str, Any]) -> None:
    child = lineage["child"]
    page = _layout(site.client("rev"), f"/datasets/{child['id']}")
    assert '"dataset-provenance-badge"' in page
    assert '"dataset-provenance"' in page
    assert f"/provenance?dataset={child['id']}" in page  # reviewers get the way there
    scientist = _layout(site.client("sci"), f"/datasets/{child['id']}")
    assert '"dataset-provenance-badge"' in scientist
    assert '"dataset-provenance-link"' not in scientist  # the page is not theirs
    home = _layout(site.client("sci"), "/")
    assert '"home-datasets"' in home
    assert '"data-provenance"' in home
    listed = _layout(site.client("oper"), "/datasets")
    assert '"provenance_detail"' in listed
    assert '"titleField": "provenance_detail"' in listed


def test_the_audit_page_shows_the_last_anchored_head(site: Site, lineage: dict[str, Any]) -> None:
    from dashboard.services import audit_anchors

    head = audit_anchors.last_anchored_head(site.db)
    assert head is not None
    page = _layout(site.client("boss"), "/admin/audit")
    assert '"audit-anchored-head"' in page
    assert f"event {head.seq:,}, digest " in page
    assert head.digest in page  # whole, in its tooltip
    assert f"block {head.block_number:,}" in page
