"""Provenance (reviewers and admins): per dataset its status on the ledger, the chain it is
anchored on, its record, leaf, root and proof, and its lineage as a graph; verify it now
(a job) or retract it with a reason; drop any file on the page to learn whether, when, by
whom and in which dataset these exact bytes were recorded (hashed in the browser); the
Merkle batches.

The dataset and the tab live in the URL (``/provenance?dataset=12&tab=file``).
"""

from __future__ import annotations

import dash

from dashboard.access import guard_layout

from . import callbacks  # noqa: F401 - register the page's callbacks
from .ids import PATH
from .layout import layout

dash.register_page(
    __name__,
    path=PATH,
    name="Provenance",
    order=14,
    icon="shield-check",
    title="Provenance · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)
