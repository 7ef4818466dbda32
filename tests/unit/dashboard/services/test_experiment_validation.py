"""Experiments refuse bad input naming every field at once, and refuse implausible gravity
with a reason (negative, above the maximum, or hypergravity that was not confirmed)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from dashboard.db import Database
from dashboard.models import Experiment
from dashboard.services import experiments
from dashboard.services.actor import Actor
from dashboard.services.errors import ValidationFailed
from dashboard.services.experiments import CONFIRM_HYPERGRAVITY

FLIGHT = {"name": "flight µg", "spaceflight": "Space Flight", "gravity_g": 0}
GROUND = {"name": "ground 1 g", "spaceflight": "Ground Control", "gravity_g": 1}


def _spec(**changes: Any) -> dict[str, Any]:
    return {
        "name": "BRIC-23 E. coli evolution",
        "organism": "Escherichia coli K-12 MG1655",
        "arms": [FLIGHT, GROUND],
        **changes,
    }


def _arm(name: str, gravity_g: object, spaceflight: str = "Space Flight") -> dict[str, Any]:
    return {"name": name, "spaceflight": spaceflight, "gravity_g": gravity_g}


def _count(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count(Experiment.id))) or 0


def _refused(db: Database, actor: Actor, data: dict[str, Any]) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        experiments.create_experiment(db, actor, data)
    return info.value


def test_every_problem_is_named_at_once_and_nothing_is_written(
    db: Database, scientist: Actor
) -> None:
    data = _spec(
        name="",
        organism="   ",
        osdr_accession="GLDS-12",
        arms=[
            _arm("", 0),
            _arm("ground", -1, "Ground Control"),
            _arm("third", "heavy", "Orbit"),
            _arm("Ground", 1, "Ground Control"),
        ],
    )
    error = _refused(db, scientist, data)
    assert error.errors == {
        "name": "Name is required.",
        "organism": "Organism is required.",
        "osdr_accession": "OSDR accession must look like OSD-379, not 'GLDS-12'.",
        "arms[0].name": "Arm 1 name is required.",
        "arms[1].gravity_g": (
            "Arm 2 gravity cannot be negative (got -1 g): 0 is microgravity, the least there is."
        ),
        "arms[2].spaceflight": (
            "Arm 3 spaceflight must be one of Space Flight, Ground Control, Basal Control, "
            "Ancestor."
        ),
        "arms[2].gravity_g": "Arm 3 gravity must be a number of g, not 'heavy'.",
        "arms[3].name": "Two arms are named 'Ground'; arm names must differ.",
    }
    # The first problem is also the error's message and field (what older clients read).
    assert (error.field, error.message) == ("name", "Name is required.")
    assert _count(db) == 0


def test_a_valid_form_with_one_problem_names_just_that_field(
    db: Database, scientist: Actor
) -> None:
    error = _refused(db, scientist, _spec(arms=[FLIGHT, GROUND, _arm("centrifuge", None)]))
    assert list(error.errors) == ["arms[2].gravity_g"]
    assert error.message == "Arm 3 gravity is required: 0 for microgravity, 1 for Earth."


@pytest.mark.parametrize("gravity_g", [5, 9.81, 3.0001, experiments.GRAVITY_MAX_G])
def test_hypergravity_needs_a_confirmation_naming_the_arm(
    db: Database, scientist: Actor, gravity_g: float
) -> None:
    arms = [FLIGHT, GROUND, _arm("centrifuge", gravity_g)]
    error = _refused(db, scientist, _spec(arms=arms))
    assert list(error.errors) == ["arms[2].gravity_g", CONFIRM_HYPERGRAVITY]
    question = error.errors["arms[2].gravity_g"]
    assert question.startswith(
        f"Arm 3 “centrifuge” is set to {gravity_g:g} g: hypergravity (centrifuge) is intended?"
    )
    assert "9.81 m/s² = 1 g" in question  # the classic slip: Earth gravity typed in m/s²
    assert error.errors[CONFIRM_HYPERGRAVITY] == (
        f"Confirm that hypergravity (above 3 g) is intended for arm 3 “centrifuge” "
        f"({gravity_g:g} g)."
    )
    assert _count(db) == 0
    view = experiments.create_experiment(
        db, scientist, _spec(arms=arms, **{CONFIRM_HYPERGRAVITY: True})
    )
    assert view.arms[2].gravity_g == gravity_g


def test_confirmation_names_every_heavy_arm_and_false_is_no_confirmation(
    db: Database, scientist: Actor
) -> None:
    arms = [_arm("a", 4), _arm("b", 1), _arm("c", 9.81)]
    error = _refused(db, scientist, _spec(arms=arms, **{CONFIRM_HYPERGRAVITY: False}))
    assert list(error.errors) == ["arms[0].gravity_g", "arms[2].gravity_g", CONFIRM_HYPERGRAVITY]
    assert "arm 1 “a” (4 g), arm 3 “c” (9.81 g)" in error.errors[CONFIRM_HYPERGRAVITY]


@pytest.mark.parametrize("gravity_g", [0, 0.38, 1, experiments.HYPERGRAVITY_ABOVE_G])
def test_up_to_3_g_needs_no_confirmation(db: Database, scientist: Actor, gravity_g: float) -> None:
    view = experiments.create_experiment(db, scientist, _spec(arms=[_arm("only", gravity_g)]))
    assert view.arms[0].gravity_g == gravity_g


@pytest.mark.parametrize(
    ("gravity_g", "reason"),
    [
        (-0.5, "Arm 1 gravity cannot be negative (got -0.5 g)"),
        (-1e-9, "Arm 1 gravity cannot be negative"),
        (20.5, "Arm 1 gravity of 20.5 g is above the 20 g maximum (gravity is in g: 9.81 m/s²"),
        (98.1, "Arm 1 gravity of 98.1 g is above the 20 g maximum"),
        (float("inf"), "Arm 1 gravity must be a finite number of g."),
        (float("nan"), "Arm 1 gravity must be a finite number of g."),
        (True, "Arm 1 gravity is required"),
        ("", "Arm 1 gravity is required"),
    ],
)
def test_implausible_gravity_is_refused_even_when_confirmed(
    db: Database, scientist: Actor, gravity_g: object, reason: str
) -> None:
    data = _spec(arms=[_arm("only", gravity_g)], **{CONFIRM_HYPERGRAVITY: True})
    error = _refused(db, scientist, data)
    assert list(error.errors) == ["arms[0].gravity_g"]
    assert error.message.startswith(reason)
    assert _count(db) == 0


def test_gravity_typed_as_text_is_read_as_a_number(db: Database, scientist: Actor) -> None:
    """A form sends what was typed; " 0.5 " is half a g, never silently something else."""
    view = experiments.create_experiment(db, scientist, _spec(arms=[_arm("half", " 0.5 ")]))
    assert view.arms[0].gravity_g == 0.5


def test_confirmation_must_be_a_boolean(db: Database, scientist: Actor) -> None:
    error = _refused(db, scientist, _spec(**{CONFIRM_HYPERGRAVITY: "yes"}))
    assert error.errors == {CONFIRM_HYPERGRAVITY: "confirm_hypergravity must be true or false."}


def test_an_edit_keeps_confirmed_hypergravity_but_asks_again_for_a_new_level(
    db: Database, scientist: Actor
) -> None:
    arms = [FLIGHT, _arm("centrifuge", 5)]
    view = experiments.create_experiment(
        db, scientist, _spec(arms=arms, **{CONFIRM_HYPERGRAVITY: True})
    )
    # Other fields change; the 5 g arm was confirmed when it was set.
    edited = experiments.update_experiment(db, scientist, view.id, {"organism": "E. coli B"}, 1)
    assert edited.version == 2
    # A new hypergravity level, or a new arm at one, is asked about again.
    for changed in ([FLIGHT, _arm("centrifuge", 6)], [*arms, _arm("second centrifuge", 5)]):
        with pytest.raises(ValidationFailed) as info:
            experiments.update_experiment(db, scientist, view.id, {"arms": changed}, 2)
        heavy = len(changed) - 1
        assert list(info.value.errors) == [f"arms[{heavy}].gravity_g", CONFIRM_HYPERGRAVITY]
    confirmed = experiments.update_experiment(
        db,
        scientist,
        view.id,
        {"arms": [FLIGHT, _arm("centrifuge", 6)], CONFIRM_HYPERGRAVITY: True},
        2,
    )
    assert (confirmed.version, confirmed.arms[1].gravity_g) == (3, 6.0)


def test_an_edit_names_every_problem_too(db: Database, scientist: Actor) -> None:
    view = experiments.create_experiment(db, scientist, _spec())
    changes = {"name": "", "arms": [FLIGHT, _arm("ground", -2, "Ground Control")]}
    with pytest.raises(ValidationFailed) as info:
        experiments.update_experiment(db, scientist, view.id, changes, 1)
    assert list(info.value.errors) == ["name", "arms[1].gravity_g"]
    assert experiments.get_experiment(db, view.id).version == 1


def test_change_log_reads_as_field_old_new(db: Database, scientist: Actor) -> None:
    view = experiments.create_experiment(db, scientist, _spec(mission="SpaceX CRS-25"))
    arms = [FLIGHT, {**GROUND, "gravity_g": 0.5}, _arm("clinostat", 0, "Ground Control")]
    experiments.update_experiment(
        db, scientist, view.id, {"organism": "E. coli REL606", "mission": "", "arms": arms}, 1
    )
    edited, created = experiments.change_log(db, view.id)
    assert (created.verb, created.username, created.changes) == ("created", "sci", ())
    assert edited.verb == "edited"
    assert [(c.label, c.old, c.new) for c in edited.changes] == [
        ("Organism", "Escherichia coli K-12 MG1655", "E. coli REL606"),
        ("Mission", "SpaceX CRS-25", "—"),
        ("Arm “ground 1 g”", "Ground Control, 1 g", "Ground Control, 0.5 g"),
        ("Arm “clinostat”", "—", "Ground Control, 0 g"),
    ]


@pytest.mark.parametrize("text", ["", "new", "1.0", "-1", "١", "99999999999999999999999"])
def test_find_experiment_reads_only_plain_ids(db: Database, scientist: Actor, text: str) -> None:
    experiments.create_experiment(db, scientist, _spec())
    assert experiments.find_experiment(db, text) is None


def test_find_experiment_by_id_text(db: Database, scientist: Actor) -> None:
    view = experiments.create_experiment(db, scientist, _spec())
    assert experiments.find_experiment(db, str(view.id)) == view
    assert experiments.find_experiment(db, str(view.id + 1)) is None


def test_validation_failed_of_needs_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ValidationFailed.of({})
    both = ValidationFailed.of({"a": "A is wrong.", "b": "B is wrong."})
    assert (both.field, both.message, both.status) == ("a", "A is wrong.", 422)
