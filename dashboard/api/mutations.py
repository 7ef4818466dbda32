# mypy: disallow-untyped-decorators=False
# (flask-smorest has no type hints: its decorators are untyped)
"""/api/v1/mutations: call mutations of samples' reads against a reference (a job), read the
results with their annotated calls and coverage, download them as VCF, GenomeDiff or CSV,
and compare results across samples.

Thin wrappers over :mod:`dashboard.services.mutations` and
:mod:`dashboard.services.mutation_compare`. ``POST /mutations/jobs`` checks the role before
the body is read (refusals are audited), then the request against the database, and answers
202 with the ``mutations.call`` job; ``GET /jobs/{id}`` follows it and its result names the
results it saved. Request schemas state the services' own limits.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from flask import Response, jsonify, request
from flask import abort as flask_abort
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, ValidationError, fields, validate

from dashboard.auth import app_state, current_actor, current_db, current_files, current_queue
from dashboard.services import mutation_compare, mutation_inputs, mutation_outputs, mutations
from dashboard.services.errors import ValidationFailed
from dashboard.services.policy import Action, authorize

from .jobs import JobSchema
from .schemas import doc, error_responses, unique

PREFIX = "/api/v1"
ID_MAX = 2**31 - 1
JSON_BODY_MAX = 1 * 2**20  # a request names ids: a megabyte is far more than any needs
FORMATS = tuple(mutations.EXPORTS)

blp = Blueprint(
    "api_mutations",
    __name__,
    url_prefix=PREFIX,
    description="Mutation detection (breseq-class): call samples' reads against a reference, "
    "read annotated calls and coverage, download VCF, GenomeDiff or CSV, compare samples",
)


def _errors(*statuses: int) -> Any:
    return error_responses(blp, *statuses)


def _ids(limit: int, what: str, example: list[int], *, strict: bool = True) -> fields.List[int]:
    """A list of ids; ``strict=False`` for a query string (its values are text)."""
    return fields.List(
        fields.Integer(strict=strict, validate=validate.Range(min=1, max=ID_MAX)),
        required=True,
        validate=[validate.Length(min=1, max=limit), unique],
        metadata=doc(what, uniqueItems=True, example=example),
    )


# --- request schemas -------------------------------------------------------------------------


class CallRequestSchema(Schema):
    """Call each sample's reads against the reference: one result a sample."""

    reference = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=1, max=ID_MAX),
        metadata=doc(
            "The reference genome's dataset (GenBank, EMBL or FASTA; several records are one "
            "genome, circular ones honoured; GenBank genes annotate the calls)",
            example=1,
        ),
    )
    samples = _ids(
        mutation_inputs.SAMPLES_MAX,
        "Read datasets (FASTQ). Datasets of one sample are pooled into one result; two of one "
        "sample named as mates (x_R1/x_R2, x_1/x_2) with as many reads and mate read names "
        "are called as pairs",
        [2, 3],
    )
    mode = fields.String(
        load_default=mutation_inputs.MODES[0],
        validate=validate.OneOf(mutation_inputs.MODES),
        metadata=doc(
            "consensus: clonal isolates (default); polymorphism: mixed populations, with "
            "allele frequencies",
            example="consensus",
        ),
    )


class CompareRequestSchema(Schema):
    """Compare results (of one reference) across samples."""

    results = _ids(mutation_compare.RESULTS_MAX, "Mutation result ids", [1, 2, 3])
    subtract_ancestor = fields.Boolean(
        truthy={True},
        falsy={False},
        load_default=True,
        metadata=doc("Remove events an Ancestor sample has (default true)"),
    )
    subtract_ground = fields.Boolean(
        truthy={True},
        falsy={False},
        load_default=False,
        metadata=doc("Remove events a Ground Control sample has too (default false)"),
    )
    generations = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[1-9][0-9]{0,9}$")),
        values=fields.Float(
            allow_nan=False,
            validate=validate.Range(
                min=0, min_inclusive=False, max=mutation_compare.GENERATIONS_MAX
            ),
        ),
        load_default=dict,
        metadata=doc(
            "Generations since the ancestor, by result id, for mutation rates",
            example={"2": 1000, "3": 1000},
        ),
    )


class ListQuerySchema(Schema):
    experiment_id = fields.Integer(validate=validate.Range(min=1, max=ID_MAX))
    job_id = fields.Integer(
        validate=validate.Range(min=1, max=ID_MAX), metadata=doc("The calling run (job)")
    )
    reference_id = fields.Integer(validate=validate.Range(min=1, max=ID_MAX))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=mutations.LIST_MAX))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=ID_MAX))


class CoverageQuerySchema(Schema):
    seq_id = fields.String(validate=validate.Length(min=1, max=255), metadata=doc("One record"))
    start = fields.Integer(validate=validate.Range(min=1, max=ID_MAX), metadata=doc("1-based"))
    end = fields.Integer(validate=validate.Range(min=1, max=ID_MAX), metadata=doc("Inclusive"))
    max_points = fields.Integer(
        load_default=2000,
        validate=validate.Range(min=1, max=mutations.COVERAGE_POINTS_MAX),
        metadata=doc("Buckets per record at most"),
    )


# --- response schemas ------------------------------------------------------------------------


class ResultLinksSchema(Schema):
    self = fields.String()
    vcf = fields.String()
    gd = fields.String()
    csv = fields.String()
    coverage = fields.String()
    dataset = fields.String(metadata=doc("The GenomeDiff as a dataset (lineage, provenance)"))


class ResultSummarySchema(Schema):
    id = fields.Integer()
    job_id = fields.Integer(allow_none=True, metadata=doc("The calling run"))
    name = fields.String(metadata=doc("The sample"))
    experiment_id = fields.Integer()
    sample_id = fields.Integer()
    condition = fields.String(metadata=doc("The sample's Spaceflight factor"))
    factors = fields.Dict(keys=fields.String(), values=fields.String())
    reference_id = fields.Integer()
    reference_filename = fields.String()
    dataset_id = fields.Integer(metadata=doc("The GenomeDiff dataset, derived from the inputs"))
    mode = fields.String(validate=validate.OneOf(mutation_inputs.MODES))
    reads = fields.Integer()
    mapped = fields.Integer()
    mutation_count = fields.Integer()
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata=doc("Calls per category and GenomeDiff type; total; unresolved stretches"),
    )
    skipped = fields.List(fields.String(), metadata=doc("Read files skipped, and why"))
    read_datasets = fields.List(
        fields.List(fields.Integer()), metadata=doc("As called: [[R1, R2], [single], ...]")
    )
    created_by = fields.String()
    created_at = fields.DateTime()
    links = fields.Nested(ResultLinksSchema)


class ResultSchema(ResultSummarySchema):
    calls = fields.List(
        fields.Dict(),
        metadata=doc(
            "Each call with its evidence and annotation: " + ", ".join(mutation_outputs.CSV_COLUMNS)
        ),
    )


class ResultPageSchema(Schema):
    items = fields.List(fields.Nested(ResultSummarySchema), required=True)
    total = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)


class CoverageTrackSchema(Schema):
    seq_id = fields.String()
    length = fields.Integer()
    start = fields.List(fields.Integer())
    end = fields.List(fields.Integer())
    min = fields.List(fields.Integer())
    max = fields.List(fields.Integer())
    mean = fields.List(fields.Float())


class CoverageSchema(Schema):
    result_id = fields.Integer()
    records = fields.List(fields.Nested(CoverageTrackSchema))


class ComparisonSchema(Schema):
    reference_id = fields.Integer()
    samples = fields.List(fields.Dict(), metadata=doc("Columns, grouped by condition"))
    groups = fields.Dict(metadata=doc("Sample names by Spaceflight condition"))
    subtracted = fields.List(fields.String())
    rows = fields.List(
        fields.Dict(),
        metadata=doc(
            "One event each: mutation (with annotation), cells (per sample: frequency, '?' "
            "unresolved, 'D' deleted), private_to_flight, in_all"
        ),
    )
    spectra = fields.Dict(metadata=doc("SNP classes per condition, a line counted once"))
    spectrum_tests = fields.Dict(metadata=doc("Flight vs ground: method, p, counts tested"))
    parallel = fields.Dict(metadata=doc("Genes hit in 2+ lines: Poisson p, BH q"))
    rates = fields.List(fields.Dict(), metadata=doc("Per sample, with generations entered"))
    rate_ratio = fields.Dict(metadata=doc("Flight / ground with the exact test"))
    profiles = fields.Dict(metadata=doc("PCA and clustering of mutated-gene profiles"))
    notes = fields.List(fields.String())


class CompareTableQuerySchema(Schema):
    """Which results' table to download (``?results=1&results=2``)."""

    results = _ids(mutation_compare.RESULTS_MAX, "Mutation result ids", [1, 2, 3], strict=False)
    subtract_ancestor = fields.Boolean(
        load_default=True, metadata=doc("Remove events an Ancestor sample has (default true)")
    )
    subtract_ground = fields.Boolean(
        load_default=False,
        metadata=doc("Remove events a Ground Control sample has too (default false)"),
    )


# --- helpers ---------------------------------------------------------------------------------


def _role_first(view: Any) -> Any:
    """Check the role before the body is read, so a refused caller is refused (and audited)
    whatever they sent."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        authorize(current_db(), current_actor(), Action.MUTATION_CALL)
        return view(*args, **kwargs)

    return checked


def _body(schema: Schema, example: str) -> dict[str, Any]:
    """The JSON object of the request, checked against ``schema``."""
    if request.mimetype != "application/json":
        flask_abort(415, description=f"Send JSON: {example}.")
    request.max_content_length = min(JSON_BODY_MAX, app_state().settings.max_request_bytes)
    try:
        body = json.loads(request.get_data(cache=False))
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise ValidationFailed(f"Send a JSON object: {example}.", field="body")
    try:
        loaded: dict[str, Any] = schema.load(body)
    except ValidationError as exc:
        abort(422, messages={"json": exc.messages})
    return loaded


def _links(view: mutations.ResultView) -> dict[str, str]:
    base = f"{PREFIX}/mutations/{view.id}"
    return {
        "self": base,
        **{fmt: f"{base}.{fmt}" for fmt in FORMATS},
        "coverage": f"{base}/coverage",
        "dataset": f"{PREFIX}/datasets/{view.dataset_id}",
    }


def _result_json(view: mutations.ResultView) -> dict[str, object]:
    return {
        "id": view.id,
        "job_id": view.job_id,
        "name": view.name,
        "experiment_id": view.experiment_id,
        "sample_id": view.sample_id,
        "condition": view.condition,
        "factors": view.factors,
        "reference_id": view.reference_id,
        "reference_filename": view.reference_filename,
        "dataset_id": view.dataset_id,
        "mode": view.mode,
        "reads": view.reads,
        "mapped": view.mapped,
        "mutation_count": view.mutation_count,
        "counts": view.counts,
        "skipped": list(view.skipped),
        "read_datasets": [list(ids) for ids in view.read_datasets],
        "created_by": view.created_by,
        "created_at": view.created_at,
        "links": _links(view),
    }


CALL_EXAMPLE = '{"reference": id, "samples": [ids], "mode": "consensus" | "polymorphism"}'
COMPARE_EXAMPLE = (
    '{"results": [ids], "subtract_ancestor": true, "subtract_ground": false, '
    '"generations": {"id": n}}'
)
FILES = {
    "content": {
        mimetype: {"schema": {"type": "string"}} for mimetype, _ext in mutations.EXPORTS.values()
    }
}


# --- routes ----------------------------------------------------------------------------------


@blp.route("/mutations/jobs")
class CallingJobs(MethodView):
    @_role_first
    @blp.doc(
        requestBody={
            "required": True,
            "content": {"application/json": {"schema": CallRequestSchema}},
        }
    )
    @blp.response(202, JobSchema, headers={"Location": {"schema": {"type": "string"}}})
    @_errors(403, 413, 415, 422)
    def post(self) -> Response:
        """Start calling mutations (scientists): 202 with the `mutations.call` job.

        Each sample (its read datasets pooled, mates paired) is called against the reference;
        follow the job at GET /jobs/{id} (progress "aligning n %", "calling", "annotating";
        POST /jobs/{id}/cancel stops it, leaving nothing behind). When it succeeds its result
        names `result_ids`. A request naming a missing dataset, reads as the reference or a
        genome as reads is a 422 naming the field, and no job is started.
        """
        body = _body(CallRequestSchema(), CALL_EXAMPLE)
        job = mutations.start(
            current_db(), current_actor(), current_files(), current_queue().enqueue, body
        )
        response = jsonify(JobSchema().dump(job))
        response.status_code = 202
        response.headers["Location"] = f"{PREFIX}/jobs/{job.id}"
        return response


@blp.route("/mutations")
class Results(MethodView):
    @blp.arguments(ListQuerySchema, location="query")
    @blp.response(200, ResultPageSchema)
    @_errors(422)
    def get(self, query: dict[str, Any]) -> dict[str, object]:
        """Mutation results, newest first (without their calls: GET /mutations/{id} has them)."""
        current_actor()
        rows, total = mutations.list_results(
            current_db(),
            experiment_id=query.get("experiment_id"),
            job_id=query.get("job_id"),
            reference_id=query.get("reference_id"),
            limit=query["limit"],
            offset=query["offset"],
        )
        return {
            "items": [_result_json(v) for v in rows],
            "total": total,
            "limit": query["limit"],
            "offset": query["offset"],
        }


@blp.route("/mutations/<int:result_id>")
class ResultById(MethodView):
    @blp.response(200, ResultSchema)
    @_errors(404)
    def get(self, result_id: int) -> dict[str, object]:
        """One result with its calls: evidence (depth, reads per strand, frequency, quality)
        and annotation (gene, codon and amino-acid change, effect)."""
        current_actor()
        db = current_db()
        view = mutations.get_result(db, result_id)
        calls = mutations.calls(db, current_files(), result_id)
        return {**_result_json(view), "calls": calls}

    @blp.response(204)
    @_errors(403, 404, 409)
    def delete(self, result_id: int) -> None:
        """Delete a result with its GenomeDiff dataset and files (admins; refused while
        datasets are derived from the GenomeDiff)."""
        mutations.delete_result(current_db(), current_actor(), current_files(), result_id)


@blp.route("/mutations/<int:result_id>.<any(vcf, gd, csv):fmt>")
class ResultFile(MethodView):
    @blp.response(200, description="The file", content_type="text/plain")
    @blp.doc(responses={200: FILES})
    @_errors(404)
    def get(self, result_id: int, fmt: str) -> Response:
        """The result as VCF 4.2 (`.vcf`), GenomeDiff 1.0 (`.gd`, annotated as breseq
        writes it) or CSV (`.csv`, one row per mutation with its annotation)."""
        current_actor()
        body, mimetype, filename = mutations.export(current_db(), current_files(), result_id, fmt)
        response = Response(body, mimetype=mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


@blp.route("/mutations/<int:result_id>/coverage")
class ResultCoverage(MethodView):
    @blp.arguments(CoverageQuerySchema, location="query")
    @blp.response(200, CoverageSchema)
    @_errors(404, 422)
    def get(self, query: dict[str, Any], result_id: int) -> dict[str, object]:
        """Read depth per record in buckets (minimum, maximum and mean of each), for a
        genome map; `seq_id`, `start`, `end` narrow it, `max_points` bounds the buckets."""
        current_actor()
        tracks = mutations.coverage(
            current_db(),
            current_files(),
            result_id,
            seq_id=query.get("seq_id"),
            start=query.get("start"),
            end=query.get("end"),
            max_points=query["max_points"],
        )
        return {"result_id": result_id, "records": tracks}


@blp.route("/mutations/compare.<any(gd, csv):fmt>")
class CompareTable(MethodView):
    @blp.arguments(CompareTableQuerySchema, location="query")
    @blp.response(200, description="The table", content_type="text/plain")
    @blp.doc(
        responses={
            200: {
                "content": {
                    mimetype: {"schema": {"type": "string"}}
                    for mimetype, _ext in mutation_compare.TABLE_EXPORTS.values()
                }
            }
        }
    )
    @_errors(404, 422)
    def get(self, query: dict[str, Any], fmt: str) -> Response:
        """The comparison's table: `.gd` as `gdtools COMPARE` writes it (one line per event
        with `frequency_<sample>=` a frequency, `?` unresolved or `D` deleted), `.csv` one
        row per event with its annotation and a column per sample."""
        current_actor()
        body, mimetype, filename = mutation_compare.export_table(
            current_db(), current_files(), query, fmt
        )
        response = Response(body, mimetype=mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


@blp.route("/mutations/compare")
class Compare(MethodView):
    @blp.doc(
        requestBody={
            "required": True,
            "content": {"application/json": {"schema": CompareRequestSchema}},
        }
    )
    @blp.response(200, ComparisonSchema)
    @_errors(413, 415, 422)
    def post(self) -> dict[str, object]:
        """Compare results of one reference: the mutations x samples table grouped by the
        Spaceflight factor (ancestor and optionally ground subtracted), the SNP spectrum by
        condition with its test and counts, genes hit in several lines (Poisson on length,
        Benjamini-Hochberg q), mutation rates with exact intervals and the flight/ground
        ratio, and samples placed by their mutated genes (PCA, clustering). Read-only."""
        current_actor()
        body = _body(CompareRequestSchema(), COMPARE_EXAMPLE)
        comparison = mutation_compare.compare_results(current_db(), current_files(), body)
        return dict(comparison)
