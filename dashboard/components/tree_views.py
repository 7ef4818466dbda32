"""What the Trees page shows of saved trees: the list's columns and rows, the dataset
picker's columns and rows, the build form's choices with a line on each, and the info panel
of one tree. Plain values in, components out; no data access.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.services.datasets import DatasetView
from dashboard.services.provenance import Status as ProvenanceStatus
from dashboard.services.trees import TreeView

from .datasets_table import SPACEFLIGHT_BADGES
from .feedback import icon
from .grid import Column, badge_column, link_column, number_column, text_column, time_column
from .provenance_badge import provenance_badge, provenance_cells, provenance_column
from .sizes import bases
from .timestamp import iso_utc, timestamp

# The build form's choices, each with the one line that tells them apart.
DISTANCE_CHOICES: tuple[tuple[str, str, str], ...] = (
    ("p", "p-distance", "Aligned sequences: the share of compared sites that differ."),
    (
        "jc69",
        "Jukes–Cantor (JC69)",
        "Aligned sequences: p corrected for multiple hits, all changes equally likely.",
    ),
    (
        "k2p",
        "Kimura 2-parameter (K2P)",
        "Aligned sequences: like JC69, with transitions and transversions at their own rates.",
    ),
    (
        "mash",
        "MinHash (Mash)",
        "Whole genomes, unaligned: shared k-mers (k = 21, 1,000-hash sketches), as Mash does.",
    ),
)
METHOD_CHOICES: tuple[tuple[str, str, str], ...] = (
    ("nj", "Neighbour joining", "Unrooted; no molecular clock assumed (Saitou and Nei)."),
    ("upgma", "UPGMA", "Rooted, ultrametric; clusters averaged by their size."),
    (
        "wpgma",
        "WPGMA",
        "Rooted, ultrametric; clusters averaged with equal weight. What some tools "
        "(Biopython's DistanceTreeConstructor) call UPGMA.",
    ),
)
ALIGNMENT_DISTANCES = frozenset({"p", "jc69", "k2p"})
DEFAULT_BOOTSTRAP = 100  # replicates when the distance is alignment-based
KIND_CHOICES: tuple[tuple[str, str, str], ...] = (
    ("auto", "Tell from the file", "By its extension, then its content."),
    ("tree", "A tree", "Newick, Nexus or PhyloXML: saved as it is."),
    ("alignment", "An alignment", "FASTA, PHYLIP, Clustal or Nexus: built into a tree."),
    ("matrix", "A distance matrix", "PHYLIP (square or lower-triangular) or CSV."),
)
SOURCE_LABELS = {
    "datasets": "Datasets",
    "alignment": "Alignment file",
    "matrix": "Distance matrix",
    "upload": "Uploaded tree",
    "reroot": "Re-rooted",
}


def radio_choices(
    control_id: dict[str, str], choices: Sequence[tuple[str, str, str]], value: str
) -> dbc.RadioItems:
    """A radio group whose options read "Label — what it is for"."""
    return dbc.RadioItems(
        id=control_id,
        options=[
            {
                "label": html.Span(
                    [
                        html.Span(label, className="fw-semibold"),
                        html.Span(f" — {line}", className="text-body-secondary small"),
                    ]
                ),
                "value": key,
            }
            for key, label, line in choices
        ],
        value=value,
        className="msg-tree-choices",
    )


# --- the list of trees ----------------------------------------------------------------------

TREE_COLUMNS: list[Column] = [
    number_column("id", "#", width=70, filter_kind=None),
    link_column("name", "Tree", href_field="href", min_width=180, flex=2),
    text_column("how", "How built", min_width=180, flex=2),
    number_column("tips", "Tips", width=90),
    provenance_column(),
    text_column("created_by", "Created by", min_width=110, flex=0.6),
    time_column("created_at", "Created"),
]
HIDDEN_TREE_COLUMNS = ("id",)


def tree_rows(
    views: Iterable[TreeView],
    statuses: Mapping[int, ProvenanceStatus],
    href: Any,
) -> list[dict[str, Any]]:
    """One row per tree; ``href(tree_id)`` is where its name links to."""
    return [
        {
            "id": v.id,
            "name": v.name,
            "href": href(v.id),
            "how": v.describe(),
            "source": SOURCE_LABELS.get(v.source, v.source),
            "tips": v.tip_count,
            "created_by": v.created_by,
            "created_at": iso_utc(v.created_at),
            **provenance_cells(statuses.get(v.id)),
        }
        for v in views
    ]


# --- the dataset picker ---------------------------------------------------------------------

PICK_COLUMNS: list[Column] = [
    number_column("id", "#", width=80, filter_kind=None),
    text_column("sample", "Sample", min_width=130, flex=1.2),
    text_column("experiment", "Experiment", min_width=140, flex=1.2),
    text_column("material", "Material", min_width=100, flex=0.6),
    badge_column("spaceflight", "Spaceflight", statuses=SPACEFLIGHT_BADGES, width=160),
    text_column("filename", "File", min_width=140, flex=1),
    {
        **number_column("total_length", "Length", width=110),
        "valueFormatter": {"function": "params.data ? params.data.total_text : ''"},
    },
]


def pick_rows(views: Iterable[DatasetView]) -> list[dict[str, Any]]:
    """Datasets a tree can be built from (no reads), one row each."""
    return [
        {
            "id": v.id,
            "sample": v.sample.name,
            "experiment": v.experiment_name,
            "material": v.material,
            "spaceflight": v.sample.spaceflight,
            "filename": v.filename,
            "total_length": v.total_length,
            "total_text": bases(v.total_length),
        }
        for v in views
        if not v.is_reads
    ]


def picked_ids(rows: object) -> list[int]:
    """Dataset ids of the grid's selected rows, in the order shown.

    >>> picked_ids([{"id": 3}, {"id": "x"}, {"id": 5}]), picked_ids(None)
    ([3, 5], [])
    """
    if not isinstance(rows, list):
        return []
    return [
        r["id"]
        for r in rows
        if isinstance(r, dict) and isinstance(r.get("id"), int) and not isinstance(r["id"], bool)
    ]


# --- one tree -------------------------------------------------------------------------------


def _fact(term: str, value: Any) -> html.Div:
    return html.Div([html.Dt(term), html.Dd(value)], className="msg-tree-fact")


def tree_info(
    tree: TreeView,
    status: ProvenanceStatus | None,
    tree_href: Any,
    parent_name: str | None = None,
    provenance_id: str | None = None,
) -> html.Dl:
    """Name, how built, tips, inputs, parent, provenance, creator: the tree's facts
    (``provenance_id``: the id of the badge's holder, for a page that keeps it current)."""
    facts = [
        _fact("How built", tree.describe()),
        _fact("Tips", f"{tree.tip_count:,}"),
    ]
    if tree.dataset_ids:
        links: list[Any] = []
        for k, dataset_id in enumerate(tree.dataset_ids[:50]):
            if k:
                links.append(", ")
            links.append(dcc.Link(f"#{dataset_id}", href=f"/datasets/{dataset_id}"))
        if len(tree.dataset_ids) > 50:
            links.append(f" and {len(tree.dataset_ids) - 50:,} more")
        facts.append(_fact(f"Datasets ({len(tree.dataset_ids):,})", links))
    if tree.parent_tree_id is not None:
        facts.append(
            _fact(
                "Re-rooted from",
                dcc.Link(
                    parent_name or f"tree {tree.parent_tree_id}",
                    href=tree_href(tree.parent_tree_id),
                ),
            )
        )
    if tree.input_filename:
        facts.append(_fact("File", html.Code(tree.input_filename)))
    params = {k: v for k, v in tree.params.items() if k in ("seed", "k", "sketch_size", "gaps")}
    if params:
        facts.append(_fact("Parameters", ", ".join(f"{k} {v}" for k, v in params.items())))
    holder: dict[str, Any] = {"id": provenance_id} if provenance_id else {}
    facts.append(_fact("Provenance", html.Span(provenance_badge(status), **holder)))
    facts.append(
        _fact(
            "Created",
            html.Span([timestamp(tree.created_at), f" by {tree.created_by or 'someone'}"]),
        )
    )
    return html.Dl(facts, className="msg-tree-facts mb-0")


def node_summary(
    name: str, is_tip: bool, tips: int, support: float | None, node_id: int, is_root: bool
) -> list[Any]:
    """What the action bar says of the clicked node."""
    if is_tip:
        return [icon("record-circle", "me-1"), "Tip ", html.Strong(name)]
    parts: list[Any] = [icon("diagram-2", "me-1")]
    parts.append("The root" if is_root else ("Clade " + (f"{name} " if name else "")))
    parts.append(f" ({tips:,} tips, node {node_id}")
    if support is not None:
        parts.append(f", support {support:g}")
    parts.append(")")
    return parts


# --- comparing two trees --------------------------------------------------------------------


def compare_options(views: Iterable[TreeView], shown: int) -> list[dict[str, str]]:
    """The other saved trees to compare with, "#id name" each (the shown one left out)."""
    return [{"label": "Choose a tree", "value": ""}] + [
        {"label": f"#{v.id} {v.name}", "value": str(v.id)} for v in views if v.id != shown
    ]


def compare_summary(result: Mapping[str, Any], other_name: str, other_href: str) -> html.Div:
    """What a Robinson–Foulds comparison says, in words: same or different topology, the
    distance out of its maximum, and the tips it was computed on when the tip sets differ.

    ``result``: ``trees.compare``'s answer (this tree is ``a``)."""
    rf, max_rf = int(result["rf"]), int(result["max_rf"])
    common = int(result["common_tips"])
    tips_a, tips_b = int(result["tips_a"]), int(result["tips_b"])
    normalized = float(result["normalized_rf"])
    other = dcc.Link(other_name or f"tree {result['b']}", href=other_href)
    if rf == 0:
        verdict = [icon("check-circle", "me-1"), html.Strong("Same topology"), " as ", other]
    else:
        verdict = [icon("shuffle", "me-1"), html.Strong("Different topologies"), " from ", other]
    lines: list[Any] = [
        html.Div(verdict),
        html.Dl(
            [
                _fact("Robinson–Foulds distance", f"{rf:,} of at most {max_rf:,}"),
                _fact("Normalised", f"{normalized:.2f}"),
                _fact("Common tips", f"{common:,}"),
            ],
            className="msg-tree-facts msg-tree-compare-facts mb-0 mt-2",
        ),
    ]
    if common < tips_a or common < tips_b:
        lines.append(
            html.P(
                [
                    icon("exclamation-triangle", "me-1"),
                    f"The trees have different tips: compared on the {common:,} they share "
                    f"(this tree has {tips_a:,}, the other {tips_b:,}).",
                ],
                className="small mb-0 mt-2",
            )
        )
    return html.Div(lines)
