"""A dataset's lineage as a graph: ancestors above, descendants below, each node coloured and
shaped by its provenance status and labelled with its words.

Drawn with Dash Cytoscape (``breadthfirst`` from the datasets nothing was derived from).
Labels sit inside their node on the node's own colour, so one stylesheet reads in light and
dark mode; the status is in the label and the shape too, never in the colour alone. A list
of the same datasets with their badges and links (:func:`lineage_list`) is the keyboard's
and the screen reader's way through the graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_cytoscape as cyto
from dash import dcc, html

from dashboard.services.provenance import LineageNode

from .provenance_badge import provenance_badge

FILENAME_SHOWN = 28  # characters of a file name inside a node (the whole in the list)
CHAR_PX = 7.8  # about one character of the 13 px label font
NODE_PAD_PX = 26
# state: (fill, text, border, shape): text on fill passes WCAG AA; shapes differ by state.
LOOKS: dict[str, tuple[str, str, str, str]] = {
    "anchored": ("#198754", "#ffffff", "#0f5132", "round-rectangle"),
    "pending": ("#9ec5fe", "#052c65", "#0a58ca", "round-rectangle"),
    "unanchored": ("#6c757d", "#ffffff", "#495057", "rectangle"),
    "tampered": ("#dc3545", "#ffffff", "#842029", "octagon"),
    "retracted": ("#fd7e14", "#000000", "#984c0c", "cut-rectangle"),
    "failed": ("#f8d7da", "#58151c", "#dc3545", "octagon"),
}
EDGE_COLOUR = "#8c959f"  # mid grey: visible on white and on the dark body
FOCUS_COLOUR = "#6f42c1"
ROW_GAP_PX = 40  # between two nodes of a row
ROW_HEIGHT_PX = 120


def _short(name: str) -> str:
    return name if len(name) <= FILENAME_SHOWN else name[: FILENAME_SHOWN - 1] + "…"


def _label(node: LineageNode) -> str:
    return f"#{node.dataset_id} {_short(node.filename)}\n{node.status.label}"


def elements(
    nodes: Sequence[LineageNode], edges: Sequence[tuple[int, int]]
) -> list[dict[str, Any]]:
    """Cytoscape elements: one node per dataset (its state as class), one edge per parent."""
    out: list[dict[str, Any]] = []
    for node in nodes:
        label = _label(node)
        width = max(len(line) for line in label.split("\n")) * CHAR_PX + NODE_PAD_PX
        out.append(
            {
                "data": {
                    "id": str(node.dataset_id),
                    "label": label,
                    "state": node.status.state,
                    "detail": node.status.detail,
                    "w": round(width),
                },
                "classes": node.status.state + (" focus" if node.is_focus else ""),
            }
        )
    known = {n.dataset_id for n in nodes}
    for parent, child in edges:
        if parent in known and child in known:
            out.append({"data": {"source": str(parent), "target": str(child)}})
    return out


def stylesheet() -> list[dict[str, Any]]:
    """Node looks per state, arrows from parent to child, the dataset shown outlined."""
    sheet: list[dict[str, Any]] = [
        {
            "selector": "node",
            "style": {
                "label": "data(label)",
                "width": "data(w)",
                "height": 46,
                "text-wrap": "wrap",
                "text-valign": "center",
                "text-halign": "center",
                "font-size": 13,
                "font-family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                "border-width": 2,
            },
        },
        {
            "selector": "edge",
            "style": {
                "width": 2,
                "line-color": EDGE_COLOUR,
                "target-arrow-color": EDGE_COLOUR,
                "target-arrow-shape": "triangle",
                "curve-style": "bezier",
            },
        },
    ]
    for state, (fill, text, border, shape) in LOOKS.items():
        sheet.append(
            {
                "selector": f".{state}",
                "style": {
                    "background-color": fill,
                    "color": text,
                    "border-color": border,
                    "shape": shape,
                    **({"border-style": "dashed"} if state == "pending" else {}),
                },
            }
        )
    sheet.append(
        {
            "selector": ".focus",
            "style": {
                "border-width": 5,
                "border-color": FOCUS_COLOUR,
                "font-weight": "bold",
            },
        }
    )
    return sheet


def _roots(nodes: Sequence[LineageNode], edges: Sequence[tuple[int, int]]) -> list[str]:
    children = {child for _parent, child in edges}
    return [str(n.dataset_id) for n in nodes if n.dataset_id not in children]


def levels(nodes: Sequence[LineageNode], edges: Sequence[tuple[int, int]]) -> dict[int, int]:
    """Each dataset's row: one below its lowest parent (0 for those derived from nothing).

    >>> levels([], [(1, 2), (2, 3), (1, 3)])
    {1: 0, 2: 1, 3: 2}
    """
    parents: dict[int, list[int]] = {n.dataset_id: [] for n in nodes}
    for parent, child in edges:
        parents.setdefault(parent, [])
        parents.setdefault(child, []).append(parent)
    memo: dict[int, int] = {}

    def level(node: int, seen: frozenset[int]) -> int:
        if node not in memo:
            memo[node] = 1 + max(
                (level(p, seen | {node}) for p in parents[node] if p not in seen), default=-1
            )
        return memo[node]

    return {node: level(node, frozenset()) for node in parents}


def _box(nodes: Sequence[LineageNode], edges: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """Width and height the layout needs so no two nodes of a row overlap (the graph is then
    zoomed to fit its frame)."""
    rows: dict[int, float] = {}
    found = levels(nodes, edges)
    for node in nodes:
        width = max(len(line) for line in _label(node).split("\n")) * CHAR_PX + NODE_PAD_PX
        row = found.get(node.dataset_id, 0)
        rows[row] = rows.get(row, 0.0) + width + ROW_GAP_PX
    return round(max(rows.values(), default=0.0)), ROW_HEIGHT_PX * (
        max(found.values(), default=0) + 1
    )


def lineage_graph(
    graph_id: str, nodes: Sequence[LineageNode], edges: Sequence[tuple[int, int]]
) -> html.Div:
    """The graph (click a node to open that dataset); its text twin is :func:`lineage_list`."""
    width, height_needed = _box(nodes, edges)
    height = min(600, max(200, height_needed))
    return html.Div(
        cyto.Cytoscape(
            id=graph_id,
            elements=elements(nodes, edges),
            stylesheet=stylesheet(),
            layout={
                "name": "breadthfirst",
                "directed": True,
                "roots": _roots(nodes, edges),
                "avoidOverlap": True,
                "nodeDimensionsIncludeLabels": True,
                "padding": 16,
                "maximal": True,
                "spacingFactor": 1,
                "boundingBox": {"x1": 0, "y1": 0, "w": width, "h": height_needed},
                "animate": False,
            },
            style={"width": "100%", "height": f"{height}px"},
            minZoom=0.3,
            maxZoom=1.25,
            userZoomingEnabled=False,
            boxSelectionEnabled=False,
            autoungrabify=True,
            responsive=True,
        ),
        className="msg-lineage-graph",
    )


def lineage_list(
    list_id: str, nodes: Sequence[LineageNode], edges: Sequence[tuple[int, int]], href: str
) -> html.Ul:
    """The graph in words: each dataset with its badge, what it was derived from, a link."""
    parents: dict[int, list[int]] = {}
    for parent, child in edges:
        parents.setdefault(child, []).append(parent)
    items = []
    for node in nodes:
        derived = parents.get(node.dataset_id)
        name: Any = (
            html.Strong([f"#{node.dataset_id} {node.filename}", " (this dataset)"])
            if node.is_focus
            else dcc.Link(f"#{node.dataset_id} {node.filename}", href=f"{href}{node.dataset_id}")
        )
        items.append(
            html.Li(
                [
                    name,
                    " ",
                    provenance_badge(node.status),
                    html.Span(
                        " derived from " + ", ".join(f"#{p}" for p in sorted(derived))
                        if derived
                        else " (derived from nothing here)",
                        className="small text-body-secondary",
                    ),
                ],
                className="mb-1",
            )
        )
    return html.Ul(items, id=list_id, className="list-unstyled mb-0 msg-lineage-list")
