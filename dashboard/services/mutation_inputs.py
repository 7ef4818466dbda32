"""What a mutation calling works on: the checked request, its datasets, samples and mates.

A request names a reference dataset (FASTA, GenBank or EMBL) and read datasets (FASTQ).
Read datasets of one sample are pooled into one calling; each sample gives one result.

Two read datasets of one sample are taken as the R1 and R2 files of a paired run when all
three of these hold, and as single-end reads otherwise:

* their file names are the same but for the mate number: ``x_R1.fastq.gz``/``x_R2.fastq.gz``,
  ``x_1.fq``/``x_2.fq``, ``x.r1.fq``/``x.r2.fq`` (the last such token before ``.``, ``_``
  or ``-`` counts);
* they hold as many reads;
* their first reads are mates: the same name once ``/1``/``/2`` and anything after the first
  space (Illumina's ``1:N:0``) are dropped.

The caller checks every later read pair the same way and fails the job, naming the read, if
the files turn out not to be mates.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from dashboard.db import Database
from dashboard.models import Dataset

from .blobs import BlobStore
from .datasets import SEQUENCE_FORMATS
from .errors import ValidationFailed

ID_MAX = 2**31 - 1
SAMPLES_MAX = 200  # read datasets in one calling run
REFERENCE_MAX_BP = 20_000_000  # the largest bacterial genomes are about 16 Mb
# analysis.mutations.call.Mode's values (not imported: job kinds load this in every process).
MODES: tuple[str, ...] = ("consensus", "polymorphism")
REQUEST_FIELDS = ("reference", "samples", "mode")
# The mate number: the last "R1"/"2"/"r2"... between separators (greedy prefix: the last one).
_MATE_TOKEN = re.compile(r"^(.*[._-])([Rr]?)([12])([._-].*)$")
_MATE_SUFFIX = re.compile(r"/[12]$")
# A list of ids as a job's parameter: "3,7,12".
IDS_PATTERN = r"[1-9][0-9]{0,9}(,[1-9][0-9]{0,9})*"
IDS_TEXT_MAX = SAMPLES_MAX * 11


@dataclass(frozen=True)
class CallRequest:
    """A checked request to call mutations (as a job's parameters and back)."""

    reference: int
    samples: tuple[int, ...]  # read dataset ids, in the order given
    mode: str = MODES[0]

    def params(self) -> dict[str, object]:
        """The job's parameters."""
        return {
            "reference": self.reference,
            "samples": ",".join(map(str, self.samples)),
            "mode": self.mode,
        }

    @classmethod
    def from_params(cls, params: Mapping[str, object]) -> CallRequest:
        """The request a job's (checked) parameters hold."""
        raw_samples = str(params.get("samples", ""))
        return parse_call_request(
            {
                "reference": _whole(params.get("reference")),
                "samples": [int(i) for i in raw_samples.split(",") if i.isdigit()],
                "mode": params.get("mode", MODES[0]),
            }
        )


def _whole(value: object) -> object:
    # Job parameters keep numbers as floats.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _id(value: object, key: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(f"{what} must be a dataset id (a whole number).", field=key)
    if not 0 < value <= ID_MAX:
        raise ValidationFailed(f"{what}: there is no dataset {value}.", field=key)
    return value


def parse_call_request(data: Mapping[str, object]) -> CallRequest:
    """A request from JSON (the API's body, the page's form), checked as far as it can be
    without the database: ``{"reference": id, "samples": [ids], "mode": ...}``."""
    if not isinstance(data, Mapping):
        raise ValidationFailed("The request must be a JSON object.", field="body")
    unknown = sorted(str(k) for k in data if k not in REQUEST_FIELDS)
    if unknown:
        raise ValidationFailed(
            f"Unknown field {unknown[0][:40]!r}; a calling takes: {', '.join(REQUEST_FIELDS)}.",
            field=unknown[0][:40],
        )
    if "reference" not in data:
        raise ValidationFailed(
            "reference is required: the reference genome's dataset id.", field="reference"
        )
    reference = _id(data["reference"], "reference", "reference")
    raw = data.get("samples")
    if not isinstance(raw, list | tuple) or not raw:
        raise ValidationFailed(
            "samples must be a list of read dataset ids (FASTQ), at least one.", field="samples"
        )
    if len(raw) > SAMPLES_MAX:
        raise ValidationFailed(
            f"samples: at most {SAMPLES_MAX} read datasets in one calling run; "
            f"{len(raw):,} were given.",
            field="samples",
        )
    ids: list[int] = []
    for value in raw:
        dataset_id = _id(value, "samples", f"samples: {str(value)[:40]!r}")
        if dataset_id in ids:
            raise ValidationFailed(
                f"samples: dataset {dataset_id} is listed twice.", field="samples"
            )
        ids.append(dataset_id)
    mode = data.get("mode", MODES[0])
    if mode in (None, ""):
        mode = MODES[0]
    if not isinstance(mode, str) or mode not in MODES:
        raise ValidationFailed(
            f"mode must be one of {', '.join(MODES)}: consensus for clonal isolates, "
            "polymorphism for mixed populations.",
            field="mode",
        )
    return CallRequest(reference, tuple(ids), mode)


# --- the datasets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadFile:
    """One read dataset: its file, read count and first read's name (mates share it)."""

    dataset_id: int
    filename: str
    reads: int
    path: Path
    first_name: str = ""


@dataclass(frozen=True)
class SampleReads:
    """One sample's read files, paired where they are mates (R1 first)."""

    sample_id: int
    name: str
    experiment_id: int
    read_sets: tuple[tuple[ReadFile, ...], ...]

    @property
    def dataset_ids(self) -> tuple[int, ...]:
        return tuple(f.dataset_id for files in self.read_sets for f in files)

    def pairing(self) -> list[list[int]]:
        """The read datasets as called: ``[[r1, r2], [single], ...]``."""
        return [[f.dataset_id for f in files] for files in self.read_sets]


@dataclass(frozen=True)
class Inputs:
    """A request resolved against the database and the store."""

    reference_id: int
    reference_filename: str
    reference_format: str
    reference_compression: str
    reference_path: Path
    reference_sha256: str
    samples: tuple[SampleReads, ...]


def _mate(filename: str) -> tuple[str, str] | None:
    """(the name without its mate number, "1" or "2"), or None for no mate number.

    >>> _mate("x_S1_L001_R2_001.fastq.gz"), _mate("run_1.fq"), _mate("reads.fastq")
    (('x_S1_L001_R#_001.fastq.gz', '2'), ('run_#.fq', '1'), None)
    """
    found = _MATE_TOKEN.match(filename)
    if found is None:
        return None
    before, letter, number, after = found.groups()
    return f"{before}{letter}#{after}", number


def mate_name(read_name: str) -> str:
    """A read's name as its mate has it (``/1``, ``/2`` and comments dropped).

    >>> mate_name("r7/2"), mate_name("M0:1:FC:1:1:5:9 2:N:0:1")
    ('r7', 'M0:1:FC:1:1:5:9')
    """
    first = read_name.split()[0] if read_name.split() else ""
    return _MATE_SUFFIX.sub("", first)


def pair_mates(files: Sequence[ReadFile]) -> tuple[tuple[ReadFile, ...], ...]:
    """One sample's files as read sets: mates paired (R1 first), the rest single-end, in
    the order of each set's first file."""
    sets: list[tuple[ReadFile, ...]] = []
    used: set[int] = set()
    for i, one in enumerate(files):
        if i in used:
            continue
        mate = None
        tagged = _mate(one.filename)
        for j in range(i + 1, len(files)):
            other = files[j]
            other_tag = _mate(other.filename)
            if (
                j not in used
                and tagged is not None
                and other_tag is not None
                and tagged[0] == other_tag[0]
                and {tagged[1], other_tag[1]} == {"1", "2"}
                and one.reads == other.reads
                and one.first_name
                and mate_name(one.first_name) == mate_name(other.first_name)
            ):
                mate = j
                break
        if mate is None:
            sets.append((one,))
            continue
        used.add(mate)
        pair = (one, files[mate])
        sets.append(pair if tagged is not None and tagged[1] == "1" else pair[::-1])
    return tuple(sets)


def first_read_name(path: Path) -> str:
    """The name of a FASTQ file's first read ("" for an empty file)."""
    with path.open("rb") as raw:
        is_gzip = raw.read(2) == b"\x1f\x8b"
    opener = gzip.open if is_gzip else open
    with opener(path, "rb") as handle:
        line = handle.readline(4096)
    return line[1:].decode("utf-8", "replace").strip() if line.startswith(b"@") else ""


def _kind_of(d: Dataset) -> str:
    if d.format == "fastq":
        return "reads (FASTQ)"
    if d.format not in SEQUENCE_FORMATS:
        return f"{d.material} ({d.format})"
    return f"a {d.material} ({d.format})"


def resolve(db: Database, store: BlobStore, request: CallRequest) -> Inputs:
    """Load the request's datasets and check each is what its place needs."""
    wanted = {request.reference, *request.samples}
    with db.read() as s:
        rows = {d.id: d for d in s.scalars(select(Dataset).where(Dataset.id.in_(wanted)))}
        reference = rows.get(request.reference)
        if reference is None:
            raise ValidationFailed(f"There is no dataset {request.reference}.", field="reference")
        if reference.format == "fastq" or reference.format not in SEQUENCE_FORMATS:
            raise ValidationFailed(
                f"Dataset {reference.id} ({reference.filename}) holds {_kind_of(reference)}; "
                "the reference must be a genome or assembly (GenBank, EMBL or FASTA).",
                field="reference",
            )
        if reference.total_length > REFERENCE_MAX_BP:
            raise ValidationFailed(
                f"Dataset {reference.id} holds {reference.total_length / 1e6:,.0f} Mb; "
                f"references up to {REFERENCE_MAX_BP / 1e6:,.0f} Mb are called here.",
                field="reference",
            )
        by_sample: dict[int, list[ReadFile]] = {}
        names: dict[int, tuple[str, int]] = {}
        for dataset_id in request.samples:
            d = rows.get(dataset_id)
            if d is None:
                raise ValidationFailed(f"There is no dataset {dataset_id}.", field="samples")
            if d.id == reference.id:
                raise ValidationFailed(
                    f"Dataset {d.id} is the reference; samples are read datasets.",
                    field="samples",
                )
            if d.format != "fastq":
                raise ValidationFailed(
                    f"Dataset {d.id} ({d.filename}) holds {_kind_of(d)}, not reads; give "
                    "the samples' FASTQ read datasets.",
                    field="samples",
                )
            path = store.path(d.sha256)
            by_sample.setdefault(d.sample_id, []).append(
                ReadFile(d.id, d.filename, d.record_count, path)
            )
            names[d.sample_id] = (d.sample.name, d.sample.experiment_id)
        ref = (reference.id, reference.filename, reference.format, reference.compression)
        ref_sha = reference.sha256
    _check_present(store, ref_sha, ref[0])
    samples = []
    for sample_id, files in by_sample.items():
        named = [_with_first_name(store, f) for f in files]
        name, experiment_id = names[sample_id]
        samples.append(SampleReads(sample_id, name, experiment_id, pair_mates(named)))
    return Inputs(ref[0], ref[1], ref[2], ref[3], store.path(ref_sha), ref_sha, tuple(samples))


def _check_present(store: BlobStore, sha256: str, dataset_id: int) -> None:
    if not store.path(sha256).is_file():
        raise ValidationFailed(
            f"The file of dataset {dataset_id} is missing from the data directory; restore it "
            "from a backup.",
            field="samples",
        )


def _with_first_name(store: BlobStore, f: ReadFile) -> ReadFile:
    _check_present(store, f.path.name, f.dataset_id)
    return ReadFile(f.dataset_id, f.filename, f.reads, f.path, first_read_name(f.path))
