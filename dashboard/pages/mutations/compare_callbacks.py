"""The Mutations page's comparison: the generations fields of the ticked results, and the
comparison itself (table, parallel genes, spectrum with its test, rates, gene profiles),
kept in the URL so a link opens it computed.
"""

from __future__ import annotations

from typing import Any

from dash import ALL, Input, Output, State, callback, ctx, html, no_update

from dashboard.auth import current_db, current_files
from dashboard.components.feedback import error_alert, icon
from dashboard.components.mutation_figures import (
    parallel_figure,
    profiles_figure,
    spectrum_figure,
)
from dashboard.components.mutation_state import (
    generations_text,
    ids_text,
    parse_id,
    parse_number,
)
from dashboard.components.mutation_views import (
    compare_columns,
    compare_rows,
    parallel_facts,
    rates_view,
    spectrum_test,
)
from dashboard.components.sequence_tables import register_local_grid
from dashboard.components.theme import current_scheme
from dashboard.services import mutation_compare, mutations
from dashboard.services.errors import ServiceError

from . import ids
from .layout import COMPARE_SPEC, RESULTS_LIMIT, generation_inputs

register_local_grid(COMPARE_SPEC)

GENERATION_ALL = {"type": ids.GENERATION, "result": ALL}


def _chosen(picked: object) -> list[int]:
    if not isinstance(picked, list):
        return []
    return [i for i in (parse_id(p) for p in picked) if i is not None]


def _entered(values: object, controls: object) -> dict[int, float]:
    """Result id -> generations typed (blank or garbage fields left out)."""
    if not isinstance(values, list) or not isinstance(controls, list):
        return {}
    out: dict[int, float] = {}
    for value, control in zip(values, controls, strict=False):
        result = parse_id(control.get("result")) if isinstance(control, dict) else None
        number = parse_number(value)
        if result is not None and number is not None:
            out[result] = number
    return out


@callback(
    Output(ids.GENERATIONS, "children"),
    Input(ids.COMPARE_PICK, "value"),
    State(GENERATION_ALL, "value"),
    State(GENERATION_ALL, "id"),
    prevent_initial_call=True,
)
def generation_fields(picked: object, values: object, controls: object) -> Any:
    """A generations field for each ticked result, keeping what was typed."""
    chosen = set(_chosen(picked))
    results, _total = mutations.list_results(current_db(), limit=RESULTS_LIMIT)
    shown = [r for r in results if r.id in chosen]
    return generation_inputs(shown, _entered(values, controls))


OUTPUTS = {
    "message": Output(ids.COMPARE_MESSAGE, "children"),
    "columns": Output(ids.COMPARE_IDS.grid, "columnDefs"),
    "rows": Output(ids.COMPARE_IDS.grid, "rowData"),
    "parallel": Output(ids.PARALLEL, "figure"),
    "parallel_facts": Output(ids.PARALLEL_FACTS, "children"),
    "spectrum": Output(ids.SPECTRUM, "figure"),
    "spectrum_test": Output(ids.SPECTRUM_TEST, "children"),
    "rates": Output(ids.RATES, "children"),
    "profiles": Output(ids.PROFILES, "figure"),
    "url_compare": Output(ids.URL_COMPARE, "data"),
    "url_ancestor": Output(ids.URL_ANCESTOR, "data"),
    "url_ground": Output(ids.URL_GROUND, "data"),
    "url_generations": Output(ids.URL_GENERATIONS, "data"),
    "gd_href": Output(ids.COMPARE_GD, "href"),
    "csv_href": Output(ids.COMPARE_CSV, "href"),
    "downloads_hidden": Output(ids.COMPARE_DOWNLOADS, "hidden"),
}


@callback(
    output=OUTPUTS,
    inputs={
        "clicks": Input(ids.COMPARE_BUTTON, "n_clicks"),
        "picked": State(ids.COMPARE_PICK, "value"),
        "ancestor": State(ids.SUBTRACT_ANCESTOR, "value"),
        "ground": State(ids.SUBTRACT_GROUND, "value"),
        "values": State(GENERATION_ALL, "value"),
        "controls": State(GENERATION_ALL, "id"),
    },
)
def compare(
    clicks: object,
    picked: object,
    ancestor: object,
    ground: object,
    values: object,
    controls: object,
) -> dict[str, Any]:
    """Compare the ticked results (on the button, or at load when the URL names some)."""
    out: dict[str, Any] = dict.fromkeys(OUTPUTS, no_update)
    chosen = _chosen(picked)
    if not chosen:
        if ctx.triggered_id == ids.COMPARE_BUTTON:
            out["message"] = _message("Tick at least one result to compare.")
        return out
    generations = [(r, g) for r, g in _entered(values, controls).items() if r in chosen]
    data = {
        "results": chosen,
        "subtract_ancestor": ancestor is not False,
        "subtract_ground": ground is True,
        "generations": {str(r): g for r, g in generations},
    }
    try:
        found = mutation_compare.compare_results(current_db(), current_files(), data)
    except ServiceError as exc:
        return out | {"message": error_alert(exc), "downloads_hidden": True}
    scheme = current_scheme()
    notes = list(found["notes"])
    if found["subtracted"]:
        notes.insert(0, f"Subtracted: {' and '.join(found['subtracted'])}.")
    return {
        "message": [_message(n) for n in notes] or None,
        "columns": compare_columns(found["samples"]),
        "rows": compare_rows(found["rows"]),
        "parallel": parallel_figure(found["parallel"], scheme),
        "parallel_facts": parallel_facts(found["parallel"]),
        "spectrum": spectrum_figure(found["spectra"], scheme),
        "spectrum_test": spectrum_test(found["spectrum_tests"]),
        "rates": rates_view(found["rates"], found["rate_ratio"]),
        "profiles": profiles_figure(found["profiles"], scheme),
        "url_compare": ids_text(chosen),
        "url_ancestor": None if data["subtract_ancestor"] else "0",
        "url_ground": "1" if data["subtract_ground"] else None,
        "url_generations": generations_text(generations),
        **_download_hrefs(data),
        "downloads_hidden": False,
    }


def _download_hrefs(data: dict[str, Any]) -> dict[str, str]:
    query = "&".join(
        [
            *(f"results={r}" for r in data["results"]),
            f"subtract_ancestor={str(data['subtract_ancestor']).lower()}",
            f"subtract_ground={str(data['subtract_ground']).lower()}",
        ]
    )
    return {f"{fmt}_href": f"/api/v1/mutations/compare.{fmt}?{query}" for fmt in ("gd", "csv")}


def _message(text: str) -> Any:
    return html.P([icon("info-circle", "me-1"), text], className="small mb-1")
