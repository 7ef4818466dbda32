"""The sequence explorer's callbacks for the record and the view (the tools' are in
``tool_callbacks``): each unpacks its inputs, calls one service function and maps the result
to outputs.

Flow: the layout names the dataset and record (``VIEW``); ``load`` parses the record once
(cached for every later open) and sets ``LOADED``, which starts the map, the CDS table, the
region and any ORF or motif search the URL asked for. ``RANGE`` holds the bases in view:
every way of moving (zoom, click, a row picked, the range typed) goes through ``navigate``.
"""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, clientside_callback, ctx, no_update

from dashboard.auth import current_db, current_files
from dashboard.components import explorer_views as views
from dashboard.components.explorer_state import (
    explorer_href,
    format_position,
    parse_orf_key,
)
from dashboard.components.feedback import error_alert
from dashboard.components.sequence_figures import (
    MapData,
    cds_span,
    clamp_view,
    empty_figure,
    padded_view,
    sequence_map,
    view_from_relayout,
)
from dashboard.components.tabs import register_tabs
from dashboard.components.theme import current_scheme
from dashboard.components.view_state import parse_int
from dashboard.services import explorer
from dashboard.services.errors import InputError, ValidationFailed

from . import form_errors as errors
from . import ids

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
        **errors.error_outputs(ids.RANGE_FORM),
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
        **errors.error_states(ids.RANGE_FORM),
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
        return out | errors.unchanged(control_ids, error_ids)
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
            return out | errors.shown_errors(exc.errors or exc.message, control_ids, error_ids)
    if found is None:
        return out | errors.unchanged(control_ids, error_ids)
    out |= errors.cleared(control_ids, error_ids)
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
        **errors.error_outputs(ids.GC_FORM),
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
        **errors.error_states(ids.GC_FORM),
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
        return {"figure": no_update, "info": no_update} | errors.unchanged(control_ids, error_ids)
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
        return {"figure": no_update, "info": no_update} | errors.shown_errors(
            exc.errors or exc.message, control_ids, error_ids
        )
    except InputError as exc:
        return {
            "figure": empty_figure(exc.message, current_scheme()),
            "info": error_alert(exc),
        } | errors.cleared(control_ids, error_ids)
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
    return {"figure": figure, "info": views.view_info(data, first, last)} | errors.cleared(
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
register_tabs(ids.TAB_IDS, ids.TAB_KEYS)
