"""Phylogenetic trees: build them from datasets, an alignment or a distance matrix, upload
them, re-root, compare and export them.

A build is checked whole before anything is written; small builds run in the request, and
bootstraps and large inputs run as a ``tree.build`` job. Either way the tree is written
once, in one transaction with its inputs, its audit event and its provenance record (a
tree is a dataset derived from the datasets it was built from), so a failed or cancelled
build leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analysis.phylo import PhyloInputError, check_matrix
from analysis.phylo.align import (
    ALIGN_MAX_LENGTH,
    ALIGNER,
    align_sequences,
    check_unaligned,
    read_unaligned_fasta,
)
from analysis.phylo.alignment import (
    Alignment,
    alignment_from_records,
    detect_format,
    read_alignment,
)
from analysis.phylo.bootstrap import bootstrap
from analysis.phylo.build import METHODS, build_tree
from analysis.phylo.distances import DISTANCES, alignment_distances
from analysis.phylo.matrix import DistanceMatrix, read_matrix
from analysis.phylo.minhash import SKETCH_SIZE, K, Sketch, sketch, sketch_distances
from analysis.phylo.newick import parse_newick
from analysis.phylo.ops import midpoint_root, robinson_foulds, root_on
from analysis.phylo.tree_io import TREE_FORMATS, read_tree, write_tree
from analysis.sequences.records import load_records
from dashboard.db import Database
from dashboard.models import Dataset, Experiment, Sample, Tree, TreeInput
from dashboard.models.base import utcnow

from . import audit, provenance
from .actor import Actor
from .blobs import BlobStore
from .datasets import SEQUENCE_FORMATS
from .errors import NotFound, ValidationFailed
from .explorer import DataFiles
from .jobs import Enqueue, JobView
from .jobs import start as start_job
from .policy import Action, authorize
from .text import one_line_name

Progress = Callable[[float, str], None]
T = TypeVar("T")

NAME_MAX = 120
BOOTSTRAP_MAX = 1000
SEED_MAX = 2**31 - 1
DATASETS_MAX = 500
TAXA_MAX = 5000  # rows of a matrix or an alignment
UPLOAD_MAX = 200 * 2**20  # bytes of an uploaded alignment, matrix or tree file
# Builds larger than these run as a job rather than in the request.
# Neighbour joining on 2,000 taxa is ~0.5 s on random distances but 7-40 s on the tied,
# star-like distances of clonal lines from one ancestor (the RapidNJ bound stops pruning);
# at 1,000 taxa that worst case stays near a second or two.
INLINE_TAXA = 1000
INLINE_CELLS = 20_000_000  # alignment taxa x columns
INLINE_BASES = 30_000_000  # bases sketched for MinHash
ALIGNMENT_CELLS_MAX = 400_000_000
SOURCES = ("datasets", "alignment", "matrix", "upload", "reroot")
ALL_DISTANCES: tuple[str, ...] = (*DISTANCES, "mash")
FILE_KINDS = ("auto", "tree", "alignment", "matrix")
JOB_KIND = "tree.build"
# What a tip can be coloured by: (key, label).
FACTORS: tuple[tuple[str, str], ...] = (
    ("spaceflight", "Spaceflight"),
    ("gravity_g", "Gravity (g)"),
    ("radiation_mgy", "Radiation dose (mGy)"),
    ("time_point", "Time point"),
    ("replicate", "Replicate line"),
    ("experiment", "Experiment"),
    ("sample", "Sample"),
    ("material", "Material"),
    ("strain", "Strain"),
)
DISTANCE_LABELS = {
    "p": "p-distance",
    "jc69": "Jukes–Cantor",
    "k2p": "Kimura 2-parameter",
    "mash": "MinHash (Mash)",
}
METHOD_LABELS = {"nj": "Neighbour joining", "upgma": "UPGMA", "wpgma": "WPGMA"}


# --- views ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeView:
    """A saved tree as pages and the API show it."""

    id: int
    name: str
    experiment_id: int | None
    source: str
    distance: str
    method: str
    params: dict[str, Any]
    newick: str
    sha256: str
    tip_count: int
    tips: dict[str, int | None]
    parent_tree_id: int | None
    input_filename: str
    created_by: str
    created_at: datetime
    dataset_ids: tuple[int, ...] = ()

    def describe(self) -> str:
        """How it was made, in one line."""
        if self.source == "upload":
            return f"Uploaded from {self.input_filename}"
        if self.source == "reroot":
            how = "at its midpoint" if self.params.get("midpoint") else "on an outgroup"
            return f"Tree {self.parent_tree_id} re-rooted {how}"
        how = METHOD_LABELS.get(self.method, self.method)
        if self.distance:
            how += f" on {DISTANCE_LABELS.get(self.distance, self.distance)} distances"
        replicates = self.params.get("bootstrap") or 0
        return f"{how}, {replicates} bootstrap replicates" if replicates else how


@dataclass(frozen=True)
class TipInfo:
    """What is known of a tip: the dataset it stands for and that sample's factors."""

    label: str
    dataset_id: int | None
    factors: dict[str, str]


def _view(tree: Tree, dataset_ids: Sequence[int]) -> TreeView:
    return TreeView(
        id=tree.id,
        name=tree.name,
        experiment_id=tree.experiment_id,
        source=tree.source,
        distance=tree.distance,
        method=tree.method,
        params=dict(tree.params or {}),
        newick=tree.newick,
        sha256=tree.sha256,
        tip_count=tree.tip_count,
        tips=dict(tree.tips or {}),
        parent_tree_id=tree.parent_tree_id,
        input_filename=tree.input_filename,
        created_by=tree.created_by_name,
        created_at=tree.created_at,
        dataset_ids=tuple(dataset_ids),
    )


def _inputs(s: Session, tree_ids: Sequence[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {i: [] for i in tree_ids}
    for tree_id, dataset_id in s.execute(
        select(TreeInput.tree_id, TreeInput.dataset_id)
        .where(TreeInput.tree_id.in_(tree_ids))
        .order_by(TreeInput.tree_id, TreeInput.position)
    ):
        out[tree_id].append(dataset_id)
    return out


def get_tree(db: Database, tree_id: int) -> TreeView:
    """One tree, or NotFound."""
    with db.read() as s:
        tree = s.get(Tree, tree_id) if 0 < tree_id <= SEED_MAX else None
        if tree is None:
            raise NotFound(f"There is no tree {tree_id}.")
        return _view(tree, _inputs(s, [tree.id])[tree.id])


def list_trees(db: Database, *, limit: int = 100, offset: int = 0) -> tuple[list[TreeView], int]:
    """Trees, newest first, and how many there are."""
    with db.read() as s:
        total = s.scalar(select(func.count()).select_from(Tree)) or 0
        rows = list(s.scalars(select(Tree).order_by(Tree.id.desc()).limit(limit).offset(offset)))
        inputs = _inputs(s, [t.id for t in rows])
        return [_view(t, inputs[t.id]) for t in rows], total


# --- requests ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildRequest:
    """A checked request to build a tree (JSON-able, so a job can take it over)."""

    name: str = ""
    distance: str = ""
    method: str = "nj"
    bootstrap: int = 0
    seed: int = 1
    dataset_ids: tuple[int, ...] = ()
    labels: tuple[str, ...] = ()  # an inline matrix's
    matrix: tuple[tuple[float, ...], ...] = ()
    input_sha256: str | None = None  # an uploaded alignment or matrix in the trees store
    input_filename: str = ""
    input_kind: str = ""  # alignment or matrix
    experiment_id: int | None = None
    # A job's stored request is named by its hash; the nonce makes that name unguessable, so
    # nobody can start (and so consume) another user's queued build by its parameters.
    nonce: str = ""

    @property
    def source(self) -> str:
        if self.dataset_ids:
            return "datasets"
        return self.input_kind or "matrix"

    def as_json(self) -> str:
        return json.dumps(dict(self.__dict__), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> BuildRequest:
        data = json.loads(text)
        data["dataset_ids"] = tuple(data["dataset_ids"])
        data["labels"] = tuple(data["labels"])
        data["matrix"] = tuple(tuple(row) for row in data["matrix"])
        return cls(**data)

    def parameters(self) -> dict[str, Any]:
        """The parameters recorded with the tree (and in its provenance record)."""
        out: dict[str, Any] = {"method": self.method}
        if self.distance:
            out["distance"] = self.distance
        if self.bootstrap:
            out.update(bootstrap=self.bootstrap, seed=self.seed)
        if self.distance == "mash":
            out.update(k=K, sketch_size=SKETCH_SIZE)
        if self.distance in DISTANCES:
            out["gaps"] = "pairwise deletion"
        if self.input_filename:
            out["input"] = self.input_filename
        return out


def _choice(data: Mapping[str, object], key: str, choices: Sequence[str], default: str) -> str:
    value = data.get(key, default)
    if value in (None, ""):
        value = default
    if not isinstance(value, str) or value not in choices:
        raise ValidationFailed(f"{key} must be one of {', '.join(choices)}.", field=key)
    return value


def _int(data: Mapping[str, object], key: str, low: int, high: int, default: int) -> int:
    value = data.get(key, default)
    if value in (None, ""):
        return default
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValidationFailed(f"{key} must be a whole number.", field=key)
    if not low <= value <= high:
        raise ValidationFailed(f"{key} must be between {low} and {high:,}.", field=key)
    return int(value)


def _name(data: Mapping[str, object]) -> str:
    raw = data.get("name") or ""
    if not isinstance(raw, str):
        raise ValidationFailed("name must be text.", field="name")
    if not raw.strip():
        return ""
    return one_line_name(raw, "name", NAME_MAX, field="name", required=False)


def _dataset_ids(raw: object) -> tuple[int, ...]:
    if not isinstance(raw, list | tuple) or not raw:
        raise ValidationFailed("datasets must be a list of dataset ids.", field="datasets")
    if len(raw) > DATASETS_MAX:
        raise ValidationFailed(
            f"datasets: at most {DATASETS_MAX} datasets in one tree.", field="datasets"
        )
    ids: list[int] = []
    for value in raw:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= SEED_MAX:
            raise ValidationFailed(
                f"datasets: {str(value)[:40]!r} is not a dataset id.", field="datasets"
            )
        if value in ids:
            raise ValidationFailed(f"datasets: dataset {value} is listed twice.", field="datasets")
        ids.append(value)
    return tuple(ids)


def _inline_matrix(raw: object) -> DistanceMatrix:
    if not isinstance(raw, Mapping):
        raise ValidationFailed(
            'distance_matrix must be {"labels": [...], "matrix": [[...], ...]}.',
            field="distance_matrix",
        )
    labels, rows = raw.get("labels"), raw.get("matrix")
    if not isinstance(labels, list) or not isinstance(rows, list):
        raise ValidationFailed(
            "distance_matrix needs a list of labels and a list of rows.", field="distance_matrix"
        )
    if len(labels) > TAXA_MAX:
        raise ValidationFailed(
            f"distance_matrix: at most {TAXA_MAX:,} taxa.", field="distance_matrix"
        )
    if not all(isinstance(label, str) for label in labels):
        raise ValidationFailed("distance_matrix: labels must be text.", field="distance_matrix")
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, list) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in row
        ):
            raise ValidationFailed(
                f"distance_matrix, row {i}: must be a list of numbers.", field="distance_matrix"
            )
    return _checked(lambda: check_matrix(labels, rows, where="distance_matrix"), "distance_matrix")


def _checked(make: Callable[[], T], field_name: str) -> T:
    try:
        return make()
    except PhyloInputError as exc:
        raise ValidationFailed(str(exc), field=field_name) from None


def parse_build_request(data: Mapping[str, object]) -> BuildRequest:
    """A build request from JSON (the API's body, the page's form), checked as far as it can
    be without the database."""
    if not isinstance(data, Mapping):
        raise ValidationFailed("The request must be a JSON object.", field="body")
    known = {"name", "datasets", "distance", "method", "bootstrap", "seed", "distance_matrix"}
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        raise ValidationFailed(
            f"Unknown field {unknown[0][:40]!r}; a tree takes: {', '.join(sorted(known))}.",
            field=unknown[0][:40],
        )
    has_datasets, has_matrix = "datasets" in data, "distance_matrix" in data
    if has_datasets == has_matrix:
        raise ValidationFailed(
            "Give either datasets (with a distance) or a distance_matrix, not both or neither.",
            field="datasets",
        )
    method = _choice(data, "method", METHODS, "nj")
    replicates = _int(data, "bootstrap", 0, BOOTSTRAP_MAX, 0)
    seed = _int(data, "seed", 0, SEED_MAX, 1)
    name = _name(data)
    if has_matrix:
        if replicates:
            raise ValidationFailed(
                "bootstrap resamples alignment columns; a distance matrix has none. Build "
                "from an aligned dataset to get support values.",
                field="bootstrap",
            )
        dm = _inline_matrix(data["distance_matrix"])
        _check_method(method, len(dm))
        return BuildRequest(
            name=name,
            method=method,
            labels=dm.labels,
            matrix=tuple(tuple(float(v) for v in row) for row in dm.values),
        )
    distance = _choice(data, "distance", ALL_DISTANCES, "mash")
    if replicates and distance == "mash":
        raise ValidationFailed(
            "bootstrap resamples alignment columns; MinHash distances have none. Choose p, "
            "jc69 or k2p on aligned sequences for support values.",
            field="bootstrap",
        )
    return BuildRequest(
        name=name,
        distance=distance,
        method=method,
        bootstrap=replicates,
        seed=seed,
        dataset_ids=_dataset_ids(data["datasets"]),
    )


def _check_method(method: str, taxa: int) -> None:
    if method == "nj" and taxa < 3:
        raise ValidationFailed(
            f"Neighbour joining needs at least 3 taxa; there are {taxa}. Add taxa or use UPGMA.",
            field="method",
        )
    if taxa < 2:
        raise ValidationFailed(f"A tree needs at least 2 taxa; there is {taxa}.", field="datasets")


# --- inputs -----------------------------------------------------------------------------------


@dataclass
class _Inputs:
    """What a build works on, resolved from a request."""

    labels: list[str] = field(default_factory=list)
    tips: dict[str, int | None] = field(default_factory=dict)
    dataset_ids: list[int] = field(default_factory=list)
    experiment_id: int | None = None
    experiment_name: str | None = None
    size: int = 0  # taxa x columns, or bases to sketch
    datasets: list[Dataset] = field(default_factory=list)


def tree_store(files: DataFiles) -> BlobStore:
    """Where uploaded alignments, matrices and tree files are kept (beside the datasets)."""
    return BlobStore(files.store.root.parent / "trees")


def _tip_labels(rows: Sequence[Dataset]) -> list[str]:
    """One unique label a dataset: its sample's name, with the dataset id when shared."""
    names = [r.sample.name for r in rows]
    return [
        name if names.count(name) == 1 else f"{name} (dataset {r.id})"
        for name, r in zip(names, rows, strict=True)
    ]


def _resolve(db: Database, request: BuildRequest) -> _Inputs:
    """Load the datasets of a request and check they can give these distances."""
    inputs = _Inputs()
    if not request.dataset_ids:
        return inputs
    with db.read() as s:
        rows = {
            d.id: d for d in s.scalars(select(Dataset).where(Dataset.id.in_(request.dataset_ids)))
        }
        missing = [i for i in request.dataset_ids if i not in rows]
        if missing:
            raise ValidationFailed(f"There is no dataset {missing[0]}.", field="datasets")
        ordered = [rows[i] for i in request.dataset_ids]
        for d in ordered:
            s.expunge(d)
        experiments = {d.experiment_id for d in ordered}
        if len(experiments) == 1:
            inputs.experiment_id = ordered[0].experiment_id
            inputs.experiment_name = s.scalar(
                select(Experiment.name).where(Experiment.id == inputs.experiment_id)
            )
    for d in ordered:
        if d.format not in SEQUENCE_FORMATS:
            raise ValidationFailed(
                f"Dataset {d.id} ({d.filename}) holds {d.material}, not sequences; trees are "
                "built from genomes, assemblies or aligned sequences.",
                field="datasets",
            )
        if d.format == "fastq":
            raise ValidationFailed(
                f"Dataset {d.id} ({d.filename}) holds reads; trees are built from genomes, "
                "assemblies or aligned sequences. Assemble the reads first.",
                field="datasets",
            )
    inputs.datasets = ordered
    inputs.dataset_ids = [d.id for d in ordered]
    if len(ordered) == 1:
        only = ordered[0]
        if request.distance == "mash":
            raise ValidationFailed(
                "MinHash compares whole genomes: choose at least 3 genome or assembly datasets.",
                field="datasets",
            )
        # One aligned multi-FASTA: its records are the tips.
        inputs.size = only.total_length
        inputs.labels = []
        return inputs
    labels = _tip_labels(ordered)
    inputs.labels = labels
    inputs.tips = {label: d.id for label, d in zip(labels, ordered, strict=True)}
    if request.distance == "mash":
        inputs.size = sum(d.total_length for d in ordered)
    else:
        longest = max(d.total_length for d in ordered)
        if len({d.total_length for d in ordered}) > 1 and longest > ALIGN_MAX_LENGTH:
            a, b = ordered[0], next(d for d in ordered if d.total_length != ordered[0].total_length)
            raise ValidationFailed(
                f"Dataset {a.id} is {a.total_length:,} bases and dataset {b.id} is "
                f"{b.total_length:,}: the sequences are not aligned, and at over "
                f"{ALIGN_MAX_LENGTH:,} bases they are genomes rather than genes, so "
                f"{request.distance} distances cannot be computed. Choose MinHash (mash) for "
                "whole genomes, or import one aligned FASTA and build from it.",
                field="distance",
            )
        inputs.size = len(ordered) * longest
        if inputs.size > ALIGNMENT_CELLS_MAX:
            raise ValidationFailed(
                f"{len(ordered)} sequences of {longest:,} bases are too large to compare "
                "column by column here; use MinHash (mash) distances.",
                field="distance",
            )
    _check_method(request.method, len(ordered))
    return inputs


def _records(files: DataFiles, d: Dataset) -> list[tuple[str, str]]:
    path = files.store.path(d.sha256)
    return [(r.id, r.sequence) for r in load_records(path, d.format, d.compression)]


def _aligned(labels: Sequence[str], seqs: Sequence[str], where: str) -> tuple[Alignment, bool]:
    """The sequences as an alignment, aligned with FAMSA first when their lengths differ
    (genes; genomes are refused with the advice to use MinHash)."""
    if len({len(seq) for seq in seqs}) > 1:
        return _checked(lambda: align_sequences(labels, seqs, where), "datasets"), True
    return _checked(lambda: alignment_from_records(labels, seqs, where), "datasets"), False


def _alignment_of(files: DataFiles, inputs: _Inputs) -> tuple[Alignment, bool]:
    if len(inputs.datasets) == 1:
        only = inputs.datasets[0]
        records = _records(files, only)
        return _aligned([r[0] for r in records], [r[1] for r in records], only.filename)
    seqs = ["".join(seq for _id, seq in _records(files, d)) for d in inputs.datasets]
    return _aligned(inputs.labels, seqs, "datasets")


def _alignment_shape(content: bytes, filename: str) -> tuple[int, int]:
    """Sequences and columns of an uploaded alignment, checked (an unaligned FASTA of genes
    is checked as one to align; it is aligned when the tree is built)."""
    try:
        al = read_alignment(content, filename)
        return len(al.labels), al.codes.shape[1]
    except PhyloInputError as exc:
        if "not aligned" not in exc.problem or detect_format(content, filename) != "fasta":
            raise ValidationFailed(str(exc), field="file") from None
    labels, seqs = _checked(lambda: read_unaligned_fasta(content, filename), "file")
    _checked(lambda: check_unaligned(labels, seqs, filename), "file")
    return len(labels), max(len(seq) for seq in seqs)


def _read_uploaded_alignment(content: bytes, filename: str) -> tuple[Alignment, bool]:
    """An uploaded alignment; an unaligned FASTA (genes) is aligned with FAMSA."""
    try:
        return read_alignment(content, filename), False
    except PhyloInputError as exc:
        if "not aligned" not in exc.problem or detect_format(content, filename) != "fasta":
            raise ValidationFailed(str(exc), field="file") from None
    labels, seqs = _checked(lambda: read_unaligned_fasta(content, filename), "file")
    return _checked(lambda: align_sequences(labels, seqs, filename), "file"), True


def _sketch_of(files: DataFiles, d: Dataset) -> Sketch:
    """A dataset's MinHash sketch, cached under its bytes' hash (a file never changes)."""
    key = f"trees/sketch/v1/{d.sha256}/{K}/{SKETCH_SIZE}"
    cached = files.cache.get(key)
    if isinstance(cached, Sketch):
        return cached
    made = sketch((seq.encode("ascii") for _id, seq in _records(files, d)), k=K, size=SKETCH_SIZE)
    files.cache.set(key, made)
    return made


def _sketch_all(
    files: DataFiles, datasets: Sequence[Dataset], on_progress: Progress
) -> list[Sketch]:
    """Every dataset's sketch, one genome a core (the k-mer loop releases the GIL); a cancel
    raised by ``on_progress`` drops the sketches not yet started."""
    total = len(datasets)
    with ThreadPoolExecutor(max_workers=min(total, os.cpu_count() or 1)) as pool:
        futures = [pool.submit(_sketch_of, files, d) for d in datasets]
        try:
            for done, _future in enumerate(as_completed(futures), start=1):
                on_progress(0.9 * done / total, f"Sketched {done} of {total} genomes")
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        return [f.result() for f in futures]


def _uploaded(files: DataFiles, request: BuildRequest) -> bytes:
    return tree_store(files).path(str(request.input_sha256)).read_bytes()


# --- building ---------------------------------------------------------------------------------


def _quiet(_fraction: float, _message: str) -> None:
    pass


@dataclass(frozen=True)
class _Built:
    newick: str
    tips: dict[str, int | None]
    aligned: bool = False  # the sequences were aligned here (with FAMSA) first


def _compute(
    files: DataFiles, request: BuildRequest, inputs: _Inputs, on_progress: Progress
) -> _Built:
    """Distances, then the tree (and its bootstrap): the science, no database."""
    source = request.source
    if source == "matrix" and not request.input_sha256:
        dm = check_matrix(request.labels, request.matrix, where="distance_matrix")
        return _Built(build_tree(dm, request.method), dict.fromkeys(dm.labels))
    if source == "matrix":
        dm = _checked(
            lambda: read_matrix(_uploaded(files, request), request.input_filename), "file"
        )
        _check_method(request.method, len(dm))
        return _Built(build_tree(dm, request.method), dict.fromkeys(dm.labels))
    if request.distance == "mash":
        sketches = _sketch_all(files, inputs.datasets, on_progress)
        on_progress(0.9, "Comparing sketches")
        dm = sketch_distances(inputs.labels, sketches)
        return _Built(build_tree(dm, request.method), inputs.tips)
    if source == "alignment":
        al, aligned = _read_uploaded_alignment(_uploaded(files, request), request.input_filename)
    else:
        on_progress(0.02, "Reading the sequences")
        al, aligned = _alignment_of(files, inputs)
    if len(al.labels) > TAXA_MAX:
        raise ValidationFailed(
            f"The alignment has {len(al.labels):,} sequences; at most {TAXA_MAX:,}.", field="file"
        )
    _check_method(request.method, len(al.labels))
    tips = inputs.tips or dict.fromkeys(al.labels)
    if not request.bootstrap:
        on_progress(0.1, "Computing distances")
        dm = _checked(lambda: alignment_distances(al, request.distance), "distance")
        on_progress(0.6, "Building the tree")
        return _Built(build_tree(dm, request.method), tips, aligned)

    def replicate_done(done: int, total: int) -> None:
        on_progress(0.05 + 0.95 * done / total, f"Bootstrap replicate {done:,} of {total:,}")

    newick = _checked(
        lambda: bootstrap(
            al,
            request.distance,
            request.method,
            replicates=request.bootstrap,
            seed=request.seed,
            progress=replicate_done,
        ),
        "distance",
    )
    return _Built(newick, tips, aligned)


def _is_large(request: BuildRequest, inputs: _Inputs, taxa: int) -> bool:
    if request.bootstrap:
        return True
    if taxa > INLINE_TAXA:
        return True
    if request.distance == "mash":
        return inputs.size > INLINE_BASES
    return inputs.size > INLINE_CELLS


def _default_name(request: BuildRequest, tip_count: int) -> str:
    method = METHOD_LABELS[request.method]
    on = f" on {DISTANCE_LABELS[request.distance]}" if request.distance else ""
    return f"{method}{on}, {tip_count} tips"[:NAME_MAX]


def _save(
    db: Database,
    actor: Actor,
    request: BuildRequest,
    inputs: _Inputs,
    built: _Built,
    started_at: datetime,
    *,
    source: str | None = None,
    parent_tree_id: int | None = None,
    extra_params: Mapping[str, Any] | None = None,
) -> TreeView:
    """Write the tree, its inputs, audit event and provenance record in one transaction."""
    tip_count = len(_tip_names(built.newick))
    newick = built.newick
    params = {**request.parameters(), **(extra_params or {})}
    if built.aligned:
        params["aligned_with"] = ALIGNER
    with db.begin() as s:
        tree = Tree(
            name=request.name or _default_name(request, tip_count),
            experiment_id=request.experiment_id or inputs.experiment_id,
            source=source or request.source,
            distance=request.distance,
            method=request.method if source != "upload" else "",
            params=params,
            newick=newick,
            sha256=hashlib.sha256(newick.encode("utf-8")).hexdigest(),
            tip_count=tip_count,
            tips=built.tips,
            parent_tree_id=parent_tree_id,
            input_sha256=request.input_sha256,
            input_filename=request.input_filename,
            created_by_id=actor.user_id,
            created_by_name=actor.username[:64],
            created_at=utcnow(),
        )
        s.add(tree)
        s.flush()
        for position, dataset_id in enumerate(inputs.dataset_ids):
            s.add(TreeInput(tree_id=tree.id, dataset_id=dataset_id, position=position))
        experiment = inputs.experiment_name
        if experiment is None and tree.experiment_id is not None:
            experiment = s.scalar(
                select(Experiment.name).where(Experiment.id == tree.experiment_id)
            )
        provenance.record_tree(
            s,
            tree,
            agent_id=actor.user_id,
            agent_username=actor.username,
            experiment=experiment,
            parent_ids=inputs.dataset_ids,
            started_at=started_at,
            ended_at=utcnow(),
            parameters=params,
        )
        audit.add(
            s,
            actor,
            "tree.create",
            target_type="tree",
            target_id=tree.id,
            detail={
                "source": tree.source,
                "method": tree.method,
                "distance": tree.distance,
                "tips": tip_count,
                "datasets": inputs.dataset_ids[:50],
                "parent_tree_id": parent_tree_id,
            },
        )
        return _view(tree, inputs.dataset_ids)


def build(
    db: Database,
    actor: Actor,
    files: DataFiles,
    data: Mapping[str, object],
    enqueue: Enqueue | None = None,
) -> TreeView | JobView:
    """Build a tree from a JSON request: the tree when built now, or the job's view when it
    runs as a ``tree.build`` job (bootstrap, large inputs)."""
    authorize(db, actor, Action.TREE_BUILD)
    request = parse_build_request(data)
    return _build_checked(db, actor, files, request, enqueue)


def _build_checked(
    db: Database,
    actor: Actor,
    files: DataFiles,
    request: BuildRequest,
    enqueue: Enqueue | None,
) -> TreeView | JobView:
    inputs = _resolve(db, request)
    taxa = len(request.labels) or len(inputs.labels)
    if _is_large(request, inputs, taxa) and enqueue is not None:
        return _start_job(db, actor, files, request, enqueue)
    started_at = utcnow()
    try:
        built = _compute(files, request, inputs, _quiet)
    except PhyloInputError as exc:
        raise ValidationFailed(str(exc), field="datasets") from None
    return _save(db, actor, request, inputs, built, started_at)


def _start_job(
    db: Database,
    actor: Actor,
    files: DataFiles,
    request: BuildRequest,
    enqueue: Enqueue,
) -> JobView:
    request = replace(request, nonce=secrets.token_hex(16))
    sha = _put(tree_store(files), request.as_json().encode("utf-8"))
    return start_job(db, actor, enqueue, JOB_KIND, {"request": sha})


def run_job(
    db: Database, actor: Actor, files: DataFiles, sha: str, progress: Progress
) -> dict[str, object]:
    """The ``tree.build`` job: build what the stored request asks, then save it."""
    store = tree_store(files)
    request = BuildRequest.from_json(store.path(sha).read_text("utf-8"))
    try:
        authorize(db, actor, Action.TREE_BUILD)
        started_at = utcnow()
        inputs = _resolve(db, request)
        try:
            built = _compute(files, request, inputs, progress)
        except PhyloInputError as exc:
            raise ValidationFailed(str(exc), field="datasets") from None
        progress(0.99, "Saving the tree")
        view = _save(db, actor, request, inputs, built, started_at)
    except BaseException:
        # Failed or cancelled: the uploaded input goes too, unless a tree keeps it.
        if request.input_sha256:
            _discard_unused(db, store, request.input_sha256)
        raise
    finally:
        store.remove(sha)  # the request itself is done with either way
    return {"tree_id": view.id, "tips": view.tip_count, "name": view.name}


def _discard_unused(db: Database, store: BlobStore, sha: str) -> None:
    with store.locked(sha), db.read() as s:
        if s.scalar(select(Tree.id).where(Tree.input_sha256 == sha).limit(1)) is None:
            store.remove(sha)


def _put(store: BlobStore, content: bytes) -> str:
    """Keep ``content`` under its SHA-256 in ``store`` (atomic; same bytes stored once)."""
    with store.writing() as out:
        out.write(content)
        incoming, sha = out.path, out.hexdigest()
    with store.locked(sha):
        store.commit(incoming, sha)
    return sha


# --- uploads ----------------------------------------------------------------------------------

TREE_EXTENSIONS = (".nwk", ".newick", ".tree", ".tre", ".treefile", ".xml", ".phyloxml")
MATRIX_EXTENSIONS = (".csv", ".tsv", ".dist", ".mat")
ALIGNMENT_EXTENSIONS = (".fasta", ".fa", ".fas", ".fna", ".aln", ".clustal", ".phy", ".phylip")


def _guess_kind(filename: str, content: bytes) -> str:
    lower = filename.lower()
    head = content[:4096].lstrip().lower()
    if lower.endswith(TREE_EXTENSIONS) or head.startswith(b"(") or b"<phyloxml" in head:
        return "tree"
    if lower.endswith((".nex", ".nexus", ".nxs")):
        return "tree" if b"begin trees" in content[:1_000_000].lower() else "alignment"
    if lower.endswith(MATRIX_EXTENSIONS):
        return "matrix"
    if lower.endswith(ALIGNMENT_EXTENSIONS) or head.startswith((b">", b"clustal")):
        if lower.endswith((".phy", ".phylip")) and _looks_like_distance_phylip(content):
            return "matrix"
        return "alignment"
    return "alignment"


def _looks_like_distance_phylip(content: bytes) -> bool:
    """A PHYLIP distance file's rows hold numbers after the name; an alignment's hold bases."""
    lines = content[:65536].decode("utf-8", "replace").splitlines()[1:3]
    fields = [line.split()[1:] for line in lines if line.split()]
    try:
        return bool(fields) and all(float(v) >= 0 for row in fields for v in row[:3])
    except ValueError:
        return False


def upload(
    db: Database,
    actor: Actor,
    files: DataFiles,
    filename: str,
    content: bytes,
    data: Mapping[str, object],
    enqueue: Enqueue | None = None,
) -> TreeView | JobView:
    """An uploaded tree (saved as it is), alignment or distance matrix (built into one)."""
    authorize(db, actor, Action.TREE_BUILD)
    filename = one_line_name(filename or "upload", "file", 255, field="file", required=True)
    if not content:
        raise ValidationFailed(f"{filename} is empty.", field="file")
    if len(content) > UPLOAD_MAX:
        raise ValidationFailed(
            f"{filename} is {len(content) / 2**20:,.0f} MiB; at most {UPLOAD_MAX // 2**20} MiB.",
            field="file",
        )
    if b"\x00" in content[:65536]:
        raise ValidationFailed(
            f"{filename} is binary (it holds NUL bytes); upload a plain-text Newick, Nexus, "
            "PhyloXML, alignment or distance-matrix file.",
            field="file",
        )
    kind = _choice(data, "kind", FILE_KINDS, "auto")
    if kind == "auto":
        kind = _guess_kind(filename, content)
    name = _name(data)
    experiment_id = _experiment(db, data.get("experiment_id"))
    if kind == "tree":
        newick = _checked(lambda: read_tree(content, filename), "file")
        tips = _tip_names(newick)
        request = BuildRequest(
            name=name or filename[:NAME_MAX],
            method="",
            input_filename=filename,
            experiment_id=experiment_id,
        )
        sha = _put(tree_store(files), content)
        request = replace(request, input_sha256=sha)
        return _save(
            db,
            actor,
            request,
            _Inputs(),
            _Built(newick, dict.fromkeys(tips)),
            utcnow(),
            source="upload",
            extra_params={"format": _tree_format(filename, content)},
        )
    method = _choice(data, "method", METHODS, "nj")
    distance = "" if kind == "matrix" else _choice(data, "distance", DISTANCES, "k2p")
    replicates = _int(data, "bootstrap", 0, BOOTSTRAP_MAX, 0)
    if replicates and kind == "matrix":
        raise ValidationFailed(
            "bootstrap resamples alignment columns; a distance matrix has none.",
            field="bootstrap",
        )
    # Parse now, so a bad file is refused in the request and nothing is kept.
    if kind == "matrix":
        dm = _checked(lambda: read_matrix(content, filename), "file")
        taxa = len(dm)
    else:
        taxa, width = _alignment_shape(content, filename)
        if taxa * width > ALIGNMENT_CELLS_MAX:
            raise ValidationFailed(f"{filename} is too large an alignment.", field="file")
    if taxa > TAXA_MAX:
        raise ValidationFailed(f"{filename} has {taxa:,} taxa; at most {TAXA_MAX:,}.", field="file")
    _check_method(method, taxa)
    seed = _int(data, "seed", 0, SEED_MAX, 1)
    store = tree_store(files)
    # A refused build must not leave its file behind (unless a tree already keeps it).
    was_kept = store.path(hashlib.sha256(content).hexdigest()).exists()
    sha = _put(store, content)
    request = BuildRequest(
        name=name,
        distance=distance,
        method=method,
        bootstrap=replicates,
        seed=seed,
        input_sha256=sha,
        input_filename=filename,
        input_kind=kind,
        experiment_id=experiment_id,
    )
    inputs = _Inputs(size=taxa * (width if kind == "alignment" else taxa))
    if _is_large(request, inputs, taxa) and enqueue is not None:
        return _start_job(db, actor, files, request, enqueue)
    started_at = utcnow()
    try:
        built = _compute(files, request, inputs, _quiet)
        return _save(db, actor, request, inputs, built, started_at)
    except Exception:
        if not was_kept:
            with store.locked(sha):
                store.remove(sha)
        raise


def _tree_format(filename: str, content: bytes) -> str:
    head = content[:4096].lstrip().lower()
    if b"<phyloxml" in head or filename.lower().endswith((".xml", ".phyloxml")):
        return "phyloxml"
    return "nexus" if head.startswith(b"#nexus") else "newick"


def _experiment(db: Database, raw: object) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw))
    except ValueError:
        raise ValidationFailed(
            "experiment_id must be an experiment's id.", field="experiment_id"
        ) from None
    with db.read() as s:
        if not 0 < value <= SEED_MAX or s.get(Experiment, value) is None:
            raise ValidationFailed(f"There is no experiment {value}.", field="experiment_id")
    return value


def _tip_names(newick: str) -> list[str]:
    """Tip labels in order (iterative: no recursion limit on deep trees)."""
    names: list[str] = []
    stack = [parse_newick(newick)]
    while stack:
        node = stack.pop()
        if node.children:
            stack.extend(reversed(node.children))
        else:
            names.append(node.name or "")
    return names


# --- metadata ---------------------------------------------------------------------------------


def sample_factors(sample: Sample, dataset: Dataset | None, experiment: str) -> dict[str, str]:
    """A sample's factors by :data:`FACTORS` key, as text ("" when not recorded)."""

    def number(value: float | None) -> str:
        return "" if value is None else f"{value:g}"

    return {
        "spaceflight": sample.spaceflight or "",
        "gravity_g": number(sample.gravity_g),
        "radiation_mgy": number(sample.radiation_mgy),
        "time_point": sample.time_point or "",
        "replicate": sample.replicate or "",
        "experiment": experiment,
        "sample": sample.name,
        "material": dataset.material if dataset is not None else "",
        "strain": sample.strain or "",
    }


def tip_info(db: Database, tree: TreeView) -> dict[str, TipInfo]:
    """Each tip's factors: from the dataset it stands for, else from a sample of the same
    name (in the tree's experiment when it has one)."""
    labels = list(tree.tips) or _tip_names(tree.newick)
    ids = {v for v in tree.tips.values() if isinstance(v, int)}
    out: dict[str, TipInfo] = {}
    with db.read() as s:
        names = dict(s.execute(select(Experiment.id, Experiment.name)).all())
        by_id = {d.id: d for d in s.scalars(select(Dataset).where(Dataset.id.in_(ids)))}
        query = select(Sample).where(Sample.name.in_(labels))
        if tree.experiment_id is not None:
            query = query.where(Sample.experiment_id == tree.experiment_id)
        by_name: dict[str, list[Sample]] = {}
        for row in s.scalars(query):
            by_name.setdefault(row.name, []).append(row)
        for label in labels:
            dataset_id = tree.tips.get(label)
            dataset = by_id.get(dataset_id) if dataset_id is not None else None
            matches = by_name.get(label, [])
            sample: Sample | None = (
                dataset.sample
                if dataset is not None
                else (matches[0] if len(matches) == 1 else None)
            )
            factors = (
                sample_factors(sample, dataset, names.get(sample.experiment_id, ""))
                if sample is not None
                else {key: "" for key, _label in FACTORS}
            )
            out[label] = TipInfo(label, dataset_id if dataset is not None else None, factors)
    return out


# --- operations -------------------------------------------------------------------------------


def reroot(
    db: Database,
    actor: Actor,
    tree_id: int,
    *,
    outgroup: Sequence[str] | None = None,
    midpoint: bool = False,
    name: str = "",
) -> TreeView:
    """A new tree: ``tree_id`` rooted at its midpoint or on the MRCA of ``outgroup``."""
    authorize(db, actor, Action.TREE_BUILD, target=("tree", tree_id))
    tree = get_tree(db, tree_id)
    if midpoint == bool(outgroup):
        raise ValidationFailed(
            "Give either an outgroup (tip labels) or midpoint, not both or neither.",
            field="outgroup",
        )
    started_at = utcnow()
    if midpoint:
        newick = _checked(lambda: midpoint_root(tree.newick), "outgroup")
    else:
        if not isinstance(outgroup, list | tuple) or not all(isinstance(t, str) for t in outgroup):
            raise ValidationFailed("outgroup must be a list of tip labels.", field="outgroup")
        tip_set = set(_tip_names(tree.newick))  # once: outgroup may name 5,000 tips
        unknown = [t for t in outgroup if t not in tip_set]
        if unknown:
            raise ValidationFailed(
                f"outgroup: {unknown[0][:80]!r} is not a tip of tree {tree_id}.", field="outgroup"
            )
        newick = _checked(lambda: root_on(tree.newick, list(outgroup or [])), "outgroup")
    how = "midpoint" if midpoint else f"outgroup {', '.join(list(outgroup or [])[:3])}"
    request = BuildRequest(
        name=name or f"{tree.name} (rooted on {how})"[:NAME_MAX],
        distance=tree.distance,
        method=tree.method,
        experiment_id=tree.experiment_id,
    )
    inputs = _Inputs(dataset_ids=list(tree.dataset_ids))
    return _save(
        db,
        actor,
        request,
        inputs,
        _Built(newick, tree.tips),
        started_at,
        source="reroot",
        parent_tree_id=tree.id,
        extra_params={
            **tree.params,
            "midpoint": midpoint,
            "outgroup": list(outgroup or [])[:100],
            "rerooted_from": tree.id,
        },
    )


def compare(db: Database, a_id: int, b_id: int) -> dict[str, object]:
    """Robinson–Foulds distance between two saved trees (unrooted, on their common tips)."""
    a, b = get_tree(db, a_id), get_tree(db, b_id)
    result = _checked(lambda: robinson_foulds(a.newick, b.newick), "tree")
    return {
        "a": a.id,
        "b": b.id,
        "rf": result.rf,
        "max_rf": result.max_rf,
        "normalized_rf": result.normalized,
        "common_tips": result.common_tips,
        "tips_a": a.tip_count,
        "tips_b": b.tip_count,
    }


MIMETYPES = {
    "newick": ("text/x-newick", "nwk"),
    "nexus": ("text/x-nexus", "nex"),
    "phyloxml": ("application/xml", "xml"),
}


def export(db: Database, tree_id: int, fmt: str) -> tuple[bytes, str, str]:
    """A tree as Newick, Nexus or PhyloXML: (bytes, mimetype, filename)."""
    if fmt not in TREE_FORMATS:
        raise ValidationFailed(f"format must be one of {', '.join(TREE_FORMATS)}.", field="format")
    tree = get_tree(db, tree_id)
    body = (
        tree.newick.encode("utf-8") + b"\n"
        if fmt == "newick"
        else _checked(lambda: write_tree(tree.newick, fmt), "format")
    )
    mimetype, extension = MIMETYPES[fmt]
    return body, mimetype, f"tree-{tree.id}.{extension}"


def status(db: Database, tree: TreeView, required: int) -> provenance.Status:
    """The tree's provenance status: its Newick, hashed now (not the stored hash, which an
    edit could change too), against its anchored record."""
    actual = hashlib.sha256(tree.newick.encode("utf-8")).hexdigest()
    return provenance.tree_status(db, tree.id, actual, required)
