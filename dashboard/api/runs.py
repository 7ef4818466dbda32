# mypy: disallow-untyped-decorators=False
# (flask-smorest has no type hints: its decorators are untyped)
"""/api/v1 mission control: runs, commands, telemetry, limits, alarms and devices.

Thin wrappers over :mod:`dashboard.services.runs`, :mod:`~dashboard.services.commands`,
:mod:`~dashboard.services.telemetry`, :mod:`~dashboard.services.alarms` and
:mod:`~dashboard.services.devices`. The web process only records what is asked: commands
answer 202 with their record, and the controller carries them out (follow their ``stage`` at
``GET /runs/{id}/commands``).

Role checks come first on every route that changes something (refused and audited whatever
the body holds); the services check again. Request schemas refuse unknown fields, wrong JSON
types and numbers that are not finite; the ranges and units of setpoints are the devices'
own and are checked by the service, which names them in its 422.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from dashboard.auth import current_actor, current_catalog, current_db
from dashboard.services import alarms, commands, devices, runs, telemetry
from dashboard.services.policy import Action, authorize

from .schemas import doc, error_responses, multiline, one_line

PREFIX = "/api/v1"
ID_MAX = 2**31 - 1
NAME_MAX = 64  # device ids, parameter names and units
DEVICES_MAX = 32
DATE_TIME = {"format": "date-time"}

blp = Blueprint(
    "api_runs",
    __name__,
    url_prefix=PREFIX,
    description="Mission control: runs on culture hardware, commands, telemetry, limits, "
    "alarms and devices",
)


def _errors(*statuses: int) -> Any:
    return error_responses(blp, *statuses)


# --- fields ----------------------------------------------------------------------------------


class FiniteNumber(fields.Float):
    """A JSON number that is finite: no strings ("37"), booleans, NaN or infinities."""

    def __init__(self, **kwargs: Any) -> None:
        messages: dict[str, Any] = {
            "invalid": "Give a finite JSON number (not a string or a boolean).",
            "special": "Give a finite JSON number (not NaN or an infinity).",
        }
        super().__init__(allow_nan=False, error_messages=messages, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        try:
            number = float(value)
        except OverflowError:  # an integer beyond float's range
            raise self.make_error("special") from None
        if not math.isfinite(number):
            raise self.make_error("special")
        return number


class SetpointValue(FiniteNumber):
    """A setpoint's value: a finite JSON number; a wrong one (or null) is refused naming the
    parameter's range."""

    def deserialize(
        self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any
    ) -> Any:
        try:
            return super().deserialize(value, attr, data, **kwargs)
        except ValidationError as exc:
            hint = _range_hint(data)
            if hint is None:
                raise
            messages = exc.messages if isinstance(exc.messages, list) else [str(exc.messages)]
            raise ValidationError([*map(str, messages), hint]) from None


class StrictBoolean(fields.Boolean):
    """A JSON true or false only (not 0, 1 or strings)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def _range_hint(data: Any) -> str | None:
    """ "Temperature is set from 4 to 45 °C." for the body's device and parameter, if known."""
    if not isinstance(data, Mapping):
        return None
    try:
        p = current_catalog().parameter(str(data.get("device")), str(data.get("parameter")))
    except KeyError:
        return None
    unit = f" {p.unit}" if p.unit else ""
    return f"{p.label} is set from {p.minimum:g} to {p.maximum:g}{unit}."


EPOCH_MAX_S = 1e11  # about the year 5138: anything beyond is a mistake, not a time
# How a Moment is documented (a custom field has no type of its own in the document).
MOMENT_OPENAPI = {
    "anyOf": [
        {"type": "number", "minimum": -EPOCH_MAX_S, "maximum": EPOCH_MAX_S},
        {"type": "string", "format": "date-time"},
    ]
}


class Moment(fields.Field[float]):
    """A time in a query: epoch seconds (UTC) or an ISO 8601 date-time (UTC when no offset)."""

    def __init__(self, **kwargs: Any) -> None:
        messages: dict[str, Any] = {
            "invalid": "Give epoch seconds or an ISO 8601 date-time (e.g. 2025-01-31T12:00:00Z)."
        }
        super().__init__(error_messages=messages, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        text = str(value).strip()
        if not text or len(text) > 64:
            raise self.make_error("invalid")
        try:
            number = float(text)
        except ValueError:
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise self.make_error("invalid") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment.timestamp()
        if not math.isfinite(number) or abs(number) > EPOCH_MAX_S:
            raise self.make_error("invalid")
        return number


def _strict_bool(description: str) -> fields.Boolean:
    return StrictBoolean(load_default=False, metadata=doc(description))


def _token(description: str, *, required: bool = True, **kwargs: Any) -> fields.String:
    """A device id, parameter name or unit: one line, at most :data:`NAME_MAX` characters."""
    return fields.String(
        required=required,
        validate=one_line(NAME_MAX, required=required),
        metadata=doc(description),
        **kwargs,
    )


# --- request schemas -------------------------------------------------------------------------


class ProfileStepSchema(Schema):
    device = _token("Device id (one the run binds)")
    parameter = _token("A writable parameter of that device, e.g. temperature_c")
    value = SetpointValue(
        required=True, metadata=doc("Setpoint, within the parameter's range (GET /devices)")
    )
    unit = _token(
        "The parameter's unit exactly as GET /devices lists it (°C also as degC or C); "
        "leave it out for a parameter without a unit (light_on)",
        required=False,
    )
    at_h = FiniteNumber(
        load_default=0.0,
        validate=validate.Range(min=0, max=runs.PROFILE_MAX_H),
        metadata=doc("Hours of run time (paused time excluded) when the step starts"),
    )


PROFILE = validate.Length(max=runs.PROFILE_MAX_STEPS)


class RunCreateSchema(Schema):
    name = fields.String(
        required=True, validate=one_line(runs.NAME_MAX), metadata=doc("The run's name")
    )
    arm_id = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=ID_MAX),
        metadata=doc("One of the experiment's arms (its gravity level reaches the culture)"),
    )
    devices = fields.List(
        _token("Device id"),
        validate=validate.Length(max=DEVICES_MAX),
        metadata=doc(
            "Device ids to bind, at most one per kind; left out or empty: the first "
            "configured chamber, centrifuge and dosimeter"
        ),
    )
    profile = fields.List(
        fields.Nested(ProfileStepSchema),
        validate=PROFILE,
        metadata=doc("Setpoint schedule applied by the controller from the start"),
    )


class ProfileSchema(Schema):
    profile = fields.List(
        fields.Nested(ProfileStepSchema),
        required=True,
        validate=PROFILE,
        metadata=doc("The whole new schedule (replaces the old one); [] clears it"),
    )


class CommandOptionsSchema(Schema):
    irreversible = _strict_bool(
        "Needs a second operator's approval before it is sent (abort always does)"
    )
    dry_run = _strict_bool("Only check and preview it: nothing is recorded or sent (200)")


class DryRunQuerySchema(Schema):
    dry_run = fields.Boolean(
        load_default=False,
        metadata=doc("Only check and preview the command (as dry_run in the body)"),
    )


class SetpointSchema(CommandOptionsSchema):
    device = _token("Device id, e.g. chamber-1 (bound to the run)")
    parameter = _token("A writable parameter, e.g. temperature_c")
    value = SetpointValue(
        required=True, metadata=doc("Within the parameter's range (GET /devices lists it)")
    )
    unit = _token(
        "The parameter's unit as GET /devices lists it (°C also as degC or C); a wrong or "
        "missing unit is refused with 422",
        required=False,
        allow_none=True,
    )


class RejectSchema(Schema):
    reason = fields.String(
        load_default="",
        validate=multiline(commands.REASON_MAX),
        metadata=doc("Why the command is refused (kept in its record and the audit log)"),
    )


def _bound(description: str) -> FiniteNumber:
    return FiniteNumber(allow_none=True, metadata=doc(f"{description}; null removes it"))


class LimitsSchema(Schema):
    """Bounds to change; the ones left out keep their values."""

    warn_low = _bound("Warning below this value")
    warn_high = _bound("Warning above this value")
    crit_low = _bound("Critical below this value")
    crit_high = _bound("Critical above this value (temperature: interlock, run paused)")
    debounce_n = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=alarms.DEBOUNCE_MAX),
        metadata=doc("Consecutive samples that must agree before an alarm changes"),
    )
    stale_after_s = FiniteNumber(
        validate=validate.Range(min=1, max=alarms.STALE_MAX_S),
        metadata=doc("A parameter not updated for this many seconds raises a staleness alarm"),
    )


class AckSchema(Schema):
    note = fields.String(
        load_default="",
        validate=multiline(300),
        metadata=doc("What was seen or done (kept in the audit log)"),
    )


class ShelveSchema(Schema):
    minutes = FiniteNumber(
        required=True,
        validate=validate.Range(min=0, max=alarms.SHELVE_MAX_MIN),
        metadata=doc(f"Hide the alarm this long (at most {alarms.SHELVE_MAX_MIN}); 0 unshelves"),
    )


class RunQuerySchema(Schema):
    experiment_id = fields.Integer(
        validate=validate.Range(min=1, max=ID_MAX), metadata=doc("Only this experiment's runs")
    )
    state = fields.String(validate=validate.OneOf(runs.STATES), metadata=doc("Only runs in it"))
    limit = fields.Integer(
        load_default=200, validate=validate.Range(min=1, max=500), metadata=doc("At most")
    )


class TelemetryQuerySchema(Schema):
    parameter = _token("A series of the run, e.g. temperature_c, od600 or growth_rate_per_h")
    since = Moment(
        metadata=doc("From (epoch seconds or ISO 8601; UTC without an offset)", **MOMENT_OPENAPI)
    )
    until = Moment(metadata=doc("Until, inclusive (epoch seconds or ISO 8601)", **MOMENT_OPENAPI))
    max_points = fields.Integer(
        load_default=telemetry.DEFAULT_MAX_POINTS,
        validate=validate.Range(min=3, max=telemetry.MAX_POINTS_LIMIT),
        metadata=doc("Downsample on the server to at most this many points"),
    )
    method = fields.String(
        load_default="minmax",
        validate=validate.OneOf(["minmax", "lttb"]),
        metadata=doc("minmax: lowest and highest per bucket (with buckets); lttb: LTTB"),
    )

    @validates_schema
    def _ordered(self, data: Mapping[str, Any], **_kwargs: Any) -> None:
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and since > until:
            raise ValidationError("since must not be after until.", field_name="since")


class AlarmQuerySchema(Schema):
    run_id = fields.Integer(
        validate=validate.Range(min=1, max=ID_MAX), metadata=doc("Only this run's alarms")
    )
    include_closed = fields.Boolean(
        load_default=False, metadata=doc("Also alarms cleared and acknowledged")
    )


# --- response schemas ------------------------------------------------------------------------


class ProfileStepOutSchema(Schema):
    device = fields.String(attribute="device_id", metadata=doc("Device id"))
    parameter = fields.String(metadata=doc("Parameter name"))
    value = fields.Float(metadata=doc("Setpoint"))
    unit = fields.String(metadata=doc("The parameter's unit"))
    at_h = fields.Float(metadata=doc("Hours of run time when the step starts"))


class LimitSchema(Schema):
    parameter = fields.String(metadata=doc("Parameter name"))
    warn_low = fields.Float(allow_none=True, metadata=doc("Warning below (null: none)"))
    warn_high = fields.Float(allow_none=True, metadata=doc("Warning above (null: none)"))
    crit_low = fields.Float(allow_none=True, metadata=doc("Critical below (null: none)"))
    crit_high = fields.Float(allow_none=True, metadata=doc("Critical above (null: none)"))
    debounce_n = fields.Integer(metadata=doc("Consecutive samples before an alarm changes"))
    stale_after_s = fields.Float(metadata=doc("Seconds without an update before it is stale"))


class RunSchema(Schema):
    id = fields.Integer(metadata=doc("Run id"))
    experiment_id = fields.Integer(metadata=doc("Its experiment"))
    experiment_name = fields.String(metadata=doc("Its experiment's name"))
    arm_id = fields.Integer(allow_none=True, metadata=doc("Its arm, if any"))
    arm_name = fields.String(allow_none=True, metadata=doc("Its arm's name"))
    arm_gravity_g = fields.Float(allow_none=True, metadata=doc("Its arm's gravity level (g)"))
    name = fields.String(metadata=doc("Name"))
    state = fields.String(
        validate=validate.OneOf(runs.STATES),
        metadata=doc("planned → running ⇄ paused → completed | aborted"),
    )
    devices = fields.Dict(
        keys=fields.String(), values=fields.String(), metadata=doc("Bound device id → kind")
    )
    link = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata=doc("Device id → link: ok, lost, unknown or 'no controller'"),
    )
    is_link_lost = fields.Boolean(metadata=doc("Active and a bound device does not answer"))
    open_alarms = fields.Integer(metadata=doc("Alarms not both cleared and acknowledged"))
    created_by = fields.String(metadata=doc("Who planned it"))
    created_at = fields.DateTime(metadata=doc("When it was planned"))
    started_at = fields.DateTime(allow_none=True, metadata=doc("When it started"))
    ended_at = fields.DateTime(allow_none=True, metadata=doc("When it completed or aborted"))
    profile_elapsed_s = fields.Float(metadata=doc("Run time so far (pauses excluded), seconds"))
    sim_speed = fields.Float(metadata=doc("Time acceleration of its simulators (1: real time)"))
    profile = fields.List(fields.Nested(ProfileStepOutSchema), metadata=doc("Setpoint schedule"))
    limits = fields.List(fields.Nested(LimitSchema), metadata=doc("Alarm limits per parameter"))


class CommandSchema(Schema):
    id = fields.Integer(metadata=doc("Command id"))
    run_id = fields.Integer(metadata=doc("Its run"))
    kind = fields.String(validate=validate.OneOf(commands.KINDS), metadata=doc("What it does"))
    device = fields.String(
        attribute="device_id", allow_none=True, metadata=doc("Setpoint: the device")
    )
    parameter = fields.String(allow_none=True, metadata=doc("Setpoint or limits: the parameter"))
    value = fields.Float(allow_none=True, metadata=doc("Setpoint: the value"))
    unit = fields.String(allow_none=True, metadata=doc("Setpoint: the unit"))
    args = fields.Dict(metadata=doc("Everything it was given (devices, old and new limits…)"))
    source = fields.String(metadata=doc("user, profile, interlock or controller"))
    requested_by = fields.String(metadata=doc("Who asked"))
    requested_at = fields.DateTime(metadata=doc("When"))
    is_irreversible = fields.Boolean(metadata=doc("Needs a second operator's approval"))
    approval = fields.String(metadata=doc("pending, approved, rejected or not_needed"))
    approved_by = fields.String(allow_none=True, metadata=doc("The second operator"))
    stage = fields.String(
        metadata=doc(
            "awaiting_approval, queued, sent, acknowledged, verified, failed, timed_out or rejected"
        )
    )
    stages = fields.Dict(
        keys=fields.String(),
        values=fields.String(metadata=DATE_TIME),
        metadata=doc("Each stage reached → when (ISO 8601)"),
    )
    detail = fields.String(metadata=doc("What happened, in words"))


class PreviewSchema(Schema):
    dry_run = fields.Boolean(metadata=doc("Always true: nothing was recorded or sent"))
    run_id = fields.Integer(metadata=doc("The run"))
    kind = fields.String(metadata=doc("The command"))
    devices = fields.List(fields.String(), metadata=doc("Devices it would go to"))
    parameter = fields.String(allow_none=True, metadata=doc("Setpoint: the parameter"))
    value = fields.Float(allow_none=True, metadata=doc("Setpoint: the value"))
    unit = fields.String(allow_none=True, metadata=doc("Setpoint: the unit"))
    needs_approval = fields.Boolean(metadata=doc("Would wait for a second operator"))
    leads_to = fields.String(allow_none=True, metadata=doc("The run's state afterwards"))
    summary = fields.String(metadata=doc("What it would do, in words"))


class LimitsResultSchema(LimitSchema):
    run_id = fields.Integer(metadata=doc("The run"))


class TelemetrySchema(Schema):
    run_id = fields.Integer(metadata=doc("The run"))
    parameter = fields.String(metadata=doc("The series"))
    unit = fields.String(metadata=doc("Its unit"))
    total_points = fields.Integer(metadata=doc("Points in the range before downsampling"))
    downsampled = fields.Boolean(metadata=doc("Whether points were reduced"))
    points = fields.List(
        fields.List(fields.Float()), metadata=doc("[epoch seconds (UTC), value], in time order")
    )
    buckets = fields.List(
        fields.List(fields.Float()),
        metadata=doc("minmax downsampling: [first time, last time, min, max] per bucket"),
    )


class AlarmSchema(Schema):
    id = fields.Integer(metadata=doc("Alarm id"))
    run_id = fields.Integer(allow_none=True, metadata=doc("Its run, if any"))
    device = fields.String(attribute="device_id", metadata=doc("The device"))
    parameter = fields.String(allow_none=True, metadata=doc("The parameter, if any"))
    kind = fields.String(metadata=doc("limit, stale, link or interlock"))
    severity = fields.String(metadata=doc("warning or critical"))
    message = fields.String(metadata=doc("What is wrong, with the value and the limit"))
    value = fields.Float(allow_none=True, metadata=doc("The value that raised it"))
    raised_at = fields.DateTime(metadata=doc("When it was raised"))
    cleared_at = fields.DateTime(allow_none=True, metadata=doc("When its condition ended"))
    acked_by = fields.String(allow_none=True, metadata=doc("Who acknowledged it"))
    acked_at = fields.DateTime(allow_none=True, metadata=doc("When"))
    shelved_by = fields.String(allow_none=True, metadata=doc("Who shelved it"))
    shelved_until = fields.DateTime(allow_none=True, metadata=doc("Hidden until"))
    status = fields.String(
        metadata=doc("active, acknowledged, cleared (unacknowledged), shelved or closed")
    )


class ParameterSchema(Schema):
    name = fields.String(metadata=doc("e.g. temperature_c"))
    label = fields.String(metadata=doc("For people, e.g. Temperature"))
    unit = fields.String(metadata=doc("As setpoints take it, e.g. °C ('' for none)"))
    minimum = fields.Float(metadata=doc("Lowest setpoint (and plausible reading)"))
    maximum = fields.Float(metadata=doc("Highest setpoint (and plausible reading)"))
    resolution = fields.Float(metadata=doc("Smallest step the device distinguishes"))
    is_writable = fields.Boolean(metadata=doc("Takes setpoints"))
    tolerance = fields.Float(metadata=doc("A setpoint is verified when read within ± this"))


class DeviceSchema(Schema):
    id = fields.String(metadata=doc("Device id"))
    kind = fields.String(metadata=doc("chamber, centrifuge or dosimeter"))
    model = fields.String(metadata=doc("Simulator or driver model"))
    url = fields.String(metadata=doc("Transport URL (without credentials)"))
    link_state = fields.String(metadata=doc("ok, lost, unknown or 'no controller'"))
    device_state = fields.String(allow_none=True, metadata=doc("idle, running or paused"))
    last_seen_at = fields.DateTime(allow_none=True, metadata=doc("Last answer"))
    last_error = fields.String(allow_none=True, metadata=doc("Last link error"))
    controller = fields.String(allow_none=True, metadata=doc("The controller holding it"))
    latest = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        metadata=doc("Latest reading: parameter → value, and t (epoch seconds)"),
    )
    parameters = fields.List(fields.Nested(ParameterSchema), metadata=doc("What it offers"))


# --- helpers ---------------------------------------------------------------------------------


def _role_first(action: Action, target_type: str, id_arg: str, audit_as: str | None = None) -> Any:
    """Check the role before the body is parsed, so a refused caller is refused (and
    audited) whatever they sent, not told how to fix their request."""

    def decorate(view: Any) -> Any:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            authorize(
                current_db(),
                current_actor(),
                action,
                target=(target_type, kwargs.get(id_arg)),
                audit_as=audit_as,
            )
            return view(*args, **kwargs)

        return checked

    return decorate


def _preview(preview: commands.Preview) -> Response:
    return jsonify(
        PreviewSchema().dump(
            {
                "dry_run": True,
                "run_id": preview.run_id,
                "kind": preview.kind,
                "devices": list(preview.device_ids),
                "parameter": preview.parameter,
                "value": preview.value,
                "unit": preview.unit,
                "needs_approval": preview.needs_approval,
                "leads_to": preview.leads_to,
                "summary": preview.summary,
            }
        )
    )


def _submitted(result: commands.CommandView | commands.Preview) -> Any:
    if isinstance(result, commands.Preview):
        return _preview(result)
    return result


# --- routes ----------------------------------------------------------------------------------


@blp.route("/experiments/<int:experiment_id>/runs")
class ExperimentRuns(MethodView):
    @_role_first(Action.RUN_CREATE, "experiment", "experiment_id")
    @blp.arguments(RunCreateSchema)
    @blp.response(201, RunSchema)
    @_errors(403, 404, 422)
    def post(self, body: dict[str, Any], experiment_id: int) -> runs.RunView:
        """Plan a run of the experiment (operators): name, arm, devices and profile.

        Devices default to the first configured chamber, centrifuge and dosimeter; the
        profile's values and units are checked against each device's ranges (422).
        """
        return runs.create_run(
            current_db(), current_actor(), current_catalog(), experiment_id, body
        )


@blp.route("/runs")
class Runs(MethodView):
    @blp.arguments(RunQuerySchema, location="query")
    @blp.response(200, RunSchema(many=True))
    @_errors(422)
    def get(self, query: dict[str, Any]) -> list[runs.RunView]:
        """Runs, newest first, by experiment and state."""
        current_actor()
        return runs.list_runs(
            current_db(),
            experiment_id=query.get("experiment_id"),
            state=query.get("state"),
            limit=query["limit"],
        )


@blp.route("/runs/<int:run_id>")
class RunById(MethodView):
    @blp.response(200, RunSchema)
    @_errors(404)
    def get(self, run_id: int) -> runs.RunView:
        """One run: state, devices and their link, profile and limits."""
        current_actor()
        return runs.get_run(current_db(), run_id)


@blp.route("/runs/<int:run_id>/profile")
class RunProfile(MethodView):
    @_role_first(Action.RUN_CREATE, "run", "run_id")
    @blp.arguments(ProfileSchema)
    @blp.response(200, RunSchema)
    @_errors(403, 404, 409, 422)
    def put(self, body: dict[str, Any], run_id: int) -> runs.RunView:
        """Replace the setpoint profile of a planned run (operators; 409 once started)."""
        return commands.update_profile(
            current_db(),
            current_actor(),
            current_catalog(),
            run_id,
            body["profile"],
        )


LIFECYCLE_DOCS = {
    "start": "Start a planned run: the controller starts its devices and inoculates.",
    "pause": "Pause a running run (devices hold their environment; profile time stops).",
    "resume": "Resume a paused run.",
    "stop": "Stop a running or paused run: it becomes completed.",
    "abort": "Abort a run: irreversible, so it waits for a second operator's approval.",
}


def _lifecycle_view(kind: str) -> type[MethodView]:
    @_role_first(Action.RUN_COMMAND, "run", "run_id", audit_as=f"run.{kind}")
    @blp.arguments(CommandOptionsSchema, required=False)
    @blp.arguments(DryRunQuerySchema, location="query")
    @blp.response(202, CommandSchema)
    @blp.alt_response(200, schema=PreviewSchema, description="Dry run: what would be sent")
    @_errors(403, 404, 409, 422)
    def post(self: MethodView, body: dict[str, Any], query: dict[str, Any], run_id: int) -> Any:
        return _submitted(
            commands.submit(
                current_db(),
                current_actor(),
                current_catalog(),
                run_id,
                kind,
                irreversible=body.get("irreversible", False),
                dry_run=body.get("dry_run", False) or query["dry_run"],
            )
        )

    post.__doc__ = (
        f"{LIFECYCLE_DOCS[kind]}\n\nOperators. 202 with the command's record (its stage "
        "moves on as the controller carries it out); 409 when the run's state does not allow "
        "it; `dry_run` previews it (200) without recording anything."
    )
    return type(f"Run{kind.capitalize()}", (MethodView,), {"post": post})


for _kind in runs.TRANSITIONS:
    blp.route(f"/runs/<int:run_id>/{_kind}", endpoint=f"Run{_kind.capitalize()}")(
        _lifecycle_view(_kind)
    )


@blp.route("/runs/<int:run_id>/setpoints")
class RunSetpoints(MethodView):
    @_role_first(Action.RUN_COMMAND, "run", "run_id", audit_as="run.setpoint")
    @blp.arguments(SetpointSchema)
    @blp.arguments(DryRunQuerySchema, location="query")
    @blp.response(202, CommandSchema)
    @blp.alt_response(200, schema=PreviewSchema, description="Dry run: what would be sent")
    @_errors(403, 404, 409, 422)
    def post(self, body: dict[str, Any], query: dict[str, Any], run_id: int) -> Any:
        """Change a setpoint of a running or paused run (operators).

        The value and unit are checked against the device's range before anything is
        recorded: out of range or in a wrong unit is a 422 naming both. 202 with the
        command's record; it is verified once telemetry shows the setpoint held.
        """
        setpoint = {k: body.get(k) for k in ("device", "parameter", "value", "unit")}
        return _submitted(
            commands.submit(
                current_db(),
                current_actor(),
                current_catalog(),
                run_id,
                "setpoint",
                setpoint=setpoint,
                irreversible=body["irreversible"],
                dry_run=body["dry_run"] or query["dry_run"],
            )
        )


@blp.route("/runs/<int:run_id>/commands")
class RunCommands(MethodView):
    @blp.response(200, CommandSchema(many=True))
    @_errors(404)
    def get(self, run_id: int) -> list[commands.CommandView]:
        """The run's command history with each stage's time, newest first."""
        current_actor()
        return commands.list_commands(current_db(), run_id)


@blp.route("/commands/<int:command_id>/approve")
class CommandApprove(MethodView):
    @_role_first(Action.COMMAND_APPROVE, "command", "command_id")
    @blp.response(200, CommandSchema)
    @_errors(403, 404, 409, 422)
    def post(self, command_id: int) -> commands.CommandView:
        """Approve an irreversible command as the second operator (never your own: 403)."""
        return commands.approve(current_db(), current_actor(), current_catalog(), command_id)


@blp.route("/commands/<int:command_id>/reject")
class CommandReject(MethodView):
    @_role_first(Action.COMMAND_APPROVE, "command", "command_id")
    @blp.arguments(RejectSchema, required=False)
    @blp.response(200, CommandSchema)
    @_errors(403, 404, 409, 422)
    def post(self, body: dict[str, Any], command_id: int) -> commands.CommandView:
        """Refuse a command awaiting approval (operators; the requester may withdraw it)."""
        return commands.reject(current_db(), current_actor(), command_id, body.get("reason", ""))


@blp.route("/runs/<int:run_id>/limits/<string:parameter>")
class RunLimits(MethodView):
    @_role_first(Action.LIMITS_SET, "run", "run_id")
    @blp.arguments(LimitsSchema)
    @blp.response(200, LimitsResultSchema)
    @_errors(403, 404, 409, 422)
    def put(self, body: dict[str, Any], run_id: int, parameter: str) -> dict[str, Any]:
        """Change a parameter's alarm limits, also while the run runs (operators).

        Recorded in the run's command history and audited; the controller applies them at
        its next sample.
        """
        found = alarms.set_limits(current_db(), current_actor(), run_id, parameter[:NAME_MAX], body)
        return {"run_id": run_id, "parameter": parameter, **found.__dict__}


@blp.route("/runs/<int:run_id>/telemetry")
class RunTelemetry(MethodView):
    @blp.arguments(TelemetryQuerySchema, location="query")
    @blp.response(200, TelemetrySchema)
    @_errors(404, 422)
    def get(self, query: dict[str, Any], run_id: int) -> Response:
        """One series of the run in a time range, downsampled on the server.

        `points` are [epoch seconds, value]; with minmax downsampling `buckets` give each
        bucket's first and last time, lowest and highest value.
        """
        current_actor()
        series = telemetry.query(
            current_db(),
            current_catalog(),
            run_id,
            query["parameter"],
            since=query.get("since"),
            until=query.get("until"),
            max_points=query["max_points"],
            method=query["method"],
        )
        return jsonify(telemetry.to_json(series))


@blp.route("/runs/<int:run_id>/telemetry.csv")
class RunTelemetryCsv(MethodView):
    @blp.response(
        200,
        description="CSV: time_utc, epoch_s, then one column per parameter with its unit",
        content_type="text/csv",
    )
    @_errors(404)
    def get(self, run_id: int) -> Response:
        """The run's whole telemetry as CSV: one row per sample time, units in the header."""
        current_actor()
        chunks = telemetry.export_csv(current_db(), current_catalog(), run_id)
        first = next(chunks)  # reads the data: a missing run is a 404 before anything is sent

        def body() -> Iterator[str]:
            yield first
            yield from chunks

        return Response(
            body(),
            mimetype="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="run-{run_id}-telemetry.csv"',
                "Cache-Control": "no-store",
            },
        )


@blp.route("/alarms")
class Alarms(MethodView):
    @blp.arguments(AlarmQuerySchema, location="query")
    @blp.response(200, AlarmSchema(many=True))
    @_errors(422)
    def get(self, query: dict[str, Any]) -> list[alarms.AlarmView]:
        """Open alarms (shelved ones included), newest first; all with include_closed."""
        current_actor()
        return alarms.list_alarms(
            current_db(), run_id=query.get("run_id"), include_closed=query["include_closed"]
        )


@blp.route("/alarms/<int:alarm_id>/ack")
class AlarmAck(MethodView):
    @_role_first(Action.ALARM_ACK, "alarm", "alarm_id")
    @blp.arguments(AckSchema, required=False)
    @blp.response(200, AlarmSchema)
    @_errors(403, 404, 409, 422)
    def post(self, body: dict[str, Any], alarm_id: int) -> alarms.AlarmView:
        """Acknowledge an alarm (operators; audited; 409 when already acknowledged)."""
        return alarms.acknowledge(current_db(), current_actor(), alarm_id, body.get("note", ""))


@blp.route("/alarms/<int:alarm_id>/shelve")
class AlarmShelve(MethodView):
    @_role_first(Action.ALARM_ACK, "alarm", "alarm_id")
    @blp.arguments(ShelveSchema)
    @blp.response(200, AlarmSchema)
    @_errors(403, 404, 422)
    def post(self, body: dict[str, Any], alarm_id: int) -> alarms.AlarmView:
        """Hide an alarm for some minutes (operators; audited; 0 unshelves)."""
        return alarms.shelve(current_db(), current_actor(), alarm_id, body["minutes"])


@blp.route("/devices")
class Devices(MethodView):
    @blp.response(200, DeviceSchema(many=True))
    @_errors()
    def get(self) -> list[devices.DeviceView]:
        """The configured devices: link, state, latest reading and their parameters."""
        current_actor()
        return devices.list_devices(current_db(), current_catalog())
