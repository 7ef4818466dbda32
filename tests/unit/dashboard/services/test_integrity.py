"""Saves report the real cause of an integrity error; look-alike names are duplicates."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from dashboard.db import Database
from dashboard.models import Experiment, utcnow
from dashboard.services import experiments
from dashboard.services.actor import Actor
from dashboard.services.errors import Conflict
from dashboard.services.integrity import constraint_name, integrity_conflict


def _spec(name: str, **changes: Any) -> dict[str, Any]:
    return {"name": name, "organism": "E. coli", "arms": experiments.default_arms(), **changes}


def test_look_alike_names_are_refused(db: Database, scientist: Actor) -> None:
    experiments.create_experiment(db, scientist, _spec("Admin exp"))
    for look_alike in ("Admin\u00a0exp", "admin  EXP", "\uff21dmin exp"):
        with pytest.raises(Conflict, match="differs from it only") as info:
            experiments.create_experiment(db, scientist, _spec(look_alike))
        assert info.value.field == "name"
    other = experiments.create_experiment(db, scientist, _spec("Other exp"))
    with pytest.raises(Conflict, match="Admin exp"):
        experiments.update_experiment(db, scientist, other.id, {"name": "ADMIN exp"}, 1)


def test_duplicate_name_from_the_database_says_so(db: Database, scientist: Actor) -> None:
    # The race the service's own check cannot see: the unique constraint catches it, and its
    # name is mapped to the same message.
    experiments.create_experiment(db, scientist, _spec("Race"))
    now = utcnow()
    row = Experiment(
        name="Race", name_key="race-2", organism="x", created_at=now, updated_at=now, version=1
    )
    with pytest.raises(IntegrityError) as raised, db.begin() as s:
        s.add(row)
    assert constraint_name(raised.value) == "uq_experiments_name"
    conflict = integrity_conflict(
        raised.value,
        {"uq_experiments_name": ("An experiment named 'Race' already exists.", "name")},
        referenced_table="experiments",
        subject="Experiment",
    )
    assert (conflict.message, conflict.field) == (
        "An experiment named 'Race' already exists.",
        "name",
    )


def test_removing_an_arm_still_referred_to_says_what_refers(db: Database, scientist: Actor) -> None:
    view = experiments.create_experiment(db, scientist, _spec("Referred"))
    flight = view.arms[0]
    # A table of the kind later issues add (datasets, runs) pointing at an arm.
    with db.begin() as s:
        s.execute(
            sa.text(
                "CREATE TABLE samples_under_test (id INTEGER PRIMARY KEY, arm_id INTEGER NOT NULL"
                " REFERENCES experiment_arms (id) ON DELETE RESTRICT)"
            )
        )
        s.execute(sa.text("INSERT INTO samples_under_test VALUES (1, :arm)"), {"arm": flight.id})
    with pytest.raises(Conflict) as info:
        experiments.update_experiment(
            db, scientist, view.id, {"arms": [experiments.default_arms()[1]]}, 1
        )
    assert info.value.message.startswith("An arm this edit removes cannot be removed")
    assert "still refer to it" in info.value.message
    if db.engine.dialect.name == "postgresql":
        assert "samples_under_test" in info.value.message  # PostgreSQL names the table
    assert experiments.get_experiment(db, view.id).version == 1
