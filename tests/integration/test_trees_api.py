"""/api/v1/trees over HTTP: build (201 or a 202 job), upload, read, export, re-root, compare;
roles checked before the body, hostile bodies refused in the API's error shape, nothing
saved from a refused request."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from dashboard.auth import app_state
from dashboard.models import ProvenanceRecord, Tree, TreeInput
from dashboard.services import job_runner, trees
from tests.integration.conftest import Site
from tests.tree_support import phylo, splits

# Wikipedia's neighbour-joining example: splits {a, b} and {d, e}; tip lengths 2, 3, 4, 2, 1.
LABELS = ["a", "b", "c", "d", "e"]
MATRIX = [
    [0, 5, 9, 9, 8],
    [5, 0, 10, 10, 9],
    [9, 10, 0, 8, 7],
    [9, 10, 8, 0, 3],
    [8, 9, 7, 3, 0],
]
BODY = {"distance_matrix": {"labels": LABELS, "matrix": MATRIX}, "method": "nj"}
NEWICK = b"((A:1,B:2)90:0.5,(C:1.5,D:0.5)75:0.25,E:3);"


def _json(response: Any, status: int) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def _state(site: Site) -> tuple[int, int, int, int]:
    """Trees, their inputs, their provenance records and the files in the trees store."""
    with site.db.read() as s:
        counts = (
            s.scalar(select(func.count()).select_from(Tree)) or 0,
            s.scalar(select(func.count()).select_from(TreeInput)) or 0,
            s.scalar(
                select(func.count())
                .select_from(ProvenanceRecord)
                .where(ProvenanceRecord.kind == "tree")
            )
            or 0,
        )
    root = trees.tree_store(app_state(site.server).files).root
    stored = (
        sum(1 for p in root.rglob("*") if p.is_file() and p.name != ".lock") if root.exists() else 0
    )
    return (*counts, stored)


def _upload(client: Any, content: bytes, filename: str, **fields: str) -> Any:
    form: dict[str, object] = {"file": (io.BytesIO(content), filename), **fields}
    return client.post("/api/v1/trees", data=form, content_type="multipart/form-data")


@pytest.fixture(scope="module")
def genomes(site: Site) -> dict[str, int]:
    """Four 4 kb genomes as datasets: two flight lines sharing mutations, a ground line and
    the ancestor, each in its arm."""
    sci = site.client("sci")
    experiment = _json(
        sci.post(
            "/api/v1/experiments",
            json={
                "name": "Trees API test",
                "organism": "Bacillus subtilis",
                "arms": [
                    {"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0},
                    {"name": "ground", "spaceflight": "Ground Control", "gravity_g": 1},
                    {"name": "founder", "spaceflight": "Ancestor", "gravity_g": 1},
                ],
            },
        ),
        201,
    )
    arms = {arm["spaceflight"]: arm["id"] for arm in experiment["arms"]}
    rng = np.random.default_rng(4)
    ancestor = rng.integers(0, 4, size=4000)
    sites = rng.permutation(4000)

    def mutate(seq: np.ndarray, where: np.ndarray) -> np.ndarray:
        out = seq.copy()
        out[where] = (out[where] + 1) % 4
        return out

    flight = mutate(ancestor, sites[:150])
    lines = {
        "anc": (ancestor, "Ancestor"),
        "fl1": (mutate(flight, sites[150:170]), "Space Flight"),
        "fl2": (mutate(flight, sites[170:190]), "Space Flight"),
        "gr1": (mutate(ancestor, sites[190:340]), "Ground Control"),
    }
    ids = {}
    for name, (seq, spaceflight) in lines.items():
        fasta = f">{name}\n{''.join('ACGT'[b] for b in seq)}\n".encode()
        form = {
            "file": (io.BytesIO(fasta), f"{name}.fasta"),
            "experiment_id": str(experiment["id"]),
            "sample_name": name,
            "arm_id": str(arms[spaceflight]),
            "material": "genome",
        }
        made = _json(
            sci.post("/api/v1/datasets", data=form, content_type="multipart/form-data"), 201
        )
        ids[name] = made["id"]
    return ids


def test_a_matrix_tree_is_built_read_exported_rerooted_and_compared(site: Site) -> None:
    sci, rev = site.client("sci"), site.client("rev")
    created = sci.post("/api/v1/trees", json={**BODY, "name": "Wikipedia NJ"})
    tree = _json(created, 201)
    assert created.headers["Location"] == f"/api/v1/trees/{tree['id']}"
    assert (tree["name"], tree["source"], tree["method"], tree["tip_count"]) == (
        "Wikipedia NJ",
        "matrix",
        "nj",
        5,
    )
    assert tree["created_by"] == "sci"
    assert tree["dataset_ids"] == []
    assert tree["links"]["newick"] == f"/api/v1/trees/{tree['id']}?format=newick"
    assert splits(tree["newick"]) == {frozenset("ab"), frozenset("de")}
    lengths = {t.name: t.branch_length for t in phylo(tree["newick"]).get_terminals()}
    assert lengths == pytest.approx({"a": 2, "b": 3, "c": 4, "d": 2, "e": 1}, abs=1e-6)

    # Everyone signed in reads it.
    assert _json(rev.get(f"/api/v1/trees/{tree['id']}"), 200)["newick"] == tree["newick"]
    page = _json(rev.get("/api/v1/trees?limit=5"), 200)
    assert page["items"][0]["id"] == tree["id"]
    assert "newick" not in page["items"][0]
    assert page["total"] >= 1
    assert page["limit"] == 5
    assert page["offset"] == 0

    for fmt, mimetype in (
        ("newick", "text/x-newick"),
        ("nexus", "text/x-nexus"),
        ("phyloxml", "application/xml"),
    ):
        response = rev.get(f"/api/v1/trees/{tree['id']}?format={fmt}")
        assert response.status_code == 200
        assert response.mimetype == mimetype
        assert "attachment" in response.headers["Content-Disposition"]
        back = phylo(response.get_data(as_text=True), fmt)
        assert {t.name for t in back.get_terminals()} == set(LABELS)
    assert _json(rev.get(f"/api/v1/trees/{tree['id']}?format=svg"), 422)["error"]["field"] == (
        "format"
    )

    tips = _json(rev.get(f"/api/v1/trees/{tree['id']}/tips"), 200)
    assert [t["label"] for t in tips["tips"]] == LABELS
    assert tips["tips"][0]["dataset_id"] is None
    assert {f["key"] for f in tips["factors"]} >= {"spaceflight", "gravity_g", "time_point"}

    prov = _json(rev.get(f"/api/v1/trees/{tree['id']}/provenance"), 200)
    assert prov["entity"] == f"tree/{tree['id']}"
    assert prov["sha256"] == tree["sha256"]
    assert prov["status"]["state"] in {"pending", "anchored", "confirming"}

    rooted = sci.post(f"/api/v1/trees/{tree['id']}/reroot", json={"outgroup": ["c"]})
    rerooted = _json(rooted, 201)
    assert rooted.headers["Location"] == f"/api/v1/trees/{rerooted['id']}"
    assert (rerooted["source"], rerooted["parent_tree_id"]) == ("reroot", tree["id"])
    assert rerooted["links"]["parent"] == f"/api/v1/trees/{tree['id']}"
    root = phylo(rerooted["newick"]).root
    assert any({t.name for t in c.get_terminals()} == {"c"} for c in root.clades)
    midpoint = _json(sci.post(f"/api/v1/trees/{tree['id']}/reroot", json={"midpoint": True}), 201)
    assert midpoint["params"]["midpoint"] is True

    same = _json(rev.get(f"/api/v1/trees/{tree['id']}/compare/{rerooted['id']}"), 200)
    assert (same["rf"], same["normalized_rf"], same["common_tips"]) == (0, 0, 5)

    before = _state(site)
    for body in ({"outgroup": ["zz"]}, {}, {"outgroup": ["a"], "midpoint": True}):
        refused = _json(sci.post(f"/api/v1/trees/{tree['id']}/reroot", json=body), 422)
        assert refused["error"]["code"] == "validation_failed"
    assert _state(site) == before


def test_genomes_build_with_factors_and_a_bootstrap_runs_as_a_job(
    site: Site, genomes: dict[str, int]
) -> None:
    sci = site.client("sci")
    ids = list(genomes.values())
    tree = _json(sci.post("/api/v1/trees", json={"datasets": ids, "distance": "p"}), 201)
    assert tree["dataset_ids"] == ids
    assert tree["tips"] == genomes
    assert frozenset({"fl1", "fl2"}) in splits(tree["newick"])
    tips = {t["label"]: t for t in _json(sci.get(f"/api/v1/trees/{tree['id']}/tips"), 200)["tips"]}
    assert tips["fl1"]["dataset_id"] == genomes["fl1"]
    assert tips["fl1"]["factors"]["spaceflight"] == "Space Flight"
    assert tips["anc"]["factors"]["spaceflight"] == "Ancestor"
    assert tips["gr1"]["factors"]["gravity_g"] == "1"

    started = sci.post(
        "/api/v1/trees",
        json={"datasets": ids, "distance": "jc69", "bootstrap": 10, "seed": 3, "name": "boot"},
    )
    job = _json(started, 202)
    assert job["kind"] == "tree.build"
    assert started.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    files_root = app_state(site.server).settings.job_files_dir
    assert job_runner.execute(site.db, job["id"], files_root) == "succeeded"
    done = _json(sci.get(f"/api/v1/jobs/{job['id']}"), 200)
    built = _json(sci.get(f"/api/v1/trees/{done['result']['tree_id']}"), 200)
    assert (built["name"], built["params"]["bootstrap"], built["params"]["seed"]) == (
        "boot",
        10,
        3,
    )
    supports = [c.confidence for c in phylo(built["newick"]).get_nonterminals() if c.confidence]
    assert supports
    assert all(0 <= s <= 100 for s in supports)


def test_uploads_are_saved_or_refused_leaving_nothing(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    sci = site.client("sci")
    created = _json(_upload(sci, NEWICK, "mine.nwk", name="Uploaded"), 201)
    assert (created["source"], created["input_filename"], created["name"]) == (
        "upload",
        "mine.nwk",
        "Uploaded",
    )
    matrix = "5\n" + "".join(
        f"{label} {' '.join(map(str, row))}\n" for label, row in zip(LABELS, MATRIX, strict=True)
    )
    built = _json(_upload(sci, matrix.encode(), "wiki.phy", kind="matrix", method="upgma"), 201)
    assert (built["source"], built["method"]) == ("matrix", "upgma")

    before = _state(site)
    cases: list[tuple[bytes, str, dict[str, str], str]] = [
        (b"((A:1,B:2),(C:1;", "bad.nwk", {}, "file"),
        (b"((A,B),(A,C));", "dup.nwk", {}, "file"),
        (b"", "empty.nwk", {}, "file"),
        (b"(A,B,C);\x00\x00", "bin.nwk", {}, "file"),
        (b">a\nAC!T\n>b\nACGT\n>c\nACGT\n", "odd.fasta", {}, "file"),
        # Gaps make it an alignment: rows of unequal length are refused, not re-aligned.
        (
            b">x\nAC-TACGT\n>y\nACGTA-\n>z\nACGTACGT\n",
            "broken.fasta",
            {"kind": "alignment"},
            "file",
        ),
        (NEWICK, "t.nwk", {"colour": "red"}, "colour"),
        (NEWICK, "t.nwk", {"kind": "picture"}, "kind"),
        (NEWICK, "t.nwk", {"experiment_id": "123456"}, "experiment_id"),
        (b">a\nACGT\n>b\nACGA\n>c\nACGG\n", "ok.fasta", {"bootstrap": "5000"}, "bootstrap"),
        (b">a\nACGT\n>b\nACGA\n>c\nACGG\n", "ok.fasta", {"seed": "x"}, "seed"),
        (NEWICK, "t.nwk", {"name": "bad\u202ename"}, "name"),
    ]
    for content, filename, fields, field in cases:
        refused = _json(_upload(sci, content, filename, **fields), 422)
        assert refused["error"]["field"] == field, (filename, fields, refused)
    no_file = sci.post("/api/v1/trees", data={"name": "x"}, content_type="multipart/form-data")
    assert _json(no_file, 422)["error"]["field"] == "file"
    # Larger than the upload limit: refused before the body is read.
    monkeypatch.setattr(trees, "UPLOAD_MAX", 1000)
    too_big = _upload(sci, b"(" + b"A," * 1_100_000 + b"B);", "big.nwk")
    assert _json(too_big, 413)["error"]["code"] == "payload_too_large"
    assert _state(site) == before


def test_roles_are_checked_before_the_body_and_audited(site: Site) -> None:
    tree = _json(site.client("sci").post("/api/v1/trees", json=BODY), 201)
    before = _state(site)
    for user in ("oper", "rev"):
        client = site.client(user)
        for response in (
            client.post("/api/v1/trees", json=BODY),
            client.post("/api/v1/trees", data="not json", content_type="text/plain"),
            _upload(client, NEWICK, "t.nwk"),
            client.post(f"/api/v1/trees/{tree['id']}/reroot", json={"midpoint": True}),
        ):
            assert _json(response, 403)["error"]["code"] == "forbidden"
        assert client.get(f"/api/v1/trees/{tree['id']}").status_code == 200
    assert _state(site) == before
    events = _json(
        site.client("boss").get("/api/v1/audit?action=tree.build&result=denied&limit=50"), 200
    )["items"]
    assert {"oper", "rev"} <= {e["username"] for e in events}
    assert any(e["target_id"] == str(tree["id"]) for e in events)
    # Admins may build.
    _json(site.client("boss").post("/api/v1/trees", json=BODY), 201)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("[1, 2]", 422, "body"),
        ("{", 422, "body"),
        ("[" * 5000 + "]" * 5000, 400, None),  # the app refuses deep nesting first
        ('{"datasets": [1, 2], "bootstrap": 1e400}', 422, "bootstrap"),
        ('{"datasets": [1, 2], "bootstrap": NaN}', 422, "bootstrap"),
        ('{"datasets": [1, 2], "bootstrap": true}', 422, "bootstrap"),
        ('{"datasets": [1, 2], "bootstrap": "5"}', 422, "bootstrap"),
        ('{"datasets": [1, 2], "seed": 99999999999999999999}', 422, "seed"),
        ('{"datasets": [0, 2]}', 422, "datasets[0]"),
        ('{"datasets": [2147483648]}', 422, "datasets[0]"),
        ('{"datasets": "1,2"}', 422, "datasets"),
        ('{"datasets": []}', 422, "datasets"),
        ('{"datasets": [1, 1]}', 422, "datasets"),
        ('{"datasets": [1, 2], "method": "ml"}', 422, "method"),
        ('{"datasets": [1, 2], "name": "a\\nb"}', 422, "name"),
        ('{"datasets": [1, 2], "colour": 1}', 422, "colour"),
        ('{"datasets": [1, 2], "distance_matrix": {}}', 422, "distance_matrix.labels"),
        ('{"distance_matrix": {"labels": ["a", "b", "c"], "matrix": [[0, 1e999, 1], '
         '[1, 0, 1], [1, 1, 0]]}}', 422, "distance_matrix.matrix"),
        ('{"distance_matrix": {"labels": ["a", "b", "c"], "matrix": [[0, 10e400, 1], '
         '[1, 0, 1], [1, 1, 0]]}}', 422, "distance_matrix.matrix"),
        ('{"distance_matrix": {"labels": ["a", "b", "c"], "matrix": [[0, true, 1], '
         '[1, 0, 1], [1, 1, 0]]}}', 422, "distance_matrix.matrix"),
        ('{"distance_matrix": {"labels": ["a", "b", "c"], "matrix": [[0, 1, 2], '
         '[1, 0, 3], [2, 4, 0]]}}', 422, "distance_matrix"),
        ('{"distance_matrix": {"labels": ["a", "b", "c"], "matrix": [[0, '
         + "9" * 400 + ', 1], [1, 0, 1], [1, 1, 0]]}}', 422, "distance_matrix.matrix"),
        ('{"distance_matrix": {"labels": ["a", "a"], "matrix": [[0, 1], [1, 0]]}}', 422,
         "distance_matrix.labels"),
        ('{"datasets": [2000000000, 2000000001]}', 422, "datasets"),
    ],
)  # fmt: skip
def test_hostile_json_is_refused_in_the_error_shape(
    site: Site, body: str, status: int, field: str | None
) -> None:
    before = _state(site)
    response = site.client("sci").post("/api/v1/trees", data=body, content_type="application/json")
    error = _json(response, status)["error"]
    assert error.get("field") == field, error
    assert error["message"]
    assert _state(site) == before


def test_other_media_types_unknown_ids_and_anonymous_callers(site: Site) -> None:
    sci = site.client("sci")
    assert _json(sci.post("/api/v1/trees", data="x", content_type="text/plain"), 415)
    assert _json(sci.get("/api/v1/trees/2147483647"), 404)["error"]["code"] == "not_found"
    assert sci.get("/api/v1/trees/2147483648").status_code == 404
    assert _json(sci.get("/api/v1/trees/2147483647/tips"), 404)
    assert _json(sci.get("/api/v1/trees/2147483647/provenance"), 404)
    assert _json(sci.get("/api/v1/trees/1/compare/2147483647"), 404)
    assert _json(sci.post("/api/v1/trees/2147483647/reroot", json={"midpoint": True}), 404)
    assert _json(sci.get("/api/v1/trees?limit=0"), 422)["error"]["field"] == "limit"
    anonymous = site.client()
    for method, path in (
        ("GET", "/api/v1/trees"),
        ("POST", "/api/v1/trees"),
        ("GET", "/api/v1/trees/1"),
        ("GET", "/api/v1/trees/1/tips"),
        ("GET", "/api/v1/trees/1/provenance"),
        ("POST", "/api/v1/trees/1/reroot"),
        ("GET", "/api/v1/trees/1/compare/2"),
    ):
        assert anonymous.open(path, method=method, json=BODY).status_code == 401, path


def test_the_openapi_document_describes_the_routes(site: Site) -> None:
    spec = _json(site.client("rev").get("/api/v1/openapi.json"), 200)
    paths = spec["paths"]
    assert {
        "/api/v1/trees",
        "/api/v1/trees/{tree_id}",
        "/api/v1/trees/{tree_id}/tips",
        "/api/v1/trees/{tree_id}/provenance",
        "/api/v1/trees/{tree_id}/reroot",
        "/api/v1/trees/{a_id}/compare/{b_id}",
    } <= set(paths)
    post = paths["/api/v1/trees"]["post"]
    assert {"201", "202", "403", "413", "415", "422"} <= set(post["responses"])
    content = post["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}
    assert len(content["application/json"]["schema"]["oneOf"]) == 2
    assert set(paths["/api/v1/trees/{tree_id}"]["get"]["responses"]["200"]["content"]) == {
        "application/json",
        "text/x-newick",
        "text/x-nexus",
        "application/xml",
    }
    components = spec["components"]["schemas"]
    datasets = components["TreeFromDatasets"]["properties"]
    assert datasets["bootstrap"]["maximum"] == trees.BOOTSTRAP_MAX
    assert datasets["datasets"]["maxItems"] == trees.DATASETS_MAX
    assert datasets["distance"]["enum"] == list(trees.ALL_DISTANCES)
    assert json.dumps(spec)  # serialisable
