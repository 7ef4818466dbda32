"""Phylogenetics: distances, tree building, tree operations, file formats and layouts.

Pure functions over numpy arrays and Newick text; no web, database or chain code.
"""

from .errors import PhyloInputError
from .matrix import DistanceMatrix, check_matrix

__all__ = ["DistanceMatrix", "PhyloInputError", "check_matrix"]

from .alignment import ALIGNMENT_FORMATS, Alignment, alignment_from_records, read_alignment

__all__ += ["ALIGNMENT_FORMATS", "Alignment", "alignment_from_records", "read_alignment"]

from .distances import (  # noqa: E402
    DISTANCES,
    alignment_distances,
    alignment_distances_weighted,
    site_patterns,
)

__all__ += ["DISTANCES", "alignment_distances", "alignment_distances_weighted", "site_patterns"]

from .matrix import matrix_to_csv, matrix_to_phylip, read_matrix  # noqa: E402

__all__ += ["matrix_to_csv", "matrix_to_phylip", "read_matrix"]

from .build import METHODS, build_tree, neighbor_joining, upgma, wpgma  # noqa: E402
from .newick import Node, parse_newick, write_newick  # noqa: E402

__all__ += ["METHODS", "Node", "build_tree", "neighbor_joining", "parse_newick", "upgma"]
__all__ += ["wpgma", "write_newick"]

from .layout import SHAPES, TreeLayout, tree_layout  # noqa: E402

__all__ += ["SHAPES", "TreeLayout", "tree_layout"]

from .bootstrap import DEFAULT_REPLICATES, bootstrap  # noqa: E402
from .build import tree_nodes  # noqa: E402

__all__ += ["DEFAULT_REPLICATES", "bootstrap", "tree_nodes"]

from .minhash import SKETCH_SIZE, K, Sketch, mash_distance, sketch, sketch_distances  # noqa: E402

__all__ += ["SKETCH_SIZE", "K", "Sketch", "mash_distance", "sketch", "sketch_distances"]

from .ops import (  # noqa: E402
    RFResult,
    collapse_below,
    ladderize,
    midpoint_root,
    prune,
    robinson_foulds,
    root_on,
)

__all__ += ["RFResult", "collapse_below", "ladderize", "midpoint_root", "prune"]
__all__ += ["robinson_foulds", "root_on"]

from .tree_io import TREE_FORMATS, read_tree, write_tree  # noqa: E402

__all__ += ["TREE_FORMATS", "read_tree", "write_tree"]
