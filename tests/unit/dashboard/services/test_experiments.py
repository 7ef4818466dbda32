from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from dashboard.db import Database
from dashboard.models import Experiment, ExperimentArm
from dashboard.services import audit, experiments, overview
from dashboard.services.actor import Actor
from dashboard.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


def _spec(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "BRIC-23 E. coli evolution",
        "organism": "Escherichia coli K-12 MG1655",
        "description": "Adaptation to microgravity over 1,000 generations.",
        "arms": experiments.default_arms(),
    }
    spec.update(changes)
    return spec


def _counts(db: Database) -> tuple[int, int]:
    with db.read() as s:
        return (
            s.scalar(select(func.count(Experiment.id))) or 0,
            s.scalar(select(func.count(ExperimentArm.id))) or 0,
        )


def test_create_and_read_back(db: Database, scientist: Actor) -> None:
    view = experiments.create_experiment(db, scientist, _spec())
    assert view.version == 1
    assert view.created_by == "sci"
    assert [(a.name, a.spaceflight, a.gravity_g) for a in view.arms] == [
        ("flight µg", "Space Flight", 0.0),
        ("ground 1 g", "Ground Control", 1.0),
    ]
    assert experiments.get_experiment(db, view.id) == view
    assert experiments.list_experiments(db) == [view]
    (event,) = experiments.history(db, view.id)
    assert event.action == "experiment.create"
    assert event.username == "sci"


def test_overview_counts_are_real(db: Database, scientist: Actor, operator: Actor) -> None:
    empty = overview.summary(db, operator)
    assert (empty.experiment_count, empty.flight_arm_count, empty.latest) == (0, 0, [])
    assert empty.can_create is False
    experiments.create_experiment(db, scientist, _spec())
    arms = [
        *experiments.default_arms(),
        {"name": "flight 1 g centrifuge", "spaceflight": "Space Flight", "gravity_g": 1},
    ]
    experiments.create_experiment(
        db, scientist, _spec(name="second", organism="B. subtilis", arms=arms)
    )
    data = overview.summary(db, scientist)
    assert data.experiment_count == 2
    assert data.flight_arm_count == 3
    assert data.ground_arm_count == 2
    assert data.organism_count == 2
    assert [e.name for e in data.latest] == ["second", "BRIC-23 E. coli evolution"]
    assert len(data.activity) == 2
    assert data.can_create is True


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 121}, "name"),
        ({"name": 42}, "name"),
        ({"name": "bad\x00name"}, "name"),
        ({"organism": ""}, "organism"),
        ({"description": "d" * 10_001}, "description"),
        ({"arms": []}, "arms"),
        ({"arms": "flight"}, "arms"),
        ({"arms": [{"name": "a", "spaceflight": "Space Flight", "gravity_g": 0}] * 21}, "arms"),
        ({"arms": [{"name": "", "spaceflight": "Space Flight", "gravity_g": 0}]}, "arms[0].name"),
        ({"arms": [{"name": "a", "spaceflight": "Orbit", "gravity_g": 0}]}, "arms[0].spaceflight"),
        (
            {"arms": [{"name": "a", "spaceflight": "Space Flight", "gravity_g": -1}]},
            "arms[0].gravity_g",
        ),
        (
            {"arms": [{"name": "a", "spaceflight": "Space Flight", "gravity_g": float("nan")}]},
            "arms[0].gravity_g",
        ),
        (
            {"arms": [{"name": "a", "spaceflight": "Space Flight", "gravity_g": "heavy"}]},
            "arms[0].gravity_g",
        ),
        (
            {"arms": [{"name": "a", "spaceflight": "Space Flight", "gravity_g": None}]},
            "arms[0].gravity_g",
        ),
        (
            {
                "arms": [
                    {"name": "a", "spaceflight": "Space Flight", "gravity_g": 0},
                    {"name": "A", "spaceflight": "Ground Control", "gravity_g": 1},
                ]
            },
            "arms[1].name",
        ),
        ({"arms": ["not an object"]}, "arms[0]"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    db: Database, scientist: Actor, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        experiments.create_experiment(db, scientist, _spec(**changes))
    assert info.value.field == field
    assert _counts(db) == (0, 0)


def test_only_scientists_and_admins_create(db: Database, operator: Actor, admin: Actor) -> None:
    with pytest.raises(PermissionDenied, match="scientist"):
        experiments.create_experiment(db, operator, _spec())
    assert _counts(db) == (0, 0)
    assert experiments.create_experiment(db, admin, _spec()).created_by == "root-admin"


def test_duplicate_names_conflict(db: Database, scientist: Actor) -> None:
    experiments.create_experiment(db, scientist, _spec())
    with pytest.raises(Conflict, match="already exists"):
        experiments.create_experiment(db, scientist, _spec())
    assert _counts(db) == (1, 2)


def test_update_edits_arms_in_place_and_bumps_version(db: Database, scientist: Actor) -> None:
    view = experiments.create_experiment(db, scientist, _spec())
    ids = {a.name: a.id for a in view.arms}
    arms = [
        {"name": "flight µg", "spaceflight": "Space Flight", "gravity_g": 0},
        {"name": "ground clinostat", "spaceflight": "Ground Control", "gravity_g": 0.001},
        {"name": "Ground 1 g", "spaceflight": "Ground Control", "gravity_g": 1, "description": "x"},
    ]
    updated = experiments.update_experiment(
        db, scientist, view.id, _spec(organism="E. coli REL606", arms=arms), 1
    )
    assert updated.version == 2
    assert updated.organism == "E. coli REL606"
    assert [a.name for a in updated.arms] == ["flight µg", "ground clinostat", "Ground 1 g"]
    # Arms matched by name keep their ids, so what refers to them stays attached.
    assert updated.arms[0].id == ids["flight µg"]
    assert updated.arms[2].id == ids["ground 1 g"]
    assert updated.arms[2].description == "x"
    assert _counts(db) == (1, 3)
    history = experiments.history(db, view.id)
    assert [h.action for h in history] == ["experiment.update", "experiment.create"]
    before, after = history[0].detail["before"], history[0].detail["after"]
    assert before["arms"] == ["flight µg (Space Flight, 0 g)", "ground 1 g (Ground Control, 1 g)"]
    assert after["arms"][1] == "ground clinostat (Ground Control, 0.001 g)"
    assert (before["organism"], after["organism"]) == (view.organism, "E. coli REL606")
    dropped = experiments.update_experiment(db, scientist, view.id, {"arms": arms[:1]}, 2)
    assert [a.id for a in dropped.arms] == [ids["flight µg"]]
    assert _counts(db) == (1, 1)


def test_fields_left_out_keep_their_values(db: Database, scientist: Actor) -> None:
    view = experiments.create_experiment(
        db, scientist, _spec(mission="SpaceX CRS-25", hardware="BRIC-LED", osdr_accession="osd-379")
    )
    assert view.osdr_accession == "OSD-379"
    updated = experiments.update_experiment(db, scientist, view.id, {"hardware": "Kubik"}, 1)
    assert (updated.name, updated.description, updated.mission) == (
        view.name,
        view.description,
        "SpaceX CRS-25",
    )
    assert updated.hardware == "Kubik"
    assert [a.id for a in updated.arms] == [a.id for a in view.arms]
    with pytest.raises(ValidationFailed, match="Unknown field"):
        experiments.update_experiment(db, scientist, view.id, {"colour": "red"}, 2)
    with pytest.raises(ValidationFailed, match="OSD-379") as info:
        experiments.update_experiment(db, scientist, view.id, {"osdr_accession": "GLDS-1"}, 2)
    assert info.value.field == "osdr_accession"
    assert experiments.get_experiment(db, view.id).version == 2


def test_stale_edit_is_refused_not_overwritten(db: Database, scientist: Actor) -> None:
    view = experiments.create_experiment(db, scientist, _spec())
    experiments.update_experiment(db, scientist, view.id, _spec(organism="first edit"), 1)
    with pytest.raises(Conflict, match="changed by someone else"):
        experiments.update_experiment(db, scientist, view.id, _spec(organism="second edit"), 1)
    assert experiments.get_experiment(db, view.id).organism == "first edit"


def test_update_errors(db: Database, scientist: Actor, operator: Actor) -> None:
    view = experiments.create_experiment(db, scientist, _spec())
    other = experiments.create_experiment(db, scientist, _spec(name="other"))
    with pytest.raises(NotFound):
        experiments.update_experiment(db, scientist, 9999, _spec(), 1)
    with pytest.raises(Conflict, match="already exists"):
        experiments.update_experiment(db, scientist, other.id, _spec(), 1)
    with pytest.raises(ValidationFailed, match="version"):
        experiments.update_experiment(db, scientist, view.id, _spec(), "1")
    with pytest.raises(PermissionDenied):
        experiments.update_experiment(db, operator, view.id, _spec(), 1)
    with pytest.raises(NotFound):
        experiments.get_experiment(db, 424242)
    assert experiments.get_experiment(db, view.id).version == 1


def _event(action: str, detail: dict[str, object]) -> audit.AuditRow:
    moment = datetime(2026, 11, 26, 10, tzinfo=UTC)
    return audit.AuditRow(1, moment, "ada", None, "web", action, "ok", "experiment", "4", detail)


@pytest.mark.parametrize(
    ("action", "detail", "verb", "name"),
    [
        ("experiment.create", {"name": "BRIC-23", "organism": "E. coli"}, "created", "BRIC-23"),
        (
            "experiment.update",
            {"before": {"name": "old"}, "after": {"name": "new"}},
            "edited",
            "new",
        ),
        ("experiment.update", {"after": "not a mapping"}, "edited", "experiment 4"),
        ("experiment.retract", {}, "experiment.retract", "experiment 4"),
    ],
)
def test_overview_reads_names_and_verbs_from_audit_payloads(
    action: str, detail: dict[str, object], verb: str, name: str
) -> None:
    item = overview.activity(_event(action, detail))
    assert (item.username, item.verb, item.experiment_name) == ("ada", verb, name)
    assert item.experiment_id == "4"


def test_overview_activity_names_experiments_as_they_are_called_now(
    db: Database, scientist: Actor
) -> None:
    view = experiments.create_experiment(db, scientist, _spec(name="BRIC-23 draft"))
    experiments.update_experiment(db, scientist, view.id, {"name": "BRIC-23 E. coli"}, 1)

    items = overview.summary(db, scientist).activity

    assert [(i.verb, i.experiment_name, i.name_then) for i in items] == [
        ("edited", "BRIC-23 E. coli", None),
        ("created", "BRIC-23 E. coli", "BRIC-23 draft"),
    ]
