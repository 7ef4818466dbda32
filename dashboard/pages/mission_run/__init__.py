"""One run in mission control (any logged-in user; the buttons are for operators): state and
device links, commands and setpoints, approvals, live telemetry appended every second,
alarms and limits, the command history and the growth fit.

The run is in the path (``/mission/runs/12``), the charts' time window in the query
(``?window=hour``).
"""

from __future__ import annotations

import dash

from dashboard.access import guard_layout

from . import callbacks  # noqa: F401 - register the page's callbacks
from .ids import PATH_TEMPLATE
from .layout import layout, title

dash.register_page(
    __name__,
    path_template=PATH_TEMPLATE,
    name="Run",
    in_nav=False,
    title=title,
    layout=guard_layout(__name__, layout),
)
