"""The sequence explorer's callbacks: each unpacks its inputs, calls one service function
and maps the result to outputs.

Flow: the layout names the dataset and record (``VIEW``); ``load`` parses the record once
(cached for every later open) and sets ``LOADED``, which starts the map, the CDS table, the
region and any ORF or motif search the URL asked for. ``RANGE`` holds the bases in view:
every way of moving (zoom, click, a row picked, the range typed) goes through ``navigate``.
"""

from __future__ import annotations

import json
from typing import Any

from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, no_update

from dashboard.auth import current_db, current_files
from dashboard.components import explorer_views as views
from dashboard.components import forms
from dashboard.components.explorer_state import (
    explorer_href,
    format_position,
    orf_key,
    parse_orf_key,
    parse_position,
)
from dashboard.components.feedback import error_alert
from dashboard.components.grid import register_grid
from dashboard.components.sequence_figures import (
    MapData,
    cds_span,
    clamp_view,
    empty_figure,
    padded_view,
    sequence_map,
    view_from_relayout,
)
from dashboard.components.sequence_tables import (
    cds_rows,
    difference_rows,
    hit_rows,
    orf_rows,
    register_local_grid,
)
from dashboard.components.theme import current_scheme
from dashboard.components.view_state import parse_int
from dashboard.services import datasets, explorer
from dashboard.services.errors import InputError, ValidationFailed

from . import ids
from .layout import CDS_SPEC, DIFF_SPEC, HIT_SPEC, ORF_SPEC, record_options

register_grid(CDS_SPEC)
for _spec in (ORF_SPEC, HIT_SPEC, DIFF_SPEC):
    register_local_grid(_spec)

NOTHING = None  # an empty store


def _errors(form: forms.FormIds) -> dict[str, Output]:
    """Error outputs of a tool's form (no summary: the message stands beside its field)."""
    found = forms.error_outputs(form)
    found.pop("summary")
    return found


def _states(form: forms.FormIds) -> dict[str, State]:
    return {
        "control_ids": State(form.controls, "id"),
        "error_ids": State(form.errors, "id"),
    }


def _shown(
    found: dict[str, str] | str, control_ids: list[Any], error_ids: list[Any]
) -> dict[str, Any]:
    shown = forms.show_errors(found, control_ids, error_ids)
    shown.pop("summary")
    return shown


def _cleared(control_ids: list[Any], error_ids: list[Any]) -> dict[str, Any]:
    return _shown({}, control_ids, error_ids)


def _unchanged(control_ids: list[Any], error_ids: list[Any]) -> dict[str, Any]:
    """The form's error outputs left as they are (wildcard outputs take one per field)."""
    return {
        "invalid": [no_update] * len(control_ids),
        "feedback": [no_update] * len(error_ids),
        "feedback_class": [no_update] * len(error_ids),
    }


# --- dataset and record -------------------------------------------------------------------


@callback(
    Output(ids.NAVIGATE, "href"),
    Input(ids.DATASET, "value"),
    Input(ids.RECORD, "value"),
    State(ids.VIEW, "data"),
    prevent_initial_call=True,
)
def open_other(dataset: str | None, record: str | None, view: dict[str, Any] | None) -> Any:
    """Open the explorer on another dataset (its first record) or another record."""
    chosen = parse_int(dataset, minimum=1, maximum=2**31 - 1)
    if chosen is None:
        return no_update
    if ctx.triggered_id == ids.RECORD and view and view.get("dataset") == chosen:
        return explorer_href(ids.PATH, chosen, record)
    return explorer_href(ids.PATH, chosen)


@callback(
    output={"counts": Output(ids.FEATURE_COUNTS, "children"), "loaded": Output(ids.LOADED, "data")},
    inputs={"view": Input(ids.VIEW, "data")},
)
def load(view: dict[str, Any] | None) -> dict[str, Any]:
    """Parse the record (once per file; cached) and say what it holds."""
    if not view:
        return {"counts": no_update, "loaded": no_update}
    try:
        summary = explorer.summary(current_db(), current_files(), view["dataset"], view["record"])
    except InputError as exc:
        return {"counts": error_alert(exc), "loaded": no_update}
    return {
        "counts": views.feature_counts(summary),
        "loaded": {"dataset": view["dataset"], "record": summary.id, "length": summary.length},
    }


# --- moving along the record --------------------------------------------------------------


def _row(rows: object) -> dict[str, Any] | None:
    if isinstance(rows, list) and rows and isinstance(rows[0], dict):
        return rows[0]
    return None


@callback(
    output={
        "range": Output(ids.RANGE, "data"),
        "start": Output(ids.START, "value"),
        "end": Output(ids.END, "value"),
        "chosen": Output(ids.CDS_CHOSEN, "data"),
        "tab": Output(ids.TABS, "data"),
        **_errors(ids.RANGE_FORM),
    },
    inputs={
        "click": Input(ids.MAP, "clickData"),
        "relayout": Input(ids.MAP, "relayoutData"),
        "cds_picked": Input(ids.CDS_IDS.grid, "selectedRows"),
        "orf_picked": Input(ids.ORF_IDS.grid, "selectedRows"),
        "hit_picked": Input(ids.HIT_IDS.grid, "selectedRows"),
        "_whole": Input(ids.WHOLE, "n_clicks"),
        "_show": Input(ids.RANGE_FORM.submit, "n_clicks"),
        "start": State(ids.START, "value"),
        "end": State(ids.END, "value"),
        "shown": State(ids.RANGE, "data"),
        "chosen": State(ids.CDS_CHOSEN, "data"),
        "view": State(ids.VIEW, "data"),
        **_states(ids.RANGE_FORM),
    },
    prevent_initial_call=True,
)
def navigate(
    click: Any,
    relayout: Any,
    cds_picked: Any,
    orf_picked: Any,
    hit_picked: Any,
    _whole: Any,
    _show: Any,
    start: Any,
    end: Any,
    shown: Any,
    chosen: Any,
    view: dict[str, Any] | None,
    control_ids: list[Any],
    error_ids: list[Any],
) -> dict[str, Any]:
    """Move the view: zoom or pan on the map, a click on a feature, a row picked in a
    table, the whole record, or the range typed in."""
    out: dict[str, Any] = dict.fromkeys(("range", "start", "end", "chosen", "tab"), no_update)
    if not view:
        return out | _unchanged(control_ids, error_ids)
    length = int(view["length"])
    trigger = ctx.triggered_id
    found: tuple[int, int] | None = None
    cds: int | None = None
    if trigger == ids.MAP and ctx.triggered_prop_ids.get(f"{ids.MAP}.clickData"):
        point = (click or {}).get("points", [{}])[0]
        data = point.get("customdata")
        if isinstance(data, list) and len(data) == 4:
            kind, index, first0, last0 = data
            found = padded_view(int(first0), int(last0), length)
            if kind == "CDS":
                cds = int(index)
    elif trigger == ids.MAP:
        found = view_from_relayout(relayout, length)
    elif trigger == ids.CDS_IDS.grid:
        row = _row(cds_picked)
        # A row selected to mirror the chosen CDS (opening a link, a click on the map)
        # leaves the view alone; a row the user picks moves it.
        if row is not None and row.get("id") != chosen:
            found = padded_view(int(row["start"]) - 1, int(row["end"]), length)
            cds = int(row["id"])
    elif trigger in (ids.ORF_IDS.grid, ids.HIT_IDS.grid):
        row = _row(orf_picked if trigger == ids.ORF_IDS.grid else hit_picked)
        if row is not None:
            found = padded_view(int(row["start"]) - 1, int(row["end"]), length)
    elif trigger == ids.WHOLE:
        found = (1, length)
    elif trigger == ids.RANGE_FORM.submit:
        try:
            found = explorer.view_range(
                current_db(), current_files(), view["dataset"], view["record"], start, end
            )
        except ValidationFailed as exc:
            return out | _shown(exc.errors or exc.message, control_ids, error_ids)
    if found is None:
        return out | _unchanged(control_ids, error_ids)
    out |= _cleared(control_ids, error_ids)
    out["start"], out["end"] = format_position(found[0]), format_position(found[1])
    if list(found) != shown:
        out["range"] = list(found)
    if cds is not None and cds != chosen:
        out["chosen"] = cds
        if trigger == ids.MAP:  # picked on the map: its protein is under the CDS tab
            out["tab"] = ids.TAB_CDS
    return out


# The chosen CDS is selected in the table, on whichever page its row is (in the grid's
# current sort and filter), once the rows are there.
clientside_callback(
    """
    function (chosen, rows, gridId) {
        const grids = window.dash_ag_grid;
        if (chosen === null || chosen === undefined || !grids) {
            return window.dash_clientside.no_update;
        }
        grids.getApiAsync(gridId).then(api => {
            const node = api && !api.isDestroyed() && api.getRowNode(String(chosen));
            if (!node || node.rowIndex === null) {
                return;
            }
            api.paginationGoToPage(Math.floor(node.rowIndex / api.paginationGetPageSize()));
            if (!node.isSelected()) {
                node.setSelected(true, true);
            }
            api.ensureNodeVisible(node, "middle");
        });
        return window.dash_clientside.no_update;
    }
    """,
    Output(ids.CDS_SHOWN, "data"),
    Input(ids.CDS_CHOSEN, "data"),
    Input(ids.CDS_IDS.grid, "rowData"),
    State(ids.CDS_IDS.grid, "id"),
)


@callback(
    output={
        "figure": Output(ids.MAP, "figure"),
        "info": Output(ids.VIEW_INFO, "children"),
        **_errors(ids.GC_FORM),
    },
    inputs={
        "loaded": Input(ids.LOADED, "data"),
        "shown": Input(ids.RANGE, "data"),
        "_apply": Input(ids.GC_FORM.submit, "n_clicks"),
        "cumulative": Input(ids.CUMULATIVE, "value"),
        "orfs": Input(ids.ORF_APPLIED, "data"),
        "motif": Input(ids.MOTIF_APPLIED, "data"),
        "chosen": Input(ids.CDS_CHOSEN, "data"),
        "window": State(ids.WINDOW, "value"),
        "step": State(ids.STEP, "value"),
        **_states(ids.GC_FORM),
    },
)
def draw_map(
    loaded: dict[str, Any] | None,
    shown: list[int] | None,
    _apply: Any,
    cumulative: bool | None,
    orfs: str | None,
    motif: str | None,
    chosen: int | None,
    window: Any,
    step: Any,
    control_ids: list[Any],
    error_ids: list[Any],
) -> dict[str, Any]:
    """The genome map of the bases in view, with the ORFs and motif hits searched for."""
    if not loaded:
        return {"figure": no_update, "info": no_update} | _unchanged(control_ids, error_ids)
    search = parse_orf_key(orfs)
    try:
        track = explorer.track(
            current_db(),
            current_files(),
            loaded["dataset"],
            loaded["record"],
            window,
            step,
            orf_search=explorer.OrfOptions(*search) if search else None,
            motif_pattern=motif or None,
        )
    except ValidationFailed as exc:
        return {"figure": no_update, "info": no_update} | _shown(
            exc.errors or exc.message, control_ids, error_ids
        )
    except InputError as exc:
        return {
            "figure": empty_figure(exc.message, current_scheme()),
            "info": error_alert(exc),
        } | _cleared(control_ids, error_ids)
    first, last = clamp_view(*(shown or (None, None)), track.length)
    data = MapData(
        record_id=track.record_id,
        length=track.length,
        gc=track.gc,
        features=track.features,
        orfs=track.orfs,
        hits=track.hits,
        gc_fraction=track.gc_fraction,
    )
    figure = sequence_map(
        data,
        first,
        last,
        cumulative=bool(cumulative),
        selected=cds_span(track.features, chosen),
        scheme=current_scheme(),
        revision=f"{loaded['dataset']}:{track.record_id}",
    )
    return {"figure": figure, "info": views.view_info(data, first, last)} | _cleared(
        control_ids, error_ids
    )


# The URL keeps the view without its defaults (a bare link shows the whole record).
clientside_callback(
    """
    function (shown, view) {
        if (!shown || !view || (shown[0] === 1 && shown[1] === view.length)) {
            return [null, null];
        }
        return [String(shown[0]), String(shown[1])];
    }
    """,
    Output(ids.URL_START, "data"),
    Output(ids.URL_END, "data"),
    Input(ids.RANGE, "data"),
    State(ids.VIEW, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    """
    function (_apply, win, step, view) {
        const digits = v => String(v || "").replace(/[^0-9]/g, "") || null;
        const defaults = (view && view.default_window) || [];
        const w = digits(win), s = digits(step);
        return [w === String(defaults[0]) ? null : w, s === String(defaults[1]) ? null : s];
    }
    """,
    Output(ids.URL_WINDOW, "data"),
    Output(ids.URL_STEP, "data"),
    Input(ids.GC_FORM.submit, "n_clicks"),
    State(ids.WINDOW, "value"),
    State(ids.STEP, "value"),
    State(ids.VIEW, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    "function (tab) { return tab === 'cds' ? null : tab; }",
    Output(ids.URL_TAB, "data"),
    Input(ids.TABS, "data"),
    prevent_initial_call=True,
)


# The tools' tabs: a click picks one; the store shows it (and is what the URL keeps).
clientside_callback(
    """
    function () {
        const trigger = window.dash_clientside.callback_context.triggered_id;
        if (!trigger) { return window.dash_clientside.no_update; }
        return trigger.slice(PREFIX.length);
    }
    """.replace("PREFIX", json.dumps(views.tab_id(ids.TAB_PREFIX, ""))),
    Output(ids.TABS, "data", allow_duplicate=True),
    *[Input(views.tab_id(ids.TAB_PREFIX, key), "n_clicks") for key in ids.TAB_KEYS],
    prevent_initial_call=True,
)
clientside_callback(
    """
    function (active) {
        const keys = KEYS;
        return [
            ...keys.map(k => k === active ? "nav-link active" : "nav-link"),
            ...keys.map(k => k === active ? "true" : "false"),
            ...keys.map(k => k !== active),
        ];
    }
    """.replace("KEYS", json.dumps(list(ids.TAB_KEYS))),
    *[Output(views.tab_id(ids.TAB_PREFIX, key), "className") for key in ids.TAB_KEYS],
    *[Output(views.tab_id(ids.TAB_PREFIX, key), "aria-selected") for key in ids.TAB_KEYS],
    *[Output(views.panel_id(ids.TAB_PREFIX, key), "hidden") for key in ids.TAB_KEYS],
    Input(ids.TABS, "data"),
    prevent_initial_call=True,
)


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
        **_errors(ids.ORF_FORM),
    },
    inputs={
        "loaded": Input(ids.LOADED, "data"),
        "_run": Input(ids.ORF_RUN, "n_clicks"),
        "minimum": State(ids.ORF_MIN, "value"),
        "table": State(ids.ORF_TABLE, "value"),
        "starts": State(ids.ORF_STARTS, "value"),
        "applied": State(ids.ORF_APPLIED, "data"),
        **_states(ids.ORF_FORM),
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
        return dict.fromkeys(keys, no_update) | _unchanged(control_ids, error_ids)
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
        return dict.fromkeys(keys, no_update) | _shown(
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
    } | _cleared(control_ids, error_ids)


# --- motifs -------------------------------------------------------------------------------


@callback(
    output={
        "rows": Output(ids.HIT_IDS.grid, "rowData"),
        "info": Output(ids.MOTIF_INFO, "children"),
        "applied": Output(ids.MOTIF_APPLIED, "data"),
        **_errors(ids.MOTIF_FORM),
    },
    inputs={
        "loaded": Input(ids.LOADED, "data"),
        "_run": Input(ids.MOTIF_RUN, "n_clicks"),
        "pattern": State(ids.MOTIF, "value"),
        "applied": State(ids.MOTIF_APPLIED, "data"),
        **_states(ids.MOTIF_FORM),
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
        return dict.fromkeys(keys, no_update) | _unchanged(control_ids, error_ids)
    try:
        result = explorer.motif(
            current_db(), current_files(), loaded["dataset"], loaded["record"], pattern or ""
        )
    except ValidationFailed as exc:
        return {"rows": [], "info": None, "applied": NOTHING} | _shown(
            exc.errors or exc.message, control_ids, error_ids
        )
    return {
        "rows": hit_rows(result.hits),
        "info": views.motif_info(result),
        "applied": result.motif if result.motif != applied else no_update,
    } | _cleared(control_ids, error_ids)


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
        options = record_options(found)
        values = [o["value"] for o in options]
        return options, current if current in values else (values[0] if values else None)

    @callback(
        Output(ids.align_pick_spans(side), "data"),
        Input(ids.align_field(side, "record"), "value"),
        State(ids.align_field(side, "dataset"), "value"),
    )
    def cds_of(record: str | None, dataset: str | None) -> Any:
        """The CDS of the record picked for this region (label → span), for the quick pick."""
        chosen = parse_int(dataset, minimum=1, maximum=2**31 - 1)
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
        **_errors(ids.ALIGN_FORM),
    },
    inputs={
        "_run": Input(ids.ALIGN_RUN, "n_clicks"),
        "values": State(ids.ALIGN_FORM.controls, "value"),
        **_states(ids.ALIGN_FORM),
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
            return {"summary": None, "rows": [], "result": None} | _shown(
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
        return {"summary": None, "rows": [], "result": None} | _shown(
            found or exc.message, control_ids, error_ids
        )
    start_a = parse_position(regions[0][2]) or 1
    start_b = parse_position(regions[1][2]) or 1
    return {
        "summary": views.align_summary(result),
        "rows": difference_rows(result.differences, start_a, start_b),
        "result": views.alignment(result, start_a, start_b),
    } | _cleared(control_ids, error_ids)
