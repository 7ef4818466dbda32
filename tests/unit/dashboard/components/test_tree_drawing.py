"""One drawing of a saved tree: a tree without branch lengths asked for as a phylogram is
drawn as a cladogram and says so."""

from __future__ import annotations

from dashboard.components.tree_drawing import draw
from dashboard.components.tree_state import TreeQuery


def test_a_tree_without_branch_lengths_says_it_is_drawn_as_a_cladogram() -> None:
    drawing = draw("((A,B),((C,D),E));", TreeQuery(tree=1), None)
    assert "no branch lengths" in drawing.note
    assert not any(t.name == "scale bar" for t in drawing.figure.data)
    # Asked for a cladogram, or with lengths: nothing to say.
    assert draw("((A,B),C);", TreeQuery(tree=1, lengths=False), None).note == ""
    assert draw("((A:1,B:2):1,C:3);", TreeQuery(tree=1), None).note == ""
