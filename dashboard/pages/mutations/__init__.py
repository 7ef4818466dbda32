"""Mutations: call samples' reads against a reference genome (breseq-class: SNPs, indels,
large deletions, amplifications, mobile-element insertions), see each result's calls with
their evidence and annotation over the coverage, download VCF, GenomeDiff and CSV, and
compare results across samples (grouped by the Spaceflight factor, with parallelism,
spectrum, rates and gene-profile statistics).

The view lives in the URL (``/mutations?result=3&tab=compare&compare=3,4``), so a link
reproduces it.
"""

from __future__ import annotations

import dash

from dashboard.access import guard_layout

from . import callbacks, compare_callbacks  # noqa: F401 - register the page's callbacks
from .ids import PATH
from .layout import layout

dash.register_page(
    __name__,
    path=PATH,
    name="Mutations",
    order=13.5,
    icon="bug",
    title="Mutations · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)
