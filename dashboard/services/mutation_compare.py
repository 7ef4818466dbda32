"""Comparing mutation results: the samples x mutations table grouped by the Spaceflight
factor, and the statistics across samples (spectrum by condition with its test, parallel
genes, mutation rates and the flight/ground ratio, gene-profile PCA and clustering).

Read-only: every logged-in user may compare. Results must share their reference (the
table matches events on its sequence and annotates them from its genes).

How samples count:

* a sample's condition is its Spaceflight factor (Ancestor, Ground Control, Space Flight);
  its line is its condition with its ``replicate`` factor, or the sample itself when that is
  empty. Samples of one line (time points of one replicate) share history, so the spectrum
  and parallelism count a line's mutation once;
* with ``subtract_ancestor`` every event an Ancestor sample has is removed first (and with
  ``subtract_ground`` every event a ground control has); events a sample cannot resolve are
  kept, so missing coverage never hides a new mutation;
* rates count each sample's remaining events over the generations entered for it; the
  flight/ground ratio pools the samples with generations in each condition.

Every statistic carries its counts and assumptions; one that cannot be computed (no SNPs, no
ground samples, no generations) is given as a note saying why.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, TypedDict

from analysis.mutations import statistics
from analysis.mutations.annotate import annotate
from analysis.mutations.compare import (
    ANCESTOR,
    GROUND_CONTROL,
    SPACE_FLIGHT,
    Sample,
    Table,
    Unknown,
    compare,
    genome_diff_sample,
    is_present,
    private,
    subtract,
    to_genome_diff_compare,
)
from analysis.mutations.errors import MutationInputError
from analysis.mutations.genomediff import parse, write
from analysis.sequences.records import Record
from dashboard.db import Database

from . import datasets, mutations
from .errors import NotFound, ValidationFailed
from .explorer import DataFiles
from .mutation_outputs import call_row
from .spreadsheet import SafeWriter

RESULTS_MAX = 200
GENERATIONS_MAX = 1e9
ID_MAX = 2**31 - 1
FIELDS = ("results", "subtract_ancestor", "subtract_ground", "generations")
# What a compared row says about its event (the evidence is per sample: see the results).
ROW_KEYS = (
    "kind",
    "category",
    "seq_id",
    "position",
    "end",
    "size",
    "reference",
    "new_seq",
    "change",
    "repeat_name",
    "strand",
    "duplication_size",
    "copy_number",
    "effect",
    "mutation_category",
    "gene",
    "locus_tag",
    "product",
    "gene_position",
    "codon_change",
    "aa_change",
    "genes",
)
# The table's downloads: (mimetype, file extension).
TABLE_EXPORTS: Mapping[str, tuple[str, str]] = {
    "gd": ("text/plain", "gd"),  # gdtools COMPARE's GenomeDiff
    "csv": ("text/csv", "csv"),
}


@dataclass(frozen=True)
class CompareRequest:
    """A checked comparison request."""

    result_ids: tuple[int, ...]
    subtract_ancestor: bool = True
    subtract_ground: bool = False
    generations: tuple[tuple[int, float], ...] = ()  # result id -> generations


class ComparedSample(TypedDict):
    result_id: int
    name: str  # the table's column name (unique)
    condition: str
    line: str
    generations: float | None
    dataset_id: int


class ComparedRow(TypedDict):
    mutation: dict[str, object]  # ROW_KEYS
    cells: list[float | str]  # per sample: frequency, "?" unresolved, "D" deleted
    private_to_flight: bool  # seen in flight lines, seen absent from every other sample
    in_all: bool  # every non-ancestor sample has it


class Comparison(TypedDict):
    reference_id: int
    samples: list[ComparedSample]
    groups: dict[str, list[str]]
    subtracted: list[str]  # what was removed: "ancestor", "ground"
    rows: list[ComparedRow]
    spectra: dict[str, dict[str, object]]
    spectrum_tests: dict[str, dict[str, object]]
    parallel: dict[str, object]
    rates: list[dict[str, object]]
    rate_ratio: dict[str, object]
    profiles: dict[str, object]
    notes: list[str]


def _bool(data: Mapping[str, object], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ValidationFailed(f"{key} must be true or false.", field=key)
    return value


def parse_compare_request(data: Mapping[str, object]) -> CompareRequest:
    """``{"results": [ids], "subtract_ancestor", "subtract_ground", "generations": {id: n}}``,
    checked as far as it can be without the database."""
    if not isinstance(data, Mapping):
        raise ValidationFailed("The request must be a JSON object.", field="body")
    unknown = sorted(str(k) for k in data if k not in FIELDS)
    if unknown:
        raise ValidationFailed(
            f"Unknown field {unknown[0][:40]!r}; a comparison takes: {', '.join(FIELDS)}.",
            field=unknown[0][:40],
        )
    raw = data.get("results")
    if not isinstance(raw, list | tuple) or not raw:
        raise ValidationFailed("results must be a list of mutation result ids.", field="results")
    if len(raw) > RESULTS_MAX:
        raise ValidationFailed(f"results: at most {RESULTS_MAX} results.", field="results")
    ids: list[int] = []
    for value in raw:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= ID_MAX:
            raise ValidationFailed(
                f"results: {str(value)[:40]!r} is not a result id.", field="results"
            )
        if value in ids:
            raise ValidationFailed(f"results: result {value} is listed twice.", field="results")
        ids.append(value)
    generations = data.get("generations") or {}
    if not isinstance(generations, Mapping):
        raise ValidationFailed(
            'generations must be an object: {"result id": generations}.', field="generations"
        )
    entered: list[tuple[int, float]] = []
    for key, value in generations.items():
        text = str(key)
        if not text.isdigit() or int(text) not in ids:
            raise ValidationFailed(
                f"generations: {text[:40]!r} is not one of the results compared.",
                field="generations",
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationFailed(
                f"generations of result {text}: give a number.", field="generations"
            )
        if not 0 < value <= GENERATIONS_MAX:
            raise ValidationFailed(
                f"generations of result {text}: give a number above 0 and at most "
                f"{GENERATIONS_MAX:,.0f}.",
                field="generations",
            )
        entered.append((int(text), float(value)))
    return CompareRequest(
        tuple(ids),
        _bool(data, "subtract_ancestor", True),
        _bool(data, "subtract_ground", False),
        tuple(entered),
    )


# --- the table --------------------------------------------------------------------------------


def _json_safe(value: Any) -> Any:
    """Plain JSON values: tuples as lists, infinities and NaN as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _samples(
    db: Database, files: DataFiles, request: CompareRequest, *, in_body: bool
) -> tuple[list[mutations.ResultView], list[Sample]]:
    """The results' samples; a missing result is an input problem when the body names it
    and :class:`NotFound` when the URL does."""
    views = []
    for result_id in request.result_ids:
        try:
            views.append(mutations.get_result(db, result_id))
        except NotFound:
            if not in_body:
                raise
            raise ValidationFailed(
                f"There is no mutation result {result_id}.", field="results"
            ) from None
    references = {v.reference_id for v in views}
    if len(references) > 1:
        raise ValidationFailed(
            "The results were called against different references (datasets "
            f"{', '.join(map(str, sorted(references)))}); compare results of one reference.",
            field="results",
        )
    generations = dict(request.generations)
    names = [v.name for v in views]
    samples = []
    for v in views:
        name = v.name if names.count(v.name) == 1 else f"{v.name} (result {v.id})"
        dataset = datasets.get_dataset(db, v.dataset_id)
        text = datasets.content_path(files.store, dataset).read_bytes()
        try:
            gd = parse(text, dataset.filename)
        except MutationInputError as exc:
            raise ValidationFailed(str(exc), field="results") from None
        # Replicate labels repeat across arms ("1", "2"...): a line is one within a condition.
        replicate = v.factors.get("replicate")
        line = f"{v.condition or 'no condition'}, replicate {replicate}" if replicate else name
        samples.append(genome_diff_sample(gd, name, v.condition, generations.get(v.id), line))
    return views, samples


def _subtracted(table: Table, request: CompareRequest) -> tuple[Table, list[str]]:
    done = []
    conditions = {s.condition for s in table.samples}
    ancestors: Iterable[str] = ()
    if request.subtract_ancestor and ANCESTOR in conditions:
        ancestors = [s.name for s in table.samples if s.condition == ANCESTOR]
        done.append("ancestor")
    ground = request.subtract_ground and GROUND_CONTROL in conditions
    if ground:
        done.append("ground")
    if done:
        table = subtract(table, list(ancestors), ground=ground)
    return table, done


def _cell(cell: float | Unknown) -> float | str:
    return cell.value if isinstance(cell, Unknown) else float(cell)


@dataclass(frozen=True)
class _Compared:
    views: list[mutations.ResultView]
    samples: list[Sample]  # as the results' GenomeDiffs say, in the request's order
    table: Table  # grouped by condition, ancestor (and ground) subtracted as asked
    subtracted: list[str]
    records: list[Record]
    sequences: dict[str, str]


def _compared(
    db: Database, files: DataFiles, request: CompareRequest, *, in_body: bool = True
) -> _Compared:
    views, samples = _samples(db, files, request, in_body=in_body)
    records = mutations.reference_records(db, files, views[0].reference_id)
    sequences = {r.name or r.id: r.sequence for r in records}
    try:
        table = compare(samples, sequences)
    except MutationInputError as exc:
        raise ValidationFailed(str(exc), field="results") from None
    table, done = _subtracted(table, request)
    return _Compared(views, samples, table, done, records, sequences)


def compare_results(db: Database, files: DataFiles, data: Mapping[str, object]) -> Comparison:
    """The comparison of the results ``data`` names (see the module's docstring)."""
    request = parse_compare_request(data)
    compared = _compared(db, files, request)
    table, done = compared.table, compared.subtracted
    records, sequences = compared.records, compared.sequences
    notes: list[str] = []
    if request.subtract_ancestor and "ancestor" not in done:
        notes.append("No sample's Spaceflight factor is Ancestor: nothing was subtracted for it.")
    found = [r.mutation for r in table.rows]
    annotations = annotate(found, records)
    genes = [tuple(g.name for g in a.genes) for a in annotations]
    has_flight = any(s.condition == SPACE_FLIGHT for s in table.samples)
    flight_only = {id(r) for r in private(table).rows} if has_flight else set()
    evolved = [i for i, s in enumerate(table.samples) if s.condition != ANCESTOR]
    rows = []
    for number, (row, a) in enumerate(zip(table.rows, annotations, strict=True), start=1):
        described = call_row(number, row.mutation, a, sequences)
        rows.append(
            ComparedRow(
                mutation={key: described[key] for key in ROW_KEYS},  # type: ignore[literal-required]
                cells=[_cell(c) for c in row.cells],
                private_to_flight=id(row) in flight_only,
                in_all=bool(evolved) and all(is_present(row.cells[i]) for i in evolved),
            )
        )
    by_result = {s.name: v for s, v in zip(compared.samples, compared.views, strict=True)}
    present = _present(table)
    lines = _lines(table, present)
    by_line = _line_samples(lines, table)
    genome_length = sum(r.length for r in records)
    return Comparison(
        reference_id=compared.views[0].reference_id,
        samples=[
            ComparedSample(
                result_id=by_result[s.name].id,
                name=s.name,
                condition=s.condition,
                line=s.lineage,
                generations=s.generations,
                dataset_id=by_result[s.name].dataset_id,
            )
            for s in table.samples
        ],
        groups={k: list(v) for k, v in table.groups().items()},
        subtracted=done,
        rows=rows,
        spectra=_spectra(by_line, sequences, notes),
        spectrum_tests=_spectrum_tests(by_line, sequences),
        parallel=_parallel(lines, genes, records, genome_length),
        rates=_rates(table, present, genome_length),
        rate_ratio=_rate_ratio(table, present),
        profiles=_profiles(table, present, genes),
        notes=notes,
    )


def export_table(
    db: Database, files: DataFiles, data: Mapping[str, object], fmt: str
) -> tuple[bytes, str, str]:
    """The comparison's table (as :func:`compare_results` makes it) for download: ``gd``, a
    GenomeDiff in ``gdtools COMPARE``'s layout (``frequency_<sample>=`` on every line), or
    ``csv``, one row per event with its annotation and a column per sample (a frequency,
    ``?`` unresolved or ``D`` deleted). Returns (bytes, mimetype, filename); a result that
    does not exist is :class:`NotFound` (the URL names it)."""
    if fmt not in TABLE_EXPORTS:
        raise ValidationFailed(f"format must be one of {', '.join(TABLE_EXPORTS)}.", field="format")
    compared = _compared(db, files, parse_compare_request(data), in_body=False)
    if fmt == "gd":
        body = write(to_genome_diff_compare(compared.table, compared.sequences))
    else:
        body = _table_csv(compared)
    mimetype, extension = TABLE_EXPORTS[fmt]
    return body.encode("utf-8"), mimetype, f"mutations-compare.{extension}"


def _table_csv(compared: _Compared) -> str:
    table = compared.table
    annotations = annotate([r.mutation for r in table.rows], compared.records)
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(
        [
            "number",
            *ROW_KEYS,
            *(f"{s.name} ({s.condition or 'no condition'})" for s in table.samples),
        ]
    )
    for number, (row, a) in enumerate(zip(table.rows, annotations, strict=True), start=1):
        described = call_row(number, row.mutation, a, compared.sequences)
        writer.writerow(
            [
                number,
                *(described[k] for k in ROW_KEYS),  # type: ignore[literal-required]
                *(_cell(c) for c in row.cells),
            ]
        )
    return out.getvalue()


# --- statistics -------------------------------------------------------------------------------


def _present(table: Table) -> list[list[int]]:
    """Per sample (column), the rows it has."""
    return [
        [i for i, r in enumerate(table.rows) if is_present(r.cells[c])]
        for c in range(len(table.samples))
    ]


@dataclass(frozen=True)
class _Line:
    name: str
    condition: str
    rows: tuple[int, ...]  # the rows any of its samples has, each once


def _lines(table: Table, present: Sequence[Sequence[int]]) -> list[_Line]:
    """The evolved lines (ancestors left out), each with its samples' rows pooled."""
    pooled: dict[str, tuple[str, set[int]]] = {}
    for column, s in enumerate(table.samples):
        if s.condition == ANCESTOR:
            continue
        _condition, rows = pooled.setdefault(s.lineage, (s.condition, set()))
        rows.update(present[column])
    return [_Line(name, c, tuple(sorted(rows))) for name, (c, rows) in pooled.items()]


def _line_samples(lines: Sequence[_Line], table: Table) -> list[Sample]:
    return [
        Sample(line.name, line.condition, tuple(table.rows[i].mutation for i in line.rows))
        for line in lines
    ]


def _spectrum_dict(spectrum: statistics.Spectrum) -> dict[str, object]:
    return {
        "counts": spectrum.as_dict(),
        "snps": spectrum.snps,
        "transitions": spectrum.transitions,
        "transversions": spectrum.transversions,
        "ts_tv": spectrum.ts_tv,
        "skipped": spectrum.skipped,
    }


def _spectra(
    lines: Sequence[Sample], sequences: Mapping[str, str], notes: list[str]
) -> dict[str, dict[str, object]]:
    """Each condition's SNP spectrum, a line's SNPs counted once."""
    try:
        found = statistics.spectra(lines, sequences)
    except MutationInputError as exc:
        notes.append(f"Spectrum: {exc}")
        return {}
    return {c: _json_safe(_spectrum_dict(s)) for c, s in found.items()}


def _spectrum_tests(
    lines: Sequence[Sample], sequences: Mapping[str, str]
) -> dict[str, dict[str, object]]:
    """Flight against ground, by the six classes and by transitions/transversions."""
    try:
        found = statistics.spectra(lines, sequences)
    except MutationInputError as exc:
        return {"class": {"note": str(exc)}, "transition": {"note": str(exc)}}
    flight, ground = found.get(SPACE_FLIGHT), found.get(GROUND_CONTROL)
    if flight is None or ground is None:
        note = "Needs SNPs in both Space Flight and Ground Control lines."
        return {"class": {"note": note}, "transition": {"note": note}}
    out: dict[str, dict[str, object]] = {}
    bys: tuple[Literal["class", "transition"], ...] = ("class", "transition")
    for by in bys:
        try:
            test = statistics.compare_spectra(flight, ground, by)
        except MutationInputError as exc:
            out[by] = {"note": str(exc)}
            continue
        out[by] = {"rows": [SPACE_FLIGHT, GROUND_CONTROL], **_json_safe(asdict(test))}
    return out


def _gene_lengths(records: Sequence[Record]) -> dict[str, int]:
    """Bases per gene name, as the annotation names genes (CDS and RNA genes; names shared
    by several copies add up)."""
    rna = {"tRNA", "rRNA", "ncRNA", "tmRNA", "misc_RNA", "RNA"}
    lengths: dict[str, int] = {}
    for record in records:
        for f in record.features:
            is_gene = f.type == "CDS" or f.type in rna or (f.type == "gene" and f.is_pseudo)
            name = f.gene or f.locus_tag
            if is_gene and name:
                lengths[name] = lengths.get(name, 0) + sum(b - a for a, b, _ in f.parts)
    return lengths


def _parallel(
    lines: Sequence[_Line],
    genes: Sequence[tuple[str, ...]],
    records: Sequence[Record],
    genome_length: int,
) -> dict[str, object]:
    """Genes hit in two or more lines, against their length share (Poisson, BH q)."""
    lengths = _gene_lengths(records)
    hits = {line.name: [g for i in line.rows for g in genes[i] if g in lengths] for line in lines}
    total = sum(max(1, len([g for g in genes[i] if g in lengths])) for x in lines for i in x.rows)
    if len(lines) < 2:
        return {"note": "Parallel evolution needs at least two evolved lines."}
    if not lengths:
        return {"note": "The reference has no annotated genes."}
    try:
        found = statistics.parallel_genes(hits, lengths, max(genome_length, 1), total)
    except MutationInputError as exc:
        return {"note": str(exc)}
    return _json_safe(asdict(found))  # type: ignore[no-any-return]


def _rates(
    table: Table, present: Sequence[Sequence[int]], genome_length: int
) -> list[dict[str, object]]:
    """Each sample with generations entered: its events per genome per generation."""
    out = []
    for column, s in enumerate(table.samples):
        if s.generations is None:
            continue
        rate = statistics.mutation_rate(len(present[column]), s.generations, genome_length)
        out.append(
            {"sample": s.name, "condition": s.condition, **_json_safe(asdict(rate)),
             "per_base": _json_safe(rate.per_base)}
        )  # fmt: skip
    return out


def _rate_ratio(table: Table, present: Sequence[Sequence[int]]) -> dict[str, object]:
    """Flight over ground, pooling each condition's samples with generations entered."""
    pooled = {SPACE_FLIGHT: [0, 0.0], GROUND_CONTROL: [0, 0.0]}
    for column, s in enumerate(table.samples):
        if s.condition in pooled and s.generations is not None:
            pooled[s.condition][0] += len(present[column])
            pooled[s.condition][1] += s.generations
    (fc, fe), (gc, ge) = pooled[SPACE_FLIGHT], pooled[GROUND_CONTROL]
    if not (fe > 0 and ge > 0):
        return {
            "note": "Enter generations for at least one Space Flight and one Ground Control "
            "sample to compare their rates."
        }
    ratio = statistics.rate_ratio(int(fc), fe, int(gc), ge)
    return _json_safe(asdict(ratio))  # type: ignore[no-any-return]


def _profiles(
    table: Table, present: Sequence[Sequence[int]], genes: Sequence[tuple[str, ...]]
) -> dict[str, object]:
    """Evolved samples placed by which genes they have mutated (PCA, clustering)."""
    evolved = [(c, s) for c, s in enumerate(table.samples) if s.condition != ANCESTOR]
    if not evolved:
        return {"note": "No evolved sample to place (only ancestors were compared)."}
    by_sample = {s.name: {g for i in present[c] for g in genes[i]} for c, s in evolved}
    conditions = {s.name: s.condition for _c, s in evolved}
    return _json_safe(asdict(statistics.profiles(by_sample, conditions)))  # type: ignore[no-any-return]
