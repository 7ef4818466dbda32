"""The Provenance page's layout: a dataset's status, chain, record, proof and lineage; the
file check; the batches. Built from the URL (``?dataset=ID&tab=…``) and the services."""

from __future__ import annotations

import json
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.auth import app_state, current_actor, current_db
from dashboard.components.feedback import empty_state, icon, success_alert
from dashboard.components.file_input import file_host
from dashboard.components.forms import error_summary, field, form
from dashboard.components.frame import card, loading, page_header
from dashboard.components.grid import GridSpec, data_grid, vocabulary_legend
from dashboard.components.job_progress import job_progress
from dashboard.components.lineage_graph import lineage_graph, lineage_list
from dashboard.components.provenance_badge import provenance_legend, provenance_line
from dashboard.components.provenance_views import (
    BATCH_COLUMNS,
    BATCH_HIDDEN,
    BATCH_STATES,
    anchoring_facts,
    batch_rows,
    chain_facts,
    record_facts,
)
from dashboard.components.sequence_tables import register_local_grid
from dashboard.components.tabs import Tab, tabs
from dashboard.components.view_state import GridView, Sort, parse_int
from dashboard.services import datasets, policy, provenance
from dashboard.services.datasets import DatasetView
from dashboard.services.errors import NotFound
from dashboard.services.policy import Action

from . import ids

ID_MAX = 2**31 - 1
BATCHES_SHOWN = 200
DATASET_HREF = f"{ids.PATH}?dataset="

BATCHES = GridSpec(
    ids.BATCHES,
    BATCH_COLUMNS,
    default=GridView(sort=(Sort("id", descending=True),), hidden=BATCH_HIDDEN),
    label="batches",
)
register_local_grid(BATCHES)


def required_confirmations() -> int:
    """How many blocks on top make an anchor final, as this server is configured."""
    return app_state().settings.chain_confirmations


def dataset_href(dataset_id: int) -> str:
    """The page on dataset ``dataset_id``."""
    return f"{DATASET_HREF}{dataset_id}"


# --- picking a dataset ------------------------------------------------------------------------


def option_label(dataset_id: int, filename: str, experiment: str) -> str:
    """How the picker names a dataset: ``#12 reads.fastq.gz · BRIC-23``."""
    return f"#{dataset_id} {filename} · {experiment}"


def _picker(choices: list[DatasetView], view: provenance.ProvenanceView | None) -> dbc.Card:
    """A search box over the datasets (the browser's own list as you type: Dash's dropdown
    hides a focusable element from screen readers, which axe counts as serious)."""
    labels = [option_label(d.id, d.filename, d.experiment_name) for d in choices]
    shown = next(
        (label for label in labels if view and label.startswith(f"#{view.dataset_id} ")), None
    )
    if view is not None and shown is None:
        shown = f"#{view.dataset_id} {view.filename}"
    return card(
        [
            dbc.Label("Dataset", html_for=ids.DATASET),
            dbc.Input(
                id=ids.DATASET,
                type="search",
                list=ids.DATASET_OPTIONS,
                value=shown or "",
                placeholder="Type a file name, an experiment or #id, then pick it",
                autocomplete="off",
            ),
            html.Datalist([html.Option(value=label) for label in labels], id=ids.DATASET_OPTIONS),
            html.Div(
                f"The newest {len(choices):,} datasets; any other opens from its own page "
                "(its Provenance button) or as ?dataset=ID."
                if len(choices) >= datasets.LIST_MAX
                else "Pick from the list that opens as you type.",
                className="form-text",
            ),
        ],
        class_name="mb-3",
    )


# --- one dataset ------------------------------------------------------------------------------


def _status_card(view: provenance.ProvenanceView, may_verify: bool) -> dbc.Card:
    # An issue of the lineage that the status line does not already say.
    issue = view.status.lineage_issue if view.status.lineage_issue != view.status.detail else None
    verify = (
        [
            html.Div(
                [
                    dbc.Button(
                        [icon("shield-check", "me-1"), "Verify now"],
                        id=ids.VERIFY,
                        color="primary",
                    ),
                    html.Span(
                        "Re-hashes the stored file and its ancestors' and asks the chain.",
                        className="small text-body-secondary",
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mt-3",
            ),
            html.Div(id=ids.VERIFY_ALERT, className="mt-2"),
            html.Div(job_progress(ids.VERIFY_JOB, "Verification"), className="mt-2"),
            html.Div(id=ids.CHECKS, className="mt-2"),
        ]
        if may_verify
        else []
    )
    return card(
        [
            provenance_line(view.status, line_id=ids.STATUS),
            dbc.Alert(
                [icon("diagram-3", "me-2"), issue],
                color="warning",
                className="py-2 mt-3 mb-0 small",
                id=ids.LINEAGE_ISSUE,
            )
            if issue
            else None,
            html.H2("Anchoring", className="h6 mt-3"),
            anchoring_facts(view, list_id=ids.ANCHORING),
            *verify,
        ],
        header=[icon("shield-check", "me-2"), "Status"],
        class_name="mb-3",
    )


def _chain_card(view: provenance.ProvenanceView) -> dbc.Card:
    return card(
        html.Div(
            chain_facts(view.chain, provenance.EMBEDDED_NOTE, note_id=ids.EMBEDDED_NOTE),
            id=ids.CHAIN,
        ),
        header=[icon("link-45deg", "me-2"), "Which chain"],
        class_name="mb-3",
    )


def _retract_card(view: provenance.ProvenanceView) -> dbc.Card:
    status = view.status
    if status.retract_reason is not None:
        body: Any = html.P(
            [icon("arrow-counterclockwise", "me-2"), status.detail], className="mb-0"
        )
    else:
        body = form(
            ids.RETRACT_FORM,
            [
                html.P(
                    "Withdraw this dataset: its status and its descendants' say so, and the "
                    "retraction is written to the contract. It cannot be undone.",
                    className="small",
                ),
                field(
                    ids.RETRACT_FORM,
                    "reason",
                    "Reason",
                    kind="textarea",
                    required=True,
                    max_length=provenance.RETRACT_REASON_MAX,
                    help_text=f"Shown beside the status and stored on the chain (at most "
                    f"{provenance.RETRACT_REASON_MAX} bytes).",
                    rows=2,
                ),
            ],
            actions=html.Div(
                html.Button(
                    [icon("arrow-counterclockwise", "me-1"), "Retract dataset"],
                    id=ids.RETRACT_FORM.submit,
                    type="submit",
                    className="btn btn-outline-danger msg-outline-danger msg-form-submit",
                ),
                className="msg-form-actions d-flex flex-wrap gap-2 mt-2",
            ),
            title="Retract this dataset",
        )
    return card(body, header=[icon("arrow-counterclockwise", "me-2"), "Retract"], class_name="mb-3")


def _lineage_card(view: provenance.ProvenanceView) -> dbc.Card:
    count = len(view.nodes)
    return card(
        [
            html.P(
                "Ancestors above, descendants below; click a dataset to open it."
                if count > 1
                else "Nothing was derived from this dataset, and it was derived from nothing.",
                className="small text-body-secondary mb-2",
            ),
            lineage_graph(ids.GRAPH, view.nodes, view.edges) if count > 1 else None,
            html.H2("In words", className="h6 mt-3") if count > 1 else None,
            lineage_list(ids.LINEAGE_LIST, view.nodes, view.edges, DATASET_HREF),
        ],
        header=[icon("diagram-3", "me-2"), "Lineage"],
        class_name="mb-3",
    )


def _record_card(view: provenance.ProvenanceView) -> dbc.Card:
    return card(
        html.Div(
            record_facts(
                view,
                {"leaf": ids.LEAF, "root": ids.ROOT, "proof": ids.PROOF, "json": ids.RECORD_JSON},
            ),
            id=ids.RECORD,
        ),
        header=[icon("file-earmark-lock", "me-2"), "Record and proof"],
        class_name="mb-3",
    )


def _dataset_panel(
    choices: list[DatasetView],
    view: provenance.ProvenanceView | None,
    asked: str | None,
    retracted: bool,
) -> html.Div:
    may_verify = policy.allows(current_actor(), Action.PROVENANCE_VERIFY)
    may_retract = policy.allows(current_actor(), Action.PROVENANCE_RETRACT)
    parts: list[Any] = [_picker(choices, view)]
    if view is None:
        if asked:
            parts.append(
                empty_state(
                    "question-circle",
                    f"No dataset {asked!r}",
                    "It may have been mistyped or deleted. Pick one above.",
                )
            )
        elif choices:
            parts.append(
                empty_state(
                    "shield-check",
                    "Pick a dataset",
                    "See its status on the ledger, its record and proof, the chain it is "
                    "anchored on and its lineage; verify or retract it. To check a file you "
                    "hold, drop it anywhere on this page.",
                )
            )
        else:
            parts.append(
                empty_state(
                    "files",
                    "No datasets yet",
                    "Each imported dataset gets a provenance record, anchored on the ledger "
                    "within seconds.",
                )
            )
        return html.Div(parts)
    if retracted:
        parts.append(
            success_alert(
                f"Retracted dataset #{view.dataset_id}. The retraction goes to the contract "
                "with the next anchoring round."
            )
        )
    parts.append(
        dbc.Row(
            [
                dbc.Col([_status_card(view, may_verify), _chain_card(view)], lg=6),
                # Retracting comes last on a phone, after what a reviewer reads first.
                dbc.Col(
                    [
                        _lineage_card(view),
                        _record_card(view),
                        _retract_card(view) if may_retract else None,
                    ],
                    lg=6,
                ),
            ]
        )
    )
    parts.append(html.Div(provenance_legend(), className="mb-3"))
    return html.Div(parts)


# --- a file's bytes ---------------------------------------------------------------------------


def _file_panel() -> html.Div:
    zone = html.Div(
        [
            html.Div(icon("file-earmark-arrow-down"), className="msg-dropzone-icon"),
            html.P(
                [html.Strong("Drop a file anywhere on this page"), " or choose one:"],
                className="mb-2",
            ),
            dbc.Label("File to check", html_for=ids.FILE_INPUT, className="visually-hidden"),
            file_host(ids.FILE_INPUT, (), required=False, host_id=ids.FILE_HOST),
            html.P(
                "Your browser computes its SHA-256; only that digest is sent to the server. "
                "The file itself never leaves this machine, however big it is.",
                className="small text-body-secondary mt-2 mb-0",
            ),
        ],
        id=ids.DROP,
        className="msg-dropzone",
    )
    progress = html.Div(
        [
            html.Div(
                [
                    dbc.Progress(
                        id=ids.HASH_PROGRESS,
                        value=0,
                        striped=True,
                        animated=True,
                        className="flex-grow-1",
                        style={"height": "1.25rem"},
                    ),
                    dbc.Button(
                        [icon("stop-circle", "me-1"), "Stop"],
                        id=ids.HASH_CANCEL,
                        size="sm",
                        color="secondary",
                        outline=True,
                        disabled=True,
                    ),
                ],
                className="d-flex align-items-center gap-2",
            ),
            html.Div(id=ids.HASH_STATUS, className="small mt-1", role="status"),
        ],
        id=ids.HASH_PANEL,
        className="mt-3",
        style={"display": "none"},
    )
    # Not forms.form: its one field is not required (no "* required" key), and a digest
    # typed in is no unsaved change to warn about.
    lookup = html.Form(
        [
            error_summary(ids.LOOKUP_FORM),
            field(
                ids.LOOKUP_FORM,
                "sha256",
                "Or give a SHA-256",
                max_length=64,
                placeholder="64 hexadecimal digits, e.g. from sha256sum",
                help_text="For a file on another machine: run sha256sum FILE there.",
                class_name="mb-0",
            ),
            html.Div(
                html.Button(
                    [icon("search", "me-1"), "Look up"],
                    id=ids.LOOKUP_FORM.submit,
                    type="submit",
                    className="btn btn-outline-secondary msg-outline-quiet msg-form-submit",
                ),
                className="msg-form-actions d-flex gap-2 mt-2",
            ),
        ],
        id=ids.LOOKUP_FORM.root,
        noValidate=True,
        className="msg-form",
        **{"aria-label": "Look up a SHA-256"},
    )
    return html.Div(
        dbc.Row(
            [
                dbc.Col(
                    card(
                        [zone, progress, html.Hr(), lookup],
                        header=[icon("fingerprint", "me-2"), "Were these bytes recorded?"],
                        class_name="mb-3",
                    ),
                    lg=5,
                ),
                dbc.Col(
                    card(
                        loading(
                            html.Div(
                                html.P(
                                    "Drop or choose a file, or give its SHA-256: the answer "
                                    "says whether, when exactly, by whom and in which dataset "
                                    "these bytes were recorded, and where they are anchored.",
                                    className="text-body-secondary mb-0",
                                ),
                                id=ids.FILE_RESULT,
                            )
                        ),
                        header=[icon("search", "me-2"), "Answer"],
                        class_name="mb-3",
                    ),
                    lg=7,
                ),
            ]
        )
    )


# --- batches ----------------------------------------------------------------------------------


def _batches_panel() -> html.Div:
    batches, total = provenance.list_batches(current_db(), limit=BATCHES_SHOWN)
    note = (
        f"The newest {len(batches):,} of {total:,} batches."
        if total > len(batches)
        else f"{total:,} batch{'es' if total != 1 else ''}."
    )
    return html.Div(
        [
            html.P(
                [
                    "Each batch anchors one Merkle root, of many datasets' records and the "
                    "audit log's head, in one transaction. ",
                    note,
                ],
                className="small text-body-secondary",
            ),
            data_grid(
                BATCHES,
                batch_rows(batches),
                csv_name="ledger-batches.csv",
                legend=vocabulary_legend(BATCH_STATES),
                empty=empty_state(
                    "collection",
                    "No batches yet",
                    "The anchoring worker batches new records within seconds of an import.",
                ),
                no_match="No batches match. Clear the search to see all.",
            ),
        ]
    )


# --- the page ---------------------------------------------------------------------------------


def _hash_config() -> str:
    return json.dumps(
        {
            "store": ids.HASH_STORE,
            "panel": ids.HASH_PANEL,
            "bar": ids.HASH_PROGRESS,
            "status": ids.HASH_STATUS,
            "cancel": ids.HASH_CANCEL,
            "input": ids.FILE_INPUT,
            "tabs": ids.TABS.store,
            "tab": ids.TAB_FILE,
        }
    )


def _find(dataset_id: int | None) -> provenance.ProvenanceView | None:
    if dataset_id is None:
        return None
    try:
        return provenance.get(current_db(), dataset_id, required_confirmations())
    except NotFound:
        return None


def layout(**query: Any) -> html.Div:
    """The page on the dataset the URL names (or a picker), the file check and the batches."""
    raw = query.get("dataset")
    dataset_id = parse_int(raw, minimum=1, maximum=ID_MAX)
    view = _find(dataset_id)
    choices = datasets.list_datasets(current_db())
    tab = str(query.get("tab")) if query.get("tab") in ids.TAB_KEYS else ids.TAB_DATASET
    asked = str(raw) if raw not in (None, "") and view is None else None
    crumbs: list[tuple[str, str | None]] = [("Overview", "/"), ("Provenance", None)]
    if view is not None:
        crumbs = [
            ("Overview", "/"),
            ("Provenance", ids.PATH),
            (f"#{view.dataset_id} {view.filename}", None),
        ]
    return html.Div(
        [
            page_header(
                "Provenance",
                breadcrumb_items=crumbs,
                actions=[
                    dcc.Link(
                        [icon("file-earmark-binary", "me-1"), "Dataset page"],
                        href=f"/datasets/{view.dataset_id}",
                        className="btn btn-outline-secondary msg-outline-quiet",
                    )
                ]
                if view is not None
                else [],
                subtitle="Whether a dataset's file is exactly the one recorded, when and by "
                "whom it was recorded, and what it was derived from: checked against the "
                "ledger.",
            ),
            dcc.Location(id=ids.NAVIGATE, refresh="callback-nav"),
            dcc.Store(id=ids.DATASET_ID, data=view.dataset_id if view else None),
            dcc.Store(id=ids.HASH_STORE),
            tabs(
                ids.TABS,
                [
                    Tab(
                        ids.TAB_DATASET,
                        "Dataset",
                        _dataset_panel(choices, view, asked, bool(query.get("retracted"))),
                    ),
                    Tab(ids.TAB_FILE, "Check a file", _file_panel()),
                    Tab(ids.TAB_BATCHES, "Batches", _batches_panel()),
                ],
                active=tab,
                label="Provenance",
            ),
        ],
        id=ids.PAGE,
        className="msg-provenance",
        **{"data-msg-hash": _hash_config()},
    )
