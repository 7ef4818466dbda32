"""Samples: what was cultured, under which factors (GeneLab / ISA-Tab's sample table).

A sample belongs to an experiment and, where it applies, one of its arms; its datasets
(reads, assemblies, genomes) are imported under its name. The factor vocabulary is
GeneLab's (``Factor Value[Spaceflight]`` = ``Space Flight`` / ``Ground Control`` /
``Basal Control``, plus ``Ancestor`` for the founding strain).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.models import Experiment, Sample, utcnow

from .errors import Conflict, FieldErrors, ValidationFailed
from .experiments import SPACEFLIGHT_VALUES, gravity_level, is_hypergravity
from .text import one_line_name

SAMPLE_NAME_MAX, ORGANISM_MAX, STRAIN_MAX = 120, 200, 120
TIME_POINT_MAX = REPLICATE_MAX = 64
EXTRA_MAX, EXTRA_KEY_MAX, EXTRA_VALUE_MAX = 20, 64, 200
TAXON_ID_MAX = 2**31 - 1
RADIATION_MAX_MGY = 1_000_000.0  # 1,000 Gy: far above anything a culture survives
# What a sample records beside its name; the names are also the API's and the CLI's keys.
CHARACTERISTICS = ("organism", "strain", "taxon_id")
FACTORS = ("spaceflight", "gravity_g", "radiation_mgy", "time_point", "replicate")
KNOWN_KEYS = (*CHARACTERISTICS, *FACTORS)
CONFIRM = "confirm_hypergravity"  # as for arms: above 3 g must be meant


@dataclass(frozen=True)
class SampleInput:
    """A sample's values as given; None or "" means "not given"."""

    organism: str = ""
    strain: str = ""
    taxon_id: int | None = None
    spaceflight: str = ""
    gravity_g: float | None = None
    radiation_mgy: float | None = None
    time_point: str = ""
    replicate: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    def given(self) -> dict[str, object]:
        """The values that were given, by name."""
        found: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value not in (None, "", {}):
                found[f.name] = dict(value) if f.name == "extra" else value
        return found


@dataclass(frozen=True)
class SampleView:
    """A sample as pages and the API show it."""

    id: int
    experiment_id: int
    name: str
    arm_id: int | None
    arm_name: str
    organism: str
    strain: str
    taxon_id: int | None
    spaceflight: str
    gravity_g: float | None
    radiation_mgy: float | None
    time_point: str
    replicate: str
    extra: dict[str, str]
    created_at: datetime


def view(sample: Sample) -> SampleView:
    """The public view of a sample row."""
    return SampleView(
        id=sample.id,
        experiment_id=sample.experiment_id,
        name=sample.name,
        arm_id=sample.arm_id,
        arm_name=sample.arm.name if sample.arm is not None else "",
        organism=sample.organism,
        strain=sample.strain,
        taxon_id=sample.taxon_id,
        spaceflight=sample.spaceflight,
        gravity_g=sample.gravity_g,
        radiation_mgy=sample.radiation_mgy,
        time_point=sample.time_point,
        replicate=sample.replicate,
        extra={str(k): str(v) for k, v in (sample.extra or {}).items()},
        created_at=sample.created_at,
    )


def sample_name(raw: object, *, field: str = "sample_name") -> str:
    """A sample's name: required, one line."""
    return one_line_name(raw, "Sample name", SAMPLE_NAME_MAX, field=field, required=True)


def _number(raw: object, label: str, key: str, high: float) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValidationFailed(f"{label} must be a number.", field=key)
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationFailed(
            f"{label} must be a number, not {str(raw)[:40]!r}.", field=key
        ) from None
    if not math.isfinite(value) or not 0 <= value <= high:
        raise ValidationFailed(f"{label} must be between 0 and {high:g}.", field=key)
    return value


def _taxon(raw: object, key: str) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isascii() or not text.isdigit() or len(text) > 10:
        raise ValidationFailed(
            f"NCBI taxonomy id must be a whole number such as 562 (E. coli), not {text[:20]!r}.",
            field=key,
        )
    value = int(text)
    if not 1 <= value <= TAXON_ID_MAX:
        raise ValidationFailed("NCBI taxonomy id must be a positive number.", field=key)
    return value


def _spaceflight(raw: object, key: str) -> str:
    if raw is None or raw == "":
        return ""
    if isinstance(raw, str):
        for value in SPACEFLIGHT_VALUES:  # GeneLab's spelling, any case
            if raw.strip().casefold() == value.casefold():
                return value
    raise ValidationFailed(
        f"Spaceflight factor must be one of {', '.join(SPACEFLIGHT_VALUES)}.", field=key
    )


def _text(raw: object, label: str, limit: int, key: str) -> str:
    return one_line_name(raw, label, limit, field=key, required=False)


def _extra(raw: object, prefix: str, found: FieldErrors) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        found.add(prefix, "Further factors must be an object of names to values.")
        return {}
    if len(raw) > EXTRA_MAX:
        found.add(prefix, f"At most {EXTRA_MAX} further factors.")
        return {}
    values: dict[str, str] = {}
    for key, value in raw.items():
        try:
            name = one_line_name(key, "A factor's name", EXTRA_KEY_MAX, field=prefix, required=True)
            text = one_line_name(
                value if isinstance(value, str) else str(value),
                f"Factor {name!r}",
                EXTRA_VALUE_MAX,
                field=f"{prefix}.{name}",
                required=False,
            )
        except ValidationFailed as exc:
            found.add(exc.field or prefix, exc.message)
            continue
        if text:
            values[name] = text
    return values


def parse_sample(data: Mapping[str, object], *, prefix: str = "") -> SampleInput:
    """Check a sample's values (any may be missing); every bad one is named at once.

    ``data`` uses :data:`KNOWN_KEYS`; any other key is a further factor.
    """
    found = FieldErrors()
    key = (prefix + "{}").format
    extra_raw = {
        k: v for k, v in data.items() if k not in KNOWN_KEYS and k not in ("extra", CONFIRM)
    }
    nested = data.get("extra")
    if isinstance(nested, Mapping):
        extra_raw.update(nested)
    spec = SampleInput(
        organism=found.check(
            lambda: _text(data.get("organism"), "Organism", ORGANISM_MAX, key("organism")), ""
        ),
        strain=found.check(
            lambda: _text(data.get("strain"), "Strain", STRAIN_MAX, key("strain")), ""
        ),
        taxon_id=found.check(lambda: _taxon(data.get("taxon_id"), key("taxon_id")), None),
        spaceflight=found.check(
            lambda: _spaceflight(data.get("spaceflight"), key("spaceflight")), ""
        ),
        gravity_g=found.check(
            lambda: _gravity_or_none(data.get("gravity_g"), key("gravity_g")), None
        ),
        radiation_mgy=found.check(
            lambda: _number(
                data.get("radiation_mgy"),
                "Radiation dose (mGy)",
                key("radiation_mgy"),
                RADIATION_MAX_MGY,
            ),
            None,
        ),
        time_point=found.check(
            lambda: _text(data.get("time_point"), "Time point", TIME_POINT_MAX, key("time_point")),
            "",
        ),
        replicate=found.check(
            lambda: _text(data.get("replicate"), "Replicate", REPLICATE_MAX, key("replicate")),
            "",
        ),
        extra=_extra(extra_raw, key("factors"), found) if extra_raw else {},
    )
    if (
        spec.gravity_g is not None
        and is_hypergravity(spec.gravity_g)
        and data.get(CONFIRM) not in (True, "true", "1", "yes")
    ):
        found.add(
            key("gravity_g"),
            f"Gravity of {spec.gravity_g:g} g is hypergravity (a centrifuge)? Gravity is in g, "
            f"not m/s² (9.81 m/s² = 1 g); if it is meant, also send {CONFIRM}=true.",
        )
    found.raise_if_any()
    return spec


def _gravity_or_none(raw: object, name: str) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return gravity_level(raw, name, "Gravity (g)")


def _conflicts(existing: Sample, spec: SampleInput) -> dict[str, str]:
    """Given values that differ from what the sample already records."""
    found: dict[str, str] = {}
    for name, value in spec.given().items():
        if name == "extra":
            old_extra = existing.extra or {}
            for k, v in value.items():  # type: ignore[attr-defined]
                if k in old_extra and old_extra[k] != v:
                    found[f"factors.{k}"] = _differs(existing.name, k, old_extra[k], v)
            continue
        old = getattr(existing, name)
        if old not in (None, "") and old != value:
            # Named as the importer names them (parse_details' factors.<key>).
            found[f"factors.{name}"] = _differs(existing.name, name, old, value)
    return found


def _differs(sample: str, name: str, old: object, new: object) -> str:
    return (
        f"Sample {sample!r} already records {name} = {old!r}, not {new!r}: leave it empty to "
        "use the sample's value, or correct the sample through the sample sheet."
    )


def resolve(
    s: Session,
    experiment: Experiment,
    name: str,
    arm_id: int | None,
    spec: SampleInput,
) -> tuple[Sample, bool]:
    """The experiment's sample ``name``, made from ``spec`` if new; (sample, is_new).

    For an existing sample, given values fill what it lacks and must not contradict what it
    has (:class:`Conflict` naming each one).
    """
    arm = None
    if arm_id is not None:
        arm = next((a for a in experiment.arms if a.id == arm_id), None)
        if arm is None:
            arms = ", ".join(f"{a.id} ({a.name})" for a in experiment.arms)
            raise ValidationFailed(
                f"Arm {arm_id} is not an arm of experiment {experiment.id}; its arms: {arms}.",
                field="arm_id",
            )
    sample = s.scalar(
        select(Sample).where(Sample.experiment_id == experiment.id, Sample.name == name)
    )
    if sample is not None:
        problems = _conflicts(sample, spec)
        if arm is not None and sample.arm_id not in (None, arm.id):
            problems["arm_id"] = _differs(sample.name, "arm", sample.arm_id, arm.id)
        if problems:
            failed = Conflict(next(iter(problems.values())), field=next(iter(problems)))
            failed.errors = problems
            raise failed
        _fill(sample, spec, arm.id if arm else None)
        return sample, False
    if arm is not None:
        # An arm's factor values are the sample's unless the sample says otherwise.
        spec = replace(
            spec,
            spaceflight=spec.spaceflight or arm.spaceflight,
            gravity_g=spec.gravity_g if spec.gravity_g is not None else arm.gravity_g,
        )
    now = utcnow()
    sample = Sample(
        experiment_id=experiment.id,
        name=name,
        arm_id=arm.id if arm else None,
        organism=spec.organism or experiment.organism,
        strain=spec.strain,
        taxon_id=spec.taxon_id,
        spaceflight=spec.spaceflight,
        gravity_g=spec.gravity_g,
        radiation_mgy=spec.radiation_mgy,
        time_point=spec.time_point,
        replicate=spec.replicate,
        extra=dict(spec.extra),
        created_at=now,
        updated_at=now,
    )
    s.add(sample)
    s.flush()
    return sample, True


def _fill(sample: Sample, spec: SampleInput, arm_id: int | None) -> None:
    changed = False
    for name, value in spec.given().items():
        if name == "extra":
            merged = {**(sample.extra or {}), **value}  # type: ignore[dict-item]
            if merged != (sample.extra or {}):
                sample.extra = merged
                changed = True
        elif getattr(sample, name) in (None, ""):
            setattr(sample, name, value)
            changed = True
    if arm_id is not None and sample.arm_id is None:
        sample.arm_id = arm_id
        changed = True
    if changed:
        sample.updated_at = utcnow()


def overwrite(sample: Sample, spec: SampleInput) -> dict[str, list[object]]:
    """Set every given value on ``sample``; returns {field: [old, new]} of what changed."""
    changes: dict[str, list[object]] = {}
    for name, value in spec.given().items():
        if name == "extra":
            merged = {**(sample.extra or {}), **value}  # type: ignore[dict-item]
            if merged != (sample.extra or {}):
                changes["extra"] = [dict(sample.extra or {}), merged]
                sample.extra = merged
        elif getattr(sample, name) != value:
            changes[name] = [getattr(sample, name), value]
            setattr(sample, name, value)
    if changes:
        sample.updated_at = utcnow()
    return changes
