"""Component ids of the Mission control page (one place; every id starts with ``mission-``)."""

from __future__ import annotations

from dashboard.components.forms import FormIds
from dashboard.components.grid import grid_ids

PATH = "/mission"
RUNS = grid_ids("mission-runs")
ALARMS = "mission-alarms"  # the open alarms of every run
REFRESH = "mission-refresh"  # dcc.Interval: the open alarms (always on the page)
RUNS_REFRESH = "mission-runs-refresh"  # dcc.Interval: the runs grid (only beside the grid)
SEEN_ALARMS = "mission-seen-alarms"  # dcc.Store: fingerprint of the alarms as drawn
SEEN_ROWS = "mission-seen-rows"  # dcc.Store: fingerprint of the grid's rows as drawn
NEW_RUN = FormIds("mission-new-run")
NEW_EXPERIMENT = NEW_RUN.control("experiment")  # "<experiment id>:<arm id or empty>"
NEW_NAME = NEW_RUN.control("name")
DEVICES = "mission-new-run-devices"  # a checklist (not a form control: it has no `invalid`)
PROFILE_ROWS = 3
REDIRECT = "mission-redirect"

COMPARE_A = "mission-compare-a"
COMPARE_B = "mission-compare-b"
COMPARE_MODEL = "mission-compare-model"
COMPARE = "mission-compare"
COMPARE_RESULT = "mission-compare-result"
