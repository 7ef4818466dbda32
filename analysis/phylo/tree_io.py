"""Tree files: Newick, Nexus and PhyloXML in, Newick out (and back out in any of the three).

Newick is read and written by :mod:`.newick` (exact lengths, iterative, strict). Nexus and
PhyloXML are read with Bio.Phylo; PhyloXML is written with Bio.Phylo. Nexus is written here
as a TAXA and a TREES block around our Newick, because Bio.Phylo's Nexus writer rounds
lengths to 8 digits, writes missing lengths as 0 and does not quote taxon labels with blanks
(Bio.Phylo reads the result back; see the tests).

What is kept: branch lengths, supports (Newick internal numeric labels, PhyloXML
``<confidence>``, bootstrap type preferred) and internal node names. A file must hold exactly
one tree of at most :data:`TIPS_MAX` tips with unique, non-empty tip names.
"""

from __future__ import annotations

import io
import re
from pathlib import PurePath
from typing import Any

from Bio import Phylo as _Phylo
from Bio.Phylo import PhyloXML as _PhyloXML

from ._text import decode_upload
from .errors import PhyloInputError
from .matrix import label_problem
from .newick import Node, check_tips, parse_newick, quote_label, write_newick

# Bio.Phylo has no type hints (and does not declare its re-exports): use it as Any.
Phylo: Any = _Phylo
PhyloXML: Any = _PhyloXML

TREE_FORMATS = ("newick", "nexus", "phyloxml")
TIPS_MAX = 100_000
# Counted in the text before it is parsed (a Python object a node): a tree of TIPS_MAX tips
# has fewer than TIPS_MAX internal nodes; one-child nodes are allowed up to as many again.
# Quoted labels and comments count too, so the bounds leave room.
NODES_MAX = 2 * TIPS_MAX
EXTENSIONS = {
    ".nwk": "newick",
    ".newick": "newick",
    ".tre": "newick",
    ".tree": "newick",
    ".treefile": "newick",
    ".nhx": "newick",
    ".nex": "nexus",
    ".nexus": "nexus",
    ".nxs": "nexus",
    ".xml": "phyloxml",
    ".phyloxml": "phyloxml",
}
MEDIA_TYPES = {
    "newick": "text/x-newick",
    "nexus": "text/x-nexus",
    "phyloxml": "application/xml",
}
HOW = "upload one tree as Newick, Nexus or PhyloXML text"


def detect_format(text: str, filename: str) -> str:
    """The format by content (``<phyloxml``, ``#NEXUS``, ``(``), else by extension."""
    head = text.lstrip()[:2000].lower()
    if "<phyloxml" in head or head.startswith("<?xml"):
        return "phyloxml"
    if head.startswith("#nexus"):
        return "nexus"
    if head.startswith(("(", "[")):
        return "newick"
    by_name = EXTENSIONS.get(PurePath(filename).suffix.lower())
    if by_name:
        return by_name
    raise PhyloInputError(
        filename, f"is not recognisable as a tree file (it starts {text.lstrip()[:20]!r}); {HOW}"
    )


def _from_bio(top: Any, *, phyloxml: bool) -> Node:
    """Node tree from a Bio.Phylo clade, iteratively."""
    root = Node()
    stack: list[tuple[Any, Node]] = [(top, root)]
    while stack:
        clade, node = stack.pop()
        name = clade.name
        if not name and phyloxml and not clade.clades:
            taxonomy = clade.taxonomies[0] if clade.taxonomies else None
            name = taxonomy and (taxonomy.scientific_name or taxonomy.code)
        name = name or ""
        if len(name) > 1 and name[0] == name[-1] == "'":  # Bio.Nexus keeps the quotes
            name = name[1:-1].replace("''", "'")
        node.name = name
        if clade is not top and clade.branch_length is not None:
            node.length = float(clade.branch_length)
        if clade.clades:
            node.support = _support(clade, phyloxml=phyloxml)
        for child in clade.clades:
            node.children.append(Node())
            stack.append((child, node.children[-1]))
    return root


def _support(clade: Any, *, phyloxml: bool) -> float | None:
    if not phyloxml:
        return None if clade.confidence is None else float(clade.confidence)
    values = sorted(clade.confidences, key=lambda c: c.type != "bootstrap")
    return float(values[0].value) if values else None


def _read_bio(text: str, filename: str, fmt: str) -> Node:
    try:
        trees = list(Phylo.parse(io.StringIO(text), fmt))
    except Exception as exc:  # noqa: BLE001 - Bio raises NexusError, ParseError, ValueError...
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PhyloInputError(filename, f"is not valid {fmt}: {message[:200]}") from None
    if len(trees) != 1:
        raise PhyloInputError(filename, f"holds {len(trees)} trees; {HOW}")
    return _from_bio(trees[0].root, phyloxml=fmt == "phyloxml")


def _check_size(text: str, filename: str, fmt: str) -> None:
    """Refuse a tree bomb (millions of nodes in a few megabytes) before parsing builds it."""
    if fmt == "phyloxml":
        nodes, what = text.count("<clade"), "clades"
    else:
        nodes, what = max(text.count("("), text.count(",") // 2), "nodes"
    if nodes > NODES_MAX:
        raise PhyloInputError(
            filename, f"holds about {nodes:,} {what}; a tree has at most {TIPS_MAX:,} tips"
        )


def _check_labels(root: Node, filename: str) -> None:
    for node in root.preorder():
        problem = label_problem(node.name)
        if problem:
            raise PhyloInputError(f"{filename}, label {node.name[:40]!r}", problem)


def read_tree(data: bytes, filename: str, fmt: str | None = None) -> str:
    """The one tree in an uploaded Newick, Nexus or PhyloXML file, as Newick.

    >>> read_tree(b"((a:1,b:2)90:0.5,c:3);", "t.nwk")
    '((a:1,b:2)90:0.5,c:3);'
    """
    text = decode_upload(data, filename, HOW)
    fmt = fmt or detect_format(text, filename)
    if fmt not in TREE_FORMATS:
        raise PhyloInputError("format", f"{fmt!r} is not one of {', '.join(TREE_FORMATS)}")
    _check_size(text, filename, fmt)
    if fmt == "newick":
        try:
            root = parse_newick(text)
        except PhyloInputError as exc:
            if "text after the end of the tree" in exc.problem:
                count = len(re.findall(r";\s*(?=\S)", text)) + 1
                raise PhyloInputError(filename, f"holds {count} trees; {HOW}") from None
            raise PhyloInputError(f"{filename} (Newick)", exc.problem) from None
    else:
        root = _read_bio(text, filename, fmt)
    root.length = None  # a root "branch" (Bio.Phylo writes ":0.0") has no meaning here
    tips = check_tips(root, filename)
    if tips > TIPS_MAX:
        raise PhyloInputError(filename, f"has {tips:,} tips; at most {TIPS_MAX:,}")
    _check_labels(root, filename)
    return write_newick(root)


def _to_phyloxml(root: Node) -> Any:
    top = PhyloXML.Clade()
    stack: list[tuple[Node, Any]] = [(root, top)]
    while stack:
        node, clade = stack.pop()
        clade.name = node.name or None
        clade.branch_length = node.length
        if node.support is not None:
            clade.confidences = [PhyloXML.Confidence(node.support, "bootstrap")]
        for child in node.children:
            sub = PhyloXML.Clade()
            clade.clades.append(sub)
            stack.append((child, sub))
    rooted = len(root.children) == 2
    return PhyloXML.Phylogeny(root=top, rooted=rooted)


def write_tree(nwk: str, fmt: str) -> bytes:
    """The Newick tree ``nwk`` as a file in ``fmt`` (one of :data:`TREE_FORMATS`), UTF-8."""
    if fmt not in TREE_FORMATS:
        raise PhyloInputError("format", f"{fmt!r} is not one of {', '.join(TREE_FORMATS)}")
    root = parse_newick(nwk)
    if fmt == "newick":
        return (write_newick(root) + "\n").encode()
    if fmt == "nexus":
        labels = [quote_label(tip.name) for tip in root.tips()]
        kind = "[&R]" if len(root.children) == 2 else "[&U]"
        text = (
            "#NEXUS\n"
            "BEGIN TAXA;\n"
            f"  DIMENSIONS NTAX={len(labels)};\n"
            f"  TAXLABELS {' '.join(labels)};\n"
            "END;\n"
            "BEGIN TREES;\n"
            f"  TREE tree1 = {kind} {write_newick(root)}\n"
            "END;\n"
        )
        return text.encode()
    out = io.StringIO()
    try:
        Phylo.write(_to_phyloxml(root), out, "phyloxml")
    except RecursionError:  # Bio.Phylo and ElementTree write clades recursively
        raise PhyloInputError(
            "tree", "is too deep to write as PhyloXML here; download it as Newick or Nexus"
        ) from None
    return out.getvalue().encode()
