"""Trees through the service: built from matrices, datasets and uploads, saved whole with
their inputs, audit event and provenance record, or not at all.

Expected trees come from textbook examples (Wikipedia's neighbour-joining example) or from
how the synthetic genomes were made (flight lines share mutations the ground lines lack);
trees are read back with Biopython, not with the code under test.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from Bio import Phylo
from sqlalchemy import func, select

from analysis.phylo.align import ALIGN_MAX_LENGTH
from dashboard.db import Database
from dashboard.models import AuditEvent, ProvenanceRecord, Tree, TreeInput
from dashboard.services import datasets, experiments, job_runner, jobs, trees
from dashboard.services.actor import Actor, Role
from dashboard.services.errors import NotFound, PermissionDenied, ValidationFailed
from dashboard.services.explorer import DataFiles
from tests.conftest import make_user
from tests.tree_support import phylo, splits

# Wikipedia, "Neighbor joining", worked example: the tree has branch lengths a 2, b 3,
# c 4, d 2, e 1, and splits {a, b} | {c, d, e} and {d, e} | {a, b, c}.
NJ_LABELS = ["a", "b", "c", "d", "e"]
NJ_MATRIX = [
    [0, 5, 9, 9, 8],
    [5, 0, 10, 10, 9],
    [9, 10, 0, 8, 7],
    [9, 10, 8, 0, 3],
    [8, 9, 7, 3, 0],
]
NJ_TIP_LENGTHS = {"a": 2.0, "b": 3.0, "c": 4.0, "d": 2.0, "e": 1.0}
GENOME_LENGTH = 20_000


class Recorder:
    """A queue that only remembers what was enqueued."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def __call__(self, job_id: int) -> None:
        self.ids.append(job_id)


# --- synthetic genomes ----------------------------------------------------------------------


def _mutate(seq: np.ndarray, positions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = seq.copy()
    # A different base at each position: shift by 1-3 in ACGT.
    out[positions] = (out[positions] + rng.integers(1, 4, size=len(positions))) % 4
    return out


def _genomes() -> dict[str, str]:
    """An ancestor and two flight and two ground lines: each pair shares its own mutations,
    so the flight lines are closer to each other than to any ground line."""
    rng = np.random.default_rng(10)
    ancestor = rng.integers(0, 4, size=GENOME_LENGTH)
    sites = rng.permutation(GENOME_LENGTH)
    flight = _mutate(ancestor, sites[:300], rng)
    ground = _mutate(ancestor, sites[300:600], rng)
    lines = {
        "ANC": ancestor,
        "F1": _mutate(flight, sites[600:660], rng),
        "F2": _mutate(flight, sites[660:720], rng),
        "G1": _mutate(ground, sites[720:780], rng),
        "G2": _mutate(ground, sites[780:840], rng),
    }
    return {name: "".join("ACGT"[b] for b in seq) for name, seq in lines.items()}


GENOMES = _genomes()


def _fasta(records: dict[str, str]) -> bytes:
    return "".join(f">{name}\n{seq}\n" for name, seq in records.items()).encode("ascii")


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path) -> Iterator[DataFiles]:
    found = DataFiles.in_data_dir(tmp_path)
    yield found
    found.cache.close()


@pytest.fixture
def reviewer(db: Database) -> Actor:
    return make_user(db, "rev", Role.REVIEWER)


@pytest.fixture
def experiment(db: Database, scientist: Actor) -> experiments.ExperimentView:
    return experiments.create_experiment(
        db,
        scientist,
        {
            "name": "Evolution in orbit",
            "organism": "Escherichia coli",
            "arms": [
                {"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0},
                {"name": "ground", "spaceflight": "Ground Control", "gravity_g": 1},
                {"name": "founder", "spaceflight": "Ancestor", "gravity_g": 1},
            ],
        },
    )


@pytest.fixture
def genome_ids(
    db: Database,
    scientist: Actor,
    files: DataFiles,
    experiment: experiments.ExperimentView,
    tmp_path: Path,
) -> dict[str, int]:
    """The five genomes as datasets (one FASTA record each), in their arms."""
    arms = {arm.spaceflight: arm.id for arm in experiment.arms}
    arm_of = {"ANC": "Ancestor", "F": "Space Flight", "G": "Ground Control"}
    ids = {}
    for name, seq in GENOMES.items():
        path = tmp_path / f"{name}.fasta"
        path.write_bytes(_fasta({f"{name}_chr": seq}))
        details = datasets.parse_details(
            {
                "experiment_id": experiment.id,
                "sample_name": name,
                "arm_id": arms[arm_of[name if name == "ANC" else name[0]]],
                "material": "genome",
                "factors": {"time_point": "day 21", "replicate": name[-1]},
            }
        )
        ids[name] = datasets.import_path(db, scientist, files.store, path, details).id
    return ids


# --- helpers --------------------------------------------------------------------------------


def _counts(db: Database, files: DataFiles) -> tuple[int, int, int, int]:
    """Trees, tree inputs, tree provenance records, and files in the trees store."""
    with db.read() as s:
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
    root = trees.tree_store(files).root
    stored = (
        sum(1 for p in root.rglob("*") if p.is_file() and p.name != ".lock") if root.exists() else 0
    )
    return (*counts, stored)


def _audit(db: Database, action: str) -> list[tuple[str, str, str | None]]:
    with db.read() as s:
        rows = s.execute(
            select(AuditEvent.result, AuditEvent.username, AuditEvent.target_id)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _record(db: Database, tree_id: int) -> dict[str, Any]:
    with db.read() as s:
        row = s.scalar(select(ProvenanceRecord).where(ProvenanceRecord.tree_id == tree_id))
        assert row is not None
        assert row.kind == "tree"
        record: dict[str, Any] = json.loads(row.record_json)
        return record


def _dataset_leaves(db: Database, ids: list[int]) -> list[str]:
    with db.read() as s:
        return sorted(
            s.scalars(select(ProvenanceRecord.leaf).where(ProvenanceRecord.dataset_id.in_(ids)))
        )


def _matrix_request(**extra: object) -> dict[str, object]:
    return {"distance_matrix": {"labels": NJ_LABELS, "matrix": NJ_MATRIX}, **extra}


# --- building ---------------------------------------------------------------------------------


def test_an_inline_matrix_gives_the_textbook_tree_saved_audited_and_recorded(
    db: Database, scientist: Actor, files: DataFiles
) -> None:
    view = trees.build(db, scientist, files, _matrix_request(method="nj", name="Wikipedia"))
    assert isinstance(view, trees.TreeView)
    assert (view.name, view.source, view.method, view.distance) == (
        "Wikipedia",
        "matrix",
        "nj",
        "",
    )
    assert view.tip_count == 5
    assert view.tips == dict.fromkeys(NJ_LABELS)
    assert splits(view.newick) == {frozenset("ab"), frozenset("de")}
    tree = phylo(view.newick)
    for tip in tree.get_terminals():
        assert tip.branch_length == pytest.approx(NJ_TIP_LENGTHS[tip.name], abs=1e-6)
    assert trees.get_tree(db, view.id) == view
    assert _audit(db, "tree.create") == [("ok", "sci", str(view.id))]
    record = _record(db, view.id)
    assert record["entity"]["id"] == f"tree/{view.id}"
    assert record["entity"]["sha256"] == view.sha256
    assert record["derived_from"] == []
    assert record["activity"]["parameters"]["method"] == "nj"
    listed, total = trees.list_trees(db)
    assert total == 1
    assert [t.id for t in listed] == [view.id]


def test_upgma_and_wpgma_are_saved_as_asked(
    db: Database, scientist: Actor, files: DataFiles
) -> None:
    for method in ("upgma", "wpgma"):
        view = trees.build(db, scientist, files, _matrix_request(method=method))
        assert isinstance(view, trees.TreeView)
        assert view.method == method
        assert view.name.startswith(trees.METHOD_LABELS[method])
        tree = phylo(view.newick)
        depths = {t.name: tree.distance(t) for t in tree.get_terminals()}
        # Both are ultrametric: every tip is as far from the root.
        assert max(depths.values()) - min(depths.values()) < 1e-9


def test_genomes_give_a_minhash_tree_with_flight_and_ground_lines_apart(
    db: Database, scientist: Actor, files: DataFiles, genome_ids: dict[str, int]
) -> None:
    ids = list(genome_ids.values())
    view = trees.build(db, scientist, files, {"datasets": ids, "distance": "mash"})
    assert isinstance(view, trees.TreeView)
    assert (view.source, view.distance, view.method) == ("datasets", "mash", "nj")
    assert view.dataset_ids == tuple(ids)
    assert view.tips == genome_ids
    assert {frozenset({"F1", "F2"}), frozenset({"G1", "G2"})} <= splits(view.newick)
    assert view.params["k"] == 21
    assert view.params["sketch_size"] == 1000
    assert view.experiment_id is not None
    with db.read() as s:
        rows = s.execute(
            select(TreeInput.dataset_id)
            .where(TreeInput.tree_id == view.id)
            .order_by(TreeInput.position)
        )
        assert [r[0] for r in rows] == ids
    # The tree's record is a dataset derived from the genomes' records.
    assert _record(db, view.id)["derived_from"] == _dataset_leaves(db, ids)
    status = trees.status(db, view, 1)
    assert status.state != "tampered"


def test_aligned_genomes_give_k2p_and_tips_carry_their_factors(
    db: Database, scientist: Actor, files: DataFiles, genome_ids: dict[str, int]
) -> None:
    view = trees.build(
        db, scientist, files, {"datasets": list(genome_ids.values()), "distance": "k2p"}
    )
    assert isinstance(view, trees.TreeView)
    assert {frozenset({"F1", "F2"}), frozenset({"G1", "G2"})} <= splits(view.newick)
    assert view.params["gaps"] == "pairwise deletion"
    info = trees.tip_info(db, view)
    assert set(info) == set(GENOMES)
    assert info["F1"].dataset_id == genome_ids["F1"]
    assert info["F1"].factors["spaceflight"] == "Space Flight"
    assert info["F1"].factors["gravity_g"] == "0"
    assert info["G2"].factors["spaceflight"] == "Ground Control"
    assert info["ANC"].factors["spaceflight"] == "Ancestor"
    assert info["G2"].factors["time_point"] == "day 21"
    assert info["G2"].factors["replicate"] == "2"
    assert info["ANC"].factors["experiment"] == "Evolution in orbit"
    assert set(info["ANC"].factors) == {key for key, _label in trees.FACTORS}


def test_unaligned_genes_are_aligned_but_unaligned_genomes_are_refused(
    db: Database,
    scientist: Actor,
    files: DataFiles,
    experiment: experiments.ExperimentView,
    genome_ids: dict[str, int],
    tmp_path: Path,
) -> None:
    def add(name: str, seq: str) -> int:
        path = tmp_path / f"{name}.fasta"
        path.write_bytes(_fasta({name: seq}))
        details = datasets.parse_details({"experiment_id": experiment.id, "sample_name": name})
        return datasets.import_path(db, scientist, files.store, path, details).id

    # Genes of different lengths (one lost 10 bases) are aligned first.
    short = add("short", GENOMES["F1"][:-10])
    view = trees.build(
        db,
        scientist,
        files,
        {"datasets": [genome_ids["F1"], short, genome_ids["G1"]], "distance": "p"},
    )
    assert isinstance(view, trees.TreeView)
    assert "aligned_with" in view.params
    # Genomes longer than a gene of different lengths are not: MinHash is for them.
    rng = np.random.default_rng(3)
    genome = "".join("ACGT"[b] for b in rng.integers(0, 4, size=ALIGN_MAX_LENGTH + 500))
    long_a, long_b = add("long-a", genome), add("long-b", genome[:-100])
    before = _counts(db, files)
    with pytest.raises(ValidationFailed, match="not aligned") as refused:
        trees.build(
            db, scientist, files, {"datasets": [genome_ids["F1"], long_a, long_b], "distance": "p"}
        )
    assert refused.value.field == "distance"
    with pytest.raises(ValidationFailed, match="no dataset 999"):
        trees.build(db, scientist, files, {"datasets": [genome_ids["F1"], 999]})
    assert _counts(db, files) == before


@pytest.mark.parametrize(
    ("request_body", "field"),
    [
        ({"distance_matrix": {"labels": ["a", "b"], "matrix": [[0, 1], [1, 0]]}}, "method"),
        (_matrix_request(method="nj", bootstrap=10), "bootstrap"),
        ({"distance_matrix": {"labels": ["a", "b", "c"], "matrix": [[0, 1], [1, 0]]}},
         "distance_matrix"),
        ({"distance_matrix": {"labels": ["a", "b", "c"],
                              "matrix": [[0, 1, 2], [1, 0, 3], [2, 4, 0]]}}, "distance_matrix"),
        ({"distance_matrix": {"labels": ["a", "b", "c"],
                              "matrix": [[0, -1, 2], [-1, 0, 3], [2, 3, 0]]}}, "distance_matrix"),
        ({"distance_matrix": {"labels": ["a", "a", "c"],
                              "matrix": [[0, 1, 2], [1, 0, 3], [2, 3, 0]]}}, "distance_matrix"),
        ({"distance_matrix": {"labels": ["a", "b", "c"],
                              "matrix": [[0, 1, 2], [1, 0, float("nan")], [2, 3, 0]]}},
         "distance_matrix"),
        ({"datasets": [1], "distance_matrix": {}}, "datasets"),
        ({"datasets": [1, 1]}, "datasets"),
        ({"datasets": [1, 2], "distance": "mash", "bootstrap": 5}, "bootstrap"),
        ({"datasets": [1, 2], "distance": "lcs"}, "distance"),
        ({"datasets": [1, 2], "bootstrap": 1001}, "bootstrap"),
        ({"datasets": [1, 2], "colour": "red"}, "colour"),
    ],
)  # fmt: skip
def test_bad_requests_name_their_field_and_save_nothing(
    db: Database, scientist: Actor, files: DataFiles, request_body: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        trees.build(db, scientist, files, request_body)
    assert refused.value.field == field, refused.value.message
    assert _counts(db, files) == (0, 0, 0, 0)


def test_operators_and_reviewers_are_refused_and_audited(
    db: Database, operator: Actor, reviewer: Actor, files: DataFiles
) -> None:
    for actor in (operator, reviewer):
        with pytest.raises(PermissionDenied):
            trees.build(db, actor, files, _matrix_request())
        with pytest.raises(PermissionDenied):
            trees.upload(db, actor, files, "t.nwk", b"(a:1,b:2,c:3);", {})
    assert [r[:2] for r in _audit(db, "tree.build")] == [
        ("denied", "oper"),
        ("denied", "oper"),
        ("denied", "rev"),
        ("denied", "rev"),
    ]
    assert _counts(db, files) == (0, 0, 0, 0)


# --- uploads --------------------------------------------------------------------------------

NEWICK = "((A:1,B:2)90:0.5,(C:1.5,D:0.5)75:0.25,E:3);"


def _as(fmt: str) -> bytes:
    out = io.StringIO()
    Phylo.write(phylo(NEWICK), out, fmt)
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize(("filename", "fmt"), [
    ("t.nwk", "newick"), ("t.nex", "nexus"), ("t.xml", "phyloxml"),
])  # fmt: skip
def test_an_uploaded_tree_is_kept_and_exports_in_every_format(
    db: Database, scientist: Actor, files: DataFiles, filename: str, fmt: str
) -> None:
    content = NEWICK.encode() if fmt == "newick" else _as(fmt)
    view = trees.upload(db, scientist, files, filename, content, {"name": "Uploaded"})
    assert isinstance(view, trees.TreeView)
    assert (view.source, view.method, view.name, view.input_filename) == (
        "upload",
        "",
        "Uploaded",
        filename,
    )
    assert view.params["format"] == fmt
    assert splits(view.newick) == {frozenset("AB"), frozenset("CD")}
    # The uploaded file is kept as it was sent.
    assert _counts(db, files) == (1, 0, 1, 1)
    for out_fmt, mimetype in (
        ("newick", "text/x-newick"),
        ("nexus", "text/x-nexus"),
        ("phyloxml", "application/xml"),
    ):
        body, got_mimetype, name = trees.export(db, view.id, out_fmt)
        assert got_mimetype == mimetype
        assert name.startswith(f"tree-{view.id}.")
        back = Phylo.read(io.StringIO(body.decode("utf-8")), out_fmt)
        lengths = {t.name: t.branch_length for t in back.get_terminals()}
        assert lengths == pytest.approx({"A": 1, "B": 2, "C": 1.5, "D": 0.5, "E": 3})
    with pytest.raises(ValidationFailed):
        trees.export(db, view.id, "svg")


def test_an_uploaded_alignment_and_matrix_are_built(
    db: Database, scientist: Actor, files: DataFiles
) -> None:
    aligned = _fasta({name: seq[:2000] for name, seq in GENOMES.items()})
    view = trees.upload(
        db, scientist, files, "lines.fasta", aligned, {"distance": "jc69", "method": "upgma"}
    )
    assert isinstance(view, trees.TreeView)
    assert (view.source, view.distance, view.method) == ("alignment", "jc69", "upgma")
    assert view.tips == dict.fromkeys(GENOMES)
    phylip = "5\n" + "".join(
        f"{label} {' '.join(str(v) for v in row)}\n"
        for label, row in zip(NJ_LABELS, NJ_MATRIX, strict=True)
    )
    view = trees.upload(db, scientist, files, "wiki.phy", phylip.encode(), {"kind": "matrix"})
    assert isinstance(view, trees.TreeView)
    assert (view.source, view.method) == ("matrix", "nj")
    assert splits(view.newick) == {frozenset("ab"), frozenset("de")}


@pytest.mark.parametrize(("filename", "content", "data"), [
    ("bad.nwk", b"((A:1,B:2),(C:1;", {}),
    ("dup.nwk", b"((A:1,B:2),(A:1,C:1));", {}),
    ("empty.nwk", b"", {}),
    ("bin.nwk", b"(A,B,C);\x00\x01\x02", {}),
    ("odd.fasta", b">a\nAC!T\n>b\nACGT\n>c\nACGT\n", {}),
    ("protein.fasta", b">a\nMKLV\n>b\nMKLI\n>c\nMKKV\n", {}),
    ("two.fasta", b">a\nACGT\n>b\nACGA\n", {"method": "nj"}),
    ("square.csv", b",a,b\na,0,1\nb,1,0\nc,2,2\n", {"kind": "matrix"}),
    ("ok.nwk", b"(A,B,C);", {"kind": "sketch"}),
    ("ok.fasta", b">a\nACGT\n>b\nACGA\n>c\nACGG\n", {"seed": "-4"}),
    ("ok.fasta", b">a\nACGT\n>b\nACGA\n>c\nACGG\n", {"experiment_id": "99"}),
    # Read fine, refused while building: saturated Jukes–Cantor distances.
    ("far.fasta", b">a\nAAAA\n>b\nCCCC\n>c\nGGGG\n", {"distance": "jc69"}),
])  # fmt: skip
def test_bad_uploads_are_refused_and_leave_nothing(
    db: Database,
    scientist: Actor,
    files: DataFiles,
    filename: str,
    content: bytes,
    data: dict[str, object],
) -> None:
    with pytest.raises(ValidationFailed):
        trees.upload(db, scientist, files, filename, content, data)
    assert _counts(db, files) == (0, 0, 0, 0)


# --- operations -------------------------------------------------------------------------------


def test_reroot_makes_a_new_tree_and_compare_counts_splits(
    db: Database, scientist: Actor, files: DataFiles, genome_ids: dict[str, int]
) -> None:
    built = trees.build(db, scientist, files, {"datasets": list(genome_ids.values())})
    assert isinstance(built, trees.TreeView)
    rooted = trees.reroot(db, scientist, built.id, outgroup=["ANC"])
    assert rooted.id != built.id
    assert (rooted.source, rooted.parent_tree_id) == ("reroot", built.id)
    assert rooted.dataset_ids == built.dataset_ids
    assert rooted.tips == built.tips
    root = phylo(rooted.newick).root
    assert any({t.name for t in child.get_terminals()} == {"ANC"} for child in root.clades), (
        rooted.newick
    )
    midpoint = trees.reroot(db, scientist, built.id, midpoint=True)
    assert midpoint.params["midpoint"] is True
    # Rooting does not change the unrooted topology.
    same = trees.compare(db, built.id, rooted.id)
    assert (same["rf"], same["common_tips"]) == (0, 5)
    # ((A,B),C,(D,E)) and ((A,C),B,(D,E)) differ by one split each way: RF 2 of at most 4.
    a = trees.upload(db, scientist, files, "a.nwk", b"((A:1,B:1):1,C:1,(D:1,E:1):1);", {})
    b = trees.upload(db, scientist, files, "b.nwk", b"((A:1,C:1):1,B:1,(D:1,E:1):1);", {})
    differ = trees.compare(db, a.id, b.id)
    assert (differ["rf"], differ["max_rf"]) == (2, 4)
    assert differ["normalized_rf"] == pytest.approx(0.5)
    before = _counts(db, files)
    with pytest.raises(ValidationFailed, match="not a tip"):
        trees.reroot(db, scientist, built.id, outgroup=["nobody"])
    with pytest.raises(ValidationFailed):
        trees.reroot(db, scientist, built.id, outgroup=["ANC"], midpoint=True)
    with pytest.raises(NotFound):
        trees.reroot(db, scientist, 10_000, midpoint=True)
    assert _counts(db, files) == before


# --- bootstrap jobs ---------------------------------------------------------------------------


def _aligned_request(genome_ids: dict[str, int], replicates: int) -> dict[str, object]:
    return {
        "datasets": list(genome_ids.values()),
        "distance": "k2p",
        "bootstrap": replicates,
        "seed": 7,
    }


def test_a_bootstrap_runs_as_a_job_and_saves_supports(
    db: Database,
    scientist: Actor,
    files: DataFiles,
    genome_ids: dict[str, int],
    tmp_path: Path,
) -> None:
    queue = Recorder()
    job = trees.build(db, scientist, files, _aligned_request(genome_ids, 20), queue)
    assert not isinstance(job, trees.TreeView)
    assert job.kind == "tree.build"
    assert queue.ids == [job.id]
    assert _counts(db, files)[:3] == (0, 0, 0)  # nothing saved until the job runs
    assert job_runner.execute(db, job.id, tmp_path / "jobs") == "succeeded"
    done = jobs.get(db, scientist, job.id)
    assert done.result is not None
    view = trees.get_tree(db, int(done.result["tree_id"]))
    assert view.params["bootstrap"] == 20
    assert view.params["seed"] == 7
    supports = [c.confidence for c in phylo(view.newick).get_nonterminals() if c.confidence]
    assert supports
    assert all(0 <= s <= 100 for s in supports)
    # The flight lines' shared mutations are in every replicate's columns many times over.
    flight = next(
        c
        for c in phylo(view.newick).get_nonterminals()
        if {t.name for t in c.get_terminals()} in ({"F1", "F2"}, {"ANC", "G1", "G2"})
    )
    assert flight.confidence == 100
    # The same seed gives the same supports.
    again = trees.build(db, scientist, files, _aligned_request(genome_ids, 20), queue)
    assert job_runner.execute(db, again.id, tmp_path / "jobs") == "succeeded"
    again_done = jobs.get(db, scientist, again.id)
    assert again_done.result is not None
    assert trees.get_tree(db, int(again_done.result["tree_id"])).newick == view.newick


def test_a_cancelled_bootstrap_leaves_no_tree(
    db: Database,
    scientist: Actor,
    files: DataFiles,
    genome_ids: dict[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queued = trees.build(db, scientist, files, _aligned_request(genome_ids, 5), Recorder())
    jobs.cancel(db, scientist, queued.id)
    assert job_runner.execute(db, queued.id, tmp_path / "jobs") is None

    # A running one: each replicate is slowed down so the cancel lands mid-way.
    real = trees.bootstrap

    def slow(*args: Any, **kwargs: Any) -> str:
        progress = kwargs.pop("progress")

        def tick(done: int, total: int) -> None:
            time.sleep(0.05)
            progress(done, total)

        return real(*args, progress=tick, **kwargs)

    monkeypatch.setattr(trees, "bootstrap", slow)
    running = trees.build(db, scientist, files, _aligned_request(genome_ids, 200), Recorder())
    outcome: list[str | None] = []
    thread = threading.Thread(
        target=lambda: outcome.append(job_runner.execute(db, running.id, tmp_path / "jobs"))
    )
    thread.start()
    deadline = time.monotonic() + 20
    while jobs.get(db, scientist, running.id).progress < 0.06 and time.monotonic() < deadline:
        time.sleep(0.02)
    jobs.cancel(db, scientist, running.id)
    thread.join(20)
    assert outcome == ["cancelled"]
    counts = _counts(db, files)
    assert counts[:3] == (0, 0, 0)
