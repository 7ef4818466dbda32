"""/api/v1/jobs: start, follow and cancel background jobs; fetch the files they made."""

from __future__ import annotations

from typing import Any

from flask import Response, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from dashboard.auth import app_state, current_actor, current_db, current_queue
from dashboard.services import jobs
from dashboard.services.errors import NotFound, ValidationFailed
from dashboard.services.job_kinds import KINDS

from .schemas import error_responses

PREFIX = "/api/v1"
MAX_ID = 2**31 - 1  # ids are 32-bit in every database we run on

blp = Blueprint("api_jobs", __name__, url_prefix=f"{PREFIX}/jobs", description="Background jobs")


class JobSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"example": "audit.verify"})
    label = fields.String()
    params = fields.Dict()
    state = fields.String(validate=validate.OneOf(jobs.STATES))
    progress = fields.Float(metadata={"description": "0 to 1"})
    progress_message = fields.String()
    result = fields.Dict(
        allow_none=True, metadata={"description": "What it produced; `files` names its files"}
    )
    error = fields.String(allow_none=True)
    created_by = fields.String()
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    attempts = fields.Integer()
    worker = fields.String(allow_none=True)
    cancel_requested = fields.Boolean()
    summary = fields.String(metadata={"description": "What a succeeded job found or made"})


class JobQuerySchema(Schema):
    state = fields.String(validate=validate.OneOf(jobs.STATES))
    kind = fields.String(validate=validate.OneOf(sorted(KINDS)))
    everyone = fields.Boolean(
        load_default=False, metadata={"description": "All users' jobs (admins only)"}
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=jobs.LIST_MAX))


def _start_body_schema() -> dict[str, Any]:
    """The request body, one shape per kind: each kind states its own parameters.

    Written from the kinds' parameter specs (the same ones the service checks with), as
    marshmallow cannot say "params depend on kind".
    """
    return {
        "oneOf": [
            {
                "type": "object",
                "title": kind.label,
                "properties": {
                    "kind": {"type": "string", "enum": [kind.name]},
                    "params": kind.params_json_schema(),
                },
                "required": ["kind"],
                "additionalProperties": False,
            }
            for kind in KINDS.values()
        ]
    }


def _start_body() -> tuple[str, dict[str, object]]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("Send a JSON object with `kind` (and `params`).")
    unknown = sorted(set(body) - {"kind", "params"})
    if unknown:
        raise ValidationFailed(f"Unknown field {unknown[0][:64]!r}.", field=unknown[0][:64])
    params = body.get("params", {})
    if not isinstance(params, dict):
        raise ValidationFailed("params must be an object.", field="params")
    return body.get("kind"), params  # the service checks both


def _errors(*statuses: int) -> Any:
    return error_responses(blp, *statuses)


def _job_id(job_id: int) -> int:
    if not 1 <= job_id <= MAX_ID:
        # Same answer as for any id that does not exist.
        raise NotFound(f"No job with id {job_id}.")
    return job_id


@blp.route("")
class Jobs(MethodView):
    @blp.arguments(JobQuerySchema, location="query")
    @blp.response(200, JobSchema(many=True))
    @_errors(403, 422)
    def get(self, query: dict[str, Any]) -> list[jobs.JobView]:
        """Your jobs, newest first (admins: `everyone=true` for all users' jobs)."""
        f = jobs.JobFilter(query.get("state"), query.get("kind"), query["everyone"])
        return jobs.list_jobs(current_db(), current_actor(), f, limit=query["limit"])

    @blp.doc(
        requestBody={
            "required": True,
            "content": {"application/json": {"schema": _start_body_schema()}},
        }
    )
    @blp.response(202, JobSchema)
    @_errors(400, 403, 409, 422)
    def post(self) -> jobs.JobView:
        """Start a job; follow it at /api/v1/jobs/{id}."""
        kind, params = _start_body()
        return jobs.start(current_db(), current_actor(), current_queue().enqueue, kind, params)


@blp.route("/<int:job_id>")
class JobById(MethodView):
    @blp.response(200, JobSchema)
    @_errors(404)
    def get(self, job_id: int) -> jobs.JobView:
        """One job: state, progress, result or error."""
        return jobs.get(current_db(), current_actor(), _job_id(job_id))


@blp.route("/<int:job_id>/cancel")
class JobCancel(MethodView):
    @blp.response(200, JobSchema)
    @_errors(403, 404, 409)
    def post(self, job_id: int) -> jobs.JobView:
        """Cancel a queued or running job (yours, or anyone's for admins)."""
        return jobs.cancel(current_db(), current_actor(), _job_id(job_id))


@blp.route("/<int:job_id>/files/<string:name>")
class JobFile(MethodView):
    @blp.response(200, description="The file", content_type="application/octet-stream")
    @_errors(404)
    def get(self, job_id: int, name: str) -> Response:
        """Download a file a succeeded job produced."""
        root = app_state().settings.job_files_dir
        path = jobs.file_path(current_db(), current_actor(), root, _job_id(job_id), name)
        return send_file(path, as_attachment=True, download_name=name, max_age=0)
