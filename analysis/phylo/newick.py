"""A small, fast Newick reader and writer.

ete3 and Bio.Phylo parse recursively and build heavy objects; the tree builders, the layout
and the bootstrap need only names, lengths, supports and children, for trees of up to
100,000 tips (a caterpillar that deep breaks any recursive parser). Both directions here are
iterative: a regular-expression tokenizer and an explicit stack.

Conventions (those of Newick as ete3, Bio.Phylo and scikit-bio write it):

- labels are quoted with single quotes when they hold blanks or Newick punctuation; a quote
  inside a quoted label is doubled (``'O''Brien'``). Unquoted underscores are kept as they are
  (not turned into blanks), so ``Bacillus_subtilis`` stays one name;
- ``[comments]`` are skipped wherever they appear (NHX and Nexus annotations included);
- an internal node's unquoted numeric label is its support value (``(a,b)95:0.1``);
- lengths may be in scientific notation (``1.5e-06``); NaN and infinity are refused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .errors import PhyloInputError

WHERE = "Newick"
# Blanks and punctuation force quoting on output.
_NEEDS_QUOTES = re.compile(r"[\s()\[\]':;,]")
_TOKEN = re.compile(r"\s+|\[[^\]]*\]|'(?:[^']|'')*'|[(),:;]|[^(),:;\[\]'\s]+")


@dataclass(slots=True)
class Node:
    """One node of a tree: tips have a name and no children; internal nodes may have a name
    or a support value (0-100 from a bootstrap)."""

    name: str = ""
    length: float | None = None
    support: float | None = None
    children: list[Node] = field(default_factory=list)

    @property
    def is_tip(self) -> bool:
        return not self.children

    def preorder(self) -> Iterator[Node]:
        """Every node, parents before children, children left to right (no recursion)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def postorder(self) -> Iterator[Node]:
        """Every node, children before their parent."""
        order = list(self.preorder())
        return reversed(order)

    def tips(self) -> list[Node]:
        """The tips, left to right."""
        return [node for node in self.preorder() if not node.children]


def _tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """(kind, value, 1-based position) for each token; kind is a punctuation character,
    ``"word"`` (unquoted) or ``"quoted"``. Blanks and comments are dropped."""
    pos, end = 0, len(text)
    match = _TOKEN.match
    while pos < end:
        m = match(text, pos)
        if m is None:
            char = text[pos]
            what = "a comment '[' that is never closed" if char == "[" else None
            if char == "'":
                what = "a quoted label that is never closed"
            if char == "]":
                what = "a ']' without its '['"
            raise PhyloInputError(WHERE, f"{what} at character {pos + 1}")
        token = m.group()
        first = token[0]
        if first == "'":
            yield "quoted", token[1:-1].replace("''", "'"), pos + 1
        elif first in "(),:;":
            yield first, first, pos + 1
        elif not (first.isspace() or first == "["):
            yield "word", token, pos + 1
        pos = m.end()


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_newick(text: str) -> Node:
    """Parse one Newick tree into :class:`Node` objects.

    >>> root = parse_newick("((a:1,'b c':2)95:0.5,d:3e-1);")
    >>> [tip.name for tip in root.tips()], root.children[0].support, root.children[1].length
    (['a', 'b c', 'd'], 95.0, 0.3)

    Raises
    ------
    PhyloInputError
        With the character position and what was expected, for malformed text; for empty
        or duplicate tip names; for fewer than two tips.
    """
    if not text.strip():
        raise PhyloInputError(WHERE, "is empty; expected a tree such as (a:0.1,b:0.2);")
    stack: list[Node] = []  # open internal nodes, innermost last
    root = current = Node()  # placeholders until the first token
    state = "start"  # start | closed | labelled | done
    tokens = _tokens(text)
    pending: tuple[str, str, int] | None = None
    while True:
        if pending is not None:
            token, pending = pending, None
        else:
            token = next(tokens, ("end", "", len(text) + 1))
        kind, value, pos = token
        if state == "done":
            if kind == "end":
                break
            raise PhyloInputError(
                WHERE,
                f"text after the end of the tree (';') at character {pos}; one tree expected",
            )
        if state == "start":  # a subtree must begin here
            if kind == "(":
                node = Node()
            elif kind in ("word", "quoted"):
                node = Node(name=value)
                # Unquoted labels split by blanks ("Bacillus subtilis") are joined with one.
                while kind == "word":
                    nxt = next(tokens, ("end", "", len(text) + 1))
                    if nxt[0] != "word":
                        pending = nxt
                        break
                    node.name += " " + nxt[1]
            else:
                found = "the end of the text" if kind == "end" else f"'{value}'"
                raise PhyloInputError(
                    WHERE,
                    f"expected a tip name or '(' at character {pos}, found {found} "
                    "(tips must be named)",
                )
            if stack:
                stack[-1].children.append(node)
            else:
                root = node
            if kind == "(":
                stack.append(node)
            else:
                current, state = node, "labelled"
            continue
        if state == "closed":  # just after ')': an optional label
            if kind in ("word", "quoted"):
                support = _number(value) if kind == "word" else None
                if support is None:
                    current.name = value
                else:
                    current.support = support
                state = "labelled"
                continue
            state = "labelled"
        if state == "labelled":  # optional ':length'
            if kind == ":":
                length_token = next(tokens, ("end", "", len(text) + 1))
                length = _number(length_token[1]) if length_token[0] == "word" else None
                if length is None:
                    found = length_token[1] or "the end of the text"
                    raise PhyloInputError(
                        WHERE,
                        f"expected a branch length (a number) at character {length_token[2]}, "
                        f"found {found!r}",
                    )
                current.length = length
                state = "lengthed"
                continue
            state = "lengthed"
        # state == "lengthed": a separator must follow
        if kind == ",":
            if not stack:
                raise PhyloInputError(WHERE, f"',' outside any parentheses at character {pos}")
            state = "start"
        elif kind == ")":
            if not stack:
                raise PhyloInputError(
                    WHERE, f"unbalanced parentheses: ')' at character {pos} closes nothing"
                )
            current, state = stack.pop(), "closed"
        elif kind in (";", "end"):
            if stack:
                raise PhyloInputError(
                    WHERE,
                    f"unbalanced parentheses: {len(stack)} '(' not closed at character {pos}",
                )
            state = "done"
            if kind == "end":
                break
        else:
            raise PhyloInputError(
                WHERE, f"expected ',', ')' or ';' at character {pos}, found {value!r}"
            )
    check_tips(root)
    return root


def check_tips(root: Node, where: str = WHERE) -> int:
    """The number of tips, or :class:`PhyloInputError` for an empty or repeated tip name or
    fewer than two tips."""
    seen: set[str] = set()
    count = 0
    for node in root.preorder():
        if node.children:
            continue
        if not node.name.strip():
            raise PhyloInputError(where, "a tip has an empty name; name every tip")
        if node.name in seen:
            raise PhyloInputError(
                where, f"tip name {node.name[:60]!r} appears twice; tip names must be unique"
            )
        seen.add(node.name)
        count += 1
    if count < 2:
        raise PhyloInputError(where, f"has {count} tip; a tree needs at least 2")
    return count


def quote_label(label: str) -> str:
    """``label`` as Newick: quoted (quotes doubled) when it holds blanks or punctuation.

    >>> quote_label("E. coli K-12"), quote_label("O'Brien"), quote_label("B_subtilis")
    ("'E. coli K-12'", "'O''Brien'", 'B_subtilis')
    """
    if label and not _NEEDS_QUOTES.search(label):
        return label
    return "'" + label.replace("'", "''") + "'"


def format_number(value: float, digits: int | None = None) -> str:
    """A length or support as text: integers without a decimal point, otherwise the
    shortest text that reads back to the same float (or ``digits`` significant digits)."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value)) if digits is None else f"{value:.{digits}g}"


def write_newick(root: Node, *, digits: int | None = None) -> str:
    """The tree as one line of Newick ending in ``;``.

    An internal node's support is written as its label (it wins over a name); ``digits``
    limits lengths to that many significant digits (default: exact round trip).

    >>> write_newick(parse_newick("((a:0.1,'b c':2e-7)95:0.5,d);"))
    "((a:0.1,'b c':2e-07)95:0.5,d);"
    """
    out: list[str] = []
    stack: list[Node | str] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        suffix = ""
        if item.children:
            if item.support is not None:
                suffix = format_number(item.support, digits)
            elif item.name:
                suffix = quote_label(item.name)
        else:
            suffix = quote_label(item.name)
        if item.length is not None:
            suffix += ":" + format_number(item.length, digits)
        if not item.children:
            out.append(suffix)
            continue
        out.append("(")
        stack.append(")" + suffix)
        for index in range(len(item.children) - 1, -1, -1):
            stack.append(item.children[index])
            if index:
                stack.append(",")
    out.append(";")
    return "".join(out)
