"""Component ids of the Provenance page (one place; every id starts with ``provenance-``)."""

from __future__ import annotations

from dashboard.components.forms import FormIds
from dashboard.components.grid import grid_ids
from dashboard.components.tabs import TabIds

PATH = "/provenance"
MODULE = "dashboard.pages.provenance"

PAGE = "provenance-page"  # the page's root: files dropped anywhere on it are hashed
NAVIGATE = "provenance-navigate"  # dcc.Location (callback-nav): open another dataset
DATASET = "provenance-dataset"  # the dataset picker (a search box over DATASET_OPTIONS)
DATASET_OPTIONS = "provenance-dataset-options"
DATASET_ID = "provenance-dataset-id"  # dcc.Store: the dataset shown (None without one)
STATUS = "provenance-status"
LINEAGE_ISSUE = "provenance-lineage-issue"
ANCHORING = "provenance-anchoring"
CHAIN = "provenance-chain"
EMBEDDED_NOTE = "provenance-embedded-note"
RECORD = "provenance-record"
RECORD_JSON = "provenance-record-json"
LEAF = "provenance-leaf"
ROOT = "provenance-root"
PROOF = "provenance-proof"
GRAPH = "provenance-lineage-graph"
LINEAGE_LIST = "provenance-lineage-list"

# Verifying a dataset (a job) and what it found.
VERIFY = "provenance-verify"
VERIFY_JOB = "provenance-verify"  # the job panel's name
VERIFY_ALERT = "provenance-verify-alert"
CHECKS = "provenance-checks"

# Retracting it.
RETRACT_FORM = FormIds("provenance-retract")
RETRACT_REASON = RETRACT_FORM.control("reason")
RETRACT_DONE = "provenance-retract-done"

# Checking a file's bytes (hashed in the browser by assets/provenance.js).
DROP = "provenance-drop"
FILE_INPUT = "provenance-file-input"
FILE_HOST = "provenance-file-host"
HASH_STORE = "provenance-hash"  # dcc.Store: {"sha256", "name", "size", "seconds"} when hashed
HASH_PANEL = "provenance-hash-panel"
HASH_PROGRESS = "provenance-hash-progress"
HASH_STATUS = "provenance-hash-status"
HASH_CANCEL = "provenance-hash-cancel"
LOOKUP_FORM = FormIds("provenance-lookup")
LOOKUP_SHA256 = LOOKUP_FORM.control("sha256")
FILE_RESULT = "provenance-file-result"

# The batches.
BATCHES = grid_ids("provenance-batches")

TABS = TabIds("provenance")
TAB_DATASET, TAB_FILE, TAB_BATCHES = "dataset", "file", "batches"
TAB_KEYS = (TAB_DATASET, TAB_FILE, TAB_BATCHES)
