"""Limit labels on the run page's charts: however many lines and wherever they are, no label
is written over another, every line's words are written once, and a label keeps out of the
edge notes' bands when its line leaves room (the walkthrough found "warning low 2 · critical
low 0 °C" printed over "warning high 29")."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.components.mission_limits import (
    LABEL_PX,
    NOTE_CHARS,
    PLOT_PX,
    LineLabel,
    note_text,
    place_labels,
)

NAMES = ("warning high", "critical high", "warning low", "critical low")
line = st.builds(
    lambda px, name, prefix, value: LineLabel(px, prefix, f"{name} {value}", "high" in name),
    st.floats(0.0, PLOT_PX),
    st.sampled_from(NAMES),
    st.sampled_from(("", "CO₂ ", "O₂ ")),
    st.integers(0, 99),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(line, max_size=8),
    st.sampled_from((0.0, LABEL_PX, 2 * LABEL_PX)),
    st.sampled_from((0.0, LABEL_PX)),
)
def test_labels_never_overlap_and_name_every_line(
    lines: list[LineLabel], top: float, bottom: float
) -> None:
    placed = place_labels(lines, top, bottom)
    boxes = sorted((p.low_px, p.high_px) for p in placed)
    for (_, first_top), (second_bottom, _) in itertools.pairwise(boxes):
        assert second_bottom >= first_top, boxes
    # Every line's words appear in exactly one label (shared labels join them).
    words = [w for p in placed for w in p.text.split(" · ")]
    assert sorted(w.removeprefix("CO₂ ").removeprefix("O₂ ") for w in words) == sorted(
        label.words for label in lines
    )
    for p in placed:  # a label sits on its line, above or below it
        at = lines[p.index].px
        assert (p.low_px, p.high_px) == ((at, at + LABEL_PX) if p.is_above else (at - LABEL_PX, at))


def test_a_line_by_an_edge_note_puts_its_label_on_the_free_side() -> None:
    # "warning high 29" drawn just above the bottom note's band: its label goes above.
    (placed,) = place_labels([LineLabel(LABEL_PX + 2, "", "warning high 29", True)], 0, LABEL_PX)
    assert placed.is_above
    assert placed.low_px >= LABEL_PX
    # A lower limit just under the top note's band: below its line, out of the band.
    top = PLOT_PX - LABEL_PX - 2
    (placed,) = place_labels([LineLabel(top, "", "warning low 40", False)], LABEL_PX, 0)
    assert not placed.is_above
    assert placed.high_px <= PLOT_PX - LABEL_PX
    # An upper limit at the top of the plot has no room above: its label goes below.
    (placed,) = place_labels([LineLabel(PLOT_PX - 1, "", "critical high 8", True)])
    assert not placed.is_above


def test_close_lines_share_a_label_naming_each_series_once() -> None:
    lines = [
        LineLabel(50.0, "CO₂ ", "warning high 7", True),
        LineLabel(55.0, "CO₂ ", "critical high 8", True),
        LineLabel(100.0, "O₂ ", "warning low 1", False),
    ]
    placed = place_labels(lines)
    assert [p.text for p in placed] == ["CO₂ critical high 8 · warning high 7", "O₂ warning low 1"]
    assert placed[0].index == 1
    assert placed[0].is_above


def test_an_edge_note_too_long_for_a_phone_puts_each_series_on_its_own_line() -> None:
    short = note_text(["warning low 2 · critical low 0 °C"], "▼")
    assert "<br>" not in short
    assert len(short) <= NOTE_CHARS
    long = note_text(["CO₂ warning high 9 · critical high 10 %", "O₂ warning high 40 %"], "▲")
    assert long.split("<br>") == [
        "▲ CO₂ warning high 9 · critical high 10 %",
        "▲ O₂ warning high 40 %",
    ]
