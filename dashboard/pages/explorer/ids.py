"""Component ids of the sequence explorer (one place; every id starts with ``explorer-``)."""

from __future__ import annotations

from dashboard.components.forms import FormIds
from dashboard.components.grid import grid_ids
from dashboard.components.tabs import TabIds

PATH = "/explorer"

# Where the page is: dataset and record (changing either loads the page for them).
NAVIGATE = "explorer-navigate"  # dcc.Location (callback-nav) that opens another dataset/record
DATASET = "explorer-dataset"
RECORD = "explorer-record"
VIEW = "explorer-view"  # dcc.Store: {"dataset", "record", "length"} of the record shown
LOADED = "explorer-loaded"  # dcc.Store: set once the record is parsed (triggers the rest)
SUMMARY = "explorer-summary"
FEATURE_COUNTS = "explorer-feature-counts"
HISTOGRAM = "explorer-histogram"
LOAD_MESSAGE = "explorer-load-message"
PICKER_ERROR = "explorer-picker-error"
PROVENANCE = "explorer-provenance"  # the dataset's provenance badge in the header

# The genome map and the view window (1-based inclusive; also the region shown as bases).
# Fields are named as the service names them in its errors.
MAP = "explorer-map"
MAP_AREA = "explorer-map-area"
RANGE_FORM = FormIds("explorer-range")
START = RANGE_FORM.control("start")
END = RANGE_FORM.control("end")
WHOLE = "explorer-whole"
RANGE = "explorer-range-shown"  # dcc.Store: [first, last] bases in view, 1-based inclusive
GC_FORM = FormIds("explorer-gc")
WINDOW = GC_FORM.control("window")
STEP = GC_FORM.control("step")
CUMULATIVE = "explorer-cumulative"
VIEW_INFO = "explorer-view-info"
# What the URL keeps of the view (digits only, nothing for the defaults); kept by a
# clientside callback from the inputs above.
URL_START = "explorer-url-start"
URL_END = "explorer-url-end"
URL_WINDOW = "explorer-url-window"
URL_STEP = "explorer-url-step"
URL_TAB = "explorer-url-tab"

TAB_IDS = TabIds("explorer")  # buttons explorer-tab-<key>, panels explorer-panel-<key>
TABS = TAB_IDS.store  # dcc.Store: the key of the tool shown
TAB_CDS, TAB_ORFS, TAB_MOTIF, TAB_REGION, TAB_ALIGN = "cds", "orfs", "motif", "region", "align"
TAB_KEYS = (TAB_CDS, TAB_ORFS, TAB_MOTIF, TAB_REGION, TAB_ALIGN)

# CDS table and the chosen CDS.
CDS_IDS = grid_ids("explorer-cds")
DIFFERING = "explorer-differing"
CDS_INFO = "explorer-cds-info"
CDS_DETAIL = "explorer-cds-detail"
CDS_DOWNLOAD = "explorer-cds-download"
CDS_DOWNLOAD_BUTTON = "explorer-cds-download-button"
CDS_ALIGN_BUTTON = "explorer-cds-align-button"
CDS_CHOSEN = "explorer-cds-chosen"  # dcc.Store: the index of the CDS shown in the detail
CDS_SHOWN = "explorer-cds-shown"  # dcc.Store: the output of the table's clientside selection

# ORF finder.
ORF_IDS = grid_ids("explorer-orfs")
ORF_FORM = FormIds("explorer-orf-form")
ORF_MIN = ORF_FORM.control("min_length")
ORF_TABLE = ORF_FORM.control("table")
# Not a text control (no "invalid"): an id outside ORF_FORM.controls, its error slot inside.
ORF_STARTS = {**ORF_FORM.control("starts"), "part": "checklist"}
ORF_RUN = ORF_FORM.submit
ORF_APPLIED = "explorer-orf-applied"  # dcc.Store: "min:table:starts" of the ORFs shown
ORF_INFO = "explorer-orf-info"
ORF_FASTA = "explorer-orf-fasta"
ORF_FASTA_NT = "explorer-orf-fasta-nt"

# Motif search.
HIT_IDS = grid_ids("explorer-hits")
MOTIF_FORM = FormIds("explorer-motif-form")
MOTIF = MOTIF_FORM.control("motif")
MOTIF_RUN = MOTIF_FORM.submit
MOTIF_APPLIED = "explorer-motif-applied"  # dcc.Store: the motif whose hits are shown
MOTIF_INFO = "explorer-motif-info"

# Region viewer.
REGION_INFO = "explorer-region-info"
REGION_BASES = "explorer-region-bases"
REGION_FASTA = "explorer-region-fasta"

# Pairwise alignment of region A ("first") and region B ("second"), as the service names them.
ALIGN_FORM = FormIds("explorer-align-form")
SIDES = ("first", "second")


def align_field(side: str, name: str) -> dict[str, str]:
    """An input of the alignment form: ``side`` first or second, ``name`` dataset, record,
    start or end. Named ``first-start`` (Dash cannot target an id holding a dot); the
    service's ``first.start`` maps to it with :func:`align_error_field`."""
    return ALIGN_FORM.control(f"{side}-{name}")


def align_error_field(service_field: str) -> str:
    """The form field of a service error's field (``first.start`` → ``first-start``)."""
    return service_field.replace(".", "-")


def align_pick(side: str) -> str:
    """The quick pick of a CDS for a region of the alignment: a text input offering the
    record's CDS (a datalist), outside the form's controls (it is never invalid)."""
    return f"explorer-align-{side}-cds"


def align_pick_options(side: str) -> str:
    """The ``<datalist>`` of the quick pick."""
    return f"explorer-align-{side}-cds-options"


def align_pick_spans(side: str) -> str:
    """dcc.Store: each offered CDS's label → its span ``[start, end]``, 1-based."""
    return f"explorer-align-{side}-cds-spans"


ALIGN_RUN = ALIGN_FORM.submit
ALIGN_ERROR = "explorer-align-error"
ALIGN_RESULT = "explorer-align-result"
ALIGN_SUMMARY = "explorer-align-summary"
DIFF_IDS = grid_ids("explorer-diffs")

# Downloads.
DOWNLOADS = "explorer-downloads"
DOWNLOAD_REGION = "explorer-download-region"
