"""Mission control (any logged-in user): the runs on culture hardware with their state,
devices, links and open alarms; the open alarms of every run; a new run (operators); and a
comparison of two runs' growth (e.g. a flight µg arm against its ground 1 g control).

A run's own page is ``dashboard.pages.mission_run`` (``/mission/runs/<id>``).
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
    name="Mission control",
    order=20,
    icon="rocket-takeoff",
    title="Mission control · MicroSpaceGen",
    layout=guard_layout(__name__, layout),
)
