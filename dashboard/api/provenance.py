"""/api/v1 provenance ledger: statuses, proofs, verification, retraction and batches.

Thin wrappers over :mod:`dashboard.services.provenance` (statuses, retraction, batches),
:mod:`dashboard.services.provenance_verify` (checks against the file, the proof and the
chain) and :mod:`dashboard.services.provenance_proof` (what a reviewer takes away).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
from typing import IO, Any

from flask import Response, abort, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from werkzeug.formparser import FormDataParser

from dashboard.auth import app_state, current_actor, current_db
from dashboard.services import provenance, provenance_proof, provenance_verify
from dashboard.services.errors import ValidationFailed
from dashboard.services.ledger_chain import chain_settings
from dashboard.services.policy import Action, authorize
from dashboard.services.text import text_pattern

from .schemas import error_responses

PREFIX = "/api/v1"
SHA256_PATTERN = "^[0-9a-fA-F]{64}$"
# A lookup form holds the file and nothing else; the parser reads 64 KiB at a time.
LOOKUP_FORM_PARTS_MAX = 4
LOOKUP_FORM_FIELD_MAX_BYTES = 1024 * 1024

blp = Blueprint(
    "api_provenance",
    __name__,
    url_prefix=PREFIX,
    description="Provenance ledger: statuses, proof bundles, verification, retraction, batches",
)


def _errors(*statuses: int) -> Any:
    return error_responses(blp, *statuses)


# --- schemas -------------------------------------------------------------------------------

DATE_TIME = {"format": "date-time"}


class StatusSchema(Schema):
    state = fields.String(required=True, validate=validate.OneOf(provenance.STATES))
    label = fields.String(required=True, metadata={"example": "Anchored"})
    detail = fields.String(required=True)
    confirmations = fields.Integer(allow_none=True)
    required_confirmations = fields.Integer(allow_none=True)
    tx_hash = fields.String(allow_none=True)
    block_number = fields.Integer(allow_none=True)
    block_time = fields.String(allow_none=True, metadata=DATE_TIME)
    submitter = fields.String(allow_none=True, metadata={"description": "anchoring account"})
    chain_id = fields.Integer(allow_none=True)
    contract = fields.String(allow_none=True)
    batch_id = fields.Integer(allow_none=True)
    retract_reason = fields.String(allow_none=True)
    lineage_issue = fields.String(
        allow_none=True,
        metadata={"description": "A problem of an ancestor (retracted, tampered), if any"},
    )


class ChainFactsSchema(Schema):
    chain_id = fields.Integer(allow_none=True)
    contract = fields.String(allow_none=True)
    description = fields.String(required=True)
    embedded = fields.Boolean(
        required=True,
        metadata={"description": "The development chain inside this server"},
    )
    note = fields.String(
        allow_none=True,
        metadata={"description": "What an anchor on this chain proves, and to whom"},
    )
    head_block = fields.Integer(allow_none=True)
    head_seen_at = fields.String(allow_none=True, metadata=DATE_TIME)
    last_error = fields.String(allow_none=True)


class LineageNodeSchema(Schema):
    dataset_id = fields.Integer(required=True)
    filename = fields.String(required=True)
    is_focus = fields.Boolean(required=True, metadata={"description": "the dataset asked for"})
    status = fields.Nested(StatusSchema, required=True)


class LineageEdgeSchema(Schema):
    parent = fields.Integer(required=True)
    child = fields.Integer(required=True, metadata={"description": "derived from the parent"})


class _ChainRefSchema(Schema):
    chain_id = fields.Integer(required=True)
    contract = fields.String(required=True, metadata={"description": "0x address"})
    tx_hash = fields.String(required=True)
    block_number = fields.Integer(required=True)


class ProofBundleSchema(Schema):
    """A proof bundle (``microspacegen-proof/1``), as downloaded (documentation only)."""

    format = fields.String(required=True, metadata={"example": "microspacegen-proof/1"})
    record = fields.Dict(required=True, metadata={"description": "The provenance record"})
    record_sha256 = fields.String(required=True)
    leaf = fields.String(required=True)
    proof = fields.List(fields.String(), required=True, metadata={"description": "Merkle path"})
    root = fields.String(required=True)
    chain = fields.Nested(_ChainRefSchema, required=True)
    dataset = fields.Dict(required=True, metadata={"description": "id and filename"})


class ProvDocumentSchema(Schema):
    """A W3C PROV-JSON document (documentation only)."""

    prefix = fields.Dict()
    entity = fields.Dict()
    activity = fields.Dict()
    agent = fields.Dict()
    wasGeneratedBy = fields.Dict()
    used = fields.Dict()
    wasDerivedFrom = fields.Dict()
    wasAssociatedWith = fields.Dict()


class ProvenanceSchema(Schema):
    dataset_id = fields.Integer(required=True)
    filename = fields.String(required=True)
    status = fields.Nested(StatusSchema, required=True)
    record = fields.Dict(
        allow_none=True,
        metadata={"description": "The canonical provenance record (W3C PROV flavoured)"},
    )
    leaf = fields.String(allow_none=True, metadata={"description": "keccak256 leaf, hex"})
    root = fields.String(allow_none=True, metadata={"description": "its batch's Merkle root"})
    proof = fields.List(fields.String(), required=True, metadata={"description": "Merkle path"})
    batch_leaf_count = fields.Integer(allow_none=True)
    chain = fields.Nested(ChainFactsSchema, required=True)
    nodes = fields.List(fields.Nested(LineageNodeSchema), required=True)
    edges = fields.List(fields.Nested(LineageEdgeSchema), required=True)


class CheckSchema(Schema):
    name = fields.String(
        required=True, metadata={"example": "file", "description": "What was checked"}
    )
    ok = fields.Boolean(
        required=True, allow_none=True, metadata={"description": "null: could not be checked"}
    )
    detail = fields.String(required=True)


class VerificationSchema(Schema):
    dataset_id = fields.Integer(allow_none=True)
    filename = fields.String(required=True)
    leaf = fields.String(allow_none=True)
    verified = fields.Boolean(
        required=True, metadata={"description": "every check passed, here and up the lineage"}
    )
    first_failure = fields.String(allow_none=True)
    anchored_block = fields.Integer(allow_none=True)
    verified_at = fields.String(required=True, metadata=DATE_TIME)
    chain = fields.String(required=True)
    checks = fields.List(fields.Nested(CheckSchema), required=True)
    parents = fields.List(
        fields.Nested(lambda: VerificationSchema()),
        required=True,
        metadata={"description": "The same checks for each dataset it was derived from"},
    )


class FileMatchSchema(Schema):
    dataset_id = fields.Integer(allow_none=True, metadata={"description": "null: deleted"})
    filename = fields.String(required=True)
    recorded_by = fields.String(required=True)
    recorded_at = fields.String(required=True, metadata=DATE_TIME)
    status = fields.Nested(StatusSchema, required=True)


class LookupSchema(Schema):
    sha256 = fields.String(required=True)
    size = fields.Integer(
        allow_none=True, metadata={"description": "bytes uploaded (null for a hash lookup)"}
    )
    anchored = fields.Boolean(
        required=True, metadata={"description": "some dataset with these bytes is anchored"}
    )
    matches = fields.List(fields.Nested(FileMatchSchema), required=True)


class HashLookupSchema(Schema):
    """A lookup by hash (documentation; the route reads the body itself)."""

    sha256 = fields.String(required=True, validate=validate.Regexp(SHA256_PATTERN))


class FileLookupSchema(Schema):
    """A lookup by the file's bytes (documentation; streamed and hashed, never kept)."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class RetractSchema(Schema):
    reason = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=provenance.RETRACT_REASON_MAX),
            validate.Regexp(text_pattern(multiline=True, required=True)),
        ],
        metadata={
            "description": (
                f"Why: at most {provenance.RETRACT_REASON_MAX} bytes of UTF-8 (the contract "
                "stores it), so fewer characters outside ASCII."
            )
        },
    )


class BatchQuerySchema(Schema):
    limit = fields.Integer(
        load_default=50, validate=validate.Range(min=1, max=provenance.BATCH_PAGE_MAX)
    )
    offset = fields.Integer(
        load_default=0, validate=validate.Range(min=0, max=provenance.BATCH_OFFSET_MAX)
    )


class BatchSchema(Schema):
    id = fields.Integer()
    root = fields.String()
    leaf_count = fields.Integer()
    state = fields.String(metadata={"description": "built, sent, anchored or failed"})
    chain_id = fields.Integer(allow_none=True)
    contract = fields.String(allow_none=True)
    tx_hash = fields.String(allow_none=True)
    block_number = fields.Integer(allow_none=True)
    block_time = fields.DateTime(allow_none=True)
    submitter = fields.String(allow_none=True)
    gas_used = fields.Integer(allow_none=True)
    gas_per_leaf = fields.Float(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    anchored_at = fields.DateTime(allow_none=True)
    audit_seq = fields.Integer(
        allow_none=True, metadata={"description": "audit event whose chain head rode along"}
    )


class BatchPageSchema(Schema):
    items = fields.List(fields.Nested(BatchSchema), required=True)
    total = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)


# --- helpers -------------------------------------------------------------------------------


def _required_confirmations() -> int:
    return app_state().settings.chain_confirmations


def _chain_json(facts: provenance.ChainFacts) -> dict[str, object]:
    return {
        "chain_id": facts.chain_id,
        "contract": facts.contract,
        "description": facts.description,
        "embedded": facts.is_embedded,
        "note": provenance.EMBEDDED_NOTE if facts.is_embedded else None,
        "head_block": facts.head_block,
        "head_seen_at": facts.head_seen_at.isoformat() if facts.head_seen_at else None,
        "last_error": facts.last_error,
    }


def _provenance_json(view: provenance.ProvenanceView) -> dict[str, object]:
    return {
        "dataset_id": view.dataset_id,
        "filename": view.filename,
        "status": view.status.as_dict(),
        "record": view.record,
        "leaf": view.leaf,
        "root": view.root,
        "proof": view.proof,
        "batch_leaf_count": view.anchored_with,
        "chain": _chain_json(view.chain),
        "nodes": [
            {
                "dataset_id": n.dataset_id,
                "filename": n.filename,
                "is_focus": n.is_focus,
                "status": n.status.as_dict(),
            }
            for n in view.nodes
        ],
        "edges": [{"parent": parent, "child": child} for parent, child in view.edges],
    }


class _HashingSink(IO[bytes]):
    """Where the multipart parser writes the ``file`` part: hashed and counted, not kept."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.sha.update(data)
        self.size += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0  # the parser rewinds the file when done; nothing is read back

    def read(self, n: int = -1) -> bytes:
        return b""


def _hash_upload() -> tuple[str, int]:
    """SHA-256 and size of the ``file`` part, hashed as it is read (no copy is written)."""
    request.max_content_length = app_state().settings.max_request_bytes
    sinks: list[_HashingSink] = []

    def factory(
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        if sinks:
            raise ValidationFailed("Send one file per request, in the field `file`.", field="file")
        sinks.append(_HashingSink())
        return sinks[0]

    parser = FormDataParser(
        stream_factory=factory,  # type: ignore[arg-type]
        max_form_memory_size=LOOKUP_FORM_FIELD_MAX_BYTES,
        max_content_length=request.max_content_length,
        max_form_parts=LOOKUP_FORM_PARTS_MAX,
    )
    _stream, form, files = parser.parse_from_environ(request.environ)
    if "file" not in files or not sinks:
        raise ValidationFailed("The form has no file in the field `file`.", field="file")
    if len(form):
        name = next(iter(form))[:64]
        raise ValidationFailed(
            f"Unknown field {name!r}; the form takes only the file, in `file`.", field=name
        )
    if sinks[0].size == 0:
        raise ValidationFailed(
            "The file is empty; no dataset is an empty file, so there is nothing to look up.",
            field="file",
        )
    return sinks[0].sha.hexdigest(), sinks[0].size


def _hash_from_json() -> str:
    try:
        body = json.loads(request.get_data(cache=False))
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise ValidationFailed('Send a JSON object: {"sha256": "<64 hexadecimal digits>"}.')
    unknown = sorted(set(body) - {"sha256"})
    if unknown:
        raise ValidationFailed(f"Unknown field {unknown[0][:64]!r}.", field=unknown[0][:64])
    value = body.get("sha256")
    if not isinstance(value, str):
        raise ValidationFailed("Give a SHA-256 as 64 hexadecimal digits.", field="sha256")
    return value  # the service checks its form


def _download(document: dict[str, Any], filename: str) -> Response:
    """A JSON document as a file to save (indented: reviewers read it)."""
    data = json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    return send_file(
        io.BytesIO(data),
        mimetype="application/json",
        as_attachment=True,
        download_name=filename,
        max_age=0,
    )


# --- routes --------------------------------------------------------------------------------


@blp.route("/datasets/<int:dataset_id>/provenance")
class DatasetProvenance(MethodView):
    @blp.response(200, ProvenanceSchema)
    @_errors(404)
    def get(self, dataset_id: int) -> dict[str, object]:
        """A dataset's provenance: status, record, leaf, root, proof, chain and lineage.

        Computed from the database alone (the stored record re-hashed, its proof re-walked);
        `POST /datasets/{id}/verify` also re-hashes the file and asks the chain.
        """
        view = provenance.get(current_db(), dataset_id, _required_confirmations())
        return _provenance_json(view)


@blp.route("/datasets/<int:dataset_id>/proof")
class DatasetProof(MethodView):
    @blp.response(
        200,
        ProofBundleSchema,
        description="The proof bundle (`python -m ledger verify FILE PROOF.json` checks it)",
        content_type="application/json",
    )
    @_errors(404, 409)
    def get(self, dataset_id: int) -> Response:
        """The dataset's proof bundle as a file: record, salt, leaf, Merkle path, root, chain
        id, contract, transaction and block. 409 until its batch is anchored."""
        bundle = provenance_proof.proof_bundle(current_db(), dataset_id)
        return _download(bundle, provenance_proof.proof_filename(bundle))


@blp.route("/datasets/<int:dataset_id>/lineage.prov.json")
class DatasetLineageProv(MethodView):
    @blp.response(
        200,
        ProvDocumentSchema,
        description="PROV-JSON (W3C PROV data model): the dataset and all it derives from",
        content_type="application/json",
    )
    @_errors(404, 409)
    def get(self, dataset_id: int) -> Response:
        """The dataset's lineage as a PROV-JSON document: entities with their SHA-256 and
        leaf, the activities that generated them, their agents, and wasDerivedFrom links."""
        found = provenance_proof.lineage_prov(current_db(), dataset_id)
        return _download(found.document, f"{found.filename}.prov.json")


@blp.route("/datasets/<int:dataset_id>/verify")
class DatasetVerify(MethodView):
    @blp.response(200, VerificationSchema)
    @_errors(403, 404)
    def post(self, dataset_id: int) -> dict[str, object]:
        """Verify now (reviewers, admins; audited): the stored file hashes to its record,
        the record to its leaf, the proof to an anchored root on the configured chain with
        enough confirmations, the leaf is not retracted, and the same for every parent."""
        state = app_state()
        result = provenance_verify.verify_dataset(
            current_db(),
            current_actor(),
            chain_settings(state.settings),
            state.files.store,
            dataset_id,
        )
        return result.as_dict()


@blp.route("/verify")
class Lookup(MethodView):
    @blp.doc(
        requestBody={
            "required": True,
            "content": {
                "multipart/form-data": {"schema": FileLookupSchema},
                "application/json": {"schema": HashLookupSchema},
            },
        }
    )
    @blp.response(200, LookupSchema)
    @_errors(403, 413, 415, 422)
    def post(self) -> dict[str, object]:
        """Were these bytes anchored, when, by whom, in which dataset? (reviewers, admins).

        Send the file (multipart, field `file`: hashed as it arrives and not kept; at most
        the server's request size) or its SHA-256 as JSON.
        """
        db, actor = current_db(), current_actor()
        # Refused (and audited) before the body is looked at; the service checks again.
        authorize(db, actor, Action.PROVENANCE_VERIFY)
        if request.mimetype == "multipart/form-data":
            sha256, size = _hash_upload()
        elif request.mimetype == "application/json":
            sha256, size = _hash_from_json(), None
        else:
            abort(
                415,
                description="Send the file as multipart/form-data in the field `file`, or its "
                'hash as JSON {"sha256": "..."}.',
            )
        matches = provenance_verify.find_file(db, actor, sha256, _required_confirmations())
        return {
            "sha256": sha256.strip().lower(),
            "size": size,
            "anchored": any(m.status.state == provenance.ANCHORED for m in matches),
            "matches": [m.as_dict() for m in matches],
        }


def _role_first(action: Action) -> Any:
    """Check the role before the body is parsed, so a refused caller is refused (and
    audited) whatever they sent, not told how to fix their request."""

    def decorate(view: Any) -> Any:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            target = ("dataset", kwargs.get("dataset_id")) if "dataset_id" in kwargs else None
            authorize(current_db(), current_actor(), action, target=target)
            return view(*args, **kwargs)

        return checked

    return decorate


@blp.route("/datasets/<int:dataset_id>/retract")
class DatasetRetract(MethodView):
    @_role_first(Action.PROVENANCE_RETRACT)
    @blp.arguments(RetractSchema)
    @blp.response(200, StatusSchema)
    @_errors(403, 404, 409, 422)
    def post(self, body: dict[str, Any], dataset_id: int) -> dict[str, object]:
        """Retract the dataset with a reason (reviewers, admins; audited). Recorded now; sent
        to the contract once its batch is anchored. 409 when already retracted."""
        status = provenance.retract(current_db(), current_actor(), dataset_id, body["reason"])
        return status.as_dict()


@blp.route("/ledger/batches")
class Batches(MethodView):
    @blp.arguments(BatchQuerySchema, location="query")
    @blp.response(200, BatchPageSchema)
    @_errors(422)
    def get(self, query: dict[str, Any]) -> dict[str, object]:
        """Merkle batches, newest first: root, leaves, transaction, block, gas per leaf."""
        rows, total = provenance.list_batches(current_db(), query["limit"], query["offset"])
        return {"items": rows, "total": total, "limit": query["limit"], "offset": query["offset"]}
