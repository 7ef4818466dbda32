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
from .errors import Conflict, FieldErrors, NotFound, ValidationFailed
from .integrity import integrity_conflict
from .policy import Action, allows, authorize
from .text import name_key, one_line_name, plain_text


class Spaceflight(StrEnum):
    """GeneLab's ``Factor Value[Spaceflight]`` of an arm or sample: the one vocabulary for it.

    GeneLab's own terms, plus ``Ancestor`` for the founding strain of an evolution experiment
    (what flight and ground isolates are compared against).
    """

    SPACE_FLIGHT = "Space Flight"
    GROUND_CONTROL = "Ground Control"
    BASAL_CONTROL = "Basal Control"
    ANCESTOR = "Ancestor"


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
# Gravity is in g (multiples of Earth's 9.81 m/s²): 0 is microgravity, 1 is Earth. Above
# HYPERGRAVITY_ABOVE_G a request must confirm that hypergravity (a centrifuge) is meant:
# 9.81 typed as "Earth gravity" in m/s² is the classic slip. Beyond GRAVITY_MAX_G: refused.
GRAVITY_MIN_G = 0.0
HYPERGRAVITY_ABOVE_G = 3.0
GRAVITY_MAX_G = 20.0
EARTH_GRAVITY_M_S2 = 9.81
CONFIRM_HYPERGRAVITY = "confirm_hypergravity"
GRAVITY_RULE = (
    f"In g, not m/s² ({EARTH_GRAVITY_M_S2:g} m/s² = 1 g): 0 is microgravity, 1 is Earth. "
    f"Above {HYPERGRAVITY_ABOVE_G:g} g (hypergravity, on a centrifuge) needs "
    f"{CONFIRM_HYPERGRAVITY}; at most {GRAVITY_MAX_G:g} g."
)
# Shown where an experiment links out: its study page on NASA's Open Science Data Repository.
OSDR_STUDY_URL = "https://osdr.nasa.gov/bio/repo/data/studies/{accession}"


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


def gravity_level(raw: object, field: str, label: str) -> float:
    """A gravity level in g within the absolute limits (hypergravity is checked later)."""
    if isinstance(raw, bool) or raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValidationFailed(
            f"{label} is required: 0 for microgravity, 1 for Earth.", field=field
        )
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationFailed(
            f"{label} must be a number of g, not {str(raw)[:40]!r}.", field=field
        ) from None
    if not math.isfinite(value):
        raise ValidationFailed(f"{label} must be a finite number of g.", field=field)
    if value < GRAVITY_MIN_G:
        raise ValidationFailed(
            f"{label} cannot be negative (got {value:g} g): 0 is microgravity, the least there is.",
            field=field,
        )
    if value > GRAVITY_MAX_G:
        raise ValidationFailed(
            f"{label} of {value:g} g is above the {GRAVITY_MAX_G:g} g maximum "
            f"(gravity is in g: {EARTH_GRAVITY_M_S2:g} m/s² = 1 g).",
            field=field,
        )
    return value


def is_hypergravity(gravity_g: float) -> bool:
    """Whether ``gravity_g`` needs a confirmation that hypergravity is meant.

    >>> is_hypergravity(3.0), is_hypergravity(9.81)
    (False, True)
    """
    return gravity_g > HYPERGRAVITY_ABOVE_G


def _arm_label(index: int, name: str) -> str:
    return f"Arm {index + 1} “{name}”" if name else f"Arm {index + 1}"


def _hypergravity_question(index: int, arm: ArmInput) -> str:
    return (
        f"{_arm_label(index, arm.name)} is set to {arm.gravity_g:g} g: hypergravity "
        f"(centrifuge) is intended? Confirm it, or give gravity in g "
        f"({EARTH_GRAVITY_M_S2:g} m/s² = 1 g)."
    )


def _arm(raw: object, index: int, found: FieldErrors) -> ArmInput | None:
    """One arm, its problems recorded in ``found``; None when it is not an object at all."""
    where = f"arms[{index}]"
    label = f"Arm {index + 1}"
    if not isinstance(raw, Mapping):
        found.add(where, f"{label} must be an object.")
        return None
    name = found.check(
        lambda: _text(
            raw, "name", f"{label} name", ARM_NAME_MAX, required=True, field=f"{where}.name"
        ),
        "",
    )
    spaceflight = raw.get("spaceflight")
    if spaceflight not in SPACEFLIGHT_VALUES:
        found.add(
            f"{where}.spaceflight",
            f"{label} spaceflight must be one of {', '.join(SPACEFLIGHT_VALUES)}.",
        )
    gravity_g = found.check(
        lambda: gravity_level(raw.get("gravity_g"), f"{where}.gravity_g", f"{label} gravity"), 0.0
    )
    description = found.check(
        lambda: _text(
            raw,
            "description",
            f"{label} description",
            ARM_DESCRIPTION_MAX,
            required=False,
            field=f"{where}.description",
        ),
        "",
    )
    return ArmInput(
        name=name, spaceflight=str(spaceflight), gravity_g=gravity_g, description=description
    )


def parse_arm(raw: object, index: int) -> ArmInput:
    """Validate one arm given as a mapping; ``index`` locates errors (all of them at once)."""
    found = FieldErrors()
    arm = _arm(raw, index, found)
    found.raise_if_any()
    if arm is None:  # not reached: an arm that is no object is recorded as an error
        raise ValidationFailed(f"Arm {index + 1} must be an object.", field=f"arms[{index}]")
    return arm


def _confirmed(data: Mapping[str, object], found: FieldErrors) -> bool:
    raw = data.get(CONFIRM_HYPERGRAVITY)
    if raw is None:
        return False
    if not isinstance(raw, bool):
        found.add(CONFIRM_HYPERGRAVITY, f"{CONFIRM_HYPERGRAVITY} must be true or false.")
        return False
    return raw


def _arms(
    raw: object,
    found: FieldErrors,
    *,
    is_confirmed: bool,
    known_g: Mapping[str, float],
) -> tuple[ArmInput, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        found.add("arms", "An experiment needs at least one arm (e.g. flight and ground).")
        return ()
    if len(raw) > ARMS_MAX:
        found.add("arms", f"At most {ARMS_MAX} arms (got {len(raw)}).")
        return ()
    arms: list[ArmInput] = []
    heavy: list[str] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        arm = _arm(item, i, found)
        if arm is None:
            continue
        arms.append(arm)
        key = name_key(arm.name)
        if not found.has(f"arms[{i}].name"):
            if key in seen:
                found.add(
                    f"arms[{i}].name",
                    f"Two arms are named {arm.name!r}; arm names must differ.",
                )
            seen.add(key)
        # An arm kept at the hypergravity it already had was confirmed when it was set.
        needs_confirmation = (
            not found.has(f"arms[{i}].gravity_g")
            and is_hypergravity(arm.gravity_g)
            and known_g.get(key) != arm.gravity_g
        )
        if needs_confirmation and not is_confirmed:
            found.add(f"arms[{i}].gravity_g", _hypergravity_question(i, arm))
            heavy.append(f"{_arm_label(i, arm.name).lower()} ({arm.gravity_g:g} g)")
    if heavy:
        found.add(
            CONFIRM_HYPERGRAVITY,
            f"Confirm that hypergravity (above {HYPERGRAVITY_ABOVE_G:g} g) is intended for "
            f"{', '.join(heavy)}.",
        )
    return tuple(arms)


def parse_experiment(
    data: Mapping[str, object], *, known_g: Mapping[str, float] | None = None
) -> ExperimentInput:
    """Validate an experiment given as a mapping (form or JSON body), naming every problem.

    Raises one :class:`ValidationFailed` whose ``errors`` hold every field's problem. An arm
    above :data:`HYPERGRAVITY_ABOVE_G` needs ``confirm_hypergravity: true`` in ``data``,
    unless ``known_g`` (arm name key to the gravity stored for it) shows it unchanged.
    """
    if not isinstance(data, Mapping):
        raise ValidationFailed("Experiment must be an object.")
    found = FieldErrors()

    def text(key: str, label: str, limit: int, *, required: bool = False) -> str:
        return found.check(lambda: _text(data, key, label, limit, required=required), "")

    spec = ExperimentInput(
        name=text("name", "Name", NAME_MAX, required=True),
        organism=text("organism", "Organism", ORGANISM_MAX, required=True),
        mission=text("mission", "Mission", MISSION_MAX),
        hardware=text("hardware", "Hardware", HARDWARE_MAX),
        osdr_accession=found.check(lambda: _accession(data.get("osdr_accession")), ""),
        description=text("description", "Description", DESCRIPTION_MAX),
        arms=_arms(
            data.get("arms"),
            found,
            is_confirmed=_confirmed(data, found),
            known_g=known_g or {},
        ),
    )
    found.raise_if_any()
    return spec


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


def osdr_study_url(accession: str) -> str:
    """The OSDR study page of an accession.

    >>> osdr_study_url("OSD-379")
    'https://osdr.nasa.gov/bio/repo/data/studies/OSD-379'
    """
    return OSDR_STUDY_URL.format(accession=accession)


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
    """Create an experiment (scientists and admins).

    ``data`` holds the fields of :class:`ExperimentInput` and, when an arm is above 3 g,
    ``confirm_hypergravity: true``; every invalid field is named in one ValidationFailed.
    """
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

    ``changes`` may hold ``confirm_hypergravity: true`` for arms newly set above 3 g.

    ``expected_version`` is the version the editor started from; a newer one on the server
    is a :class:`Conflict`, so one edit never silently overwrites another.
    """
    authorize(db, actor, Action.EXPERIMENT_UPDATE, target=("experiment", experiment_id))
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise ValidationFailed("version (the version you edited) is required.", field="version")
    unknown = sorted(set(changes) - {*EDITABLE, CONFIRM_HYPERGRAVITY})
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
            # Arms kept at the hypergravity they had were confirmed when it was set.
            known_g = {name_key(arm.name): arm.gravity_g for arm in experiment.arms}
            current = editable(_view(experiment))
            before = parse_experiment(current, known_g=known_g)
            spec = parse_experiment({**current, **changes}, known_g=known_g)
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


# How people read the fields of an experiment, and what its audit events did.
FIELD_LABELS = {
    "name": "Name",
    "organism": "Organism",
    "description": "Description",
    "mission": "Mission",
    "hardware": "Culture hardware",
    "osdr_accession": "NASA OSDR study",
    "arms": "Arms",
}
EVENT_VERBS = {"experiment.create": "created", "experiment.update": "edited"}
ABSENT = "—"


@dataclass(frozen=True)
class FieldChange:
    """``label: old → new`` (``—`` for a value that was or became empty or absent)."""

    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    """One change to an experiment as its page shows it."""

    occurred_at: datetime
    username: str
    verb: str
    changes: tuple[FieldChange, ...]


def _shown(value: object) -> str:
    return ABSENT if value in (None, "", []) else str(value)


def _arm_parts(arm: object) -> tuple[str, str]:
    """``"ground 1 g (Ground Control, 1 g)"`` → ``("ground 1 g", "Ground Control, 1 g")``."""
    text = str(arm)
    name, sep, rest = text.rpartition(" (")
    return (name, rest.removesuffix(")")) if sep and rest.endswith(")") else (text, "")


def arm_changes(old: object, new: object) -> list[FieldChange]:
    """Arms added, removed or changed between two audit snapshots, matched by name.

    >>> for c in arm_changes(["a (Space Flight, 0 g)", "b (Ground Control, 1 g)"],
    ...                      ["a (Space Flight, 0.5 g)", "c (Ground Control, 1 g)"]):
    ...     print(f"{c.label}: {c.old} → {c.new}")
    Arm “a”: Space Flight, 0 g → Space Flight, 0.5 g
    Arm “b”: Ground Control, 1 g → —
    Arm “c”: — → Ground Control, 1 g
    """
    before = dict(_arm_parts(a) for a in old) if isinstance(old, list) else {}
    after = dict(_arm_parts(a) for a in new) if isinstance(new, list) else {}
    changes = []
    for name in [*before, *(n for n in after if n not in before)]:
        was, now = before.get(name), after.get(name)
        if was != now:
            changes.append(FieldChange(f"Arm “{name}”", _shown(was), _shown(now)))
    return changes


def field_changes(detail: Mapping[str, object]) -> list[FieldChange]:
    """What an ``experiment.update`` event changed, field by field in form order.

    >>> for c in field_changes({"before": {"organism": "E. coli", "mission": ""},
    ...                         "after": {"organism": "B. subtilis", "mission": "CRS-25"}}):
    ...     print(f"{c.label}: {c.old} → {c.new}")
    Organism: E. coli → B. subtilis
    Mission: — → CRS-25
    """
    before, after = detail.get("before"), detail.get("after")
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return []
    changes: list[FieldChange] = []
    for key, label in FIELD_LABELS.items():
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key == "arms":
            changes.extend(arm_changes(old, new))
        else:
            changes.append(FieldChange(label, _shown(old), _shown(new)))
    return changes


def change_log(db: Database, experiment_id: int, limit: int = 50) -> list[HistoryEntry]:
    """The experiment's history as readable ``field: old → new`` changes, newest first."""
    return [
        HistoryEntry(
            occurred_at=row.occurred_at,
            username=row.username,
            verb=EVENT_VERBS.get(row.action, row.action),
            changes=tuple(field_changes(row.detail)),
        )
        for row in history(db, experiment_id, limit)
    ]


def find_experiment(db: Database, id_text: str) -> ExperimentView | None:
    """The experiment a URL's id names (``"12"``), or None when malformed or missing."""
    if not id_text.isascii() or not id_text.isdigit() or len(id_text) > 18:
        return None
    try:
        return get_experiment(db, int(id_text))
    except NotFound:
        return None
