"""The provenance ledger over HTTP, on the embedded chain: statuses, proof bundles, PROV-JSON,
verification, lookups by file or hash, retraction and batches.

Datasets are imported through the API and anchored by the anchoring worker's own loop
(``run_until_idle``), on the same embedded chain the app uses.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prov.model import ProvDocument

from dashboard.auth import app_state
from dashboard.services import provenance
from dashboard.services.actor import cli_actor
from dashboard.services.errors import ValidationFailed
from dashboard.services.ledger_anchoring import BatchPolicy, run_until_idle
from dashboard.services.ledger_chain import chain_settings
from ledger import merkle
from ledger import proof as ledger_proof
from ledger.__main__ import main as ledger_cli
from tests.integration.conftest import Site

API = "/api/v1"
MISSING = 2**31 - 1  # a valid id no dataset has


def _json(response: Any, status: int) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    body: dict[str, Any] = _json(response, status)["error"]
    assert body["code"] == code, body
    assert body["message"]
    return body


def _fasta(label: str) -> bytes:
    """A small FASTA file no other test imports (the same bytes are one dataset)."""
    tag = uuid.uuid4().hex
    bases = "".join("ACGT"[int(c, 16) % 4] for c in hashlib.sha256(tag.encode()).hexdigest())
    return f">{label} {tag}\n{bases * 4}\n".encode()


def _anchor(site: Site) -> None:
    """Anchor everything pending, as the worker would (batches closed at once)."""
    settings = app_state(site.server).settings
    reports = list(run_until_idle(site.db, chain_settings(settings), BatchPolicy(size=1000)))
    assert not any(r.error for r in reports), [r.error for r in reports]


@dataclass(frozen=True)
class Imported:
    id: int
    filename: str
    data: bytes


@pytest.fixture(scope="module")
def experiment_id(site: Site) -> int:
    body = {
        "name": "Provenance API test",
        "organism": "Escherichia coli",
        "arms": [
            {"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0},
            {"name": "ground", "spaceflight": "Ground Control", "gravity_g": 1},
        ],
    }
    return int(_json(site.client("sci").post(f"{API}/experiments", json=body), 201)["id"])


@pytest.fixture(scope="module")
def importer(site: Site, experiment_id: int) -> Iterator[Any]:
    sci = site.client("sci")

    def run(name: str, *parents: int) -> Imported:
        data = _fasta(name)
        form: dict[str, object] = {
            "file": (io.BytesIO(data), name),
            "experiment_id": str(experiment_id),
            "sample_name": name,
        }
        if parents:
            form["derived_from"] = ",".join(str(p) for p in parents)
        created = _json(
            sci.post(f"{API}/datasets", data=form, content_type="multipart/form-data"), 201
        )
        return Imported(int(created["id"]), str(created["filename"]), data)

    return run


@pytest.fixture(scope="module")
def lineage(site: Site, importer: Any) -> tuple[Imported, Imported]:
    """An anchored parent and child (derived from it)."""
    parent = importer("parent.fa")
    child = importer("child.fa", parent.id)
    _anchor(site)
    return parent, child


def _audit(site: Site, **query: str) -> list[dict[str, Any]]:
    found = _json(site.client("boss").get(f"{API}/audit", query_string=query), 200)
    items: list[dict[str, Any]] = found["items"]
    return items


# --- statuses ---------------------------------------------------------------------------------


def test_a_new_dataset_is_pending_and_has_no_proof_until_anchored(
    site: Site, importer: Any
) -> None:
    fresh = importer("pending.fa")
    sci = site.client("sci")
    view = _json(sci.get(f"{API}/datasets/{fresh.id}/provenance"), 200)
    assert view["status"]["state"] == provenance.PENDING
    assert view["root"] is None
    assert view["proof"] == []
    assert view["record"]["entity"]["sha256"] == hashlib.sha256(fresh.data).hexdigest()
    refused = _error(sci.get(f"{API}/datasets/{fresh.id}/proof"), 409, "conflict")
    assert "not anchored yet" in refused["message"]

    _anchor(site)
    view = _json(sci.get(f"{API}/datasets/{fresh.id}/provenance"), 200)
    assert view["status"]["state"] == provenance.ANCHORED
    assert sci.get(f"{API}/datasets/{fresh.id}/proof").status_code == 200


def test_provenance_of_an_anchored_dataset(site: Site, lineage: tuple[Imported, Imported]) -> None:
    parent, child = lineage
    view = _json(site.client("oper").get(f"{API}/datasets/{child.id}/provenance"), 200)
    status = view["status"]
    assert (view["dataset_id"], view["filename"]) == (child.id, child.filename)
    assert status["state"] == provenance.ANCHORED, status
    assert status["confirmations"] >= status["required_confirmations"] == 1
    assert status["tx_hash"].startswith("0x")
    assert len(status["tx_hash"]) == 66
    assert status["block_number"] >= 1
    assert status["block_time"]
    assert status["chain_id"] == 1337
    assert status["submitter"].startswith("0x")
    assert status["lineage_issue"] is None

    record = view["record"]
    assert record["entity"]["id"] == f"dataset/{child.id}"
    assert record["entity"]["sha256"] == hashlib.sha256(child.data).hexdigest()
    assert record["agent"]["username"] == "sci"
    # The record names its parent by the parent's leaf, and the leaf rebuilds the root.
    parent_view = _json(site.client("oper").get(f"{API}/datasets/{parent.id}/provenance"), 200)
    assert record["derived_from"] == [parent_view["leaf"]]
    path = [bytes.fromhex(p) for p in view["proof"]]
    assert merkle.verify_proof(bytes.fromhex(view["leaf"]), path, bytes.fromhex(view["root"]))
    assert view["batch_leaf_count"] >= 2

    chain = view["chain"]
    assert chain["chain_id"] == 1337
    assert chain["embedded"] is True
    assert chain["contract"] == status["contract"]
    assert "trust this server" in chain["note"]

    assert {n["dataset_id"] for n in view["nodes"]} == {parent.id, child.id}
    assert [n["dataset_id"] for n in view["nodes"] if n["is_focus"]] == [child.id]
    assert view["edges"] == [{"parent": parent.id, "child": child.id}]


def test_unknown_datasets_are_404_on_every_route(site: Site) -> None:
    rev = site.client("rev")
    for method, suffix, body in [
        ("GET", "provenance", None),
        ("GET", "proof", None),
        ("GET", "lineage.prov.json", None),
        ("POST", "verify", None),
        ("POST", "retract", {"reason": "no such dataset"}),
    ]:
        response = rev.open(f"{API}/datasets/{MISSING}/{suffix}", method=method, json=body)
        assert "No dataset" in _error(response, 404, "not_found")["message"], suffix


def test_every_route_needs_a_login(site: Site) -> None:
    anonymous = site.client()
    for method, path in [
        ("GET", f"{API}/datasets/1/provenance"),
        ("GET", f"{API}/datasets/1/proof"),
        ("GET", f"{API}/datasets/1/lineage.prov.json"),
        ("POST", f"{API}/datasets/1/verify"),
        ("POST", f"{API}/datasets/1/retract"),
        ("POST", f"{API}/verify"),
        ("GET", f"{API}/ledger/batches"),
    ]:
        assert anonymous.open(path, method=method).status_code == 401, path


def test_post_only_routes_answer_get_with_405_naming_post(site: Site) -> None:
    # Dash's page route matches every GET; the API still says which methods a path takes.
    client = site.client("rev")
    for path in (f"{API}/verify", f"{API}/datasets/1/verify", f"{API}/datasets/1/retract"):
        response = client.get(path)
        _error(response, 405, "method_not_allowed")
        assert response.headers["Allow"] == "POST, OPTIONS", path
    _error(client.get(f"{API}/datasets/1/nothing"), 404, "not_found")


# --- proofs and PROV --------------------------------------------------------------------------


def test_the_proof_bundle_downloads_and_verifies_against_the_chain(
    site: Site, lineage: tuple[Imported, Imported], tmp_path: Path
) -> None:
    _parent, child = lineage
    sci = site.client("sci")
    response = sci.get(f"{API}/datasets/{child.id}/proof")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f"attachment; filename={child.filename}.proof.json"
    bundle = ledger_proof.parse_bundle(response.get_data())
    view = _json(sci.get(f"{API}/datasets/{child.id}/provenance"), 200)
    assert bundle.leaf.hex() == view["leaf"]
    assert bundle.root.hex() == view["root"]
    assert "0x" + bundle.chain.tx_hash.hex() == view["status"]["tx_hash"]
    assert bundle.chain.block_number == view["status"]["block_number"]
    assert (bundle.dataset_id, bundle.filename) == (child.id, child.filename)

    # Outside the app: the file and its bundle, one call to the (embedded) chain.
    file_path, proof_path = tmp_path / child.filename, tmp_path / "proof.json"
    file_path.write_bytes(child.data)
    proof_path.write_bytes(response.get_data())
    chain_dir = app_state(site.server).settings.chain_dir
    out = io.StringIO()
    code = ledger_cli(
        ["verify", str(file_path), str(proof_path), "--embedded", str(chain_dir)], out
    )
    # The registry is the one this server deployed; the parent's bundle was not given, so
    # the lineage step stays open (exit 3: nothing failed, not everything checked).
    assert code == 3, out.getvalue()
    assert "✓ trusted registry" in out.getvalue()
    assert "? lineage" in out.getvalue()
    file_path.write_bytes(child.data + b"\n")
    code = ledger_cli(["verify", str(file_path), str(proof_path), "--offline"], io.StringIO())
    assert code != 0


def test_lineage_as_prov_json(site: Site, lineage: tuple[Imported, Imported]) -> None:
    parent, child = lineage
    response = site.client("sci").get(f"{API}/datasets/{child.id}/lineage.prov.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert f"{child.filename}.prov.json" in response.headers["Content-Disposition"]
    document = ProvDocument.deserialize(content=response.get_data(as_text=True), format="json")
    entities = {str(r.identifier): r for r in document.get_records() if r.is_element()}
    child_id, parent_id = f"msg:dataset/{child.id}", f"msg:dataset/{parent.id}"
    assert {child_id, parent_id} <= set(entities)
    sha = next(iter(entities[child_id].get_attribute("msg:sha256")))
    assert sha == hashlib.sha256(child.data).hexdigest()
    derivations = [
        (str(r.formal_attributes[0][1]), str(r.formal_attributes[1][1]))
        for r in document.get_records()
        if r.get_type().localpart == "Derivation"
    ]
    assert derivations == [(child_id, parent_id)]
    assert "msg:user/" in json.dumps(response.get_json()["agent"])


# --- verification and lookups -----------------------------------------------------------------


def test_reviewers_verify_a_dataset_with_its_lineage(
    site: Site, lineage: tuple[Imported, Imported]
) -> None:
    parent, child = lineage
    result = _json(site.client("rev").post(f"{API}/datasets/{child.id}/verify"), 200)
    assert result["verified"] is True, result["first_failure"]
    assert result["dataset_id"] == child.id
    names = {c["name"] for c in result["checks"]}
    assert {"file", "record", "proof", "anchored", "not retracted", "lineage"} <= names
    assert [p["dataset_id"] for p in result["parents"]] == [parent.id]
    assert result["parents"][0]["verified"] is True
    events = _audit(site, username="rev", action="provenance.verify")
    assert events
    assert events[0]["target_id"] == str(child.id)
    assert events[0]["result"] == "ok"


@pytest.mark.parametrize("user", ["sci", "oper"])
def test_other_roles_cannot_verify_look_up_or_retract_and_are_audited(
    site: Site, lineage: tuple[Imported, Imported], user: str
) -> None:
    _parent, child = lineage
    client = site.client(user)
    _error(client.post(f"{API}/datasets/{child.id}/verify"), 403, "forbidden")
    _error(
        client.post(f"{API}/datasets/{child.id}/retract", json={"reason": "I say so"}),
        403,
        "forbidden",
    )
    _error(client.post(f"{API}/verify", json={"sha256": "0" * 64}), 403, "forbidden")
    form = {"file": (io.BytesIO(child.data), "x.fa")}
    _error(
        client.post(f"{API}/verify", data=form, content_type="multipart/form-data"),
        403,
        "forbidden",
    )
    # Whatever the body, the role is checked first.
    _error(client.post(f"{API}/verify", data="?", content_type="text/plain"), 403, "forbidden")
    for action, count in (("provenance.verify", 4), ("provenance.retract", 1)):
        denied = _audit(site, username=user, action=action, result="denied")
        assert len(denied) >= count, (action, denied)
    retract = _audit(site, username=user, action="provenance.retract", result="denied")[0]
    assert retract["target_id"] == str(child.id)
    # Nothing changed.
    view = _json(client.get(f"{API}/datasets/{child.id}/provenance"), 200)
    assert view["status"]["state"] == provenance.ANCHORED


def test_a_file_is_looked_up_by_its_bytes_or_its_hash(
    site: Site, lineage: tuple[Imported, Imported]
) -> None:
    _parent, child = lineage
    rev = site.client("rev")
    digest = hashlib.sha256(child.data).hexdigest()
    form = {"file": (io.BytesIO(child.data), "renamed.fa")}
    found = _json(rev.post(f"{API}/verify", data=form, content_type="multipart/form-data"), 200)
    assert (found["sha256"], found["size"], found["anchored"]) == (digest, len(child.data), True)
    (match,) = found["matches"]
    assert (match["dataset_id"], match["filename"]) == (child.id, child.filename)
    assert match["recorded_by"] == "sci"
    assert match["recorded_at"]
    assert match["status"]["state"] == provenance.ANCHORED

    by_hash = _json(rev.post(f"{API}/verify", json={"sha256": digest.upper()}), 200)
    assert by_hash["matches"] == found["matches"]
    assert by_hash["size"] is None

    other = {"file": (io.BytesIO(b">never imported\nACGT\n"), "other.fa")}
    unknown = _json(rev.post(f"{API}/verify", data=other, content_type="multipart/form-data"), 200)
    assert (unknown["anchored"], unknown["matches"]) == (False, [])
    lookups = _audit(site, username="rev", action="provenance.lookup")
    assert lookups[0]["detail"]["sha256"] == hashlib.sha256(b">never imported\nACGT\n").hexdigest()


@pytest.mark.parametrize(
    ("body", "content_type", "status", "field"),
    [
        ({"file": (io.BytesIO(b""), "empty.fa")}, "multipart/form-data", 422, "file"),
        ({"other": "x"}, "multipart/form-data", 422, "file"),
        (
            {"file": (io.BytesIO(b"A"), "a.fa"), "note": "x"},
            "multipart/form-data",
            422,
            "note",
        ),
        (b"\x00\xff\xfe binary", "application/json", 422, None),
        (json.dumps({"sha256": "xyz"}), "application/json", 422, "sha256"),
        (json.dumps({"sha256": 12}), "application/json", 422, "sha256"),
        (json.dumps({"sha256": "0" * 64, "x": 1}), "application/json", 422, "x"),
        (json.dumps(["0" * 64]), "application/json", 422, None),
        (b"\x89PNG\r\n\x1a\n", "application/octet-stream", 415, None),
        ("0" * 64, "text/plain", 415, None),
    ],
)
def test_lookups_of_nothing_or_of_the_wrong_kind_are_refused_clearly(
    site: Site, body: Any, content_type: str, status: int, field: str | None
) -> None:
    response = site.client("rev").post(f"{API}/verify", data=body, content_type=content_type)
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["message"]
    assert error.get("field") == field


def test_a_lookup_larger_than_the_server_takes_is_refused_before_it_is_read(
    site: Site,
) -> None:
    limit = app_state(site.server).settings.max_request_bytes
    body = io.BytesIO(b"--x\r\n")  # the parser must refuse on the stated length alone
    response = site.client("rev").post(
        f"{API}/verify",
        input_stream=body,
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(limit + 1)},
    )
    _error(response, 413, "payload_too_large")


# --- retraction -------------------------------------------------------------------------------


def test_retraction_by_a_reviewer_reaches_the_chain_and_the_children(
    site: Site, importer: Any
) -> None:
    parent = importer("to-retract.fa")
    child = importer("derived.fa", parent.id)
    _anchor(site)
    rev = site.client("rev")
    for reason, field in (("   ", "reason"), ("é" * 251, "reason")):  # 502 bytes of UTF-8
        refused = _error(
            rev.post(f"{API}/datasets/{parent.id}/retract", json={"reason": reason}),
            422,
            "validation_failed",
        )
        assert refused["field"] == field
    status = _json(
        rev.post(f"{API}/datasets/{parent.id}/retract", json={"reason": "contaminated culture"}),
        200,
    )
    assert status["state"] == provenance.RETRACTED
    assert status["retract_reason"] == "contaminated culture"
    again = _error(
        rev.post(f"{API}/datasets/{parent.id}/retract", json={"reason": "twice"}),
        409,
        "conflict",
    )
    assert "already retracted" in again["message"]
    events = _audit(site, username="rev", action="provenance.retract")
    assert events[0]["target_id"] == str(parent.id)
    assert events[0]["detail"]["reason"] == "contaminated culture"

    child_view = _json(rev.get(f"{API}/datasets/{child.id}/provenance"), 200)
    assert child_view["status"]["state"] == provenance.RETRACTED
    assert str(parent.id) in child_view["status"]["lineage_issue"]

    _anchor(site)  # the anchoring owner sends the retraction to the contract
    result = _json(rev.post(f"{API}/datasets/{parent.id}/verify"), 200)
    assert result["verified"] is False
    (check,) = [c for c in result["checks"] if c["name"] == "not retracted"]
    assert check["ok"] is False
    assert "contaminated culture" in check["detail"]
    child_result = _json(rev.post(f"{API}/datasets/{child.id}/verify"), 200)
    assert child_result["verified"] is False
    assert f"parent dataset {parent.id}" in child_result["first_failure"]


def test_a_reason_with_control_characters_is_refused_by_the_schema_and_the_service(
    site: Site, importer: Any
) -> None:
    target = importer("nul-reason.fa")
    refused = _error(
        site.client("rev").post(
            f"{API}/datasets/{target.id}/retract", json={"reason": "bad\x07reason"}
        ),
        422,
        "validation_failed",
    )
    assert refused["field"] == "reason"
    # The page calls the service directly: it refuses the same.
    with pytest.raises(ValidationFailed) as caught:
        provenance.retract(site.db, cli_actor("test"), target.id, "bad\x07reason")
    assert caught.value.field == "reason"
    view = _json(site.client("rev").get(f"{API}/datasets/{target.id}/provenance"), 200)
    assert view["status"]["state"] != provenance.RETRACTED


# --- batches and health -----------------------------------------------------------------------


def test_batches_are_listed_newest_first_with_their_gas(
    site: Site, lineage: tuple[Imported, Imported]
) -> None:
    sci = site.client("sci")
    page = _json(sci.get(f"{API}/ledger/batches?limit=2"), 200)
    assert page["total"] >= 1
    assert (page["limit"], page["offset"]) == (2, 0)
    assert 1 <= len(page["items"]) <= 2
    newest = page["items"][0]
    assert [b["id"] for b in page["items"]] == sorted(
        (b["id"] for b in page["items"]), reverse=True
    )
    assert newest["state"] == "anchored"
    assert newest["chain_id"] == 1337
    assert newest["gas_used"] > 0
    assert newest["gas_per_leaf"] == pytest.approx(
        newest["gas_used"] / newest["leaf_count"], abs=0.1
    )
    view = _json(sci.get(f"{API}/datasets/{lineage[1].id}/provenance"), 200)
    listed = _json(sci.get(f"{API}/ledger/batches?limit=500"), 200)["items"]
    (batch,) = [b for b in listed if b["id"] == view["status"]["batch_id"]]
    assert batch["root"] == view["root"]
    assert batch["tx_hash"] == view["status"]["tx_hash"]
    past = _json(sci.get(f"{API}/ledger/batches?offset={page['total']}"), 200)
    assert (past["items"], past["total"]) == ([], page["total"])
    for query in ("limit=0", "limit=501", "offset=-1", "limit=x"):
        _error(sci.get(f"{API}/ledger/batches?{query}"), 422, "validation_failed")


def test_health_reports_the_chain(site: Site, lineage: tuple[Imported, Imported]) -> None:
    _anchor(site)
    body = _json(site.client("sci").get(f"{API}/health"), 200)
    chain = body["chain"]
    assert chain["status"] == "ok", chain
    assert chain["chain_id"] == 1337
    assert chain["embedded"] is True
    assert chain["contract"].startswith("0x")
    assert len(chain["contract"]) == 42
    assert chain["head_block"] >= 1
    assert chain["pending_records"] == 0
    assert chain["oldest_pending_s"] is None
    assert chain["last_error"] is None
    # The document names exactly what is sent (schemathesis checks the types).
    spec = _json(site.client("sci").get(f"{API}/openapi.json"), 200)
    assert set(chain) == set(spec["components"]["schemas"]["ChainHealth"]["properties"])


def test_the_openapi_document_describes_every_provenance_route(site: Site) -> None:
    spec = _json(site.client("sci").get(f"{API}/openapi.json"), 200)
    expected = {
        ("/api/v1/datasets/{dataset_id}/provenance", "get"): {"200", "401", "404"},
        ("/api/v1/datasets/{dataset_id}/proof", "get"): {"200", "401", "404", "409"},
        ("/api/v1/datasets/{dataset_id}/lineage.prov.json", "get"): {
            "200",
            "401",
            "404",
            "409",
        },
        ("/api/v1/datasets/{dataset_id}/verify", "post"): {"200", "401", "403", "404"},
        ("/api/v1/verify", "post"): {"200", "401", "403", "413", "415", "422"},
        ("/api/v1/datasets/{dataset_id}/retract", "post"): {
            "200",
            "401",
            "403",
            "404",
            "409",
            "422",
        },
        ("/api/v1/ledger/batches", "get"): {"200", "401", "422"},
    }
    for (path, method), statuses in expected.items():
        operation = spec["paths"][path][method]
        assert set(operation["responses"]) - {"default"} == statuses, (path, method)
    reason = spec["components"]["schemas"]["Retract"]["properties"]["reason"]
    assert reason["maxLength"] == provenance.RETRACT_REASON_MAX
    body = spec["paths"]["/api/v1/verify"]["post"]["requestBody"]["content"]
    assert set(body) == {"multipart/form-data", "application/json"}
