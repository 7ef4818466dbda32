"""Felsenstein's nonparametric bootstrap for distance trees built from an alignment.

Each replicate draws as many columns as the alignment has, with replacement, rebuilds the
distances and the tree, and records the tree's splits. A node's support is the percentage
of replicates whose tree holds the node's split.

- Columns are resampled as counts over the distinct site patterns (a multinomial draw with
  the patterns' frequencies is the same distribution as drawing columns one by one), and
  the distances take those counts as weights: a replicate copies no alignment.
- Splits are unrooted bipartitions of the tips, kept as integer bitsets of tip indices and
  canonicalised as the side *without* tip 0. UPGMA and WPGMA trees are rooted, but their
  supports are counted on splits too (so the two children of the root share one value), as
  PHYLIP's ``consense`` does for unrooted input; splits of one tip carry no support.
- Reproducible: one ``numpy.random.Generator`` seeded with ``seed`` draws every replicate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np

from .alignment import Alignment
from .build import DIGITS, METHODS, tree_nodes
from .distances import alignment_distances, site_patterns
from .errors import PhyloInputError
from .newick import Node, write_newick

DEFAULT_REPLICATES = 100

Progress = Callable[[int, int], None]


def node_splits(root: Node, index: dict[str, int]) -> dict[int, int]:
    """``id(node) -> split`` for every node below the root that splits off 2 to n-2 tips.

    ``index`` numbers the tips; a split is the bitset of the side without tip 0.
    """
    everyone = (1 << len(index)) - 1
    below: dict[int, int] = {}
    out: dict[int, int] = {}
    for node in root.postorder():
        if node.is_tip:
            below[id(node)] = 1 << index[node.name]
            continue
        bits = 0
        for child in node.children:
            bits |= below[id(child)]
        below[id(node)] = bits
        if node is root:
            continue
        side = everyone ^ bits if bits & 1 else bits
        size = side.bit_count()
        if 2 <= size <= len(index) - 2:
            out[id(node)] = side
    return out


def bootstrap(
    al: Alignment,
    model: str,
    method: str,
    *,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 0,
    progress: Progress | None = None,
) -> str:
    """The tree of ``al`` (distances by ``model``, tree by ``method``) as Newick with each
    internal node's bootstrap support (0-100, the percentage of ``replicates`` holding its
    split) as its label.

    ``progress(done, total)`` is called after every replicate; an exception it raises (a
    cancelled job) stops the bootstrap and propagates.
    """
    if method not in METHODS:
        raise PhyloInputError("method", f"{method!r} is not one of {', '.join(METHODS)}")
    if replicates < 1:
        raise PhyloInputError("bootstrap", f"{replicates} replicates; at least 1")
    reference = tree_nodes(alignment_distances(al, model), method)
    index = {label: i for i, label in enumerate(al.labels)}
    splits = node_splits(reference, index)
    wanted = set(splits.values())
    found: Counter[int] = Counter()
    patterns = site_patterns(al)
    frequencies = patterns.counts / patterns.counts.sum()
    rng = np.random.default_rng(seed)
    for done in range(1, replicates + 1):
        weights = rng.multinomial(al.columns, frequencies)
        try:
            dm = alignment_distances(patterns.patterns, model, weights)
        except PhyloInputError as exc:
            raise PhyloInputError(
                f"bootstrap replicate {done}",
                f"{exc.where}: {exc.problem} (resampled columns can saturate a distance "
                "that the whole alignment does not; p-distance never does)",
            ) from None
        found.update(wanted.intersection(node_splits(tree_nodes(dm, method), index).values()))
        if progress is not None:
            progress(done, replicates)
    for node in reference.preorder():
        split = splits.get(id(node))
        if split is not None:
            node.support = float(round(100 * found[split] / replicates))
    return write_newick(reference, digits=DIGITS)
