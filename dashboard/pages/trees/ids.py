"""Component ids of the Trees page (one place; every id starts with ``trees-``)."""

from __future__ import annotations

from dashboard.components.forms import FormIds
from dashboard.components.grid import grid_ids
from dashboard.components.tabs import TabIds

PATH = "/trees"
NAVIGATE = "trees-navigate"  # dcc.Location (callback-nav): opens another tree / view

# The saved trees.
LIST_IDS = grid_ids("trees-list")

# The tree shown.
TREE = "trees-tree"  # dcc.Store: the shown tree's id
FIGURE = "trees-figure"
FIGURE_AREA = "trees-figure-area"
LAYOUT = "trees-layout"  # radio: rectangular / radial
BRANCHES = "trees-branches"  # radio: phylogram / cladogram
COLOUR = "trees-colour"  # select: a factor key or ""
LABELS = "trees-labels"  # switch
SUPPORT = "trees-support"  # switch
SEARCH = "trees-search"
SEARCH_INFO = "trees-search-info"
SEARCH_SELECT = "trees-search-select"  # select the matching tips' clade
ZOOM = "trees-zoom"  # dcc.Store: stable id of the clade zoomed into, or None
COLLAPSED = "trees-collapsed"  # dcc.Store: stable ids of collapsed clades
SELECTED = "trees-selected"  # dcc.Store: stable id of the selected node, or None
CLICKED = "trees-clicked"  # dcc.Store: stable id of the node last clicked in the figure
MESSAGE = "trees-message"
INFO = "trees-info"
INFO_PROVENANCE = "trees-info-provenance"  # the About card's provenance badge
# Provenance that changes by itself (a pending record gets anchored): the About card and the
# list follow it until it settles.
PROVENANCE_WATCH = "trees-provenance-watch"  # dcc.Store: {tree id: state} still settling
PROVENANCE_TICK = "trees-provenance-tick"  # dcc.Interval, off when nothing settles

# Comparing with another saved tree (Robinson–Foulds).
COMPARE = "trees-compare"  # select: another tree's id or ""
COMPARE_RESULT = "trees-compare-result"

# The clicked node's actions.
ACTIONS = "trees-actions"
ACTION_TEXT = "trees-action-text"
ZOOM_IN = "trees-zoom-in"
COLLAPSE = "trees-collapse"
REROOT = "trees-reroot"
DESELECT = "trees-deselect"
RESET_ZOOM = "trees-reset-zoom"
MIDPOINT = "trees-midpoint"

# Downloads.
DOWNLOAD = "trees-download"  # dcc.Download
DOWNLOAD_NEWICK = "trees-download-newick"
DOWNLOAD_NEXUS = "trees-download-nexus"
DOWNLOAD_PHYLOXML = "trees-download-phyloxml"
DOWNLOAD_SVG = "trees-download-svg"
DOWNLOAD_PNG = "trees-download-png"
IMAGE_NAME = "trees-image-name"  # dcc.Store: the figure's download name

# What the URL keeps of the view (None for a default), kept by the render callback; the
# list grid's URL callback writes them into the query string with its own keys.
URL_LAYOUT = "trees-url-layout"
URL_BRANCHES = "trees-url-branches"
URL_COLOUR = "trees-url-colour"
URL_LABELS = "trees-url-labels"
URL_SUPPORT = "trees-url-support"
URL_ZOOM = "trees-url-zoom"
URL_COLLAPSED = "trees-url-collapsed"
URL_SEARCH = "trees-url-search"
URL_COMPARE = "trees-url-compare"

# Building a tree (its own view: /trees?new=datasets or /trees?new=file).
NEW_TABS = TabIds("trees-new")
TAB_DATASETS, TAB_FILE = "datasets", "file"
NEW_TAB_KEYS = (TAB_DATASETS, TAB_FILE)
BUILD_FORM = FormIds("trees-build")
# Radio groups and the dataset picker are not text controls (no "invalid"): ids outside
# the form's controls, their error slots inside.
BUILD_DISTANCE = {**BUILD_FORM.control("distance"), "part": "radio"}
BUILD_METHOD = {**BUILD_FORM.control("method"), "part": "radio"}
PICK_IDS = grid_ids("trees-pick")
PICKED = "trees-picked"  # how many datasets are chosen
BUILD_JOB = "trees-build"  # the job progress panel's name
BUILD_ALERT = "trees-build-alert"

UPLOAD_FORM = FormIds("trees-upload")
UPLOAD_KIND = {**UPLOAD_FORM.control("kind"), "part": "radio"}
UPLOAD_DISTANCE = {**UPLOAD_FORM.control("distance"), "part": "radio"}
UPLOAD_METHOD = {**UPLOAD_FORM.control("method"), "part": "radio"}
UPLOAD_HOST = "trees-upload-host"
UPLOAD_FILE = "trees-upload-file"  # dcc.Store: {"name", "size", "data"} read by trees.js
UPLOAD_NOTE = "trees-upload-note"
UPLOAD_JOB = "trees-upload"
UPLOAD_ALERT = "trees-upload-alert"
