"""/api/v1/datasets, /api/v1/uploads and sample sheets: thin wrappers over the services.

Coordinates in this API are 1-based and inclusive, as in GenBank files and genome browsers
(``start=1&end=3`` is the first codon).
"""

from __future__ import annotations

import json
from typing import IO, Any

from flask import Response, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from werkzeug.formparser import FormDataParser

from dashboard.auth import app_state, current_actor, current_db, current_files, current_queue
from dashboard.services import datasets, explorer, jobs, sample_sheet, samples, uploads
from dashboard.services.blobs import HashingWriter
from dashboard.services.errors import ValidationFailed

from .jobs import JobSchema
from .schemas import error_responses, one_line

PREFIX = "/api/v1"
TSV = "text/tab-separated-values"
# Werkzeug applies this to its read buffer too (it reads 64 KiB at a time), so it must be
# well above that; the text fields are bounded by their own limits as well.
FORM_FIELD_MAX_BYTES = 1024 * 1024
FORM_FIELDS = frozenset(
    {
        "experiment_id",
        "sample_name",
        "arm_id",
        "material",
        "strain",
        "organism",
        "taxon_id",
        "instrument",
        "source_run",
        "derived_from",
        "factors",
    }
)
FORM_PARTS_MAX = len(FORM_FIELDS) + 5
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

blp = Blueprint(
    "api_datasets",
    __name__,
    url_prefix=PREFIX,
    description="Datasets (sequence files), uploads in chunks, sample sheets",
)


def _errors(*statuses: int) -> Any:
    return error_responses(blp, *statuses)


# --- schemas -------------------------------------------------------------------------------


class SampleSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    arm_id = fields.Integer(allow_none=True)
    arm_name = fields.String()
    organism = fields.String()
    strain = fields.String()
    taxon_id = fields.Integer(allow_none=True, metadata={"description": "NCBI taxonomy id"})
    spaceflight = fields.String(metadata={"description": "Factor Value[Spaceflight]"})
    gravity_g = fields.Float(allow_none=True)
    radiation_mgy = fields.Float(allow_none=True)
    time_point = fields.String()
    replicate = fields.String()
    extra = fields.Dict(keys=fields.String(), values=fields.String())


class DatasetSchema(Schema):
    id = fields.Integer()
    experiment_id = fields.Integer()
    experiment_name = fields.String()
    sample = fields.Nested(SampleSchema)
    material = fields.String(validate=validate.OneOf(datasets.ALL_MATERIALS))
    instrument = fields.String()
    filename = fields.String()
    format = fields.String(validate=validate.OneOf(datasets.FORMATS))
    compression = fields.String()
    sha256 = fields.String()
    size = fields.Integer(metadata={"description": "bytes"})
    record_count = fields.Integer(metadata={"description": "records, or reads for FASTQ"})
    total_length = fields.Integer(metadata={"description": "bases"})
    stats = fields.Dict()
    source_run = fields.String()
    imported_by = fields.String()
    imported_at = fields.DateTime()
    parents = fields.List(fields.Integer(), metadata={"description": "derived from these"})
    children = fields.List(fields.Integer(), metadata={"description": "derived from this one"})


class DatasetQuerySchema(Schema):
    experiment_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    format = fields.String(validate=validate.OneOf(datasets.FORMATS))
    material = fields.String(validate=validate.OneOf(datasets.ALL_MATERIALS))
    spaceflight = fields.String(
        validate=validate.OneOf(samples.SPACEFLIGHT_VALUES),
        metadata={"description": "Factor Value[Spaceflight] of the sample"},
    )
    factor = fields.String(
        validate=validate.Length(max=200),
        metadata={
            "description": "NAME=VALUE of a sample factor: " + ", ".join(datasets.FACTOR_COLUMNS),
            "example": "time_point=day 21",
        },
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=datasets.LIST_MAX))


FACTORS_DOC = (
    "The sample's characteristics and factor values: "
    + ", ".join(samples.KNOWN_KEYS)
    + "; any other name is a further factor."
)


class DatasetFormSchema(Schema):
    """The multipart form of POST /datasets (documentation; parsed by the service)."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
    experiment_id = fields.Integer(required=True)
    sample_name = fields.String(required=True, validate=one_line(samples.SAMPLE_NAME_MAX))
    arm_id = fields.Integer()
    material = fields.String(validate=validate.OneOf(datasets.MATERIALS))
    strain = fields.String(validate=one_line(samples.STRAIN_MAX, required=False))
    instrument = fields.String(validate=one_line(datasets.INSTRUMENT_MAX, required=False))
    source_run = fields.String(validate=one_line(datasets.SOURCE_RUN_MAX, required=False))
    derived_from = fields.String(metadata={"description": "Parent dataset ids, comma-separated"})
    factors = fields.String(metadata={"description": "A JSON object. " + FACTORS_DOC})


class StatsSchema(Schema):
    dataset_id = fields.Integer()
    format = fields.String()
    reads = fields.Dict(metadata={"description": "FASTQ: read statistics"})
    assembly = fields.Dict(metadata={"description": "FASTA/GenBank/EMBL: N50, L50, GC…"})


class RecordSchema(Schema):
    position = fields.Integer()
    id = fields.String()
    description = fields.String()
    length = fields.Integer()


class FeatureSchema(Schema):
    record = fields.String()
    type = fields.String()
    start = fields.Integer(metadata={"description": "1-based, inclusive"})
    end = fields.Integer(metadata={"description": "1-based, inclusive"})
    strand = fields.Integer(metadata={"description": "1, -1 or 0"})
    locus_tag = fields.String()
    gene = fields.String()
    product = fields.String()
    protein_id = fields.String()
    translation = fields.String(
        metadata={"description": "CDS: computed from the sequence with its genetic code"}
    )
    annotated_translation = fields.String(metadata={"description": "CDS: the file's /translation"})
    agrees = fields.Boolean(allow_none=True)
    problem = fields.String()


class FeatureQuerySchema(Schema):
    record = fields.String(validate=validate.Length(max=255))
    type = fields.String(validate=validate.Length(max=64), metadata={"example": "CDS"})


class RegionQuerySchema(Schema):
    record = fields.String(validate=validate.Length(max=255))
    start = fields.Integer(required=True, validate=validate.Range(min=1, max=2**40))
    end = fields.Integer(required=True, validate=validate.Range(min=1, max=2**40))


class OrfQuerySchema(Schema):
    record = fields.String(validate=validate.Length(max=255))
    min_length = fields.Integer(
        load_default=300, validate=validate.Range(min=explorer.ORF_MIN_NT, max=explorer.ORF_MAX_NT)
    )
    table = fields.Integer(load_default=11, validate=validate.OneOf(explorer.GENETIC_CODES))
    starts = fields.String(
        load_default="ATG,GTG,TTG", metadata={"description": "Start codons, comma-separated"}
    )


class OrfSchema(Schema):
    start = fields.Integer(metadata={"description": "1-based, inclusive (forward strand)"})
    end = fields.Integer(metadata={"description": "1-based, inclusive; the stop codon included"})
    strand = fields.Integer()
    frame = fields.Integer()
    length_nt = fields.Integer()
    protein = fields.String()


class UploadOpenSchema(Schema):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    size = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=uploads.UPLOAD_MAX_BYTES)
    )
    experiment_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    sample_name = fields.String(required=True, validate=one_line(samples.SAMPLE_NAME_MAX))
    arm_id = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))
    material = fields.String(validate=validate.OneOf(["", *datasets.MATERIALS]))
    instrument = fields.String(validate=one_line(datasets.INSTRUMENT_MAX, required=False))
    source_run = fields.String(validate=one_line(datasets.SOURCE_RUN_MAX, required=False))
    derived_from = fields.List(fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)))
    factors = fields.Dict(keys=fields.String(), metadata={"description": FACTORS_DOC})


class UploadSchema(Schema):
    id = fields.String()
    filename = fields.String()
    size = fields.Integer()
    received = fields.Integer(metadata={"description": "bytes on the server: send from here"})
    job_id = fields.Integer(allow_none=True)
    chunk_max_bytes = fields.Integer()


class ChunkQuerySchema(Schema):
    offset = fields.Integer(
        required=True,
        validate=validate.Range(min=0, max=uploads.UPLOAD_MAX_BYTES),
        metadata={"description": "Where this chunk starts: the upload's `received`"},
    )


class SheetResultSchema(Schema):
    created = fields.List(fields.String())
    updated = fields.List(fields.String())
    unchanged = fields.List(fields.String())


# --- helpers -------------------------------------------------------------------------------


class _Sink(IO[bytes]):
    """Where werkzeug's multipart parser writes the file part: hashed as it lands on disk."""

    def __init__(self, writer: HashingWriter) -> None:
        self.writer = writer

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return self.writer.write(bytes(data))

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0  # the parser rewinds the file when done; we never read it back here

    def read(self, n: int = -1) -> bytes:
        return b""


def _multipart_import() -> datasets.DatasetView:
    """Stream the ``file`` part to the store's incoming/ and import it."""
    db, actor, files = current_db(), current_actor(), current_files()
    if not request.mimetype == "multipart/form-data":
        raise ValidationFailed(
            "Send multipart/form-data with the file in the field `file`.", field="file"
        )
    datasets.authorize_import(db, actor)
    request.max_content_length = app_state().settings.max_request_bytes
    with files.store.writing() as writer:
        parts: list[str] = []

        def factory(
            total_content_length: int | None,
            content_type: str | None,
            filename: str | None,
            content_length: int | None = None,
        ) -> IO[bytes]:
            parts.append(filename or "")
            if len(parts) > 1:
                raise ValidationFailed(
                    "Send one file per request, in the field `file`.", field="file"
                )
            return _Sink(writer)

        parser = FormDataParser(
            stream_factory=factory,  # type: ignore[arg-type]
            max_form_memory_size=FORM_FIELD_MAX_BYTES,
            max_content_length=request.max_content_length,
            max_form_parts=FORM_PARTS_MAX,
        )
        _stream, form, upload_files = parser.parse_from_environ(request.environ)
        if "file" not in upload_files:
            raise ValidationFailed("The form has no file in the field `file`.", field="file")
        filename = upload_files["file"].filename or ""
        unknown = sorted(set(form) - FORM_FIELDS)
        if unknown:
            raise ValidationFailed(
                f"Unknown field {unknown[0][:64]!r}; the form takes: "
                f"{', '.join(sorted(FORM_FIELDS))}.",
                field=unknown[0][:64],
            )
        data: dict[str, object] = {}
        for key in form:
            value = form.get(key, "")
            if "\ufffd" in value:  # werkzeug replaced bytes that were not UTF-8
                raise ValidationFailed(f"{key} is not UTF-8 text; send it as UTF-8.", field=key)
            data[key] = value
        data["factors"] = _factors(data.get("factors"))
        details = datasets.parse_details(data)
    # The file is whole (fsynced) once the block ends; the import takes it over.
    view = datasets.import_file(
        db, actor, files.store, writer.path, filename, details, sha256=writer.hexdigest()
    )
    explorer.warm(db, files, view.id)
    return view


def _factors(raw: object) -> object:
    """The ``factors`` form field: a flat JSON object (the service checks its values)."""
    if not raw:
        return {}
    try:
        value = json.loads(str(raw))
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict) or any(isinstance(v, dict | list) for v in value.values()):
        raise ValidationFailed(
            'factors must be a flat JSON object, e.g. {"spaceflight": "Space Flight", '
            '"gravity_g": 0}.',
            field="factors",
        )
    return value


def _record_param() -> str | None:
    value = request.args.get("record")
    return value or None


def _feature_json(record: str, f: Any, cds: Any = None) -> dict[str, object]:
    found: dict[str, object] = {
        "record": record,
        "type": f.type,
        "start": f.start + 1,
        "end": f.end,
        "strand": f.strand,
        "locus_tag": f.locus_tag,
        "gene": f.gene,
        "product": f.product,
        "protein_id": f.protein_id,
    }
    if cds is not None:
        found.update(
            translation=cds.translation,
            annotated_translation=cds.annotated_translation,
            agrees=cds.agrees,
            problem=cds.problem,
        )
    return found


# --- routes --------------------------------------------------------------------------------


@blp.route("/datasets")
class Datasets(MethodView):
    @blp.arguments(DatasetQuerySchema, location="query")
    @blp.response(200, DatasetSchema(many=True))
    @_errors(422)
    def get(self, query: dict[str, Any]) -> list[datasets.DatasetView]:
        """Datasets, newest first; filter by experiment, format, material or spaceflight."""
        factor = query.get("factor")
        f = datasets.DatasetFilter(
            query.get("experiment_id"),
            query.get("format"),
            query.get("material"),
            query.get("spaceflight"),
            datasets.parse_factor_filter(factor) if factor else None,
        )
        return datasets.list_datasets(current_db(), f, limit=query["limit"])

    @blp.doc(
        requestBody={
            "required": True,
            "content": {"multipart/form-data": {"schema": DatasetFormSchema}},
        }
    )
    @blp.response(201, DatasetSchema)
    @_errors(403, 409, 413, 422)
    def post(self) -> datasets.DatasetView:
        """Import a file (FASTA, FASTQ, GenBank, EMBL; gzip allowed), streamed to disk.

        A repeat of the same bytes answers 409 naming the existing dataset; a malformed file
        answers 422 naming the line. Large files from a browser: use /uploads.
        """
        return _multipart_import()


@blp.route("/datasets/<int:dataset_id>")
class DatasetById(MethodView):
    @blp.response(200, DatasetSchema)
    @_errors(404)
    def get(self, dataset_id: int) -> datasets.DatasetView:
        """One dataset: metadata, SHA-256, size, format, lineage."""
        return datasets.get_dataset(current_db(), dataset_id)

    @blp.response(204)
    @_errors(403, 404, 409)
    def delete(self, dataset_id: int) -> None:
        """Delete a dataset and its file (admins; refused while others derive from it)."""
        datasets.delete_dataset(current_db(), current_actor(), current_files().store, dataset_id)


@blp.route("/datasets/<int:dataset_id>/content")
class DatasetContent(MethodView):
    @blp.response(200, description="The file as imported", content_type="application/octet-stream")
    @_errors(404)
    def get(self, dataset_id: int) -> Response:
        """The original file, byte for byte."""
        dataset = datasets.get_dataset(current_db(), dataset_id)
        path = datasets.content_path(current_files().store, dataset)
        response = send_file(
            path,
            as_attachment=True,
            download_name=dataset.filename,
            max_age=0,
            mimetype="application/octet-stream",
            etag=dataset.sha256,
        )
        response.headers["Digest"] = f"sha-256={_b64(dataset.sha256)}"
        return response


def _b64(hex_digest: str) -> str:
    import base64

    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


@blp.route("/datasets/<int:dataset_id>/records")
class DatasetRecords(MethodView):
    @blp.response(200, RecordSchema(many=True))
    @_errors(404)
    def get(self, dataset_id: int) -> list[datasets.RecordRow]:
        """The records (chromosomes, plasmids, contigs) of a FASTA, GenBank or EMBL dataset."""
        return datasets.records(current_db(), dataset_id)


@blp.route("/datasets/<int:dataset_id>/stats")
class DatasetStats(MethodView):
    @blp.response(200, StatsSchema)
    @_errors(404)
    def get(self, dataset_id: int) -> dict[str, object]:
        """Read statistics (FASTQ) or assembly statistics (N50, GC…), computed at import."""
        dataset = datasets.get_dataset(current_db(), dataset_id)
        return {"dataset_id": dataset.id, "format": dataset.format, **dataset.stats}


@blp.route("/datasets/<int:dataset_id>/features")
class DatasetFeatures(MethodView):
    @blp.arguments(FeatureQuerySchema, location="query")
    @blp.response(200, FeatureSchema(many=True))
    @_errors(404, 422)
    def get(self, query: dict[str, Any], dataset_id: int) -> list[dict[str, object]]:
        """Annotated features of a record (all records when none is named); CDS come with
        their translation computed from the sequence and the annotated one."""
        db, files = current_db(), current_files()
        wanted = query.get("type")
        names = (
            [query["record"]]
            if query.get("record")
            else [r.id for r in explorer.records(db, files, dataset_id)]
        )
        found: list[dict[str, object]] = []
        for name in names:
            rec = explorer.record(db, files, dataset_id, name)
            rows = {
                (c.start, c.end, c.strand): c for c in explorer.cds(db, files, dataset_id, rec.id)
            }
            for f in explorer.features(db, files, dataset_id, rec.id, wanted):
                cds = rows.get((f.start, f.end, f.strand)) if f.type == "CDS" else None
                found.append(_feature_json(rec.id, f, cds))
        return found


@blp.route("/datasets/<int:dataset_id>/region")
class DatasetRegion(MethodView):
    @blp.arguments(RegionQuerySchema, location="query")
    @blp.response(200, description="FASTA", content_type="text/x-fasta")
    @_errors(404, 422)
    def get(self, query: dict[str, Any], dataset_id: int) -> Response:
        """A region (1-based, inclusive) of a record as FASTA."""
        text = explorer.region_fasta(
            current_db(),
            current_files(),
            dataset_id,
            query.get("record"),
            query["start"],
            query["end"],
        )
        return Response(text, mimetype="text/x-fasta")


@blp.route("/datasets/<int:dataset_id>/orfs")
class DatasetOrfs(MethodView):
    @blp.arguments(OrfQuerySchema, location="query")
    @blp.response(200, OrfSchema(many=True))
    @_errors(404, 422)
    def get(self, query: dict[str, Any], dataset_id: int) -> list[dict[str, object]]:
        """Open reading frames in six frames (minimum length, genetic code, start codons)."""
        found = explorer.orfs(
            current_db(),
            current_files(),
            dataset_id,
            query.get("record"),
            min_length_nt=query["min_length"],
            table=query["table"],
            starts=query["starts"],
        )
        return [
            {
                "start": o.start + 1,
                "end": o.end,
                "strand": o.strand,
                "frame": o.frame,
                "length_nt": o.length_nt,
                "protein": o.protein,
            }
            for o in found
        ]


@blp.route("/uploads")
class Uploads(MethodView):
    @blp.arguments(UploadOpenSchema)
    @blp.response(201, UploadSchema)
    @_errors(403, 409, 422)
    def post(self, body: dict[str, Any]) -> dict[str, object]:
        """Open a chunked, resumable upload; the dataset's details are checked now."""
        filename, size = body.pop("filename"), body.pop("size")
        view = uploads.open_upload(
            current_db(), current_actor(), current_files().store, filename, size, body
        )
        return _upload_json(view)


def _upload_json(view: uploads.UploadView) -> dict[str, object]:
    return {
        "id": view.id,
        "filename": view.filename,
        "size": view.size,
        "received": view.received,
        "job_id": view.job_id,
        "chunk_max_bytes": uploads.CHUNK_MAX_BYTES,
    }


@blp.route("/uploads/<string:upload_id>")
class UploadById(MethodView):
    @blp.response(200, UploadSchema)
    @_errors(404)
    def get(self, upload_id: str) -> dict[str, object]:
        """How much of an upload has arrived (where to resume)."""
        return _upload_json(uploads.get_upload(current_db(), current_actor(), upload_id))

    @blp.arguments(ChunkQuerySchema, location="query")
    @blp.doc(
        requestBody={
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    )
    @blp.response(200, UploadSchema)
    @_errors(404, 409, 413, 422)
    def put(self, query: dict[str, Any], upload_id: str) -> dict[str, object]:
        """Append a chunk (at most 16 MiB) at `offset`, which must be the upload's `received`."""
        # Bodies of these types are parsed (or checked) before the route sees the stream.
        if request.is_json or request.mimetype in FORM_TYPES:
            raise ValidationFailed(
                "Send the chunk's bytes as application/octet-stream.", field="chunk"
            )
        request.max_content_length = uploads.CHUNK_MAX_BYTES
        view = uploads.append(
            current_db(),
            current_actor(),
            current_files().store,
            upload_id,
            query["offset"],
            request.stream,
            request.content_length,
        )
        return _upload_json(view)

    @blp.response(204)
    @_errors(404, 409)
    def delete(self, upload_id: str) -> None:
        """Abandon an upload."""
        uploads.discard(current_db(), current_actor(), current_files().store, upload_id)


@blp.route("/uploads/<string:upload_id>/complete")
class UploadComplete(MethodView):
    @blp.response(202, JobSchema)
    @_errors(403, 404, 409)
    def post(self, upload_id: str) -> jobs.JobView:
        """All bytes sent: start the import job (follow it at /api/v1/jobs/{id})."""
        db, actor = current_db(), current_actor()
        job_id = uploads.complete(db, actor, upload_id, current_queue().enqueue)
        return jobs.get(db, actor, job_id)


@blp.route("/experiments/<int:experiment_id>/samples.tsv")
class SampleSheet(MethodView):
    @blp.response(200, description="ISA-Tab-style sample sheet", content_type=TSV)
    @_errors(404)
    def get(self, experiment_id: int) -> Response:
        """The experiment's samples as an ISA-Tab-style TSV."""
        text = sample_sheet.export(current_db(), experiment_id)
        response = Response(text, mimetype=TSV)
        response.headers["Content-Disposition"] = (
            f'attachment; filename="experiment-{experiment_id}-samples.tsv"'
        )
        return response

    @blp.doc(requestBody={"required": True, "content": {TSV: {"schema": {"type": "string"}}}})
    @blp.response(200, SheetResultSchema)
    @_errors(403, 404, 422)
    def post(self, experiment_id: int) -> sample_sheet.SheetResult:
        """Create and update samples from a sheet (all rows or none; problems name the line)."""
        raw = request.get_data(cache=False)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationFailed(
                f"The sample sheet is not UTF-8 text (byte {exc.start + 1}); save it as UTF-8.",
                field="sheet",
            ) from None
        return sample_sheet.import_sheet(current_db(), current_actor(), experiment_id, text)


class FastaQuerySchema(Schema):
    record = fields.String(validate=validate.Length(max=255))
    protein = fields.Boolean(
        load_default=True, metadata={"description": "Proteins, or nucleotides"}
    )


class OrfFastaQuerySchema(OrfQuerySchema):
    protein = fields.Boolean(
        load_default=True, metadata={"description": "Proteins, or nucleotides"}
    )


def _fasta_download(text: str, name: str) -> Response:
    response = Response(text, mimetype="text/x-fasta")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@blp.route("/datasets/<int:dataset_id>/cds.fasta")
class DatasetCdsFasta(MethodView):
    @blp.arguments(FastaQuerySchema, location="query")
    @blp.response(200, description="FASTA", content_type="text/x-fasta")
    @_errors(404, 422)
    def get(self, query: dict[str, Any], dataset_id: int) -> Response:
        """Every CDS of a record (or of all records) as FASTA: proteins or nucleotides."""
        db, files = current_db(), current_files()
        names = (
            [query["record"]]
            if query.get("record")
            else [r.id for r in explorer.records(db, files, dataset_id)]
        )
        parts = []
        for name in names:
            rec = explorer.record(db, files, dataset_id, name)
            rows = explorer.cds(db, files, dataset_id, rec.id)
            parts.append(explorer.cds_fasta(rows, rec, protein=query["protein"]))
        kind = "proteins" if query["protein"] else "cds"
        return _fasta_download("".join(parts), f"dataset-{dataset_id}-{kind}.fasta")


@blp.route("/datasets/<int:dataset_id>/orfs.fasta")
class DatasetOrfsFasta(MethodView):
    @blp.arguments(OrfFastaQuerySchema, location="query")
    @blp.response(200, description="FASTA", content_type="text/x-fasta")
    @_errors(404, 422)
    def get(self, query: dict[str, Any], dataset_id: int) -> Response:
        """The ORFs of a record as FASTA: proteins or nucleotides on the ORF's strand."""
        db, files = current_db(), current_files()
        rec = explorer.record(db, files, dataset_id, query.get("record"))
        found = explorer.orfs(
            db,
            files,
            dataset_id,
            rec.id,
            min_length_nt=query["min_length"],
            table=query["table"],
            starts=query["starts"],
        )
        kind = "orf-proteins" if query["protein"] else "orfs"
        return _fasta_download(
            explorer.orfs_fasta(rec, found, protein=query["protein"]),
            f"dataset-{dataset_id}-{kind}.fasta",
        )


@blp.route("/datasets/<int:dataset_id>/stats.csv")
class DatasetStatsCsv(MethodView):
    @blp.response(200, description="CSV", content_type="text/csv")
    @_errors(404)
    def get(self, dataset_id: int) -> Response:
        """The dataset's statistics as CSV (one row per figure; per-position qualities and the
        length histogram as further rows)."""
        text = datasets.stats_csv(datasets.get_dataset(current_db(), dataset_id))
        response = Response(text, mimetype="text/csv")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="dataset-{dataset_id}-stats.csv"'
        )
        return response
