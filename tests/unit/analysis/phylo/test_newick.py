"""The Newick reader and writer: syntax (quotes, comments, supports, scientific notation),
deep trees without recursion, clear errors, and exact round trips."""

from __future__ import annotations

import pytest

from analysis.phylo import PhyloInputError
from analysis.phylo.newick import Node, parse_newick, quote_label, write_newick


def test_quoted_labels_comments_supports_and_lengths() -> None:
    root = parse_newick(
        "[&R] (('E. coli K-12':1.5e-3,'O''Brien'[&&NHX:S=x]:2E+1)87.5:0.25,"
        "B_subtilis:.5,(c,d)inner:3)rootname;"
    )
    left, tip, named = root.children
    assert [t.name for t in left.children] == ["E. coli K-12", "O'Brien"]
    assert left.children[0].length == 0.0015
    assert left.children[1].length == 20.0
    assert (left.support, left.name, left.length) == (87.5, "", 0.25)
    assert (tip.name, tip.length) == ("B_subtilis", 0.5)  # underscores kept
    assert (named.name, named.support, named.length) == ("inner", None, 3.0)
    assert root.name == "rootname"
    assert [n.name for n in root.tips()] == ["E. coli K-12", "O'Brien", "B_subtilis", "c", "d"]


def test_missing_semicolon_and_blanks_are_tolerated() -> None:
    root = parse_newick(" ( a : 1 ,\n b : 2 ) ")
    assert [(t.name, t.length) for t in root.tips()] == [("a", 1.0), ("b", 2.0)]


def test_deep_caterpillar_of_100000_tips_parses_and_writes_without_recursion() -> None:
    n = 100_000
    text = "(" * (n - 1) + "t0" + "".join(f",t{i}:0.5)" for i in range(1, n)) + ";"
    root = parse_newick(text)
    assert len(root.tips()) == n
    assert write_newick(root) == text


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("((a,b),c;", "unbalanced parentheses: 1 '(' not closed"),
        ("(a,b));", "')' at character 6 closes nothing"),
        ("(a,b,a);", "tip name 'a' appears twice"),
        ("(a,,b);", "expected a tip name or '(' at character 4"),
        ("(a:1,:2);", "expected a tip name or '(' at character 6"),
        ("(a:x,b);", "expected a branch length (a number) at character 4, found 'x'"),
        ("(a:nan,b);", "expected a branch length"),
        ("(a,b);(c,d);", "text after the end of the tree"),
        ("(a,b)[unclosed;", "comment '[' that is never closed at character 6"),
        ("('a,b);", "quoted label that is never closed at character 2"),
        ("(a b c d);", "has 1 tip"),
        ("a;", "has 1 tip; a tree needs at least 2"),
        ("   ", "is empty"),
        ("(a,b)c d:1;", "expected ',', ')' or ';' at character 8, found 'd'"),
    ],
)
def test_malformed_newick_is_refused_with_position(text: str, fragment: str) -> None:
    with pytest.raises(PhyloInputError) as info:
        parse_newick(text)
    assert info.value.where == "Newick"
    assert fragment in info.value.problem


def test_writer_quotes_only_when_needed() -> None:
    assert quote_label("plain_name-1.2") == "plain_name-1.2"
    assert quote_label("a b") == "'a b'"
    assert quote_label("x,y") == "'x,y'"
    assert quote_label("it's") == "'it''s'"
    tree = Node(
        children=[
            Node(name="a b", length=0.1),
            Node(name="(c)", length=1e-12),
            Node(children=[Node("d"), Node("e;")], support=99.0, length=2.0),
        ]
    )
    assert write_newick(tree) == "('a b':0.1,'(c)':1e-12,(d,'e;')99:2);"


@pytest.mark.parametrize(
    "text",
    [
        "((a:0.1,b:0.30000000000000004)95:1e-09,'c d':12345.678901234567,e);",
        "(('x''y':3,z:0)0.5:1,(p,q)label:2,r:-0.25);",
    ],
)
def test_round_trip_is_exact(text: str) -> None:
    first = parse_newick(text)
    again = parse_newick(write_newick(first))
    assert again == first
    assert write_newick(again) == text


def test_digits_limit_significant_digits() -> None:
    root = parse_newick("(a:0.123456789012345,b:2);")
    assert write_newick(root, digits=6) == "(a:0.123457,b:2);"
