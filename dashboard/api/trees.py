# mypy: disallow-untyped-decorators=False
# (flask-smorest has no type hints: its decorators are untyped)
"""/api/v1/trees: build phylogenetic trees, upload them, re-root, compare and export them.

Thin wrappers over :mod:`dashboard.services.trees`. ``POST /trees`` takes a JSON request
(datasets with a distance, or an inline distance matrix) or a multipart upload (a Newick,
Nexus or PhyloXML tree, an alignment or a distance matrix); it answers 201 with the tree when
it is built in the request, or 202 with the ``tree.build`` job (bootstrap, large inputs).

The role is checked before the body is read, so a refused caller is refused (and audited)
whatever they sent. Request schemas state the service's own limits; what JSON Schema cannot
say (a matrix is square and symmetric, the datasets exist) the service checks and names.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from typing import Any

from flask import Response, jsonify, request
from flask import abort as flask_abort
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.formparser import FormDataParser

from analysis.phylo.build import METHODS
from analysis.phylo.distances import DISTANCES
from analysis.phylo.matrix import LABEL_MAX
from analysis.phylo.minhash import SKETCH_SIZE, K
from analysis.phylo.tree_io import TREE_FORMATS
from dashboard.auth import app_state, current_actor, current_db, current_files, current_queue
from dashboard.services import trees
from dashboard.services.errors import ValidationFailed
from dashboard.services.policy import Action, authorize

from .jobs import JobSchema
from .provenance import StatusSchema
from .schemas import doc, error_responses, one_line, unique

PREFIX = "/api/v1"
ID_MAX = 2**31 - 1
LIST_MAX = 500
# An inline matrix travels as JSON; larger ones are uploaded as a PHYLIP or CSV file.
JSON_BODY_MAX = 16 * 2**20
# The multipart form: the file and its few fields (werkzeug reads 64 KiB at a time, so the
# text fields' bound must be above that).
FORM_FIELDS = frozenset(
    {"kind", "method", "distance", "bootstrap", "seed", "name", "experiment_id"}
)
FORM_FIELD_MAX_BYTES = 1024 * 1024
FORM_PARTS_MAX = len(FORM_FIELDS) + 2
FORM_OVERHEAD = 1024 * 1024
FORM_TYPES = ("multipart/form-data",)
TREE_MIMETYPES = {fmt: mimetype for fmt, (mimetype, _ext) in trees.MIMETYPES.items()}

blp = Blueprint(
    "api_trees",
    __name__,
    url_prefix=PREFIX,
    description="Phylogenetic trees: build from datasets or a distance matrix, upload, "
    "re-root, compare (Robinson–Foulds), export as Newick, Nexus or PhyloXML",
)


def _errors(*statuses: int) -> Any:
    return error_responses(blp, *statuses)


# --- fields ----------------------------------------------------------------------------------


MATRIX_OPENAPI = {
    "type": "array",
    "items": {"type": "array", "items": {"type": "number"}},
    "minItems": 2,
    "maxItems": trees.TAXA_MAX,
}


class MatrixRows(fields.Field[list[list[float]]]):
    """Rows of finite JSON numbers (checked in one pass: a matrix may hold millions)."""

    default_error_messages = {  # noqa: RUF012 - marshmallow's own convention
        "rows": "Give a list of rows, each a list of JSON numbers.",
        "number": "Row {row}, column {column}: give a finite JSON number (not {kind}).",
    }

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> list[list[float]]:
        if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
            raise self.make_error("rows")
        out: list[list[float]] = []
        for i, row in enumerate(value, start=1):
            try:
                floats = [float(v) for v in row if type(v) in (int, float)]
            except OverflowError:  # an integer beyond a float's range
                floats = []
            if len(floats) != len(row) or not all(map(math.isfinite, floats)):
                j, bad = next(
                    (j, v)
                    for j, v in enumerate(row, start=1)
                    if type(v) not in (int, float) or not _finite(v)
                )
                kind = "NaN or an infinity" if type(bad) in (int, float) else type(bad).__name__
                raise self.make_error("number", row=i, column=j, kind=kind)
            out.append(floats)
        return out


def _finite(value: float) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


# --- request schemas -------------------------------------------------------------------------


def _name() -> fields.String:
    return fields.String(
        validate=one_line(trees.NAME_MAX, required=False),
        metadata=doc("The tree's name (default: method, distance and tip count)"),
    )


def _method() -> fields.String:
    return fields.String(
        validate=validate.OneOf(METHODS),
        metadata=doc(
            "nj: neighbour joining (Saitou–Nei, unrooted; at least 3 taxa); upgma: "
            "size-weighted average (ultrametric, rooted); wpgma: simple average. Default nj",
            example="nj",
        ),
    )


class TreeFromDatasetsSchema(Schema):
    """Build from datasets: genomes or assemblies (mash), or aligned sequences (p, jc69,
    k2p): several single-sequence datasets of one length, or one aligned multi-FASTA."""

    datasets = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=ID_MAX)),
        required=True,
        validate=[validate.Length(min=1, max=trees.DATASETS_MAX), unique],
        metadata=doc(
            "Dataset ids; each becomes a tip named after its sample (one aligned "
            "multi-FASTA: its records are the tips)",
            uniqueItems=True,
            example=[1, 2, 3],
        ),
    )
    distance = fields.String(
        validate=validate.OneOf(trees.ALL_DISTANCES),
        metadata=doc(
            "p: p-distance; jc69: Jukes–Cantor; k2p: Kimura 2-parameter (aligned sequences, "
            "gaps and ambiguity codes skipped pairwise); mash: MinHash (Mash-style, "
            f"k={K}, sketch {SKETCH_SIZE}) on whole genomes. Default mash",
            example="mash",
        ),
    )
    method = _method()
    bootstrap = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=trees.BOOTSTRAP_MAX),
        metadata=doc(
            "Bootstrap replicates (alignment distances only; 0: none). With replicates the "
            "build runs as a job (202) and the tree carries support values (0–100)",
            example=100,
        ),
    )
    seed = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=trees.SEED_MAX),
        metadata=doc("The bootstrap's random seed (the same seed gives the same supports)"),
    )
    name = _name()


class InlineMatrixSchema(Schema):
    labels = fields.List(
        fields.String(validate=validate.Length(min=1, max=LABEL_MAX)),
        required=True,
        validate=[validate.Length(min=2, max=trees.TAXA_MAX), unique],
        metadata=doc("Taxon names, unique", uniqueItems=True, example=["A", "B", "C"]),
    )
    matrix = MatrixRows(
        required=True,
        metadata=doc(
            "Square, symmetric, zero diagonal, finite and non-negative; the first bad cell "
            "is named in the 422",
            example=[[0, 5, 9], [5, 0, 10], [9, 10, 0]],
            **MATRIX_OPENAPI,
        ),
    )


class TreeFromMatrixSchema(Schema):
    """Build from a distance matrix given inline (larger ones: upload a PHYLIP or CSV file)."""

    distance_matrix = fields.Nested(InlineMatrixSchema, required=True)
    method = _method()
    name = _name()


class TreeUploadFormSchema(Schema):
    """The multipart form of POST /trees (documentation; the service reads it)."""

    file = fields.Raw(
        required=True,
        metadata={
            "type": "string",
            "format": "binary",
            "description": "A tree (Newick, Nexus, PhyloXML), an alignment (FASTA, PHYLIP, "
            "Clustal, Nexus) or a distance matrix (PHYLIP square or lower-triangular, CSV, "
            f"TSV); plain text, at most {trees.UPLOAD_MAX // 2**20} MiB and the server's "
            "request limit (MICROSPACEGEN_MAX_REQUEST_MB, 64 MiB by default)",
        },
    )
    kind = fields.String(
        validate=validate.OneOf(trees.FILE_KINDS),
        metadata=doc("What the file is; auto: by its extension and content. Default auto"),
    )
    method = _method()
    distance = fields.String(
        validate=validate.OneOf(DISTANCES),
        metadata=doc("An alignment's distance (p, jc69, k2p). Default k2p"),
    )
    bootstrap = fields.Integer(
        validate=validate.Range(min=0, max=trees.BOOTSTRAP_MAX),
        metadata=doc("An alignment's bootstrap replicates (a job: 202)"),
    )
    seed = fields.Integer(validate=validate.Range(min=0, max=trees.SEED_MAX))
    name = _name()
    experiment_id = fields.Integer(
        validate=validate.Range(min=1, max=ID_MAX),
        metadata=doc("The experiment the tree belongs to (its samples give tips factors)"),
    )


class TreeListQuerySchema(Schema):
    limit = fields.Integer(
        load_default=100, validate=validate.Range(min=1, max=LIST_MAX), metadata=doc("At most")
    )
    offset = fields.Integer(
        load_default=0, validate=validate.Range(min=0, max=ID_MAX), metadata=doc("Skip this many")
    )


class TreeQuerySchema(Schema):
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(["json", *TREE_FORMATS]),
        metadata=doc("json (default), or the tree as a file: newick, nexus or phyloxml"),
    )


class RerootSchema(Schema):
    """Root on the most recent common ancestor of the outgroup's tips, or at the midpoint."""

    outgroup = fields.List(
        fields.String(validate=validate.Length(min=1, max=LABEL_MAX)),
        validate=validate.Length(min=1, max=trees.TAXA_MAX),
        metadata=doc("Tip labels (GET /trees/{id}/tips lists them)", example=["ancestor"]),
    )
    midpoint = fields.Boolean(
        truthy={True},
        falsy={False},
        metadata=doc("true: root at the midpoint of the longest tip-to-tip path"),
    )
    name = _name()


# --- response schemas ------------------------------------------------------------------------


class TreeLinksSchema(Schema):
    self = fields.String(metadata=doc("This tree"))
    tips = fields.String(metadata=doc("Its tips' metadata"))
    provenance = fields.String(metadata=doc("Its provenance status"))
    newick = fields.String(metadata=doc("Download as Newick"))
    nexus = fields.String(metadata=doc("Download as Nexus"))
    phyloxml = fields.String(metadata=doc("Download as PhyloXML"))
    reroot = fields.String(metadata=doc("POST here to re-root it"))
    parent = fields.String(allow_none=True, metadata=doc("The tree it was re-rooted from"))


class TreeSummarySchema(Schema):
    id = fields.Integer(metadata=doc("Tree id"))
    name = fields.String(metadata=doc("Name"))
    description = fields.String(metadata=doc("How it was made, in words"))
    experiment_id = fields.Integer(allow_none=True, metadata=doc("Its experiment, if any"))
    source = fields.String(
        validate=validate.OneOf(trees.SOURCES),
        metadata=doc("datasets, alignment, matrix, upload or reroot"),
    )
    distance = fields.String(metadata=doc("p, jc69, k2p, mash, or empty"))
    method = fields.String(metadata=doc("nj, upgma, wpgma, or empty (uploaded)"))
    params = fields.Dict(
        metadata=doc("Everything the build used: bootstrap, seed, k, sketch size, gaps…")
    )
    sha256 = fields.String(metadata=doc("SHA-256 of the Newick's UTF-8 bytes"))
    tip_count = fields.Integer(metadata=doc("Tips"))
    parent_tree_id = fields.Integer(allow_none=True, metadata=doc("Re-rooted from this tree"))
    input_filename = fields.String(metadata=doc("The uploaded file, if any"))
    dataset_ids = fields.List(fields.Integer(), metadata=doc("The datasets it was built from"))
    created_by = fields.String(metadata=doc("Who made it"))
    created_at = fields.DateTime(metadata=doc("When"))
    links = fields.Nested(TreeLinksSchema)


class TreeSchema(TreeSummarySchema):
    newick = fields.String(
        metadata=doc("The tree; internal node labels are bootstrap supports (0–100)")
    )
    tips = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(allow_none=True),
        metadata=doc("Tip label → the dataset it stands for (null: none)"),
    )


class TreePageSchema(Schema):
    items = fields.List(fields.Nested(TreeSummarySchema), required=True)
    total = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)


class FactorSchema(Schema):
    key = fields.String(metadata=doc("As in each tip's factors", example="spaceflight"))
    label = fields.String(metadata=doc("For people", example="Spaceflight"))


class TipSchema(Schema):
    label = fields.String(metadata=doc("The tip's label in the Newick"))
    dataset_id = fields.Integer(allow_none=True, metadata=doc("The dataset it stands for"))
    factors = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata=doc(
            "Its sample's factors (empty when unknown): "
            + ", ".join(key for key, _label in trees.FACTORS),
            example={"spaceflight": "Space Flight", "gravity_g": "0", "time_point": "day 21"},
        ),
    )


class TipsSchema(Schema):
    tree_id = fields.Integer(required=True)
    factors = fields.List(fields.Nested(FactorSchema), required=True)
    tips = fields.List(fields.Nested(TipSchema), required=True)


class TreeProvenanceSchema(Schema):
    tree_id = fields.Integer(required=True)
    sha256 = fields.String(required=True, metadata=doc("Of the Newick, as recorded"))
    entity = fields.String(required=True, metadata=doc("The record's entity", example="tree/7"))
    status = fields.Nested(StatusSchema, required=True)


class CompareSchema(Schema):
    a = fields.Integer(metadata=doc("The first tree"))
    b = fields.Integer(metadata=doc("The second tree"))
    rf = fields.Integer(metadata=doc("Robinson–Foulds distance (unrooted, on common tips)"))
    max_rf = fields.Integer(metadata=doc("Its largest possible value on these tips"))
    normalized_rf = fields.Float(metadata=doc("rf / max_rf (0: same topology)"))
    common_tips = fields.Integer(metadata=doc("Tips both trees have (the comparison's)"))
    tips_a = fields.Integer(metadata=doc("Tips of the first tree"))
    tips_b = fields.Integer(metadata=doc("Tips of the second tree"))


# --- helpers ---------------------------------------------------------------------------------


def _role_first(view: Any) -> Any:
    """Check the role before the body is read, so a refused caller is refused (and audited)
    whatever they sent, not told how to fix their request."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        target = ("tree", kwargs["tree_id"]) if "tree_id" in kwargs else None
        authorize(current_db(), current_actor(), Action.TREE_BUILD, target=target)
        return view(*args, **kwargs)

    return checked


def _links(view: trees.TreeView) -> dict[str, object]:
    base = f"{PREFIX}/trees/{view.id}"
    return {
        "self": base,
        "tips": f"{base}/tips",
        "provenance": f"{base}/provenance",
        **{fmt: f"{base}?format={fmt}" for fmt in TREE_FORMATS},
        "reroot": f"{base}/reroot",
        "parent": f"{PREFIX}/trees/{view.parent_tree_id}" if view.parent_tree_id else None,
    }


def _tree_json(view: trees.TreeView, *, full: bool = True) -> dict[str, object]:
    out: dict[str, object] = {
        "id": view.id,
        "name": view.name,
        "description": view.describe(),
        "experiment_id": view.experiment_id,
        "source": view.source,
        "distance": view.distance,
        "method": view.method,
        "params": view.params,
        "sha256": view.sha256,
        "tip_count": view.tip_count,
        "parent_tree_id": view.parent_tree_id,
        "input_filename": view.input_filename,
        "dataset_ids": list(view.dataset_ids),
        "created_by": view.created_by,
        "created_at": view.created_at,
        "links": _links(view),
    }
    if full:
        out.update(newick=view.newick, tips=view.tips)
    return out


def _created(result: Any) -> Response:
    """201 with the tree, or 202 with the job that builds it; Location names either."""
    if isinstance(result, trees.TreeView):
        response = jsonify(TreeSchema().dump(_tree_json(result)))
        response.status_code = 201
        response.headers["Location"] = f"{PREFIX}/trees/{result.id}"
        return response
    response = jsonify(JobSchema().dump(result))
    response.status_code = 202
    response.headers["Location"] = f"{PREFIX}/jobs/{result.id}"
    return response


def _json_body() -> dict[str, Any]:
    """The JSON request, checked against the schema of its shape (datasets or matrix)."""
    request.max_content_length = min(JSON_BODY_MAX, app_state().settings.max_request_bytes)
    try:
        body = json.loads(request.get_data(cache=False))
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise ValidationFailed(
            'Send a JSON object: {"datasets": [ids], "distance": ..., "method": ...} or '
            '{"distance_matrix": {"labels": [...], "matrix": [[...]]}, "method": ...}.',
            field="body",
        )
    schema: Schema = (
        TreeFromMatrixSchema() if "distance_matrix" in body else TreeFromDatasetsSchema()
    )
    try:
        loaded: dict[str, Any] = schema.load(body)
    except ValidationError as exc:
        abort(422, messages={"json": exc.messages})
    return loaded


def _form_text(form: Mapping[str, str], key: str) -> str:
    value = form.get(key, "")
    if "\ufffd" in value:  # werkzeug replaced bytes that were not UTF-8
        raise ValidationFailed(f"{key} is not UTF-8 text; send it as UTF-8.", field=key)
    return value


def _upload() -> Any:
    """Read the multipart form (the file in `file`) and hand it to the service."""
    limit = min(app_state().settings.max_request_bytes, trees.UPLOAD_MAX + FORM_OVERHEAD)
    request.max_content_length = limit
    parser = FormDataParser(
        max_form_memory_size=FORM_FIELD_MAX_BYTES,
        max_content_length=limit,
        max_form_parts=FORM_PARTS_MAX,
    )
    _stream, form, files = parser.parse_from_environ(request.environ)
    if "file" not in files:
        raise ValidationFailed("The form has no file in the field `file`.", field="file")
    if len(files) > 1 or len(files.getlist("file")) > 1:
        raise ValidationFailed("Send one file per request, in the field `file`.", field="file")
    unknown = sorted(set(form) - FORM_FIELDS)
    if unknown:
        raise ValidationFailed(
            f"Unknown field {unknown[0][:64]!r}; the form takes: {', '.join(sorted(FORM_FIELDS))}.",
            field=unknown[0][:64],
        )
    data = {key: _form_text(form, key) for key in form}
    upload = files["file"]
    content = upload.stream.read(trees.UPLOAD_MAX + 1)
    return trees.upload(
        current_db(),
        current_actor(),
        current_files(),
        upload.filename or "",
        content,
        data,
        current_queue().enqueue,
    )


BUILD_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"oneOf": [TreeFromDatasetsSchema, TreeFromMatrixSchema]},
            "examples": {
                "datasets": {
                    "summary": "Genomes, MinHash distances, neighbour joining",
                    "value": {"datasets": [1, 2, 3, 4], "distance": "mash", "method": "nj"},
                },
                "bootstrap": {
                    "summary": "Aligned sequences, Kimura 2-parameter, 100 replicates (a job)",
                    "value": {"datasets": [5], "distance": "k2p", "bootstrap": 100, "seed": 7},
                },
                "matrix": {
                    "summary": "An inline distance matrix, UPGMA",
                    "value": {
                        "distance_matrix": {
                            "labels": ["A", "B", "C"],
                            "matrix": [[0, 2, 4], [2, 0, 4], [4, 4, 0]],
                        },
                        "method": "upgma",
                    },
                },
            },
        },
        "multipart/form-data": {"schema": TreeUploadFormSchema},
    },
}
TREE_FILES = {
    "content": {
        **{mimetype: {"schema": {"type": "string"}} for mimetype in TREE_MIMETYPES.values()},
    }
}


# --- routes ----------------------------------------------------------------------------------


@blp.route("/trees")
class Trees(MethodView):
    @blp.arguments(TreeListQuerySchema, location="query")
    @blp.response(200, TreePageSchema)
    @_errors(422)
    def get(self, query: dict[str, Any]) -> dict[str, object]:
        """Saved trees, newest first (without their Newick: GET /trees/{id} has it)."""
        current_actor()
        rows, total = trees.list_trees(current_db(), limit=query["limit"], offset=query["offset"])
        return {
            "items": [_tree_json(view, full=False) for view in rows],
            "total": total,
            "limit": query["limit"],
            "offset": query["offset"],
        }

    @_role_first
    @blp.doc(requestBody=BUILD_BODY)
    @blp.response(201, TreeSchema, headers={"Location": {"schema": {"type": "string"}}})
    @blp.alt_response(202, schema=JobSchema, description="Built as a job: follow it")
    @_errors(403, 413, 415, 422)
    def post(self) -> Response:
        """Build a tree (scientists): from datasets, an inline matrix, or an uploaded file.

        JSON: `{"datasets": [ids], "distance", "method", "bootstrap", "seed", "name"}` or
        `{"distance_matrix": {"labels", "matrix"}, "method", "name"}`. Multipart: the file in
        `file` (a tree is saved as it is; an alignment or matrix is built into one) with
        `kind`, `method`, `distance`, `bootstrap`, `seed`, `name`, `experiment_id`.

        201 with the tree when built in the request; 202 with the `tree.build` job when it
        runs as one (bootstrap, large inputs): its result names `tree_id`. A bad input is a
        422 naming the file, field or cell, and nothing is saved. JSON bodies are limited to
        1 MiB (a matrix of about 300 taxa with six-decimal distances); send larger matrices
        as a PHYLIP or CSV file.
        """
        db, actor = current_db(), current_actor()
        if request.mimetype in FORM_TYPES:
            return _created(_upload())
        if request.mimetype != "application/json":
            flask_abort(
                415,
                description="Send JSON (datasets or a distance_matrix), or multipart/form-data "
                "with the file in the field `file`.",
            )
        body = _json_body()
        return _created(trees.build(db, actor, current_files(), body, current_queue().enqueue))


@blp.route("/trees/<int:tree_id>")
class TreeById(MethodView):
    @blp.arguments(TreeQuerySchema, location="query")
    @blp.response(200, TreeSchema)
    @blp.doc(responses={200: TREE_FILES})
    @_errors(404, 422)
    def get(self, query: dict[str, Any], tree_id: int) -> Any:
        """One tree with its Newick; `format=newick|nexus|phyloxml` downloads it as a file."""
        current_actor()
        db = current_db()
        if query["format"] == "json":
            return _tree_json(trees.get_tree(db, tree_id))
        body, mimetype, filename = trees.export(db, tree_id, query["format"])
        response = Response(body, mimetype=mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


@blp.route("/trees/<int:tree_id>/tips")
class TreeTips(MethodView):
    @blp.response(200, TipsSchema)
    @_errors(404)
    def get(self, tree_id: int) -> dict[str, object]:
        """Each tip's dataset and factors (spaceflight, gravity, dose, time point…), to colour
        the tree by."""
        current_actor()
        db = current_db()
        info = trees.tip_info(db, trees.get_tree(db, tree_id))
        return {
            "tree_id": tree_id,
            "factors": [{"key": key, "label": label} for key, label in trees.FACTORS],
            "tips": [
                {"label": tip.label, "dataset_id": tip.dataset_id, "factors": tip.factors}
                for tip in info.values()
            ],
        }


@blp.route("/trees/<int:tree_id>/provenance")
class TreeProvenance(MethodView):
    @blp.response(200, TreeProvenanceSchema)
    @_errors(404)
    def get(self, tree_id: int) -> dict[str, object]:
        """The tree's provenance status: its record (a dataset derived from the datasets it
        was built from) pending or anchored, or tampered when its Newick changed."""
        current_actor()
        db = current_db()
        view = trees.get_tree(db, tree_id)
        status = trees.status(db, view, app_state().settings.chain_confirmations)
        return {
            "tree_id": view.id,
            "sha256": view.sha256,
            "entity": f"tree/{view.id}",
            "status": status.as_dict(),
        }


@blp.route("/trees/<int:tree_id>/reroot")
class TreeReroot(MethodView):
    @_role_first
    @blp.arguments(RerootSchema)
    @blp.response(201, TreeSchema, headers={"Location": {"schema": {"type": "string"}}})
    @_errors(403, 404, 422)
    def post(self, body: dict[str, Any], tree_id: int) -> Response:
        """Re-root a tree (scientists): `{"outgroup": [tip labels]}` or `{"midpoint": true}`.

        The result is a new tree (the original is kept) naming its parent; give one of the
        two, not both.
        """
        view = trees.reroot(
            current_db(),
            current_actor(),
            tree_id,
            outgroup=body.get("outgroup"),
            midpoint=bool(body.get("midpoint")),
            name=body.get("name") or "",
        )
        return _created(view)


@blp.route("/trees/<int:a_id>/compare/<int:b_id>")
class TreeCompare(MethodView):
    @blp.response(200, CompareSchema)
    @_errors(404, 422)
    def get(self, a_id: int, b_id: int) -> dict[str, object]:
        """Robinson–Foulds distance between two trees (unrooted, on the tips both have; 422
        when fewer than three are common)."""
        current_actor()
        return trees.compare(current_db(), a_id, b_id)
