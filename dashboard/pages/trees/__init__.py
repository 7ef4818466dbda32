"""Trees: phylogenetic trees of the samples' genomes, built from datasets, an alignment or a
distance matrix, or uploaded; drawn rectangular or circular, coloured by a sample factor,
searched, zoomed, collapsed and re-rooted, and downloaded as Newick, Nexus, PhyloXML, SVG or
PNG.

The view lives in the URL (``/trees?tree=3&layout=circular&colour=spaceflight``), so a link
reproduces it.
"""

from __future__ import annotations

import dash

from dashboard.access import guard_layout

from . import build_callbacks, callbacks  # noqa: F401 - register the page's callbacks
from .ids import PATH
from .layout import LIST_SPEC, layout

dash.register_page(
    __name__,
    path=PATH,
    name="Trees",
    order=13,
    icon="diagram-3",
    title="Trees · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)

__all__ = ["LIST_SPEC"]
