"""Request and response schemas; the OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, fields, validate

from dashboard.services.actor import ALL_ROLES
from dashboard.services.audit import RESULTS
from dashboard.services.experiments import SPACEFLIGHT_VALUES

ROLE_NAMES = [r.value for r in ALL_ROLES]


class ApiErrorBody(Schema):
    code = fields.String(required=True, metadata={"example": "validation_failed"})
    message = fields.String(required=True)
    field = fields.String(allow_none=True)
    details = fields.Dict(allow_none=True)


class ApiErrorSchema(Schema):
    """Every error: ``{"error": {"code": ..., "message": ...}}``."""

    error = fields.Nested(ApiErrorBody, required=True)


class DatabaseHealth(Schema):
    status = fields.String(required=True)
    backend = fields.String()
    revision = fields.String(allow_none=True)
    head_revision = fields.String(allow_none=True)
    latency_ms = fields.Float()
    error = fields.String(allow_none=True)


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})
    version = fields.String(required=True)
    time = fields.String(required=True)
    database = fields.Nested(DatabaseHealth, required=True)


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String(validate=validate.OneOf(ROLE_NAMES)))
    is_active = fields.Boolean()
    created_at = fields.DateTime(dump_only=True)
    last_login_at = fields.DateTime(dump_only=True, allow_none=True)


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLE_NAMES)), load_default=list)
    display_name = fields.String(load_default="", validate=validate.Length(max=100))


class UserUpdateSchema(Schema):
    roles = fields.List(fields.String(validate=validate.OneOf(ROLE_NAMES)))
    is_active = fields.Boolean()
    display_name = fields.String(validate=validate.Length(max=100))
    password = fields.String(load_only=True, validate=validate.Length(max=256))
    current_password = fields.String(load_only=True, validate=validate.Length(max=256))


class TokenSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    username = fields.String()
    name = fields.String()
    prefix = fields.String()
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class TokenCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(max=100))


class TokenCreatedSchema(TokenSchema):
    token = fields.String(
        required=True, metadata={"description": "The bearer token. Shown once; store it now."}
    )


class ArmSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(max=80))
    spaceflight = fields.String(
        required=True,
        validate=validate.OneOf(SPACEFLIGHT_VALUES),
        metadata={"description": "GeneLab Factor Value[Spaceflight]"},
    )
    gravity_g = fields.Float(
        required=True, allow_nan=False, metadata={"description": "0 = microgravity, 1 = Earth"}
    )
    description = fields.String(load_default="", validate=validate.Length(max=500))


class ExperimentSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(max=120))
    organism = fields.String(required=True, validate=validate.Length(max=200))
    description = fields.String(load_default="", validate=validate.Length(max=10_000))
    mission = fields.String(
        load_default="",
        validate=validate.Length(max=120),
        metadata={"example": "SpaceX CRS-25"},
    )
    hardware = fields.String(
        load_default="",
        validate=validate.Length(max=120),
        metadata={"description": "Culture hardware", "example": "BRIC-LED"},
    )
    osdr_accession = fields.String(
        load_default="",
        validate=validate.Length(max=16),
        metadata={"description": "NASA OSDR study id", "example": "OSD-379"},
    )
    arms = fields.List(fields.Nested(ArmSchema), required=True, validate=validate.Length(max=20))
    created_by = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    version = fields.Integer(dump_only=True)


class ExperimentPatchSchema(Schema):
    """Fields to change; the ones left out keep their values."""

    name = fields.String(validate=validate.Length(max=120))
    organism = fields.String(validate=validate.Length(max=200))
    description = fields.String(validate=validate.Length(max=10_000))
    mission = fields.String(validate=validate.Length(max=120))
    hardware = fields.String(validate=validate.Length(max=120))
    osdr_accession = fields.String(validate=validate.Length(max=16))
    arms = fields.List(
        fields.Nested(ArmSchema),
        validate=validate.Length(max=20),
        metadata={"description": "The full list of arms; arms keep their ids by name."},
    )
    version = fields.Integer(
        required=True,
        strict=True,
        metadata={"description": "The version you edited; a newer one on the server gives 409."},
    )


class AuditQuerySchema(Schema):
    username = fields.String(validate=validate.Length(max=64))
    action = fields.String(validate=validate.Length(max=64))
    result = fields.String(validate=validate.OneOf(RESULTS))
    since = fields.AwareDateTime(default_timezone=UTC)
    until = fields.AwareDateTime(default_timezone=UTC)
    target_type = fields.String(validate=validate.Length(max=32))
    target_id = fields.String(validate=validate.Length(max=64))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class AuditEventSchema(Schema):
    id = fields.Integer()
    occurred_at = fields.DateTime()
    username = fields.String()
    source_ip = fields.String(allow_none=True)
    channel = fields.String()
    action = fields.String()
    result = fields.String()
    target_type = fields.String(allow_none=True)
    target_id = fields.String(allow_none=True)
    detail = fields.Dict()


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema), attribute="rows")
    total = fields.Integer()
    offset = fields.Integer()
    limit = fields.Integer()


class ChainReportSchema(Schema):
    is_intact = fields.Boolean(required=True)
    checked = fields.Integer(metadata={"description": "events whose digest was recomputed"})
    head_seq = fields.Integer(metadata={"description": "events the chain head says exist"})
    first_bad_seq = fields.Integer(allow_none=True)
    reason = fields.String()
