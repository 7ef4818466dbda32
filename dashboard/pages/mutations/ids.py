"""Component ids of the Mutations page (one place; every id starts with ``mutations-``)."""

from __future__ import annotations

from dashboard.components.grid import grid_ids
from dashboard.components.tabs import TabIds

PATH = "/mutations"
NAVIGATE = "mutations-navigate"  # dcc.Location (callback-nav): opens another result / view

TABS = TabIds("mutations")
TAB_RESULT, TAB_COMPARE, TAB_CALL = "result", "compare", "call"
TAB_KEYS = (TAB_RESULT, TAB_COMPARE, TAB_CALL)

# One result.
RESULT = "mutations-result"  # dcc.Store: the shown result's id
PICK_RESULT = "mutations-pick-result"  # select: open another result
SUMMARY = "mutations-summary"
MAP = "mutations-map"
MAP_AREA = "mutations-map-area"
CALL_IDS = grid_ids("mutations-calls")
CALL_SHOWN = "mutations-call-shown"  # dcc.Store: written by the marker-to-row callback
DOWNLOAD_VCF = "mutations-download-vcf"
DOWNLOAD_GD = "mutations-download-gd"
DOWNLOAD_CSV = "mutations-download-csv"
DELETE = "mutations-delete"  # admins: delete the shown result
DELETE_DIALOG = "mutations-delete-dialog"
DELETE_CONFIRM = "mutations-delete-confirm"
DELETE_CANCEL = "mutations-delete-cancel"
DELETE_PROBLEM = "mutations-delete-problem"

# Calling.
REFERENCE = "mutations-reference"  # select: the reference dataset
READ_IDS = grid_ids("mutations-reads")
PICKED = "mutations-picked"  # how many read datasets are ticked
MODE = "mutations-mode"  # radio: consensus / polymorphism
START = "mutations-start"
CALL_ALERT = "mutations-call-alert"
CALL_JOB = "mutations-call"  # the job progress panel's name

# Comparing.
COMPARE_PICK = "mutations-compare-pick"  # checklist of result ids
SUBTRACT_ANCESTOR = "mutations-subtract-ancestor"
SUBTRACT_GROUND = "mutations-subtract-ground"
GENERATIONS = "mutations-generations"  # the per-sample generations inputs' container
GENERATION = "mutations-generation"  # pattern-matching: {"type": GENERATION, "result": id}
COMPARE_BUTTON = "mutations-compare-run"
COMPARE_MESSAGE = "mutations-compare-message"
COMPARE_OUTPUT = "mutations-compare-output"
COMPARE_IDS = grid_ids("mutations-compare")
COMPARE_DOWNLOADS = "mutations-compare-downloads"  # shown once a comparison is made
COMPARE_GD = "mutations-compare-gd"  # gdtools COMPARE's GenomeDiff
COMPARE_CSV = "mutations-compare-csv"
PARALLEL = "mutations-parallel"
PARALLEL_FACTS = "mutations-parallel-facts"
SPECTRUM = "mutations-spectrum"
SPECTRUM_TEST = "mutations-spectrum-test"
RATES = "mutations-rates"
PROFILES = "mutations-profiles"

# What the URL keeps besides the calls grid's own view (None for a default).
URL_COMPARE = "mutations-url-compare"  # "3,4,7"
URL_ANCESTOR = "mutations-url-ancestor"  # "0" when not subtracted (the default is to)
URL_GROUND = "mutations-url-ground"  # "1" when ground controls are subtracted
URL_GENERATIONS = "mutations-url-generations"  # "3:500,4:480"
