"""What the Trees page's URL says: the tree, its layout, branch mode, colour, labels,
support, the zoomed clade, collapsed clades, the search and the tree it is compared with.
Pure functions, no Dash.

Values come from a URL, so anything that does not parse is ignored (the default stands),
never an error. Defaults are left out of the URL, so a bare ``/trees?tree=3`` is the tree
as it first opens.

>>> q = parse_tree_query({"tree": "3", "layout": "circular", "colour": "spaceflight",
...                       "collapsed": "7,2,x,7", "zoom": "-1", "search": " anc ",
...                       "compare": "5"})
>>> q.tree, q.shape, q.colour, q.collapsed, q.zoom, q.search, q.compare
(3, 'radial', 'spaceflight', (2, 7), None, 'anc', 5)
>>> tree_query(q)["collapsed"], tree_query(TreeQuery(tree=3))
('2,7', {'tree': '3'})
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from .view_state import parse_int

ID_MAX = 2**31 - 1
NODE_MAX = 10_000_000
SEARCH_MAX = 100
COLLAPSED_MAX = 200  # clades kept collapsed in a URL
# URL words for the two shapes (the layout module calls the circular one "radial").
SHAPE_WORDS = {"rectangular": "rectangular", "circular": "radial"}
SHAPE_NAMES = {v: k for k, v in SHAPE_WORDS.items()}
LABEL_WORDS = ("on", "off")  # labels=on / labels=off; absent: automatic
URL_KEYS = (
    "tree",
    "layout",
    "branches",
    "colour",
    "labels",
    "support",
    "zoom",
    "collapsed",
    "search",
    "compare",
)


@dataclass(frozen=True)
class TreeQuery:
    """The Trees page's view (None / empty: the default)."""

    tree: int | None = None
    shape: str = "rectangular"  # or "radial"
    lengths: bool = True  # phylogram; False: cladogram
    colour: str = ""  # a factor key of ``trees.FACTORS``, "" for none
    labels: bool | None = None  # None: automatic
    support: bool = False
    zoom: int | None = None  # stable node id of the clade zoomed into
    collapsed: tuple[int, ...] = ()  # stable node ids, sorted, unique
    search: str = ""
    compare: int | None = None  # another saved tree to compare with (Robinson–Foulds)


def clean_text(raw: object, limit: int) -> str:
    """Printable, trimmed, at most ``limit`` characters ("" for a non-string).

    >>> clean_text("  a\\x00b ", 10), clean_text(["a"], 10)
    ('ab', '')
    """
    if not isinstance(raw, str):
        return ""
    return "".join(ch for ch in raw if ch.isprintable()).strip()[:limit]


def parse_nodes(raw: object) -> tuple[int, ...]:
    """Node ids from ``"3,17,22"`` (or a list), sorted and unique; garbage dropped.

    >>> parse_nodes("22, 3,abc,3,-4"), parse_nodes([5, "6"]), parse_nodes(None)
    ((3, 22), (5, 6), ())
    """
    if isinstance(raw, str):
        parts: list[object] = list(raw.split(","))
    elif isinstance(raw, list | tuple):
        parts = list(raw)
    else:
        return ()
    found = {parse_int(str(p), minimum=0, maximum=NODE_MAX) for p in parts[: COLLAPSED_MAX * 2]}
    return tuple(sorted(n for n in found if n is not None))[:COLLAPSED_MAX]


def parse_labels(raw: object) -> bool | None:
    """``on`` / ``off`` / anything else (automatic).

    >>> parse_labels("on"), parse_labels("off"), parse_labels("maybe")
    (True, False, None)
    """
    return {"on": True, "off": False}.get(clean_text(raw, 5).lower())


def parse_tree_query(query: Mapping[str, object], factors: Collection[str] = ()) -> TreeQuery:
    """The view a URL query asks for (garbage ignored). ``factors``: the colour keys known
    (empty: any short word is kept and the page checks it)."""
    colour = clean_text(query.get("colour"), 40)
    if factors and colour not in factors:
        colour = ""
    return TreeQuery(
        tree=parse_int(query.get("tree"), minimum=1, maximum=ID_MAX),
        shape=SHAPE_WORDS.get(clean_text(query.get("layout"), 20).lower(), "rectangular"),
        lengths=clean_text(query.get("branches"), 20).lower() != "cladogram",
        colour=colour,
        labels=parse_labels(query.get("labels")),
        support=query.get("support") == "1",
        zoom=parse_int(query.get("zoom"), minimum=0, maximum=NODE_MAX),
        collapsed=parse_nodes(query.get("collapsed")),
        search=clean_text(query.get("search"), SEARCH_MAX),
        compare=parse_int(query.get("compare"), minimum=1, maximum=ID_MAX),
    )


def tree_query(q: TreeQuery) -> dict[str, str]:
    """The URL values of a view, its defaults left out (keys in ``URL_KEYS`` order)."""
    values: dict[str, str | None] = {
        "tree": str(q.tree) if q.tree is not None else None,
        "layout": SHAPE_NAMES.get(q.shape) if q.shape != "rectangular" else None,
        "branches": None if q.lengths else "cladogram",
        "colour": q.colour or None,
        "labels": None if q.labels is None else ("on" if q.labels else "off"),
        "support": "1" if q.support else None,
        "zoom": str(q.zoom) if q.zoom is not None else None,
        "collapsed": ",".join(str(n) for n in q.collapsed) or None,
        "search": q.search or None,
        "compare": str(q.compare) if q.compare is not None else None,
    }
    return {k: v for k, v in values.items() if v is not None}


def tree_href(path: str, q: TreeQuery) -> str:
    """The page's address showing ``q``.

    >>> tree_href("/trees", TreeQuery(tree=4, support=True, search="a b"))
    '/trees?tree=4&support=1&search=a+b'
    """
    values = tree_query(q)
    return f"{path}?{urlencode(values)}" if values else path


def carried_over(q: TreeQuery, tree_id: int) -> TreeQuery:
    """The view of another tree (a re-rooted one) keeping how it is drawn and what it is
    compared with, but not node ids (zoom, collapsed), which belong to the old tree's Newick.

    >>> carried_over(TreeQuery(tree=1, colour="sample", zoom=4, collapsed=(5,)), 9)
    TreeQuery(tree=9, shape='rectangular', lengths=True, colour='sample', labels=None, \
support=False, zoom=None, collapsed=(), search='', compare=None)
    """
    return replace(q, tree=tree_id, zoom=None, collapsed=())


def toggle(nodes: Collection[int], node: int) -> tuple[int, ...]:
    """``nodes`` with ``node`` added, or removed when it was there (sorted).

    >>> toggle((3, 9), 5), toggle((3, 9), 3)
    ((3, 5, 9), (9,))
    """
    found = set(nodes)
    found ^= {node}
    return tuple(sorted(found))[:COLLAPSED_MAX]


def search_matches(tips: Collection[str], search: str) -> list[str]:
    """Tips whose label contains ``search`` (case-insensitive; none for an empty search).

    >>> search_matches(["Anc-1", "F1", "anc 2"], "ANC"), search_matches(["a"], "")
    (['Anc-1', 'anc 2'], [])
    """
    needle = search.strip().casefold()
    if not needle:
        return []
    return [t for t in tips if needle in t.casefold()]
