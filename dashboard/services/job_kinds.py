"""The kinds of job there are: the one place each kind is registered.

A kind names the policy action whose holders may start and run it, whether it is safe to
run twice (``idempotent``: retried once when its worker dies), how its parameters are
checked, and the function that does the work. That function gets a :class:`Context`: the
database, the acting user (roles re-read when the job starts), its parameters,
``progress`` (also where a cancel request is noticed) and ``output`` (a file that appears
only if the job succeeds).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from dashboard.config import load_settings
from dashboard.db import Database

from . import audit, mutation_inputs, uploads
from .actor import Actor
from .blobs import BlobStore
from .errors import ValidationFailed
from .policy import Action

if TYPE_CHECKING:  # web3 is slow to import: only the jobs that use the chain load it
    from ledger.network import ChainSettings

JobResult = dict[str, object]


class Context(Protocol):
    """What a running job may use."""

    db: Database
    actor: Actor
    params: Mapping[str, object]
    job_id: int

    def progress(self, fraction: float, message: str = "") -> None:
        """Report how far the job is (0–1); raises ``JobCancelled`` once cancel was asked."""

    @property
    def data_dir(self) -> Path:
        """The app's data directory (where datasets and uploads are kept)."""

    def output(self, name: str) -> Path:
        """Where to write output file ``name``; it is kept only if the job succeeds."""


@dataclass(frozen=True)
class Param:
    """One parameter a kind takes: its checks, stated once for the service and the API."""

    name: str
    kind: str  # "number", "text" or "datetime"
    description: str
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = 64
    choices: tuple[str, ...] = ()
    pattern: str = ""  # a text's whole value must match this regular expression
    pattern_hint: str = ""  # what the pattern asks for, in words

    def parse(self, value: object) -> object:
        """The checked value, or :class:`ValidationFailed` naming the parameter."""
        if self.kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValidationFailed(f"{self.name} must be a number.", field=self.name)
            low = self.minimum if self.minimum is not None else float("-inf")
            high = self.maximum if self.maximum is not None else float("inf")
            if not low <= value <= high:
                raise ValidationFailed(
                    f"{self.name} must be between {low:g} and {high:g}.", field=self.name
                )
            return float(value)
        if not isinstance(value, str) or len(value) > self.max_length:
            raise ValidationFailed(
                f"{self.name} must be text of at most {self.max_length} characters.",
                field=self.name,
            )
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise ValidationFailed(f"{self.name} must be {self.pattern_hint}.", field=self.name)
        if self.choices and value not in self.choices:
            raise ValidationFailed(
                f"{self.name} must be one of {', '.join(self.choices)}.", field=self.name
            )
        if self.kind == "datetime":
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                raise ValidationFailed(
                    f"{self.name} must be an ISO date or time, e.g. 2026-11-26T00:00:00Z.",
                    field=self.name,
                ) from None
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
        return value

    def json_schema(self) -> dict[str, object]:
        """This parameter in JSON Schema, for the OpenAPI document."""
        schema: dict[str, object] = {"description": self.description}
        if self.kind == "number":
            schema["type"] = "number"
            if self.minimum is not None:
                schema["minimum"] = self.minimum
            if self.maximum is not None:
                schema["maximum"] = self.maximum
            return schema
        schema.update(type="string", maxLength=self.max_length)
        if self.choices:
            schema["enum"] = list(self.choices)
        if self.pattern:
            schema["pattern"] = f"^{self.pattern}$"
        if self.kind == "datetime":
            schema["format"] = "date-time"
        return schema


def parse_params(params: tuple[Param, ...], raw: Mapping[str, object]) -> dict[str, object]:
    """Check ``raw`` against ``params``: unknown names are refused, empty values dropped."""
    if not isinstance(raw, Mapping):
        raise ValidationFailed("Parameters must be an object.", field="params")
    known = {p.name: p for p in params}
    unknown = sorted(set(map(str, raw)) - set(known))
    if unknown:
        takes = ", ".join(known) or "none"
        raise ValidationFailed(
            f"Unknown parameter {unknown[0][:64]!r}; this job takes: {takes}.", field="params"
        )
    return {
        name: known[name].parse(value) for name, value in raw.items() if value not in (None, "")
    }


@dataclass(frozen=True)
class JobKind:
    """One kind of job."""

    name: str
    label: str
    run: Callable[[Context], JobResult]
    action: Action  # who may start it and run it: the policy's holders of this action
    idempotent: bool = False
    params: tuple[Param, ...] = ()
    # One line saying what a succeeded job found or made, for lists and panels.
    summarize: Callable[[JobResult], str] = field(default=lambda _result: "Done.")

    def parse_params(self, raw: Mapping[str, object]) -> dict[str, object]:
        """This kind's parameters, checked."""
        return parse_params(self.params, raw)

    def params_json_schema(self) -> dict[str, object]:
        """The parameters object in JSON Schema (no other names allowed)."""
        return {
            "type": "object",
            "properties": {p.name: p.json_schema() for p in self.params},
            "additionalProperties": False,
        }


# --- audit log ------------------------------------------------------------------------------

AUDIT_FILTER_PARAMS = (
    Param("username", "text", "Only events of this user"),
    Param("action", "text", "An action, or a group ending in '.' such as 'user.'"),
    Param("result", "text", "Only events with this result", choices=audit.RESULTS),
    Param("since", "datetime", "Events at or after this time (UTC if no zone)"),
    Param("until", "datetime", "Events before this time (UTC if no zone)"),
)


def audit_filter(params: Mapping[str, object]) -> audit.AuditFilter:
    """The audit filter stored in a job's (already checked) parameters."""

    def moment(key: str) -> datetime | None:
        value = params.get(key)
        return datetime.fromisoformat(str(value)) if value else None

    def text(key: str) -> str | None:
        value = params.get(key)
        return str(value) if value else None

    return audit.AuditFilter(
        username=text("username"),
        action=text("action"),
        result=text("result"),
        since=moment("since"),
        until=moment("until"),
    )


def _fraction_reporter(ctx: Context, verb: str) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        ctx.progress(done / total if total else 1.0, f"{verb} {done:,} of {total:,} events")

    return report


def _chain(ctx: Context) -> ChainSettings:
    """The chain this app anchors on (the worker runs with the server's configuration)."""
    from .ledger_chain import chain_settings

    return chain_settings(load_settings(data_dir=ctx.data_dir))


def _verify_audit_chain(ctx: Context) -> JobResult:
    report = audit.verify_chain(ctx.db, ctx.actor, on_progress=_fraction_reporter(ctx, "Checked"))
    ctx.progress(1.0, "Comparing with the anchored checkpoints")
    from . import audit_anchors

    anchors = audit_anchors.check(ctx.db, _chain(ctx))
    bad = anchors.first_bad
    return {
        "is_intact": report.is_intact and anchors.is_intact,
        "checked": report.checked,
        "head_seq": report.head_seq,
        "first_bad_seq": report.first_bad_seq
        if not report.is_intact
        else (bad.seq if bad else None),
        "reason": report.reason if not report.is_intact else anchors.describe() if bad else "",
        "anchors_checked": anchors.checked,
        "anchor_intact": anchors.is_intact,
        "anchor_mismatch_seq": bad.seq if bad else None,
        "anchor_mismatch_digest": bad.digest if bad else None,
        "anchor_summary": anchors.describe(),
        "anchor_chain_error": anchors.chain_error,
    }


def _dataset_id(ctx: Context) -> int:
    value = ctx.params["dataset_id"]
    return int(value) if isinstance(value, int | float) else 0


def _verify_dataset(ctx: Context) -> JobResult:
    from . import provenance_verify

    result = provenance_verify.verify_dataset(
        ctx.db,
        ctx.actor,
        _chain(ctx),
        BlobStore.in_data_dir(ctx.data_dir),
        _dataset_id(ctx),
        on_progress=ctx.progress,
    )
    return result.as_dict()


def _sweep(ctx: Context) -> JobResult:
    from . import provenance_verify

    report = provenance_verify.sweep(
        ctx.db, ctx.actor, BlobStore.in_data_dir(ctx.data_dir), on_progress=ctx.progress
    )
    return report.as_dict()


def _export_audit_csv(ctx: Context) -> JobResult:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    name = f"microspacegen-audit-{stamp}.csv"
    with ctx.output(name).open("w", encoding="utf-8", newline="") as handle:
        rows = audit.write_csv(
            ctx.db,
            ctx.actor,
            audit_filter(ctx.params),
            handle,
            on_progress=_fraction_reporter(ctx, "Wrote"),
        )
    return {"rows": rows, "files": [name]}


# --- a probe of the job machinery itself ----------------------------------------------------

SELFTEST_MAX_S = 3600.0


SELFTEST_PARAMS = (
    Param("seconds", "number", "How long the job waits", 0, SELFTEST_MAX_S),
    Param("progress_every_s", "number", "How often it reports progress", 0.01, SELFTEST_MAX_S),
)


def _selftest(ctx: Context) -> JobResult:
    """Wait ``seconds``, reporting progress every ``progress_every_s``; measures the queue."""
    seconds = float(ctx.params.get("seconds", 0.0))  # type: ignore[arg-type]
    step = max(0.01, float(ctx.params.get("progress_every_s", 0.1)))  # type: ignore[arg-type]
    started = time.monotonic()
    elapsed = 0.0
    while elapsed < seconds:
        time.sleep(min(step, seconds - elapsed))
        elapsed = time.monotonic() - started
        ctx.progress(min(1.0, elapsed / seconds), f"{elapsed:.1f} of {seconds:g} s")
    return {"slept_s": round(elapsed, 3)}


def _chain_summary(result: JobResult) -> str:
    if result.get("is_intact"):
        anchored = result.get("anchors_checked")
        sealed = f"; {anchored} anchored checkpoints match" if anchored else ""
        if anchored and result.get("anchor_chain_error"):
            sealed += " the database (the chain could not be asked: verify again later)"
        return f"Intact: {result.get('checked')} events recomputed and linked{sealed}."
    if result.get("anchor_intact") is False and result.get("first_bad_seq") == result.get(
        "anchor_mismatch_seq"
    ):
        return str(result.get("reason"))
    return f"Broken at position {result.get('first_bad_seq')}: {result.get('reason')}."


AUDIT_VERIFY = JobKind(
    "audit.verify",
    "Verify the audit hash chain",
    _verify_audit_chain,
    action=Action.AUDIT_VERIFY,
    idempotent=True,  # it only reads
    summarize=_chain_summary,
)
AUDIT_EXPORT = JobKind(
    "audit.export",
    "Export the audit log as CSV",
    _export_audit_csv,
    action=Action.AUDIT_EXPORT,
    idempotent=True,  # the file appears whole or not at all
    params=AUDIT_FILTER_PARAMS,
    summarize=lambda result: f"{result.get('rows')} events written to CSV.",
)
SELFTEST = JobKind(
    "system.selftest",
    "Job system self-test",
    _selftest,
    action=Action.SYSTEM_SELFTEST,
    params=SELFTEST_PARAMS,
    summarize=lambda result: f"A worker took the job and waited {result.get('slept_s')} s.",
)

DATASET_IMPORT = JobKind(
    "dataset.import",
    "Import a dataset",
    uploads.run_import,
    action=Action.DATASET_IMPORT,
    params=(
        Param("upload_id", "text", "The completed upload to import", max_length=uploads.ID_LENGTH),
    ),
    summarize=lambda result: (
        f"Imported {result.get('filename')} as dataset {result.get('dataset_id')}."
    ),
)


def _verify_summary(result: JobResult) -> str:
    if result.get("verified"):
        return f"Dataset {result.get('dataset_id')} and its lineage verify."
    return f"Dataset {result.get('dataset_id')} does not verify: {result.get('first_failure')}"


def _sweep_summary(result: JobResult) -> str:
    bad = [*(result.get("tampered") or []), *(result.get("missing") or [])]  # type: ignore[misc]
    if not bad:
        return f"All {result.get('checked')} stored files hash to their records."
    return f"{len(bad)} of {result.get('checked')} files differ from their records: {bad}."


PROVENANCE_VERIFY = JobKind(
    "provenance.verify",
    "Verify a dataset against the ledger",
    _verify_dataset,
    action=Action.PROVENANCE_VERIFY,
    idempotent=True,
    params=(Param("dataset_id", "number", "The dataset to verify", 1, 2**31 - 1),),
    summarize=_verify_summary,
)
PROVENANCE_SWEEP = JobKind(
    "provenance.sweep",
    "Re-hash every stored dataset file",
    _sweep,
    action=Action.PROVENANCE_SWEEP,
    idempotent=True,
    summarize=_sweep_summary,
)


def _backup(ctx: Context) -> JobResult:
    from . import backup

    settings = load_settings(data_dir=ctx.data_dir)
    return backup.run_scheduled(ctx.db, ctx.actor, settings, on_progress=ctx.progress)


def _backup_summary(result: JobResult) -> str:
    removed = result.get("removed") or []
    size = float(result.get("bytes") or 0)  # type: ignore[arg-type]
    shown = f"{size / 2**20:,.1f} MiB" if size >= 2**20 else f"{size / 1024:,.0f} KiB"
    text = f"Wrote {result.get('file')} ({shown}, {result.get('parts')} parts)."
    return f"{text} Removed {len(removed)} older backup(s)." if removed else text  # type: ignore[arg-type]


BACKUP = JobKind(
    "system.backup",
    "Back up the database and data files",
    _backup,
    action=Action.SYSTEM_BACKUP,
    # A retry writes a new archive beside nothing (a failed one leaves no file behind).
    idempotent=True,
    summarize=_backup_summary,
)


def _build_tree(ctx: Context) -> JobResult:
    from . import trees  # numba and the phylogenetics load only in workers that build trees
    from .explorer import DataFiles

    files = DataFiles.in_data_dir(ctx.data_dir)
    return trees.run_job(ctx.db, ctx.actor, files, str(ctx.params["request"]), ctx.progress)


TREE_BUILD = JobKind(
    "tree.build",
    "Build a phylogenetic tree",
    _build_tree,
    action=Action.TREE_BUILD,
    # Written whole at the end; not retried, since a worker lost after the save would build
    # the tree a second time.
    params=(
        Param(
            "request",
            "text",
            "The stored build request (its SHA-256)",
            max_length=64,
            pattern="[0-9a-f]{64}",
            pattern_hint="a SHA-256 in 64 lowercase hex digits",
        ),
    ),
    summarize=lambda result: f"Built tree {result.get('tree_id')} ({result.get('tips')} tips).",
)


def _call_mutations(ctx: Context) -> JobResult:
    from . import mutations  # the aligner and numba load only in workers that call
    from .explorer import DataFiles

    files = DataFiles.in_data_dir(ctx.data_dir)
    return mutations.run_job(ctx.db, ctx.actor, files, ctx.job_id, ctx.params, ctx.progress)


def _calling_summary(result: JobResult) -> str:
    ids = result.get("result_ids") or []
    failed = result.get("failed") or []
    text = f"Called {len(ids)} sample(s): {result.get('mutations')} mutations."  # type: ignore[arg-type]
    return f"{text} Not called: {'; '.join(failed)}" if failed else text  # type: ignore[arg-type]


MUTATION_CALL = JobKind(
    "mutations.call",
    "Call mutations",
    _call_mutations,
    action=Action.MUTATION_CALL,
    # Saved whole at the end; not retried, since a worker lost after the save would save the
    # results a second time.
    params=(
        Param("reference", "number", "The reference genome's dataset id", 1, 2**31 - 1),
        Param(
            "samples",
            "text",
            "The read datasets (FASTQ), comma-separated; one result a sample",
            max_length=mutation_inputs.IDS_TEXT_MAX,
            pattern=mutation_inputs.IDS_PATTERN,
            pattern_hint="dataset ids separated by commas, e.g. 3,4,7",
        ),
        Param(
            "mode",
            "text",
            "consensus (clonal isolates) or polymorphism (mixed populations)",
            choices=mutation_inputs.MODES,
        ),
    ),
    summarize=_calling_summary,
)

KINDS: Mapping[str, JobKind] = {
    kind.name: kind
    for kind in (
        AUDIT_VERIFY,
        AUDIT_EXPORT,
        SELFTEST,
        DATASET_IMPORT,
        PROVENANCE_VERIFY,
        PROVENANCE_SWEEP,
        TREE_BUILD,
        MUTATION_CALL,
        BACKUP,
    )
}
