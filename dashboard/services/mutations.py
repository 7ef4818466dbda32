"""Mutation detection: call samples' reads against a reference, keep and read the results.

A calling runs as a ``mutations.call`` job (:func:`start`, then :func:`run_job` in a
worker). Each sample (its read datasets pooled, mates paired: see
:mod:`dashboard.services.mutation_inputs`) gives one result. Every sample is called before
anything is written; then all results are written in one transaction with their derived
datasets (each result's GenomeDiff is a dataset derived from the sample's reads and the
reference, with its provenance record), so a failed or cancelled job leaves no row, and
files it stored are removed again unless something else keeps them.

Results are read by every logged-in user (:func:`list_results`, :func:`get_result`,
:func:`calls`, :func:`coverage`, :func:`export`) and deleted by admins
(:func:`delete_result`); comparing them is :mod:`dashboard.services.mutation_compare`.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict, cast

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from analysis.mutations.call import CallResult, Mode, ReadSet, call_mutations
from analysis.mutations.errors import MutationInputError
from analysis.sequences.records import Record, load_records
from dashboard import __version__
from dashboard.db import Database
from dashboard.models import Dataset, MutationResult, Sample
from dashboard.models.base import utcnow

from . import audit, datasets, mutation_outputs
from .actor import Actor
from .blobs import BlobStore
from .errors import Conflict, NotFound, ValidationFailed
from .explorer import DataFiles
from .jobs import Enqueue, JobView
from .jobs import start as start_job
from .mutation_inputs import REFERENCE_MAX_BP as REF_MAX
from .mutation_inputs import CallRequest, Inputs, SampleReads, parse_call_request, resolve
from .mutation_outputs import CallRow, Outputs
from .policy import Action, allows, authorize
from .trees import sample_factors

Progress = Callable[[float, str], None]
JOB_KIND = "mutations.call"
ID_MAX = 2**31 - 1
LIST_MAX = 500
COVERAGE_POINTS_MAX = 20_000
# Export formats: (mimetype, file extension).
EXPORTS: Mapping[str, tuple[str, str]] = {
    "vcf": ("text/vcf", "vcf"),
    "gd": ("text/plain", "gd"),
    "csv": ("text/csv", "csv"),
}
# Shares of a sample's progress bar: aligning, then calling, then annotating.
_ALIGNING, _CALLING = 0.8, 0.15


# --- views ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultView:
    """One sample's result as pages and the API show it."""

    id: int
    job_id: int | None
    name: str
    experiment_id: int
    sample_id: int
    condition: str  # the sample's Spaceflight factor ("" when not recorded)
    factors: dict[str, str]
    reference_id: int
    reference_filename: str
    dataset_id: int  # the GenomeDiff dataset
    mode: str
    reads: int
    mapped: int
    mutation_count: int
    counts: dict[str, int]
    skipped: tuple[str, ...]
    read_datasets: tuple[tuple[int, ...], ...]  # as called: mates together, R1 first
    created_by: str
    created_at: datetime

    @property
    def mapped_fraction(self) -> float:
        """Reads aligned over reads read (0 when there were none)."""
        return self.mapped / self.reads if self.reads else 0.0


class CoverageTrack(TypedDict):
    """One record's read depth in buckets (1-based inclusive ``start``..``end``)."""

    seq_id: str
    length: int
    start: list[int]
    end: list[int]
    min: list[int]
    max: list[int]
    mean: list[float]


def mutation_store(files: DataFiles) -> BlobStore:
    """Where results' VCF, CSV, calls and coverage files are kept (beside the datasets)."""
    return BlobStore(files.store.root.parent / "mutations")


def _view(row: MutationResult, sample: Sample, reference: str) -> ResultView:
    params = row.params or {}
    return ResultView(
        id=row.id,
        job_id=row.job_id,
        name=row.name,
        experiment_id=row.experiment_id,
        sample_id=row.sample_id,
        condition=sample.spaceflight or "",
        factors=sample_factors(sample, None, sample.experiment.name),
        reference_id=row.reference_id,
        reference_filename=reference,
        dataset_id=row.dataset_id,
        mode=row.mode,
        reads=row.reads,
        mapped=row.mapped,
        mutation_count=row.mutation_count,
        counts=dict(row.counts or {}),
        skipped=tuple(row.skipped or ()),
        read_datasets=tuple(tuple(ids) for ids in params.get("read_datasets", [])),
        created_by=row.created_by_name,
        created_at=row.created_at,
    )


def _query() -> Any:
    return (
        select(MutationResult, Sample, Dataset.filename)
        .join(Sample, Sample.id == MutationResult.sample_id)
        .join(Dataset, Dataset.id == MutationResult.reference_id)
    )


def list_results(
    db: Database,
    *,
    experiment_id: int | None = None,
    job_id: int | None = None,
    reference_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[ResultView], int]:
    """Results, newest first, and how many match (every logged-in user may read them)."""
    where = []
    if experiment_id is not None:
        where.append(MutationResult.experiment_id == experiment_id)
    if job_id is not None:
        where.append(MutationResult.job_id == job_id)
    if reference_id is not None:
        where.append(MutationResult.reference_id == reference_id)
    limit = max(1, min(limit, LIST_MAX))
    with db.read() as s:
        total = s.scalar(select(func.count(MutationResult.id)).where(*where)) or 0
        rows = s.execute(
            _query().where(*where).order_by(MutationResult.id.desc()).limit(limit).offset(offset)
        ).all()
        return [_view(r, sample, ref) for r, sample, ref in rows], total


def get_result(db: Database, result_id: int) -> ResultView:
    """One result, or :class:`NotFound`."""
    with db.read() as s:
        found = (
            s.execute(_query().where(MutationResult.id == result_id)).first()
            if 0 < result_id <= ID_MAX
            else None
        )
        if found is None:
            raise NotFound(f"There is no mutation result {result_id}.")
        row, sample, reference = found
        return _view(row, sample, reference)


def _shas(db: Database, result_id: int) -> MutationResult:
    with db.read() as s:
        row = s.get(MutationResult, result_id) if 0 < result_id <= ID_MAX else None
        if row is None:
            raise NotFound(f"There is no mutation result {result_id}.")
        s.expunge(row)
        return row


def _read(store: BlobStore, sha256: str, result_id: int) -> bytes:
    path = store.path(sha256)
    if not path.is_file():
        raise NotFound(
            f"A file of mutation result {result_id} ({sha256[:12]}…) is missing from the data "
            "directory; restore it from a backup."
        )
    return path.read_bytes()


def calls(db: Database, files: DataFiles, result_id: int) -> list[CallRow]:
    """The result's calls with their evidence and annotation, in GenomeDiff order."""
    row = _shas(db, result_id)
    rows: list[CallRow] = json.loads(_read(mutation_store(files), row.calls_sha256, row.id))
    return rows


def coverage(
    db: Database,
    files: DataFiles,
    result_id: int,
    *,
    seq_id: str | None = None,
    start: int | None = None,
    end: int | None = None,
    max_points: int = 2000,
) -> list[CoverageTrack]:
    """Read depth per record for a chart: at most ``max_points`` buckets per record (each
    with its minimum, maximum and mean, so gaps and spikes survive), optionally one record
    and the stretch ``start``..``end`` (1-based, inclusive) of it."""
    if not 1 <= max_points <= COVERAGE_POINTS_MAX:
        raise ValidationFailed(
            f"max_points must be between 1 and {COVERAGE_POINTS_MAX:,}.", field="max_points"
        )
    row = _shas(db, result_id)
    stored = json.loads(_read(mutation_store(files), row.coverage_sha256, row.id))
    tracks: list[CoverageTrack] = stored["records"]
    if seq_id is not None:
        tracks = [t for t in tracks if t["seq_id"] == seq_id]
        if not tracks:
            raise NotFound(f"Mutation result {result_id} has no record {seq_id[:80]!r}.")
    return [_window(t, start, end, max_points) for t in tracks]


def _empty(track: CoverageTrack) -> CoverageTrack:
    return CoverageTrack(
        seq_id=track["seq_id"], length=track["length"], start=[], end=[], min=[], max=[], mean=[]
    )


def _window(track: CoverageTrack, start: int | None, end: int | None, points: int) -> CoverageTrack:
    """The stored buckets over ``start``..``end``, merged ``step`` at a time to fit."""
    first, last = start or 1, end or track["length"]
    if not 1 <= first <= last:
        raise ValidationFailed("start must be at least 1 and at most end.", field="start")
    starts, ends = track["start"], track["end"]
    keep = [i for i in range(len(starts)) if ends[i] >= first and starts[i] <= last]
    out = _empty(track)
    if not keep:
        return out
    a, b = keep[0], keep[-1] + 1
    step = max(1, math.ceil((b - a) / points))
    for g in range(a, b, step):
        h = min(g + step, b)
        bases = [ends[i] - starts[i] + 1 for i in range(g, h)]
        out["start"].append(starts[g])
        out["end"].append(ends[h - 1])
        out["min"].append(min(track["min"][g:h]))
        out["max"].append(max(track["max"][g:h]))
        total = sum(m * n for m, n in zip(track["mean"][g:h], bases, strict=True))
        out["mean"].append(round(total / sum(bases), 2))
    return out


def export(db: Database, files: DataFiles, result_id: int, fmt: str) -> tuple[bytes, str, str]:
    """A result as VCF, GenomeDiff or CSV: (bytes, mimetype, filename)."""
    if fmt not in EXPORTS:
        raise ValidationFailed(f"format must be one of {', '.join(EXPORTS)}.", field="format")
    row = _shas(db, result_id)
    if fmt == "gd":
        dataset = datasets.get_dataset(db, row.dataset_id)
        body = datasets.content_path(files.store, dataset).read_bytes()
    else:
        sha = row.vcf_sha256 if fmt == "vcf" else row.csv_sha256
        body = _read(mutation_store(files), sha, row.id)
    mimetype, extension = EXPORTS[fmt]
    return body, mimetype, f"mutations-{row.id}.{extension}"


def reference_choices(db: Database) -> list[datasets.DatasetView]:
    """Datasets a calling can take as its reference: genomes and assemblies, newest first."""
    found = datasets.list_datasets(db)
    return [d for d in found if d.is_sequence and not d.is_reads and d.total_length <= REF_MAX]


def read_choices(db: Database) -> list[datasets.DatasetView]:
    """Datasets a calling can take as samples' reads (FASTQ), newest first."""
    return datasets.list_datasets(db, datasets.DatasetFilter(format="fastq"))


def may_delete(actor: Actor) -> bool:
    """Whether ``actor`` may delete results (for showing the button)."""
    return allows(actor, Action.MUTATION_DELETE)


def delete_result(db: Database, actor: Actor, files: DataFiles, result_id: int) -> None:
    """Delete a result: its row, its GenomeDiff dataset and its files (admins; audited).
    Refused, with nothing removed, while datasets are derived from the GenomeDiff or trees
    keep it; a file another row also refers to stays."""
    authorize(db, actor, Action.MUTATION_DELETE, target=("mutation_result", result_id))
    with db.begin() as s:
        row = s.get(MutationResult, result_id) if 0 < result_id <= ID_MAX else None
        if row is None:
            raise NotFound(f"There is no mutation result {result_id}.")
        detail: dict[str, object] = {
            "sample": row.name,
            "mode": row.mode,
            "mutations": row.mutation_count,
            "dataset_id": row.dataset_id,
        }
        kept = (row.vcf_sha256, row.csv_sha256, row.calls_sha256, row.coverage_sha256)
        dataset_id = row.dataset_id
        s.delete(row)
        s.flush()
        gd_sha256, _filename = datasets.remove_dataset_rows(s, dataset_id)
        audit.add(
            s,
            actor,
            "mutation.delete",
            target_type="mutation_result",
            target_id=result_id,
            detail=detail,
        )
    store = mutation_store(files)
    _discard(db, [(files.store, gd_sha256), *((store, sha) for sha in kept)])


def may_call(actor: Actor) -> bool:
    """Whether ``actor`` may start a calling (for showing the form)."""
    return allows(actor, Action.MUTATION_CALL)


# --- starting ---------------------------------------------------------------------------------


def start(
    db: Database, actor: Actor, files: DataFiles, enqueue: Enqueue, data: Mapping[str, object]
) -> JobView:
    """Check a calling request against the database and start its ``mutations.call`` job."""
    authorize(db, actor, Action.MUTATION_CALL)
    request = parse_call_request(data)
    resolve(db, files.store, request)  # refuse bad datasets now, not minutes later in a job
    return start_job(db, actor, enqueue, JOB_KIND, request.params())


# --- the job ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Called:
    sample: SampleReads
    result: CallResult
    outputs: Outputs


def _quiet(_fraction: float, _message: str) -> None:
    pass


def run_job(
    db: Database,
    actor: Actor,
    files: DataFiles,
    job_id: int | None,
    params: Mapping[str, object],
    progress: Progress = _quiet,
) -> dict[str, object]:
    """The ``mutations.call`` job: call every sample, then save all results at once.

    A sample whose reads cannot be called (none aligns, no read at all) is reported in the
    result's ``failed`` and the others are saved; when no sample can be called the job fails
    naming why for each.
    """
    authorize(db, actor, Action.MUTATION_CALL)
    request = CallRequest.from_params(params)
    inputs = resolve(db, files.store, request)
    started_at = utcnow()
    progress(0.0, "Reading the reference")
    try:
        records = load_records(
            inputs.reference_path, inputs.reference_format, inputs.reference_compression
        )
    except ValueError as exc:
        raise ValidationFailed(f"The reference cannot be read: {exc}", field="reference") from None
    called: list[_Called] = []
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="calling-") as folder:
        for number, sample in enumerate(inputs.samples):
            report = _reporter(progress, number, len(inputs.samples), sample.name)
            read_sets = _read_sets(sample, Path(folder))
            try:
                result = call_mutations(records, read_sets, Mode(request.mode), progress=report)
            except MutationInputError as exc:
                failed.append(f"{sample.name}: {exc}")
                continue
            report("annotating", 0.0)
            metadata = _metadata(inputs, sample, request, result, job_id, started_at)
            outputs = mutation_outputs.build(result, records, sample.name, metadata)
            called.append(_Called(sample, result, outputs))
    if not called:
        raise ValidationFailed(
            "No sample could be called: " + "; ".join(failed)[:2000], field="samples"
        )
    progress(0.99, "Saving the results")
    ids = _save(db, actor, files, job_id, request, inputs, called, started_at)
    return {
        "result_ids": ids,
        "samples": [c.sample.name for c in called],
        "mutations": sum(len(c.outputs.calls) for c in called),
        "failed": failed,
    }


def _reporter(
    progress: Progress, number: int, total: int, name: str
) -> Callable[[str, float], None]:
    def report(stage: str, fraction: float) -> None:
        if stage == "aligning":
            share, text = _ALIGNING * fraction, f"aligning {fraction:.0%}".replace("%", " %")
        elif stage == "calling":
            share, text = _ALIGNING + _CALLING * fraction, "calling"
        else:
            share, text = _ALIGNING + _CALLING, stage
        where = f"Sample {number + 1} of {total} ({name})" if total > 1 else name
        progress((number + share) / total, f"{where}: {text}")

    return report


def _read_sets(sample: SampleReads, folder: Path) -> list[ReadSet]:
    """The sample's read sets, each file linked under its own name so that messages about
    a file name it, not its hash."""
    out = []
    for files in sample.read_sets:
        paths = []
        for f in files:
            link = folder / f"{f.dataset_id}-{f.filename}"
            os.symlink(f.path, link)
            paths.append(link)
        out.append(ReadSet(f"dataset {files[0].dataset_id} ({files[0].filename})", tuple(paths)))
    return out


def _metadata(
    inputs: Inputs,
    sample: SampleReads,
    request: CallRequest,
    result: CallResult,
    job_id: int | None,
    started_at: datetime,
) -> dict[str, str]:
    reads = [f"{f.filename} (dataset {f.dataset_id})" for fs in sample.read_sets for f in fs]
    return {
        "TITLE": sample.name,
        "PROGRAM": f"MicroSpaceGen {__version__}",
        "CREATED": started_at.isoformat(timespec="seconds"),
        "COMMAND": f"mutations.call job {job_id}" if job_id else "mutations.call",
        "REFSEQ": f"{inputs.reference_filename} (dataset {inputs.reference_id})",
        "READSEQ": "\n".join(reads),
        "MODE": request.mode,
        "INPUT-READS": str(result.reads),
        "MAPPED-READS": str(result.mapped),
    }


# --- saving -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stored:
    gd: str
    gd_records: int
    vcf: str
    csv: str
    calls: str
    coverage: str


def _put(store: BlobStore, content: bytes, added: list[tuple[BlobStore, str]]) -> str:
    """Keep ``content`` under its SHA-256; note it in ``added`` when it is new."""
    with store.writing() as out:
        out.write(content)
        incoming, sha = out.path, out.hexdigest()
    with store.locked(sha):
        if store.commit(incoming, sha):
            added.append((store, sha))
    return sha


def _is_referenced(s: Session, sha: str) -> bool:
    columns = (
        MutationResult.vcf_sha256,
        MutationResult.csv_sha256,
        MutationResult.calls_sha256,
        MutationResult.coverage_sha256,
    )
    kept = s.scalar(select(MutationResult.id).where(or_(*(c == sha for c in columns))).limit(1))
    return kept is not None or s.scalar(select(Dataset.id).where(Dataset.sha256 == sha)) is not None


def _discard(db: Database, added: Sequence[tuple[BlobStore, str]]) -> None:
    """Remove files this job stored, unless a row has come to refer to them meanwhile."""
    for store, sha in added:
        with store.locked(sha), db.read() as s:
            if not _is_referenced(s, sha):
                store.remove(sha)


def _store_files(files: DataFiles, called: _Called, added: list[tuple[BlobStore, str]]) -> _Stored:
    outputs = called.outputs
    gd = outputs.genome_diff.encode("utf-8")
    gd_records = datasets.check_derived(gd, datasets.DerivedFormat.GENOMEDIFF, "output.gd")
    store = mutation_store(files)
    return _Stored(
        gd=_put(files.store, gd, added),
        gd_records=gd_records,
        vcf=_put(store, outputs.vcf.encode("utf-8"), added),
        csv=_put(store, outputs.csv.encode("utf-8"), added),
        calls=_put(store, outputs.calls_json(), added),
        coverage=_put(store, outputs.coverage_json(), added),
    )


def _save(
    db: Database,
    actor: Actor,
    files: DataFiles,
    job_id: int | None,
    request: CallRequest,
    inputs: Inputs,
    called: Sequence[_Called],
    started_at: datetime,
) -> list[int]:
    added: list[tuple[BlobStore, str]] = []
    try:
        stored = [_store_files(files, c, added) for c in called]
        with db.begin() as s:
            return [
                _save_one(s, actor, job_id, request, inputs, c, kept, started_at)
                for c, kept in zip(called, stored, strict=True)
            ]
    except BaseException:
        _discard(db, added)
        raise


def _save_one(
    s: Session,
    actor: Actor,
    job_id: int | None,
    request: CallRequest,
    inputs: Inputs,
    called: _Called,
    kept: _Stored,
    started_at: datetime,
) -> int:
    sample = s.get(Sample, called.sample.sample_id)
    if sample is None:
        raise ValidationFailed(
            f"Sample {called.sample.name} was deleted meanwhile.", field="samples"
        )
    existing = s.scalar(select(Dataset.id).where(Dataset.sha256 == kept.gd))
    if existing is not None:
        raise Conflict(f"This GenomeDiff is already dataset {existing}; nothing was saved.")
    result, outputs = called.result, called.outputs
    parameters: dict[str, object] = {
        "mode": request.mode,
        "reference": inputs.reference_id,
        "read_datasets": called.sample.pairing(),
        "aligner": "minimap2 (mappy)",
        "software": f"MicroSpaceGen {__version__}",
    }
    dataset = datasets.add_derived(
        s,
        actor,
        sample,
        datasets.Derived(
            filename=f"{_file_stem(sample.name)}.gd",
            format=datasets.DerivedFormat.GENOMEDIFF.value,
            material=datasets.DerivedMaterial.MUTATIONS.value,
            sha256=kept.gd,
            size=len(outputs.genome_diff.encode("utf-8")),
            record_count=kept.gd_records,
            stats={"mutations": {**outputs.counts, "reads": result.reads, "mapped": result.mapped}},
            parents=(inputs.reference_id, *called.sample.dataset_ids),
            activity="mutation calling",
            parameters=parameters,
        ),
        started_at,
    )
    row = MutationResult(
        job_id=job_id,
        experiment_id=sample.experiment_id,
        sample_id=sample.id,
        reference_id=inputs.reference_id,
        dataset_id=dataset.id,
        name=sample.name[:120],
        mode=request.mode,
        reads=result.reads,
        mapped=result.mapped,
        mutation_count=len(outputs.calls),
        counts=outputs.counts,
        skipped=list(result.skipped),
        params=parameters,
        vcf_sha256=kept.vcf,
        csv_sha256=kept.csv,
        calls_sha256=kept.calls,
        coverage_sha256=kept.coverage,
        created_by_id=actor.user_id,
        created_by_name=actor.username[:64],
        created_at=utcnow(),
    )
    s.add(row)
    s.flush()
    audit.add(
        s,
        actor,
        "mutation.create",
        target_type="mutation_result",
        target_id=row.id,
        detail={
            "sample": sample.name,
            "reference": inputs.reference_id,
            "reads": cast(list[object], called.sample.pairing()),
            "mode": request.mode,
            "mutations": len(outputs.calls),
            "dataset_id": dataset.id,
            "job_id": job_id,
        },
    )
    return row.id


def _file_stem(name: str) -> str:
    stem = "".join(c if c.isalnum() or c in "._-" else "_" for c in name).strip("._")
    return stem[:100] or "sample"


def reference_records(db: Database, files: DataFiles, reference_id: int) -> list[Record]:
    """The reference's records (parsed once per file content, cached)."""
    from . import explorer  # the explorer's parse cache

    return explorer.records(db, files, reference_id)
