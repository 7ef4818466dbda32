"""Experiments and their arms: validation, listing, creation and edits."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dashboard.db import Database
from dashboard.models import Experiment, ExperimentArm, utcnow

from . import audit
from .actor import Actor
from .errors import Conflict, NotFound, ValidationFailed
from .integrity import integrity_conflict
from .policy import Action, allows, authorize
from .text import name_key, one_line_name, plain_text


class Spaceflight(StrEnum):
    """GeneLab's ``Factor Value[Spaceflight]`` of an arm: the one vocabulary for it."""

    SPACE_FLIGHT = "Space Flight"
    GROUND_CONTROL = "Ground Control"


SPACEFLIGHT_VALUES: tuple[str, ...] = tuple(Spaceflight)
NAME_MAX, ORGANISM_MAX, DESCRIPTION_MAX = 120, 200, 10_000
MISSION_MAX = HARDWARE_MAX = 120
# NASA Open Science Data Repository study ids look like OSD-379.
OSDR_ACCESSION_PATTERN = r"^OSD-[0-9]{1,6}$"
OSDR_ACCESSION_RE = re.compile(OSDR_ACCESSION_PATTERN)
OSDR_ACCESSION_MAX = len("OSD-999999")
# What the API and forms take: any case (stored upper-case), or nothing.
OSDR_ACCESSION_INPUT_PATTERN = r"^(?:[Oo][Ss][Dd]-[0-9]{1,6})?$"
SCALAR_FIELDS = ("name", "organism", "description", "mission", "hardware", "osdr_accession")
# Shown on one line (grids, menus): no line breaks, invisible or direction-changing characters.
ONE_LINE_FIELDS = frozenset({"name", "organism", "mission", "hardware"})
NAME_KEY_MAX = 480  # the column's width; NFKC may lengthen a name
EDITABLE = (*SCALAR_FIELDS, "arms")
ARM_NAME_MAX, ARM_DESCRIPTION_MAX, ARMS_MIN, ARMS_MAX = 80, 500, 1, 20
GRAVITY_MAX_G = 20.0


@dataclass(frozen=True)
class ArmInput:
    """A validated arm, ready to store."""

    name: str
    spaceflight: str
    gravity_g: float
    description: str = ""


@dataclass(frozen=True)
class ExperimentInput:
    """A validated experiment, ready to store."""

    name: str
    organism: str
    description: str
    arms: tuple[ArmInput, ...]
    mission: str = ""
    hardware: str = ""
    osdr_accession: str = ""


@dataclass(frozen=True)
class ArmView:
    """An arm as pages and the API show it."""

    id: int
    name: str
    spaceflight: str
    gravity_g: float
    description: str


@dataclass(frozen=True)
class ExperimentView:
    """An experiment as pages and the API show it."""

    id: int
    name: str
    organism: str
    description: str
    arms: tuple[ArmView, ...]
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    mission: str = ""
    hardware: str = ""
    osdr_accession: str = ""


def default_arms() -> list[dict[str, object]]:
    """The usual pair: flight in microgravity beside a 1 g ground control."""
    return [
        {
            "name": "flight µg",
            "spaceflight": Spaceflight.SPACE_FLIGHT.value,
            "gravity_g": 0.0,
            "description": "",
        },
        {
            "name": "ground 1 g",
            "spaceflight": Spaceflight.GROUND_CONTROL.value,
            "gravity_g": 1.0,
            "description": "",
        },
    ]


def _text(
    data: Mapping[str, object],
    key: str,
    label: str,
    limit: int,
    *,
    required: bool,
    field: str | None = None,
) -> str:
    if key in ONE_LINE_FIELDS:
        return one_line_name(data.get(key), label, limit, field=field or key, required=required)
    return plain_text(data.get(key), label, limit, field=field or key, required=required)


def _gravity(raw: object, field: str) -> float:
    if isinstance(raw, bool) or raw is None or raw == "":
        raise ValidationFailed(
            "Gravity (g) is required: 0 for microgravity, 1 for Earth.", field=field
        )
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationFailed(
            f"Gravity must be a number of g, not {raw!r}.", field=field
        ) from None
    if not math.isfinite(value) or not 0.0 <= value <= GRAVITY_MAX_G:
        raise ValidationFailed(f"Gravity must be between 0 and {GRAVITY_MAX_G:g} g.", field=field)
    return value


def parse_arm(raw: object, index: int) -> ArmInput:
    """Validate one arm given as a mapping; ``index`` locates errors."""
    where = f"arms[{index}]"
    if not isinstance(raw, Mapping):
        raise ValidationFailed(f"Arm {index + 1} must be an object.", field=where)
    name = _text(
        raw, "name", f"Arm {index + 1} name", ARM_NAME_MAX, required=True, field=f"{where}.name"
    )
    spaceflight = raw.get("spaceflight")
    if spaceflight not in SPACEFLIGHT_VALUES:
        raise ValidationFailed(
            f"Arm {index + 1} spaceflight must be one of {', '.join(SPACEFLIGHT_VALUES)}.",
            field=f"{where}.spaceflight",
        )
    return ArmInput(
        name=name,
        spaceflight=str(spaceflight),
        gravity_g=_gravity(raw.get("gravity_g"), f"{where}.gravity_g"),
        description=_text(
            raw,
            "description",
            f"Arm {index + 1} description",
            ARM_DESCRIPTION_MAX,
            required=False,
            field=f"{where}.description",
        ),
    )


def parse_experiment(data: Mapping[str, object]) -> ExperimentInput:
    """Validate an experiment given as a mapping (form or JSON body)."""
    if not isinstance(data, Mapping):
        raise ValidationFailed("Experiment must be an object.")
    arms_raw = data.get("arms")
    if not isinstance(arms_raw, Sequence) or isinstance(arms_raw, str) or not arms_raw:
        raise ValidationFailed(
            "An experiment needs at least one arm (e.g. flight and ground).", field="arms"
        )
    if len(arms_raw) > ARMS_MAX:
        raise ValidationFailed(f"At most {ARMS_MAX} arms.", field="arms")
    arms = tuple(parse_arm(arm, i) for i, arm in enumerate(arms_raw))
    seen: set[str] = set()
    for i, arm in enumerate(arms):
        if name_key(arm.name) in seen:
            raise ValidationFailed(
                f"Two arms are named {arm.name!r}; arm names must differ.", field=f"arms[{i}].name"
            )
        seen.add(name_key(arm.name))
    return ExperimentInput(
        name=_text(data, "name", "Name", NAME_MAX, required=True),
        organism=_text(data, "organism", "Organism", ORGANISM_MAX, required=True),
        description=_text(data, "description", "Description", DESCRIPTION_MAX, required=False),
        arms=arms,
        mission=_text(data, "mission", "Mission", MISSION_MAX, required=False),
        hardware=_text(data, "hardware", "Hardware", HARDWARE_MAX, required=False),
        osdr_accession=_accession(data.get("osdr_accession")),
    )


def _accession(raw: object) -> str:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ""
    value = raw.strip().upper() if isinstance(raw, str) else ""
    if not OSDR_ACCESSION_RE.fullmatch(value):
        raise ValidationFailed(
            f"OSDR accession must look like OSD-379, not {str(raw)[:40]!r}.",
            field="osdr_accession",
        )
    return value


def _view(e: Experiment) -> ExperimentView:
    return ExperimentView(
        id=e.id,
        name=e.name,
        organism=e.organism,
        description=e.description,
        arms=tuple(
            ArmView(a.id, a.name, a.spaceflight, a.gravity_g, a.description) for a in e.arms
        ),
        created_by=e.created_by.username if e.created_by else None,
        created_at=e.created_at,
        updated_at=e.updated_at,
        version=e.version,
        mission=e.mission,
        hardware=e.hardware,
        osdr_accession=e.osdr_accession,
    )


def _arm_rows(arms: Sequence[ArmInput]) -> list[ExperimentArm]:
    return [
        ExperimentArm(
            position=i,
            name=a.name,
            spaceflight=a.spaceflight,
            gravity_g=a.gravity_g,
            description=a.description,
        )
        for i, a in enumerate(arms)
    ]


def _sync_arms(experiment: Experiment, arms: Sequence[ArmInput]) -> None:
    """Update arms in place by name, add new ones, drop the rest.

    An arm keeps its id across edits, so what later refers to it (datasets, runs) stays
    attached; dropping an arm something refers to fails on its foreign key.
    """
    existing = {name_key(arm.name): arm for arm in experiment.arms}
    kept = []
    for position, spec in enumerate(arms):
        row = existing.pop(name_key(spec.name), None) or ExperimentArm()
        row.position, row.name, row.spaceflight = position, spec.name, spec.spaceflight
        row.gravity_g, row.description = spec.gravity_g, spec.description
        kept.append(row)
    experiment.arms[:] = kept


def _as_dict(spec: ExperimentInput) -> dict[str, object]:
    """What the audit log keeps of an experiment: enough to see what an edit changed."""
    description = spec.description
    return {
        "name": spec.name,
        "organism": spec.organism,
        "description": description if len(description) <= 120 else description[:119] + "…",
        "mission": spec.mission,
        "hardware": spec.hardware,
        "osdr_accession": spec.osdr_accession,
        "arms": [f"{a.name} ({a.spaceflight}, {a.gravity_g:g} g)" for a in spec.arms],
    }


def editable(view: ExperimentView) -> dict[str, object]:
    """An experiment in the shape :func:`parse_experiment` takes (to prefill an edit form)."""
    return {
        "name": view.name,
        "organism": view.organism,
        "description": view.description,
        "mission": view.mission,
        "hardware": view.hardware,
        "osdr_accession": view.osdr_accession,
        "arms": [
            {
                "name": a.name,
                "spaceflight": a.spaceflight,
                "gravity_g": a.gravity_g,
                "description": a.description,
            }
            for a in view.arms
        ],
    }


def can_edit(actor: Actor) -> bool:
    """Whether ``actor`` may create and edit experiments (for showing the buttons)."""
    return allows(actor, Action.EXPERIMENT_UPDATE)


def list_experiments(db: Database, *, limit: int | None = None) -> list[ExperimentView]:
    """Experiments, newest first."""
    with db.read() as s:
        query = select(Experiment).order_by(Experiment.created_at.desc(), Experiment.id.desc())
        if limit is not None:
            query = query.limit(limit)
        return [_view(e) for e in s.scalars(query)]


def get_experiment(db: Database, experiment_id: int) -> ExperimentView:
    """One experiment or :class:`NotFound`."""
    with db.read() as s:
        experiment = s.get(Experiment, experiment_id)
        if experiment is None:
            raise NotFound(f"No experiment with id {experiment_id}.")
        return _view(experiment)


def _name_taken(message_name: str) -> Conflict:
    return Conflict(f"An experiment named {message_name!r} already exists.", field="name")


def _look_alike(name: str, taken: str) -> Conflict:
    if taken == name:
        return _name_taken(name)
    return Conflict(
        f"An experiment named {taken!r} already exists, and {name!r} differs from it only in "
        "case, spacing or look-alike characters.",
        field="name",
    )


def experiment_name_key(name: str) -> str:
    """The key experiment names are kept unique by (look-alikes share one)."""
    return name_key(name)[:NAME_KEY_MAX]


def _integrity_error(exc: IntegrityError, name: str) -> Conflict:
    """Say what the database refused: a (look-alike) duplicate name, or an arm still in use."""
    taken = (_name_taken(name).message, "name")
    return integrity_conflict(
        exc,
        {
            "uq_experiments_name": taken,
            "uq_experiments_name_key": taken,
            "uq_experiment_arms_experiment_id": ("Two arms would have the same name.", "arms"),
        },
        referenced_table="experiment_arms",
        subject="An arm this edit removes",
    )


def create_experiment(db: Database, actor: Actor, data: Mapping[str, object]) -> ExperimentView:
    """Create an experiment (scientists and admins)."""
    authorize(db, actor, Action.EXPERIMENT_CREATE)
    spec = parse_experiment(data)
    try:
        with db.begin() as s:
            key = experiment_name_key(spec.name)
            taken = s.scalar(select(Experiment.name).where(Experiment.name_key == key))
            if taken is not None:
                raise _look_alike(spec.name, taken)
            now = utcnow()
            experiment = Experiment(
                **{field: getattr(spec, field) for field in SCALAR_FIELDS},
                name_key=key,
                created_by_id=actor.user_id,
                created_at=now,
                updated_at=now,
                version=1,
                arms=_arm_rows(spec.arms),
            )
            s.add(experiment)
            s.flush()
            audit.add(
                s,
                actor,
                "experiment.create",
                target_type="experiment",
                target_id=experiment.id,
                detail=_as_dict(spec),
            )
            s.refresh(experiment)
            return _view(experiment)
    except IntegrityError as exc:
        # Another request inserted the same name between our check and our insert, or a
        # constraint we did not check first; the constraint's name says which.
        raise _integrity_error(exc, spec.name) from None


def update_experiment(
    db: Database,
    actor: Actor,
    experiment_id: int,
    changes: Mapping[str, object],
    expected_version: object,
) -> ExperimentView:
    """Apply ``changes`` (fields left out keep their values) if nobody edited since then.

    ``expected_version`` is the version the editor started from; a newer one on the server
    is a :class:`Conflict`, so one edit never silently overwrites another.
    """
    authorize(db, actor, Action.EXPERIMENT_UPDATE, target=("experiment", experiment_id))
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise ValidationFailed("version (the version you edited) is required.", field="version")
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationFailed(f"Unknown field {unknown[0]!r}.", field=unknown[0])
    name = changes.get("name")
    try:
        with db.begin() as s:
            experiment = s.get(Experiment, experiment_id)
            if experiment is None:
                raise NotFound(f"No experiment with id {experiment_id}.")
            if experiment.version != expected_version:
                raise Conflict(
                    f"Experiment {experiment.name!r} was changed by someone else "
                    f"(now version {experiment.version}, you edited {expected_version}); "
                    "reload and apply your edit again.",
                    field="version",
                )
            before = parse_experiment(editable(_view(experiment)))
            spec = parse_experiment({**editable(_view(experiment)), **changes})
            name = spec.name
            key = experiment_name_key(spec.name)
            clash = s.scalar(
                select(Experiment.name).where(
                    Experiment.name_key == key, Experiment.id != experiment_id
                )
            )
            if clash is not None:
                raise _look_alike(spec.name, clash)
            for field in SCALAR_FIELDS:
                setattr(experiment, field, getattr(spec, field))
            experiment.name_key = key
            _sync_arms(experiment, spec.arms)
            experiment.version += 1
            experiment.updated_at = utcnow()
            s.flush()
            audit.add(
                s,
                actor,
                "experiment.update",
                target_type="experiment",
                target_id=experiment.id,
                detail={
                    "before": _as_dict(before),
                    "after": _as_dict(spec),
                    "version": experiment.version,
                },
            )
            s.refresh(experiment)
            return _view(experiment)
    except IntegrityError as exc:
        raise _integrity_error(exc, str(name)) from None


def history(db: Database, experiment_id: int, limit: int = 50) -> list[audit.AuditRow]:
    """Successful changes to one experiment, newest first."""
    return audit.search_target(db, "experiment", str(experiment_id), limit=limit)
