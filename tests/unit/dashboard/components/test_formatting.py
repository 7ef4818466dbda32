from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from dashboard.components.arm_rows import add_arm, remove_selected
from dashboard.components.formatting import change_lines, gravity, when


def test_when_converts_to_utc() -> None:
    moment = datetime(2026, 11, 26, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    assert when(moment) == "2026-11-26 10:30 UTC"
    assert when(None) == ""
    assert when(datetime(2026, 1, 2, 3, 4, tzinfo=UTC)) == "2026-01-02 03:04 UTC"


def test_gravity_labels() -> None:
    assert gravity(0.0) == "µg"
    assert gravity(1e-6) == "µg"
    assert gravity(1.0) == "1 g"
    assert gravity(0.38) == "0.38 g"


def test_arm_rows_add_and_remove() -> None:
    rows = add_arm(None)
    assert rows == [
        {"name": "arm 1", "spaceflight": "Ground Control", "gravity_g": 1.0, "description": ""}
    ]
    rows = add_arm(rows)
    assert [r["name"] for r in rows] == ["arm 1", "arm 2"]
    assert remove_selected(rows, [rows[0]]) == [rows[1]]
    assert remove_selected(rows, None) == rows


def test_change_lines_show_only_what_changed() -> None:
    detail = {
        "before": {"name": "A", "organism": "E. coli", "arms": ["flight", "ground"]},
        "after": {"name": "A", "organism": "E. coli REL606", "arms": ["flight", "ground", "x"]},
    }
    assert change_lines(detail) == [
        "organism: E. coli → E. coli REL606",
        "arms: flight, ground → flight, ground, x",
    ]
    assert change_lines({"name": "A"}) == ["name=A"]
    assert change_lines({"name": "A", "mission": "", "arms": ["x", "y"]}) == ["name=A; arms=x, y"]
    assert change_lines({}) == []
