"""The explorer tools' callbacks: the CDS table and the chosen CDS, ORFs, motif hits, the
bases in view and the alignment. Each starts once the record is parsed (``LOADED``) or on its
form's button, calls one service function and maps the result to outputs; a refused input is
shown beside its field."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, no_update

from dashboard.auth import current_db, current_files
from dashboard.components import explorer_views as views
from dashboard.components import forms
from dashboard.components.explorer_state import (
    format_position,
    orf_key,
    parse_position,
)
from dashboard.components.feedback import error_alert
from dashboard.components.grid import register_grid
from dashboard.components.sequence_figures import (
    clamp_view,
)
from dashboard.components.sequence_tables import (
    cds_rows,
    difference_rows,
    hit_rows,
    orf_rows,
    register_local_grid,
)
from dashboard.components.view_state import parse_int
from dashboard.services import datasets, explorer
from dashboard.services.errors import InputError, ValidationFailed

from . import form_errors as errors
from . import ids
from .tool_layout import CDS_SPEC, DIFF_SPEC, HIT_SPEC, ORF_SPEC

register_grid(CDS_SPEC)
for _spec in (ORF_SPEC, HIT_SPEC, DIFF_SPEC):
    register_local_grid(_spec)

NOTHING = None  # an empty store


# --- CDS ----------------------------------------------------------------------------------


@callback(
    output={"rows": Output(ids.CDS_IDS.grid, "rowData"), "info": Output(ids.CDS_INFO, "children")},
    inputs={"loaded": Input(ids.LOADED, "data"), "differing": Input(ids.DIFFERING, "value")},
)
def cds_table(loaded: dict[str, Any] | None, differing: bool | None) -> dict[str, Any]:
    """Every CDS of the record with its translation check (or only those that differ)."""
    if not loaded:
        return {"rows": no_update, "info": no_update}
    found = explorer.cds(current_db(), current_files(), loaded["dataset"], loaded["record"])
    return {
        "rows": cds_rows(found, only_differing=bool(differing)),
        "info": views.cds_info(found, loaded["record"]),
    }


@callback(
    output={"detail": Output(ids.CDS_DETAIL, "children")},
    inputs={"chosen": Input(ids.CDS_CHOSEN, "data"), "loaded": Input(ids.LOADED, "data")},
)
def cds_detail(chosen: int | None, loaded: dict[str, Any] | None) -> dict[str, Any]:
    """The chosen CDS: where it is, its check, and its protein beside the annotated one."""
    if not loaded or chosen is None:
        return {"detail": no_update}
    found = explorer.cds(current_db(), current_files(), loaded["dataset"], loaded["record"])
    if not 0 <= chosen < len(found):
        return {"detail": no_update}
    return {
        "detail": views.cds_detail(
            found[chosen], download_id=ids.CDS_DOWNLOAD_BUTTON, align_id=ids.CDS_ALIGN_BUTTON
        )
    }


@callback(
    Output(ids.CDS_DOWNLOAD, "data"),
    Input(ids.CDS_DOWNLOAD_BUTTON, "n_clicks"),
    State(ids.CDS_CHOSEN, "data"),
    State(ids.LOADED, "data"),
    prevent_initial_call=True,
)
def download_protein(clicks: int | None, chosen: int | None, loaded: Any) -> Any:
    """The chosen CDS's protein (translated from the sequence) as FASTA."""
    if not clicks or chosen is None or not loaded:
        return no_update
    row, fasta = explorer.cds_protein_fasta(
        current_db(), current_files(), loaded["dataset"], loaded["record"], chosen
    )
    return dcc.send_string(fasta, f"{views.file_stem(row)}.faa", type="text/x-fasta")


# --- ORFs ---------------------------------------------------------------------------------


@callback(
    output={
        "rows": Output(ids.ORF_IDS.grid, "rowData"),
        "info": Output(ids.ORF_INFO, "children"),
        "applied": Output(ids.ORF_APPLIED, "data"),
        "fasta": Output(ids.ORF_FASTA, "href"),
        "fasta_hidden": Output(ids.ORF_FASTA, "hidden"),
        "fasta_nt": Output(ids.ORF_FASTA_NT, "href"),
        "fasta_nt_hidden": Output(ids.ORF_FASTA_NT, "hidden"),
        **errors.error_outputs(ids.ORF_FORM),
    },
    inputs={
        "loaded": Input(ids.LOADED, "data"),
        "_run": Input(ids.ORF_RUN, "n_clicks"),
        "minimum": State(ids.ORF_MIN, "value"),
        "table": State(ids.ORF_TABLE, "value"),
        "starts": State(ids.ORF_STARTS, "value"),
        "applied": State(ids.ORF_APPLIED, "data"),
        **errors.error_states(ids.ORF_FORM),
    },
)
def find_orfs(
    loaded: dict[str, Any] | None,
    _run: Any,
    minimum: Any,
    table: Any,
    starts: Any,
    applied: str | None,
    control_ids: list[Any],
    error_ids: list[Any],
) -> dict[str, Any]:
    """ORFs in six frames; on opening, those the URL asked for."""
    keys = ("rows", "info", "applied", "fasta", "fasta_hidden", "fasta_nt", "fasta_nt_hidden")
    if not loaded or (ctx.triggered_id == ids.LOADED and not applied):
        return dict.fromkeys(keys, no_update) | errors.unchanged(control_ids, error_ids)
    try:
        found = explorer.orfs(
            current_db(),
            current_files(),
            loaded["dataset"],
            loaded["record"],
            min_length_nt=minimum,
            table=table,
            starts=starts or [],
        )
    except ValidationFailed as exc:
        return dict.fromkeys(keys, no_update) | errors.shown_errors(
            exc.errors or exc.message, control_ids, error_ids
        )
    options = explorer.orf_options(minimum, table, starts)
    key = orf_key(options.min_length_nt, options.table, options.starts)
    links = views.orf_links(loaded["dataset"], loaded["record"], options)
    return {
        "rows": orf_rows(found),
        "info": views.orf_info(found, options),
        "applied": key if key != applied else no_update,
        "fasta": links[0],
        "fasta_hidden": False,
        "fasta_nt": links[1],
        "fasta_nt_hidden": False,
    } | errors.cleared(control_ids, error_ids)


# --- motifs -------------------------------------------------------------------------------


@callback(
    output={
        "rows": Output(ids.HIT_IDS.grid, "rowData"),
        "info": Output(ids.MOTIF_INFO, "children"),
        "applied": Output(ids.MOTIF_APPLIED, "data"),
        **errors.error_outputs(ids.MOTIF_FORM),
    },
    inputs={
        "loaded": Input(ids.LOADED, "data"),
        "_run": Input(ids.MOTIF_RUN, "n_clicks"),
        "pattern": State(ids.MOTIF, "value"),
        "applied": State(ids.MOTIF_APPLIED, "data"),
        **errors.error_states(ids.MOTIF_FORM),
    },
)
def find_motif(
    loaded: dict[str, Any] | None,
    _run: Any,
    pattern: str | None,
    applied: str | None,
    control_ids: list[Any],
    error_ids: list[Any],
) -> dict[str, Any]:
    """Hits of the motif on both strands; on opening, those of the URL's motif."""
    keys = ("rows", "info", "applied")
    if not loaded or (ctx.triggered_id == ids.LOADED and not (pattern or "").strip()):
        return dict.fromkeys(keys, no_update) | errors.unchanged(control_ids, error_ids)
    try:
        result = explorer.motif(
            current_db(), current_files(), loaded["dataset"], loaded["record"], pattern or ""
        )
    except ValidationFailed as exc:
        return {"rows": [], "info": None, "applied": NOTHING} | errors.shown_errors(
            exc.errors or exc.message, control_ids, error_ids
        )
    return {
        "rows": hit_rows(result.hits),
        "info": views.motif_info(result),
        "applied": result.motif if result.motif != applied else no_update,
    } | errors.cleared(control_ids, error_ids)


# --- bases in view ------------------------------------------------------------------------


@callback(
    output={
        "info": Output(ids.REGION_INFO, "children"),
        "bases": Output(ids.REGION_BASES, "children"),
        "fasta": Output(ids.REGION_FASTA, "href"),
        "download": Output(ids.DOWNLOAD_REGION, "href"),
    },
    inputs={"loaded": Input(ids.LOADED, "data"), "shown": Input(ids.RANGE, "data")},
)
def show_region(loaded: dict[str, Any] | None, shown: list[int] | None) -> dict[str, Any]:
    """The bases in view (the first 10 kb of a larger view), their GC and a FASTA link."""
    if not loaded:
        return dict.fromkeys(("info", "bases", "fasta", "download"), no_update)
    first, last = clamp_view(*(shown or (None, None)), int(loaded["length"]))
    try:
        region = explorer.region_view(
            current_db(), current_files(), loaded["dataset"], loaded["record"], first, last
        )
    except InputError as exc:
        return {"info": error_alert(exc), "bases": None, "fasta": no_update, "download": no_update}
    href = views.dataset_api(
        loaded["dataset"], "region", record=region.record_id, start=region.start, end=region.end
    )
    return {
        "info": views.region_info(region),
        "bases": views.region_bases(region),
        "fasta": href,
        "download": href,
    }


# --- alignment ----------------------------------------------------------------------------


def _register_align_side(side: str) -> None:
    """The record and CDS pickers of one side of the alignment form."""

    @callback(
        Output(ids.align_field(side, "record"), "options"),
        Output(ids.align_field(side, "record"), "value"),
        Input(ids.align_field(side, "dataset"), "value"),
        State(ids.align_field(side, "record"), "value"),
    )
    def records_of(dataset: str | None, current: str | None) -> Any:
        """The records of the dataset picked for this region."""
        chosen = parse_int(dataset, minimum=1, maximum=2**31 - 1)
        if chosen is None:
            return [], None
        try:
            found = datasets.records(current_db(), chosen)
        except InputError:
            return [], None
        options = views.record_options(found)
        values = [o["value"] for o in options]
        return options, current if current in values else (values[0] if values else None)

    @callback(
        Output(ids.align_pick_spans(side), "data"),
        Input(ids.align_field(side, "record"), "value"),
        Input(ids.LOADED, "data"),
        State(ids.align_field(side, "dataset"), "value"),
    )
    def cds_of(record: str | None, loaded: Any, dataset: str | None) -> Any:
        """The CDS of the record picked for this region (label → span), for the quick pick;
        not before the page's own record is parsed (a first open parses the file once)."""
        chosen = parse_int(dataset, minimum=1, maximum=2**31 - 1)
        if not loaded:
            return no_update
        if chosen is None or not record:
            return {}
        try:
            found = explorer.cds(current_db(), current_files(), chosen, record)
        except InputError:
            return {}
        return {o["label"]: o["span"] for o in views.cds_options(found)}

    # Thousands of <option>s go straight into the datalist: as Dash components they would
    # slow every callback of the page (the renderer walks its whole layout each time).
    clientside_callback(
        """
        function (spans, listId) {
            const list = document.getElementById(listId);
            if (list) {
                list.replaceChildren(...Object.keys(spans || {}).map(label => {
                    const option = document.createElement("option");
                    option.value = label;
                    return option;
                }));
            }
            return window.dash_clientside.no_update;
        }
        """,
        Output(ids.align_pick_options(side), "className"),
        Input(ids.align_pick_spans(side), "data"),
        State(ids.align_pick_options(side), "id"),
    )

    @callback(
        Output(ids.align_field(side, "start"), "value"),
        Output(ids.align_field(side, "end"), "value"),
        Input(ids.align_pick(side), "value"),
        State(ids.align_pick_spans(side), "data"),
        prevent_initial_call=True,
    )
    def pick_cds(value: Any, spans: dict[str, list[int]] | None) -> Any:
        """Fill the region with the CDS picked (its span, 1-based)."""
        span = (spans or {}).get(value) if isinstance(value, str) else None
        if not span:
            return no_update, no_update
        return format_position(span[0]), format_position(span[1])


for _side in ids.SIDES:
    _register_align_side(_side)


@callback(
    output={
        "dataset": Output(ids.align_field("first", "dataset"), "value"),
        "record": Output(ids.align_field("first", "record"), "value", allow_duplicate=True),
        "start": Output(ids.align_field("first", "start"), "value", allow_duplicate=True),
        "end": Output(ids.align_field("first", "end"), "value", allow_duplicate=True),
        "tab": Output(ids.TABS, "data", allow_duplicate=True),
    },
    inputs={
        "clicks": Input(ids.CDS_ALIGN_BUTTON, "n_clicks"),
        "chosen": State(ids.CDS_CHOSEN, "data"),
        "loaded": State(ids.LOADED, "data"),
    },
    prevent_initial_call=True,
)
def align_chosen(clicks: int | None, chosen: int | None, loaded: Any) -> dict[str, Any]:
    """ "Align with…": the chosen CDS becomes region A; pick region B next."""
    if not clicks or chosen is None or not loaded:
        return dict.fromkeys(("dataset", "record", "start", "end", "tab"), no_update)
    found = explorer.cds(current_db(), current_files(), loaded["dataset"], loaded["record"])
    row = found[chosen]
    return {
        "dataset": str(loaded["dataset"]),
        "record": loaded["record"],
        "start": format_position(row.start + 1),
        "end": format_position(row.end),
        "tab": ids.TAB_ALIGN,
    }


@callback(
    output={
        "summary": Output(ids.ALIGN_SUMMARY, "children"),
        "rows": Output(ids.DIFF_IDS.grid, "rowData"),
        "result": Output(ids.ALIGN_RESULT, "children"),
        **errors.error_outputs(ids.ALIGN_FORM),
    },
    inputs={
        "_run": Input(ids.ALIGN_RUN, "n_clicks"),
        "values": State(ids.ALIGN_FORM.controls, "value"),
        **errors.error_states(ids.ALIGN_FORM),
    },
    prevent_initial_call=True,
)
def align(
    _run: Any, values: list[Any], control_ids: list[Any], error_ids: list[Any]
) -> dict[str, Any]:
    """Align region A with region B and show the differences and the alignment."""
    data = forms.field_values(control_ids, values)
    regions = []
    for side in ids.SIDES:
        dataset = parse_int(data.get(f"{side}-dataset"), minimum=1, maximum=2**31 - 1)
        if dataset is None:
            return {"summary": None, "rows": [], "result": None} | errors.shown_errors(
                {f"{side}-dataset": "Pick a dataset."}, control_ids, error_ids
            )
        regions.append(
            (
                dataset,
                data.get(f"{side}-record") or None,
                data.get(f"{side}-start"),
                data.get(f"{side}-end"),
            )
        )
    try:
        result = explorer.align(current_db(), current_files(), regions[0], regions[1])
    except InputError as exc:
        found = {ids.align_error_field(k): v for k, v in exc.errors.items()}
        return {"summary": None, "rows": [], "result": None} | errors.shown_errors(
            found or exc.message, control_ids, error_ids
        )
    start_a = parse_position(regions[0][2]) or 1
    start_b = parse_position(regions[1][2]) or 1
    return {
        "summary": views.align_summary(result),
        "rows": difference_rows(result.differences, start_a, start_b),
        "result": views.alignment(result, start_a, start_b),
    } | errors.cleared(control_ids, error_ids)
