"""Request and response schemas; the OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from dashboard.services import accounts, audit, experiments
from dashboard.services.actor import ALL_ROLES
from dashboard.services.text import text_pattern

ROLE_NAMES = [r.value for r in ALL_ROLES]


# Every limit and vocabulary below is the service's own constant, so the OpenAPI document
# states exactly what the service accepts (clients are generated from it).
def one_line(limit: int, *, required: bool = True) -> list[validate.Validator]:
    """A name or label: at most ``limit`` characters, on one line, without invisible ones."""
    return [
        validate.Length(min=1 if required else 0, max=limit),
        validate.Regexp(text_pattern(multiline=False, required=required)),
    ]


def multiline(limit: int) -> list[validate.Validator]:
    """Free text (descriptions): line breaks and tabs allowed, other control characters not."""
    return [
        validate.Length(max=limit),
        validate.Regexp(text_pattern(multiline=True, required=False)),
    ]


def password(**kwargs: object) -> fields.String:
    """A password field: the length the service wants; its rule in the description."""
    return fields.String(
        load_only=True,
        validate=[
            validate.Length(min=accounts.PASSWORD_MIN, max=accounts.PASSWORD_MAX),
            validate.Regexp(text_pattern(multiline=False, required=True)),
        ],
        metadata={"format": "password", "description": accounts.PASSWORD_RULE},
        **kwargs,
    )


USERNAME = validate.Regexp(
    accounts.USERNAME_RE.pattern,
    error="Username must be 3–32 characters: a letter, then letters, digits, '.', '_' or '-'.",
)
OSDR_ACCESSION = [
    validate.Length(max=experiments.OSDR_ACCESSION_MAX),
    validate.Regexp(experiments.OSDR_ACCESSION_INPUT_PATTERN),
]


class ApiErrorBody(Schema):
    code = fields.String(required=True, metadata={"example": "validation_failed"})
    message = fields.String(required=True, metadata={"description": "The first problem."})
    field = fields.String(
        allow_none=True, metadata={"description": "The first field at fault, if any."}
    )
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={
            "description": (
                "Every field at fault and why, all at once: a path as the body names it "
                "(`name`, `arms[2].gravity_g`) mapped to its message."
            ),
            "example": {
                "organism": "Organism is required.",
                "arms[1].gravity_g": "Arm 2 “centrifuge” is set to 5 g: hypergravity "
                "(centrifuge) is intended? Confirm it, or give gravity in g (9.81 m/s² = 1 g).",
                "confirm_hypergravity": "Confirm that hypergravity (above 3 g) is intended "
                "for arm 2 “centrifuge” (5 g).",
            },
        },
    )
    details = fields.Dict(
        allow_none=True, metadata={"description": "Schema validation's own report, if any."}
    )


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


class JobsHealth(Schema):
    backend = fields.String(metadata={"example": "sqlite"})
    live_workers = fields.Integer()
    queued = fields.Integer()
    running = fields.Integer()


class ChainHealth(Schema):
    """The provenance ledger's chain, as the anchoring owner last saw it (no chain call)."""

    status = fields.String(
        required=True,
        validate=validate.OneOf(["ok", "error", "unknown"]),
        metadata={"description": "unknown: nothing anchored yet"},
    )
    chain_id = fields.Integer(allow_none=True, metadata={"example": 1337})
    contract = fields.String(allow_none=True)
    description = fields.String()
    embedded = fields.Boolean(metadata={"description": "the development chain in this server"})
    head_block = fields.Integer(allow_none=True)
    head_seen_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    last_error = fields.String(allow_none=True)
    anchoring_owner = fields.String(
        allow_none=True, metadata={"description": "the process holding the anchoring key"}
    )
    pending_records = fields.Integer(metadata={"description": "records not anchored yet"})
    oldest_pending_s = fields.Float(
        allow_none=True, metadata={"description": "how long the oldest of them has waited"}
    )


class HardwareHealth(Schema):
    status = fields.String(metadata={"description": "ok, or degraded when a device is not ok"})
    devices = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "device id → link: ok, lost, unknown or 'no controller'"},
    )
    not_ok = fields.List(fields.String())


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})
    version = fields.String(required=True)
    time = fields.String(required=True)
    database = fields.Nested(DatabaseHealth, required=True)
    jobs = fields.Nested(JobsHealth)
    chain = fields.Nested(ChainHealth)
    hardware = fields.Nested(HardwareHealth)


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String(validate=validate.OneOf(ROLE_NAMES)))
    is_active = fields.Boolean()
    created_at = fields.DateTime(dump_only=True)
    last_login_at = fields.DateTime(dump_only=True, allow_none=True)


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=USERNAME)
    password = password(required=True)
    roles = fields.List(fields.String(validate=validate.OneOf(ROLE_NAMES)), load_default=list)
    display_name = fields.String(
        load_default="", validate=one_line(accounts.DISPLAY_NAME_MAX, required=False)
    )


class UserUpdateSchema(Schema):
    roles = fields.List(fields.String(validate=validate.OneOf(ROLE_NAMES)))
    is_active = fields.Boolean()
    display_name = fields.String(validate=one_line(accounts.DISPLAY_NAME_MAX, required=False))
    password = password()
    current_password = fields.String(
        load_only=True,
        validate=validate.Length(max=accounts.PASSWORD_MAX),
        metadata={"format": "password", "description": "Needed to change your own password."},
    )


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
    name = fields.String(required=True, validate=one_line(accounts.TOKEN_NAME_MAX))


class TokenCreatedSchema(TokenSchema):
    token = fields.String(
        required=True, metadata={"description": "The bearer token. Shown once; store it now."}
    )


class ArmSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=one_line(experiments.ARM_NAME_MAX))
    spaceflight = fields.String(
        required=True,
        validate=validate.OneOf(experiments.SPACEFLIGHT_VALUES),
        metadata={"description": "GeneLab Factor Value[Spaceflight]"},
    )
    gravity_g = fields.Float(
        required=True,
        allow_nan=False,
        validate=validate.Range(
            min=experiments.GRAVITY_MIN_G,
            max=experiments.GRAVITY_MAX_G,
            error=(
                f"Gravity is in g ({experiments.EARTH_GRAVITY_M_S2:g} m/s² = 1 g), from "
                "{min:g} (microgravity) to {max:g} g; got {input}."
            ),
        ),
        metadata={"description": experiments.GRAVITY_RULE},
    )
    description = fields.String(
        load_default="", validate=multiline(experiments.ARM_DESCRIPTION_MAX)
    )


ARMS = validate.Length(min=experiments.ARMS_MIN, max=experiments.ARMS_MAX)


def confirm_hypergravity() -> fields.Boolean:
    """``confirm_hypergravity``: true when arms above 3 g are meant (a JSON boolean only)."""
    return fields.Boolean(
        load_only=True,
        truthy={True},
        falsy={False},
        data_key=experiments.CONFIRM_HYPERGRAVITY,
        attribute=experiments.CONFIRM_HYPERGRAVITY,
        metadata={
            "description": (
                f"Confirms that arms above {experiments.HYPERGRAVITY_ABOVE_G:g} g are intended "
                "hypergravity (a centrifuge); without it such arms are refused with 422 naming "
                "each one. On a PATCH, only arms whose gravity changes need it."
            )
        },
    )


class ExperimentSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=one_line(experiments.NAME_MAX))
    organism = fields.String(required=True, validate=one_line(experiments.ORGANISM_MAX))
    description = fields.String(load_default="", validate=multiline(experiments.DESCRIPTION_MAX))
    mission = fields.String(
        load_default="",
        validate=one_line(experiments.MISSION_MAX, required=False),
        metadata={"example": "SpaceX CRS-25"},
    )
    hardware = fields.String(
        load_default="",
        validate=one_line(experiments.HARDWARE_MAX, required=False),
        metadata={"description": "Culture hardware", "example": "BRIC-LED"},
    )
    osdr_accession = fields.String(
        load_default="",
        validate=OSDR_ACCESSION,
        metadata={"description": "NASA OSDR study id", "example": "OSD-379"},
    )
    arms = fields.List(
        fields.Nested(ArmSchema),
        required=True,
        validate=ARMS,
        metadata={"description": "Arm names differ (ignoring case, spacing and look-alikes)."},
    )
    confirm_hypergravity = confirm_hypergravity()
    created_by = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    version = fields.Integer(dump_only=True)


class ExperimentPatchSchema(Schema):
    """Fields to change; the ones left out keep their values."""

    name = fields.String(validate=one_line(experiments.NAME_MAX))
    organism = fields.String(validate=one_line(experiments.ORGANISM_MAX))
    description = fields.String(validate=multiline(experiments.DESCRIPTION_MAX))
    mission = fields.String(validate=one_line(experiments.MISSION_MAX, required=False))
    hardware = fields.String(validate=one_line(experiments.HARDWARE_MAX, required=False))
    osdr_accession = fields.String(validate=OSDR_ACCESSION)
    arms = fields.List(
        fields.Nested(ArmSchema),
        validate=ARMS,
        metadata={
            "description": "The full list of arms, named differently; arms keep their ids by name."
        },
    )
    confirm_hypergravity = confirm_hypergravity()
    version = fields.Integer(
        required=True,
        strict=True,
        metadata={"description": "The version you edited; a newer one on the server gives 409."},
    )


class AuditQuerySchema(Schema):
    username = fields.String(validate=one_line(64, required=False))
    action = fields.String(validate=one_line(64, required=False))
    result = fields.String(validate=validate.OneOf(audit.RESULTS))
    since = fields.AwareDateTime(default_timezone=UTC)
    until = fields.AwareDateTime(default_timezone=UTC)
    target_type = fields.String(validate=one_line(32, required=False))
    target_id = fields.String(validate=one_line(64, required=False))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=audit.OFFSET_MAX))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=audit.MAX_PAGE))


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


def doc(text: str, **extra: object) -> dict[str, object]:
    """A field's OpenAPI metadata: its description and any other keys (example...)."""
    return {"description": text, **extra}


def unique(values: list[Any]) -> None:
    """A list field's validator: each value once (a repeated id is a mistake to name)."""
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ValidationError(f"{str(value)[:60]!r} is listed twice; give each once.")
        seen.add(value)


def error_responses(blp: Any, *statuses: int) -> Any:
    """Document the error responses a route of ``blp`` can give (401 always), in the shape
    the error handlers answer."""

    def wrap(fn: Any) -> Any:
        for status in (401, *statuses):
            fn = blp.alt_response(status, schema=ApiErrorSchema, description="Error")(fn)
        return fn

    return wrap
