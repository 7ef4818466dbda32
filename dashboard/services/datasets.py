"""Datasets: sequence files imported for a sample, checked, hashed and kept byte for byte.

The one door for importing (browser uploads, the API and the command line all end in
:func:`import_file`), listing, reading and deleting datasets. A file is validated strictly
(:mod:`analysis.sequences`) before anything is recorded; a refused or duplicate file leaves
nothing behind.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from analysis.mutations import genomediff
from analysis.mutations.errors import MutationInputError
from analysis.sequences import Format, Inventory, SequenceFormatError, validate
from dashboard.db import Database
from dashboard.models import (
    Dataset,
    DatasetParent,
    DatasetRecord,
    Experiment,
    MutationResult,
    Sample,
    TreeInput,
    utcnow,
)

from . import audit, provenance, samples
from .actor import Actor
from .blobs import BlobStore, hash_file
from .errors import Conflict, FieldErrors, NotFound, ValidationFailed
from .policy import Action, allows, authorize
from .spreadsheet import SafeWriter
from .text import one_line_name

Progress = Callable[[float, str], None]
FILENAME_MAX = 255
INSTRUMENT_MAX = SOURCE_RUN_MAX = 120
PARENTS_MAX = 50
LIST_MAX = 1000
RECORD_ID_MAX, RECORD_DESCRIPTION_MAX = 255, 500
ID_MAX = 2**31 - 1


class Material(StrEnum):
    """What a dataset holds (ISA-Tab's material type of the sequenced sample)."""

    GENOME = "genome"  # a reference genome, usually annotated
    ASSEMBLY = "assembly"  # contigs assembled from an isolate's reads
    READS = "reads"  # sequencer output


MATERIALS: tuple[str, ...] = tuple(Material)
# The material a file most likely holds when the importer does not say.
DEFAULT_MATERIAL = {
    Format.FASTQ: Material.READS,
    Format.GENBANK: Material.GENOME,
    Format.EMBL: Material.GENOME,
    Format.FASTA: Material.ASSEMBLY,
}
SEQUENCE_FORMATS: tuple[str, ...] = tuple(Format)


class DerivedFormat(StrEnum):
    """Files the app makes from datasets and keeps as datasets (never imported)."""

    GENOMEDIFF = "genomediff"  # mutation calls (breseq's GenomeDiff 1.0)


class DerivedMaterial(StrEnum):
    """What a derived dataset holds."""

    MUTATIONS = "mutations"


FORMATS: tuple[str, ...] = (*SEQUENCE_FORMATS, *DerivedFormat)
# Every material a dataset may hold; MATERIALS are those an importer may name.
ALL_MATERIALS: tuple[str, ...] = (*MATERIALS, *DerivedMaterial)


@dataclass(frozen=True)
class DatasetDetails:
    """What an importer says about a file (checked; the file itself is checked later)."""

    experiment_id: int
    sample_name: str
    arm_id: int | None = None
    material: str = ""  # "" = from the file's format
    instrument: str = ""
    source_run: str = ""
    derived_from: tuple[int, ...] = ()
    sample: samples.SampleInput = field(default_factory=samples.SampleInput)

    def as_dict(self) -> dict[str, object]:
        """JSON-able, the shape :func:`parse_details` reads (kept with an upload)."""
        return {
            "experiment_id": self.experiment_id,
            "sample_name": self.sample_name,
            "arm_id": self.arm_id,
            "material": self.material,
            "instrument": self.instrument,
            "source_run": self.source_run,
            "derived_from": list(self.derived_from),
            "factors": self.sample.given(),
        }


@dataclass(frozen=True)
class DatasetView:
    """A dataset as pages and the API show it."""

    id: int
    experiment_id: int
    experiment_name: str
    sample: samples.SampleView
    material: str
    instrument: str
    filename: str
    format: str
    compression: str
    sha256: str
    size: int
    record_count: int
    total_length: int
    stats: dict[str, object]
    source_run: str
    imported_by: str
    imported_at: datetime
    parents: tuple[int, ...] = ()
    children: tuple[int, ...] = ()

    @property
    def is_reads(self) -> bool:
        """Whether it holds reads (FASTQ) rather than assembled sequences."""
        return self.format == Format.FASTQ

    @property
    def is_sequence(self) -> bool:
        """Whether it is a sequence file (reads or sequences), not a derived result."""
        return self.format in SEQUENCE_FORMATS


@dataclass(frozen=True)
class RecordRow:
    """One record of a FASTA, GenBank or EMBL dataset."""

    position: int
    id: str
    description: str
    length: int


@dataclass(frozen=True)
class DatasetFilter:
    """Which datasets to list; empty fields do not filter."""

    experiment_id: int | None = None
    format: str | None = None
    material: str | None = None
    spaceflight: str | None = None  # a factor value of the sample
    factor: tuple[str, str] | None = None  # (name, value) of a sample's factor column


# --- checking what the importer says -------------------------------------------------------


def _id(raw: object, label: str, key: str, *, required: bool) -> int | None:
    if raw is None or raw == "":
        if required:
            raise ValidationFailed(f"{label} is required.", field=key)
        return None
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isascii() or not text.isdigit() or len(text) > 10:
        raise ValidationFailed(f"{label} must be a whole number, not {text[:20]!r}.", field=key)
    value = int(text)
    if not 1 <= value <= ID_MAX:
        raise ValidationFailed(f"No {label.lower()} {value}.", field=key)
    return value


def _material(raw: object) -> str:
    if raw is None or raw == "":
        return ""
    if isinstance(raw, str) and raw.strip().lower() in MATERIALS:
        return raw.strip().lower()
    raise ValidationFailed(f"Material must be one of {', '.join(MATERIALS)}.", field="material")


def _parents(raw: object) -> tuple[int, ...]:
    if raw is None or raw == "":
        return ()
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        raise ValidationFailed("derived_from must be a list of dataset ids.", field="derived_from")
    if len(items) > PARENTS_MAX:
        raise ValidationFailed(f"At most {PARENTS_MAX} parent datasets.", field="derived_from")
    ids = [_id(item, "Parent dataset", "derived_from", required=True) for item in items]
    return tuple(dict.fromkeys(i for i in ids if i is not None))


def parse_details(data: Mapping[str, object]) -> DatasetDetails:
    """Check an importer's metadata; every bad field is named in one ValidationFailed.

    ``data``: ``experiment_id``, ``sample_name`` (required), ``arm_id``, ``material``,
    ``instrument``, ``source_run``, ``derived_from`` and ``factors`` (an object of the
    sample's characteristics and factor values: see :data:`samples.KNOWN_KEYS`; other names
    are further factors). ``strain`` may also stand at the top level.
    """
    if not isinstance(data, Mapping):
        raise ValidationFailed("Send the dataset's details as an object.")
    found = FieldErrors()
    experiment_id = found.check(
        lambda: _id(data.get("experiment_id"), "Experiment", "experiment_id", required=True), None
    )
    name = found.check(lambda: samples.sample_name(data.get("sample_name")), "")
    arm_id = found.check(lambda: _id(data.get("arm_id"), "Arm", "arm_id", required=False), None)
    material = found.check(lambda: _material(data.get("material")), "")
    instrument = found.check(
        lambda: one_line_name(
            data.get("instrument"),
            "Instrument",
            INSTRUMENT_MAX,
            field="instrument",
            required=False,
        ),
        "",
    )
    source_run = found.check(
        lambda: one_line_name(
            data.get("source_run"),
            "Source run",
            SOURCE_RUN_MAX,
            field="source_run",
            required=False,
        ),
        "",
    )
    no_parents: tuple[int, ...] = ()
    parents = found.check(lambda: _parents(data.get("derived_from")), no_parents)
    raw_factors = data.get("factors") or {}
    if not isinstance(raw_factors, Mapping):
        found.add("factors", 'factors must be an object, e.g. {"spaceflight": "Space Flight"}.')
        raw_factors = {}
    merged = dict(raw_factors)
    for key in samples.CHARACTERISTICS:  # strain, organism and taxon may stand at the top
        if data.get(key) not in (None, ""):
            merged.setdefault(key, data[key])
    sample = found.check(
        lambda: samples.parse_sample(merged, prefix="factors."), samples.SampleInput()
    )
    found.raise_if_any()
    assert experiment_id is not None  # noqa: S101 - required above
    return DatasetDetails(
        experiment_id=experiment_id,
        sample_name=name,
        arm_id=arm_id,
        material=material,
        instrument=instrument,
        source_run=source_run,
        derived_from=parents,
        sample=sample,
    )


def safe_filename(raw: object) -> str:
    """The base name of an uploaded file, one line, for display and downloads."""
    name = str(raw or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = one_line_name(name, "File name", FILENAME_MAX, field="file", required=False)
    if not name or name in {".", ".."}:
        raise ValidationFailed(
            "The file has no name; give it one, e.g. reads.fastq.gz.", field="file"
        )
    return name


def _experiment(s: Session, experiment_id: int) -> Experiment:
    experiment = s.get(Experiment, experiment_id)
    if experiment is None:
        raise ValidationFailed(
            f"No experiment with id {experiment_id}; create it first or pick another.",
            field="experiment_id",
        )
    return experiment


def _check_parents(s: Session, parents: Sequence[int]) -> None:
    if not parents:
        return
    known = set(s.scalars(select(Dataset.id).where(Dataset.id.in_(parents))))
    missing = [p for p in parents if p not in known]
    if missing:
        raise ValidationFailed(
            f"No dataset with id {missing[0]} to derive from.", field="derived_from"
        )


def check_details(db: Database, actor: Actor, data: Mapping[str, object]) -> DatasetDetails:
    """Check metadata against the database (experiment, arm, parents, the sample's values)
    without writing: run before a long upload starts, so mistakes show at once."""
    authorize(db, actor, Action.DATASET_IMPORT)
    details = parse_details(data)
    _check_against_database(db, details)
    return details


def _check_against_database(db: Database, details: DatasetDetails) -> None:
    with db.read() as s:
        experiment = _experiment(s, details.experiment_id)
        _check_parents(s, details.derived_from)
        samples.resolve(s, experiment, details.sample_name, details.arm_id, details.sample)
        s.rollback()


def authorize_import(db: Database, actor: Actor) -> None:
    """Refuse (and audit) an actor who may not import, before any byte is read."""
    authorize(db, actor, Action.DATASET_IMPORT)


def can_import(actor: Actor) -> bool:
    """Whether ``actor`` may import datasets (for showing the import form)."""
    return allows(actor, Action.DATASET_IMPORT)


def can_delete(actor: Actor) -> bool:
    """Whether ``actor`` may delete datasets."""
    return allows(actor, Action.DATASET_DELETE)


# --- importing -----------------------------------------------------------------------------


def _no_progress(_fraction: float, _message: str) -> None:
    pass


def _amount(size: int) -> str:
    """A byte count for progress messages.

    >>> _amount(2_500), _amount(1_234_567_890)
    ('2.5 kB', '1,235 MB')
    """
    return f"{size / 1e3:,.1f} kB" if size < 1_000_000 else f"{size / 1e6:,.0f} MB"


def _existing(db: Database, sha256: str) -> int | None:
    with db.read() as s:
        return s.scalar(select(Dataset.id).where(Dataset.sha256 == sha256))


def duplicate(sha256: str, dataset_id: int) -> Conflict:
    """The refusal of bytes that are already a dataset (the API's 409)."""
    failed = Conflict(
        f"These exact bytes (SHA-256 {sha256[:12]}…) are already dataset {dataset_id}; "
        "nothing was imported.",
        field="file",
    )
    failed.details = {"dataset_id": dataset_id, "sha256": sha256}
    return failed


def _material_for(details: DatasetDetails, inventory: Inventory) -> str:
    if not details.material:
        return DEFAULT_MATERIAL[inventory.format].value
    if inventory.format == Format.FASTQ and details.material != Material.READS:
        raise ValidationFailed(
            f"A FASTQ file holds reads, not a {details.material}; set material to reads.",
            field="material",
        )
    return details.material


def _check_record_ids(filename: str, inventory: Inventory) -> None:
    """Records are picked by id (explorer, API): ids must fit and differ after storing."""
    for position, info in enumerate(inventory.record_infos, start=1):
        if len(info.id) > RECORD_ID_MAX:
            raise ValidationFailed(
                f"{filename}: record {position:,} has an id of {len(info.id):,} characters; "
                f"at most {RECORD_ID_MAX} are kept. Shorten the ids (the text after the first "
                "space may be as long as you like).",
                field="file",
            )


def _stats(inventory: Inventory) -> dict[str, object]:
    if inventory.read_stats is not None:
        return {"reads": inventory.read_stats.as_dict()}
    if inventory.assembly_stats is not None:
        return {"assembly": inventory.assembly_stats.as_dict()}
    return {}


def import_file(
    db: Database,
    actor: Actor,
    store: BlobStore,
    incoming: Path,
    filename: str,
    details: DatasetDetails,
    *,
    sha256: str | None = None,
    on_progress: Progress = _no_progress,
) -> DatasetView:
    """Import the file at ``incoming`` (in the store's ``incoming/``; this takes it over).

    Hash (unless ``sha256`` is given), refuse duplicates, validate, then move the file to
    its content address and record the dataset, all or nothing: on any failure the file is
    removed and no row is written.
    """
    started_at = utcnow()
    try:
        authorize(db, actor, Action.DATASET_IMPORT, target=("experiment", details.experiment_id))
        filename = safe_filename(filename)
        if sha256 is None:
            on_progress(0.0, "Hashing")
            sha256, _size = hash_file(
                incoming, lambda done, total: on_progress(0.3 * done / max(total, 1), "Hashing")
            )
        existing = _existing(db, sha256)
        if existing is not None:
            raise duplicate(sha256, existing)
        base = 0.0 if sha256 is None else 0.3
        size = incoming.stat().st_size
        try:
            inventory = validate(
                incoming,
                filename,
                on_progress=lambda done, total: on_progress(
                    base + (0.95 - base) * done / max(total, 1),
                    f"Checking {filename}: {_amount(done)} of {_amount(total)}",
                ),
            )
        except SequenceFormatError as exc:
            raise ValidationFailed(str(exc), field="file") from None
        material = _material_for(details, inventory)
        _check_record_ids(filename, inventory)
        on_progress(0.96, "Storing")
        # Under the hash's lock, so a concurrent import of the same bytes cannot see the file
        # as already stored and then lose it to this one's clean-up.
        with store.locked(sha256):
            existing = _existing(db, sha256)
            if existing is not None:
                raise duplicate(sha256, existing)
            is_new_file = store.commit(incoming, sha256)
            try:
                view = _record(
                    db, actor, details, filename, sha256, size, material, inventory, started_at
                )
            except BaseException:
                if is_new_file:
                    store.remove(sha256)
                raise
        on_progress(1.0, "Imported")
        return view
    finally:
        incoming.unlink(missing_ok=True)


def _record(
    db: Database,
    actor: Actor,
    details: DatasetDetails,
    filename: str,
    sha256: str,
    size: int,
    material: str,
    inventory: Inventory,
    started_at: datetime,
) -> DatasetView:
    try:
        with db.begin() as s:
            experiment = _experiment(s, details.experiment_id)
            _check_parents(s, details.derived_from)
            sample, is_new_sample = samples.resolve(
                s, experiment, details.sample_name, details.arm_id, details.sample
            )
            dataset = Dataset(
                id=provenance.unused_dataset_id(s),
                sample_id=sample.id,
                experiment_id=experiment.id,
                material=material,
                instrument=details.instrument,
                filename=filename,
                format=inventory.format.value,
                compression=inventory.compression.value,
                sha256=sha256,
                size=size,
                record_count=inventory.records,
                total_length=inventory.total_length,
                stats=_stats(inventory),
                source_run=details.source_run,
                imported_by_id=actor.user_id,
                imported_by_name=actor.username[:64],
                imported_at=utcnow(),
            )
            s.add(dataset)
            s.flush()
            for parent in details.derived_from:
                s.add(DatasetParent(dataset_id=dataset.id, parent_id=parent))
            if inventory.record_infos:
                s.execute(
                    insert(DatasetRecord),
                    [
                        {
                            "dataset_id": dataset.id,
                            "position": i,
                            "record_id": r.id[:RECORD_ID_MAX],
                            "description": r.description[:RECORD_DESCRIPTION_MAX],
                            "length": r.length,
                        }
                        for i, r in enumerate(inventory.record_infos)
                    ],
                )
            # The provenance record commits with the dataset: none exists without the other.
            provenance.record_dataset(
                s,
                dataset,
                agent_id=actor.user_id,
                agent_username=actor.username[:64],
                experiment=experiment.name,
                sample=sample.name,
                parent_ids=list(details.derived_from),
                started_at=started_at,
                ended_at=utcnow(),
                parameters=provenance.import_parameters(dataset),
            )
            if is_new_sample:
                audit.add(
                    s,
                    actor,
                    "sample.create",
                    target_type="sample",
                    target_id=sample.id,
                    detail={"name": sample.name, "experiment_id": experiment.id},
                )
            audit.add(
                s,
                actor,
                "dataset.import",
                target_type="dataset",
                target_id=dataset.id,
                detail={
                    "filename": filename,
                    "sha256": sha256,
                    "size": size,
                    "format": inventory.format.value,
                    "experiment_id": experiment.id,
                    "sample": sample.name,
                    "derived_from": list(details.derived_from),
                },
            )
            s.flush()
            return _views(s, [dataset])[0]
    except IntegrityError:
        # Another import of the same bytes won the race.
        existing = _existing(db, sha256)
        if existing is not None:
            raise duplicate(sha256, existing) from None
        raise


def import_path(
    db: Database,
    actor: Actor,
    store: BlobStore,
    source: Path,
    details: DatasetDetails,
    *,
    on_progress: Progress = _no_progress,
) -> DatasetView:
    """Import a file already on this machine (the command line): copy it in while hashing."""
    authorize(db, actor, Action.DATASET_IMPORT, target=("experiment", details.experiment_id))
    if not source.is_file():
        raise ValidationFailed(f"{source} is not a readable file.", field="file")
    _check_against_database(db, details)  # before copying gigabytes for nothing
    total = source.stat().st_size
    try:
        with store.writing() as writer, source.open("rb") as handle:
            while chunk := handle.read(4 * 1024 * 1024):
                writer.write(chunk)
                on_progress(0.3 * min(1.0, writer.size / max(total, 1)), "Copying and hashing")
    except OSError as exc:
        raise ValidationFailed(
            f"{source} could not be read ({exc.strerror or exc}); nothing was imported.",
            field="file",
        ) from None
    return import_file(
        db,
        actor,
        store,
        writer.path,
        source.name,
        details,
        sha256=writer.hexdigest(),
        on_progress=on_progress,
    )


# --- derived datasets ----------------------------------------------------------------------


def check_derived(content: bytes, format: str, filename: str) -> int:
    """Check a derived file's bytes as its format's reader does; return its record count
    (GenomeDiff: mutation entries). :class:`ValidationFailed` names the problem."""
    if format != DerivedFormat.GENOMEDIFF:
        raise ValidationFailed(
            f"{format!r} is not a derived format; use one of {', '.join(DerivedFormat)}.",
            field="format",
        )
    try:
        parsed = genomediff.parse(content, filename)
    except MutationInputError as exc:
        raise ValidationFailed(str(exc), field="file") from None
    return sum(1 for e in parsed.entries if e.type in genomediff.MUTATION_TYPES)


@dataclass(frozen=True)
class Derived:
    """A file an analysis made, already checked and in the store under ``sha256``."""

    filename: str
    format: str
    material: str
    sha256: str
    size: int
    record_count: int
    stats: dict[str, object]
    parents: tuple[int, ...]  # the datasets it was made from
    activity: str  # what made it, for the provenance record (e.g. "mutation calling")
    parameters: dict[str, object]


def add_derived(
    s: Session, actor: Actor, sample: Sample, derived: Derived, started_at: datetime
) -> Dataset:
    """Record ``derived`` as a dataset of ``sample``, derived from its parents, with its
    provenance record and audit event, in the caller's transaction (so it exists only if
    the caller's other rows do)."""
    if derived.material not in ALL_MATERIALS or derived.format not in tuple(DerivedFormat):
        raise ValidationFailed(f"Unknown derived dataset {derived.format}/{derived.material}.")
    _check_parents(s, derived.parents)
    dataset = Dataset(
        id=provenance.unused_dataset_id(s),
        sample_id=sample.id,
        experiment_id=sample.experiment_id,
        material=str(derived.material),  # plain text, whether given as an enum or not
        instrument="",
        filename=derived.filename,
        format=str(derived.format),
        compression="none",
        sha256=derived.sha256,
        size=derived.size,
        record_count=derived.record_count,
        total_length=0,
        stats=derived.stats,
        source_run="",
        imported_by_id=actor.user_id,
        imported_by_name=actor.username[:64],
        imported_at=utcnow(),
    )
    s.add(dataset)
    s.flush()
    for parent in derived.parents:
        s.add(DatasetParent(dataset_id=dataset.id, parent_id=parent))
    provenance.record_dataset(
        s,
        dataset,
        agent_id=actor.user_id,
        agent_username=actor.username[:64],
        experiment=sample.experiment.name,
        sample=sample.name,
        parent_ids=list(derived.parents),
        started_at=started_at,
        ended_at=utcnow(),
        activity_type="analysis",
        parameters={"activity": derived.activity, **derived.parameters},
    )
    audit.add(
        s,
        actor,
        "dataset.derive",
        target_type="dataset",
        target_id=dataset.id,
        detail={
            "filename": derived.filename,
            "sha256": derived.sha256,
            "format": derived.format,
            "sample": sample.name,
            "derived_from": list(derived.parents),
            "activity": derived.activity,
        },
    )
    return dataset


# --- reading -------------------------------------------------------------------------------


def _lineage(s: Session, ids: Sequence[int]) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """Parents and children of each dataset in ``ids``, in two queries however many."""
    parents: dict[int, list[int]] = {i: [] for i in ids}
    children: dict[int, list[int]] = {i: [] for i in ids}
    links = s.execute(
        select(DatasetParent.dataset_id, DatasetParent.parent_id)
        .where(DatasetParent.dataset_id.in_(ids) | DatasetParent.parent_id.in_(ids))
        .order_by(DatasetParent.dataset_id, DatasetParent.parent_id)
    )
    for child, parent in links:
        if child in parents:
            parents[child].append(parent)
        if parent in children:
            children[parent].append(child)
    return parents, children


def _views(s: Session, rows: Sequence[Dataset]) -> list[DatasetView]:
    parents, children = _lineage(s, [d.id for d in rows])
    return [_view(d, tuple(parents[d.id]), tuple(sorted(children[d.id]))) for d in rows]


def _view(d: Dataset, parents: tuple[int, ...], children: tuple[int, ...]) -> DatasetView:
    return DatasetView(
        id=d.id,
        experiment_id=d.experiment_id,
        experiment_name=d.sample.experiment.name,
        sample=samples.view(d.sample),
        material=d.material,
        instrument=d.instrument,
        filename=d.filename,
        format=d.format,
        compression=d.compression,
        sha256=d.sha256,
        size=d.size,
        record_count=d.record_count,
        total_length=d.total_length,
        stats=dict(d.stats or {}),
        source_run=d.source_run,
        imported_by=d.imported_by_name,
        imported_at=d.imported_at,
        parents=parents,
        children=children,
    )


def list_datasets(
    db: Database, f: DatasetFilter = DatasetFilter(), *, limit: int = LIST_MAX
) -> list[DatasetView]:
    """Datasets, newest first (every logged-in user may read them)."""
    with db.read() as s:
        query = _filtered(select(Dataset).join(Sample), f)
        return _views(s, list(s.scalars(query.order_by(Dataset.id.desc()).limit(limit))))


def _filtered(query: Select[Any], f: DatasetFilter) -> Select[Any]:
    if f.experiment_id is not None:
        query = query.where(Dataset.experiment_id == f.experiment_id)
    if f.format:
        query = query.where(Dataset.format == f.format)
    if f.material:
        query = query.where(Dataset.material == f.material)
    if f.spaceflight:
        query = query.where(Sample.spaceflight == f.spaceflight)
    if f.factor is not None:
        name, value = f.factor
        column = FACTOR_COLUMNS[name]
        query = query.where(column == (float(value) if name in NUMERIC_FACTORS else value))
    return query


FACTOR_COLUMNS = {
    "spaceflight": Sample.spaceflight,
    "gravity_g": Sample.gravity_g,
    "radiation_mgy": Sample.radiation_mgy,
    "time_point": Sample.time_point,
    "replicate": Sample.replicate,
    "strain": Sample.strain,
}
NUMERIC_FACTORS = frozenset({"gravity_g", "radiation_mgy"})


def parse_factor_filter(raw: str) -> tuple[str, str]:
    """``name=value`` of a factor column, checked (``time_point=day 21``, ``gravity_g=0``)."""
    name, sep, value = raw.partition("=")
    name = name.strip()
    if not sep or name not in FACTOR_COLUMNS:
        raise ValidationFailed(
            f"factor must be NAME=VALUE with NAME one of {', '.join(FACTOR_COLUMNS)}.",
            field="factor",
        )
    if name in NUMERIC_FACTORS:
        try:
            float(value)
        except ValueError:
            raise ValidationFailed(f"{name} must be a number.", field="factor") from None
    return name, value.strip()


def count_datasets(db: Database, f: DatasetFilter = DatasetFilter()) -> int:
    """How many datasets match ``f``."""
    with db.read() as s:
        query = select(func.count(Dataset.id)).join(Sample)
        return int(s.scalar(_filtered(query, f)) or 0)


def get_dataset(db: Database, dataset_id: int) -> DatasetView:
    """One dataset or :class:`NotFound`."""
    with db.read() as s:
        dataset = s.get(Dataset, dataset_id)
        if dataset is None:
            raise NotFound(f"No dataset with id {dataset_id}.")
        return _views(s, [dataset])[0]


def records(db: Database, dataset_id: int) -> list[RecordRow]:
    """The records of a FASTA, GenBank or EMBL dataset, in file order (none for reads)."""
    get_dataset(db, dataset_id)
    with db.read() as s:
        rows = s.scalars(
            select(DatasetRecord)
            .where(DatasetRecord.dataset_id == dataset_id)
            .order_by(DatasetRecord.position)
        )
        return [RecordRow(r.position, r.record_id, r.description, r.length) for r in rows]


def content_path(store: BlobStore, dataset: DatasetView) -> Path:
    """Where the dataset's bytes are; :class:`NotFound` if the file has gone missing."""
    path = store.path(dataset.sha256)
    if not path.is_file():
        raise NotFound(
            f"The file of dataset {dataset.id} ({dataset.sha256[:12]}…) is missing from the "
            "data directory; restore it from a backup."
        )
    return path


def delete_dataset(db: Database, actor: Actor, store: BlobStore, dataset_id: int) -> None:
    """Delete a dataset and its file (admins; audited). Refused while others derive from it."""
    authorize(db, actor, Action.DATASET_DELETE, target=("dataset", dataset_id))
    with db.begin() as s:
        results = list(
            s.scalars(
                select(MutationResult.id).where(MutationResult.dataset_id == dataset_id).limit(1)
            )
        )
        if results:
            raise Conflict(
                f"Dataset {dataset_id} is the GenomeDiff of mutation result {results[0]}; "
                "delete the result instead (it takes its files with it)."
            )
        sha256, filename = remove_dataset_rows(s, dataset_id)
        audit.add(
            s,
            actor,
            "dataset.delete",
            target_type="dataset",
            target_id=dataset_id,
            detail={"filename": filename, "sha256": sha256},
        )
    store.remove(sha256)


def remove_dataset_rows(s: Session, dataset_id: int) -> tuple[str, str]:
    """Delete a dataset's rows (not its file) in ``s``; returns its (SHA-256, filename).
    :class:`NotFound`, or :class:`Conflict` while datasets derive from it or trees keep it."""
    dataset = s.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound(f"No dataset with id {dataset_id}.")
    children = list(
        s.scalars(select(DatasetParent.dataset_id).where(DatasetParent.parent_id == dataset_id))
    )
    if children:
        raise Conflict(
            f"Datasets {', '.join(map(str, children))} were derived from dataset "
            f"{dataset_id}; delete them first, so no lineage points at nothing."
        )
    trees = list(
        s.scalars(select(TreeInput.tree_id).where(TreeInput.dataset_id == dataset_id).limit(10))
    )
    if trees:
        raise Conflict(
            f"Trees {', '.join(map(str, trees))} were built from dataset {dataset_id}; "
            "a tree keeps its inputs, so the dataset stays."
        )
    sha256, filename = dataset.sha256, dataset.filename
    s.execute(delete(DatasetParent).where(DatasetParent.dataset_id == dataset_id))
    s.execute(delete(DatasetRecord).where(DatasetRecord.dataset_id == dataset_id))
    s.delete(dataset)
    s.flush()
    return sha256, filename


def stats_csv(dataset: DatasetView) -> str:
    """The dataset's statistics as CSV: ``section,name,value`` rows (figures, then the length
    histogram and qualities per position), for spreadsheets."""
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(["section", "name", "value"])
    writer.writerow(["file", "filename", dataset.filename])
    writer.writerow(["file", "sha256", dataset.sha256])
    writer.writerow(["file", "size_bytes", dataset.size])
    writer.writerow(["file", "format", dataset.format])
    for section, figures in dataset.stats.items():
        if not isinstance(figures, Mapping):
            continue
        for name, value in figures.items():
            if name == "length_histogram" and isinstance(value, list):
                for bin_start, bin_end, count in value:
                    writer.writerow(
                        [f"{section}.length_histogram", f"{bin_start}-{bin_end - 1}", count]
                    )
            elif name == "mean_quality_by_position" and isinstance(value, list):
                for position, quality in enumerate(value, start=1):
                    writer.writerow([f"{section}.mean_quality_by_position", position, quality])
            elif not isinstance(value, list | dict):
                writer.writerow([section, name, value])
    return out.getvalue()
