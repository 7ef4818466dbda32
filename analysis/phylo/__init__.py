"""Phylogenetics: distances, tree building, tree operations, file formats and layouts.

Pure functions over numpy arrays and Newick text; no web, database or chain code.
"""

from .errors import PhyloInputError
from .matrix import DistanceMatrix, check_matrix

__all__ = ["DistanceMatrix", "PhyloInputError", "check_matrix"]

from .alignment import ALIGNMENT_FORMATS, Alignment, alignment_from_records, read_alignment  # noqa: E402

__all__ += ["ALIGNMENT_FORMATS", "Alignment", "alignment_from_records", "read_alignment"]
