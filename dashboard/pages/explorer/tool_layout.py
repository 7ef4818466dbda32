"""The explorer's tools, in tabs under the map: the CDS table with the chosen CDS, the ORF
finder, the motif search, the bases in view and the pairwise alignment."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import forms
from dashboard.components.explorer_state import (
    DEFAULT_ORFS,
    ExplorerQuery,
)
from dashboard.components.explorer_views import dataset_label
from dashboard.components.feedback import icon
from dashboard.components.frame import card, loading
from dashboard.components.grid import GridSpec, data_grid
from dashboard.components.sequence_tables import (
    CDS_COLUMNS,
    DIFFERENCE_COLUMNS,
    HIT_COLUMNS,
    ORF_COLUMNS,
    check_legend,
)
from dashboard.components.tabs import Tab, tabs
from dashboard.components.view_state import GridView, Sort
from dashboard.services import explorer
from dashboard.services.datasets import DatasetView

from . import ids

IUPAC_HELP = (
    "IUPAC codes: A C G T (U = T); R = A/G, Y = C/T, S = G/C, W = A/T, K = G/T, M = A/C; "
    "B = not A, D = not C, H = not G, V = not T; N = any base. Both strands are searched; "
    "overlapping hits count."
)

CDS_SPEC = GridSpec(
    ids.CDS_IDS,
    CDS_COLUMNS,
    default=GridView(sort=(Sort("start"),)),
    label="CDS",
    # The grid's URL callback also keeps the explorer's view (the page has one query
    # string): the values come from stores a clientside callback keeps from the inputs.
    url_params={
        "start": (ids.URL_START, "data"),
        "end": (ids.URL_END, "data"),
        "window": (ids.URL_WINDOW, "data"),
        "step": (ids.URL_STEP, "data"),
        "skew": (ids.CUMULATIVE, "value"),
        "tab": (ids.URL_TAB, "data"),
        "orfs": (ids.ORF_APPLIED, "data"),
        "motif": (ids.MOTIF_APPLIED, "data"),
        "differing": (ids.DIFFERING, "value"),
        "cds": (ids.CDS_CHOSEN, "data"),
    },
)
ORF_SPEC = GridSpec(ids.ORF_IDS, ORF_COLUMNS, label="ORFs")
HIT_SPEC = GridSpec(ids.HIT_IDS, HIT_COLUMNS, label="hits")
DIFF_SPEC = GridSpec(ids.DIFF_IDS, DIFFERENCE_COLUMNS, label="differences")
SELECT_ROW = {
    "rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}
}


# --- tools --------------------------------------------------------------------------------


def _cds_tab(q: ExplorerQuery, query: dict[str, Any], record_id: str) -> html.Div:
    differing = dbc.Switch(
        id=ids.DIFFERING,
        label="Only differing translations",
        value=q.differing,
        className="mb-0",
    )
    grid = data_grid(
        CDS_SPEC,
        [],
        view=CDS_SPEC.view(query),  # search, sort, filters and page from the URL
        csv_name=f"{record_id}-cds.csv",
        legend=check_legend(),
        toolbar_extra=[differing],
        no_match="No CDS match. Clear the search, the filters or the switch to see all.",
        grid_options=SELECT_ROW,
    )
    return html.Div(
        [
            html.Div(id=ids.CDS_INFO, role="status"),
            grid,
            card(
                loading(
                    html.Div(
                        "Pick a CDS in the table or on the map to see its protein, translated "
                        "from the sequence beside the annotated one.",
                        className="text-body-secondary",
                        id=ids.CDS_DETAIL,
                    ),
                ),
                header=[icon("capsule", "me-2"), "Chosen CDS"],
                class_name="mt-3",
            ),
        ]
    )


def _orf_form(q: ExplorerQuery, codes: dict[int, str]) -> html.Form:
    minimum, table, starts = q.orfs or DEFAULT_ORFS
    starts_field = html.Fieldset(
        [
            html.Legend("Start codons", className="form-label fs-6 mb-2"),
            dbc.Checklist(
                id=ids.ORF_STARTS,
                options=[{"label": c, "value": c} for c in explorer.START_CODONS],
                value=list(starts),
                inline=True,
                className="msg-explorer-codons",
            ),
            forms.field_error(ids.ORF_FORM, "starts"),
        ],
        className="msg-field mb-3",
        id=ids.ORF_FORM.wrapper("starts"),
    )
    return html.Form(
        [
            dbc.Row(
                [
                    dbc.Col(
                        forms.field(
                            ids.ORF_FORM,
                            "min_length",
                            "Minimum length",
                            value=str(minimum),
                            units="nt",
                            input_mode="numeric",
                            help_text=f"{explorer.ORF_MIN_NT}–{explorer.ORF_MAX_NT:,} nt, "
                            "stop codon included.",
                        ),
                        md=3,
                    ),
                    dbc.Col(
                        forms.field(
                            ids.ORF_FORM,
                            "table",
                            "Genetic code",
                            value=str(table),
                            kind="select",
                            options=[(str(k), f"{k}. {name}") for k, name in codes.items()],
                        ),
                        md=5,
                    ),
                    dbc.Col(starts_field, md=4),
                ],
                className="g-3",
            ),
            html.Div(
                [
                    html.Button(
                        [icon("search", "me-1"), "Find ORFs"],
                        id=ids.ORF_RUN,
                        type="submit",
                        className="btn btn-primary msg-form-submit",
                    ),
                    html.A(
                        [icon("download", "me-1"), "Proteins (FASTA)"],
                        id=ids.ORF_FASTA,
                        className="btn btn-outline-secondary",
                        href="#",
                        hidden=True,
                    ),
                    html.A(
                        [icon("download", "me-1"), "Nucleotides (FASTA)"],
                        id=ids.ORF_FASTA_NT,
                        className="btn btn-outline-secondary",
                        href="#",
                        hidden=True,
                    ),
                ],
                className="d-flex flex-wrap gap-2",
            ),
        ],
        id=ids.ORF_FORM.root,
        noValidate=True,
        className="msg-form mb-3",
        **{"aria-label": "Find open reading frames"},
    )


def _orf_tab(q: ExplorerQuery, codes: dict[int, str]) -> html.Div:
    return html.Div(
        [
            card(
                [
                    html.P(
                        "Open reading frames in all six frames: from a start codon to the "
                        "next in-frame stop, the longest per stop codon. They are drawn on "
                        "the map's outer lanes.",
                        className="text-body-secondary",
                    ),
                    _orf_form(q, codes),
                    html.Div(id=ids.ORF_INFO, role="status"),
                ],
                class_name="mb-3",
            ),
            data_grid(
                ORF_SPEC,
                [],
                csv_name="orfs.csv",
                grid_options=SELECT_ROW,
                no_match="No ORFs yet: set the search above and press Find ORFs.",
            ),
        ]
    )


def _motif_tab(q: ExplorerQuery) -> html.Div:
    form = html.Form(
        [
            dbc.Row(
                [
                    dbc.Col(
                        forms.field(
                            ids.MOTIF_FORM,
                            "motif",
                            "Motif or primer",
                            value=q.motif,
                            max_length=200,
                            placeholder="e.g. GAATTC or TTGACA",
                            help_text=IUPAC_HELP,
                            class_name="mb-2",
                        ),
                        md=9,
                    ),
                    dbc.Col(
                        html.Button(
                            [icon("search", "me-1"), "Search"],
                            id=ids.MOTIF_RUN,
                            type="submit",
                            className="btn btn-primary msg-form-submit",
                        ),
                        md=3,
                        className="msg-explorer-submit-col",
                    ),
                ],
                className="g-2",
            ),
        ],
        id=ids.MOTIF_FORM.root,
        noValidate=True,
        className="msg-form",
        **{"aria-label": "Search a motif"},
    )
    return html.Div(
        [
            card([form, html.Div(id=ids.MOTIF_INFO, role="status")], class_name="mb-3"),
            data_grid(
                HIT_SPEC,
                [],
                csv_name="motif-hits.csv",
                grid_options=SELECT_ROW,
                no_match="No hits yet: type a motif above and press Search.",
            ),
        ]
    )


def _region_tab() -> html.Div:
    return card(
        [
            html.Div(
                [
                    html.Div(id=ids.REGION_INFO, role="status", className="me-auto"),
                    html.A(
                        [icon("download", "me-1"), "Download region (FASTA)"],
                        id=ids.REGION_FASTA,
                        className="btn btn-outline-secondary btn-sm",
                        href="#",
                    ),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
            loading(html.Div(id=ids.REGION_BASES), min_height="6rem"),
        ],
        header=[icon("body-text", "me-2"), "Bases in view"],
    )


def _align_side(
    side: str, title: str, choices: list[DatasetView], dataset_id: int, record_id: str
) -> dbc.Col:
    options = [(str(d.id), dataset_label(d)) for d in choices]
    return dbc.Col(
        [
            html.H2(title, className="h6"),
            forms.field(
                ids.ALIGN_FORM,
                f"{side}-dataset",
                "Dataset",
                value=str(dataset_id),
                kind="select",
                options=options,
            ),
            forms.field(
                ids.ALIGN_FORM,
                f"{side}-record",
                "Record",
                value=record_id,
                kind="select",
                options=[(record_id, record_id)],
            ),
            html.Div(
                [
                    dbc.Label("Quick pick: a CDS", html_for=ids.align_pick(side)),
                    dbc.Input(
                        id=ids.align_pick(side),
                        type="search",
                        list=ids.align_pick_options(side),
                        placeholder="Type a locus tag, gene or product",
                        autoComplete="off",
                        debounce=True,
                    ),
                    html.Datalist(id=ids.align_pick_options(side)),
                    dcc.Store(id=ids.align_pick_spans(side)),
                    html.Div(
                        "Fills From and To with the CDS (on the forward strand).",
                        className="form-text",
                    ),
                ],
                className="mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        forms.field(
                            ids.ALIGN_FORM,
                            f"{side}-start",
                            "From",
                            units="bp",
                            input_mode="numeric",
                        ),
                        xs=6,
                    ),
                    dbc.Col(
                        forms.field(
                            ids.ALIGN_FORM,
                            f"{side}-end",
                            "To",
                            units="bp",
                            input_mode="numeric",
                        ),
                        xs=6,
                    ),
                ],
                className="g-2",
            ),
        ],
        md=6,
    )


def _align_tab(choices: list[DatasetView], dataset: DatasetView, record_id: str) -> html.Div:
    form = html.Form(
        [
            html.P(
                "Align two regions end to end (blastn scores: match +2, mismatch −3, gap "
                f"5 + 2 per base), each up to {explorer.ALIGN_MAX_BP:,} bp, e.g. the same "
                "gene in a flight and a ground isolate. Both are read on the forward strand.",
                className="text-body-secondary",
            ),
            dbc.Row(
                [
                    _align_side("first", "Region A", choices, dataset.id, record_id),
                    _align_side("second", "Region B", choices, dataset.id, record_id),
                ],
                className="g-4",
            ),
            html.Button(
                [icon("distribute-horizontal", "me-1"), "Align"],
                id=ids.ALIGN_RUN,
                type="submit",
                className="btn btn-primary msg-form-submit",
            ),
        ],
        id=ids.ALIGN_FORM.root,
        noValidate=True,
        className="msg-form",
        **{"aria-label": "Align two regions"},
    )
    return html.Div(
        [
            card([form, html.Div(id=ids.ALIGN_ERROR)], class_name="mb-3 msg-filter-card"),
            loading(
                html.Div(
                    [
                        html.Div(id=ids.ALIGN_SUMMARY),
                        html.Div(
                            data_grid(
                                DIFF_SPEC,
                                [],
                                csv_name="differences.csv",
                                no_match="No differences yet: align two regions above.",
                            ),
                            className="mb-3",
                        ),
                        html.Div(id=ids.ALIGN_RESULT),
                    ]
                ),
                min_height="4rem",
            ),
        ]
    )


def tools(
    q: ExplorerQuery,
    query: dict[str, Any],
    choices: list[DatasetView],
    dataset: DatasetView,
    record_id: str,
) -> html.Div:
    """The tools in their tabs, as the URL left them (``query``: the CDS grid's view)."""
    codes = explorer.genetic_code_names()
    return tabs(
        ids.TAB_IDS,
        [
            Tab(ids.TAB_CDS, "CDS", _cds_tab(q, query, record_id)),
            Tab(ids.TAB_ORFS, "ORF finder", _orf_tab(q, codes)),
            Tab(ids.TAB_MOTIF, "Motif search", _motif_tab(q)),
            Tab(ids.TAB_REGION, "Bases", _region_tab()),
            Tab(ids.TAB_ALIGN, "Align", _align_tab(choices, dataset, record_id)),
        ],
        q.tab,
        "Tools",
    )
