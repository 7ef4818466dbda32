"""Sequence explorer: a genome's or assembly's features, GC content and skew, CDS with their
translation checked, ORFs, motif search, bases of a region and pairwise alignment.

The view lives in the URL (``/explorer?dataset=3&record=NC_005816.1&start=87&end=1109``), so
a link reproduces it and Back and Forward move between views.
"""

from __future__ import annotations

import dash

from dashboard.access import guard_layout

from . import callbacks, tool_callbacks  # noqa: F401 - register the page's callbacks
from .ids import PATH
from .layout import layout

dash.register_page(
    __name__,
    path=PATH,
    name="Explorer",
    order=12,
    icon="search",
    title="Sequence explorer · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)
