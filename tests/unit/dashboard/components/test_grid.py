"""The one grid: column builders, the layout it makes, the URL it writes, and the lists on it."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
from dash import dcc, html

from dashboard.components import grid
from dashboard.components.feedback import empty_state
from dashboard.components.status import Status, grid_badge_params
from dashboard.components.view_state import DATE, TEXT, ColumnFilter, GridView, Sort

ARMS = {
    "flight": Status("flight", "rocket-takeoff", "primary", "Flown in space."),
    "ground": Status("ground", "globe-americas", "secondary", "Kept on Earth."),
}
IDS = grid.grid_ids("things")
COLUMNS = [
    grid.link_column("name", "Thing", href_field="href"),
    grid.text_column("kind", "Kind"),
    grid.badge_column("state", "State", family="job"),
    grid.time_column("created_at", "Created"),
]
SPEC = grid.GridSpec(IDS, COLUMNS, default=GridView(sort=(Sort("created_at", True),)))


def _find(tree: Any, kind: type) -> list[Any]:
    """Every component of ``kind`` in a Dash component tree."""
    found = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, kind):
            found.append(node)
        if isinstance(node, list | tuple):
            stack.extend(node)
        children = getattr(node, "children", None)
        if children is not None and not isinstance(children, str):
            stack.append(children)
    return found


def _ids(tree: Any) -> set[str]:
    return {c.id for c in _find(tree, object) if isinstance(getattr(c, "id", None), str)}


def test_ids_derive_from_the_page_prefix() -> None:
    assert (IDS.grid, IDS.search, IDS.columns, IDS.export, IDS.url) == (
        "things-grid",
        "things-search",
        "things-columns",
        "things-export",
        "things-url",
    )


def test_columns_tell_the_url_what_it_may_set() -> None:
    allowed = SPEC.allowed
    assert set(allowed.sortable) == {"name", "kind", "state", "created_at"}
    assert dict(allowed.filters) == {
        "name": TEXT,
        "kind": TEXT,
        "state": TEXT,
        "created_at": DATE,
    }
    assert "name" not in allowed.hideable  # the name never goes
    assert {"kind", "state", "created_at"} <= set(allowed.hideable)


def test_column_builders() -> None:
    name, _kind, state, created = COLUMNS
    assert name["cellRenderer"] == "MsgLink"
    assert name["cellRendererParams"] == {"hrefField": "href"}
    assert name["tooltipField"] == "name"  # a cut name shows whole on hover
    assert name["context"] == {grid.PHONE_PIN: True}
    assert name["lockVisible"] is True
    assert state["cellRenderer"] == "MsgBadge"
    assert state["cellRendererParams"] == grid_badge_params("job")  # one vocabulary
    assert created["valueFormatter"] == {"function": "msgTime(params.value)"}
    assert created["useValueFormatterForExport"] is False  # CSV keeps ISO times
    assert created["filter"] == "agDateColumnFilter"


def test_the_grid_comes_with_toolbar_loading_area_and_legend() -> None:
    view = GridView(
        search="coli",
        sort=(Sort("name"),),
        filters=(ColumnFilter("kind", "contains", "x"),),
        page=2,
        hidden=("kind",),
    )
    legend = html.Ul(id="legend")
    tree = grid.data_grid(SPEC, [{"id": 1, "name": "a"}], view=view, legend=legend)
    ids = _ids(tree)
    assert {IDS.grid, IDS.search, IDS.columns, IDS.columns_button, IDS.export, IDS.url} <= ids
    assert {IDS.area, "legend"} <= ids
    (location,) = _find(tree, dcc.Location)
    assert location.refresh is False  # a view change must not reload the page
    (loading,) = _find(tree, dcc.Loading)
    assert loading.delay_show == 300
    (ag,) = _find(tree, dag.AgGrid)
    options = ag.dashGridOptions
    assert options["quickFilterText"] == "coli"
    assert options["paginationPageSizeSelector"] == [20, 50, 100]
    state = options["initialState"]
    assert state["sort"] == {"sortModel": [{"colId": "name", "sort": "asc"}]}
    assert state["pagination"] == {"page": 1, "pageSize": 20}
    assert state["columnVisibility"] == {"hiddenColIds": ["kind"]}
    assert state["filter"]["filterModel"]["kind"]["filter"] == "x"
    # A grid given initial state ignores colDef flex unless its sizing is in the state too.
    sizing = state["columnSizing"]["columnSizingModel"]
    assert {"colId": "name", "flex": 2} in sizing
    assert ag.getRowId == "params.data.id + ''"
    chooser = next(c for c in _find(tree, object) if getattr(c, "id", None) == IDS.columns)
    assert [o["value"] for o in chooser.options] == ["kind", "state", "created_at"]
    assert chooser.value == ["state", "created_at"]


def test_an_empty_list_shows_what_to_do_next_unless_a_filter_hides_rows() -> None:
    empty = empty_state("flask", "Nothing yet", "Create one.")
    assert _find(grid.data_grid(SPEC, [], empty=empty), dag.AgGrid) == []
    filtered = grid.data_grid(SPEC, [], view=GridView(search="x"), empty=empty)
    assert len(_find(filtered, dag.AgGrid)) == 1


def test_rows_from_the_server_use_the_infinite_model() -> None:
    spec = grid.GridSpec(IDS, COLUMNS, server_rows=True)
    (ag,) = _find(grid.data_grid(spec, None, view=GridView(page=3, page_size=50)), dag.AgGrid)
    assert ag.rowModelType == "infinite"
    assert ag.dashGridOptions["cacheBlockSize"] == 50
    # Enough rows assumed up front that the URL's page opens at once.
    assert ag.dashGridOptions["infiniteInitialRowCount"] == 150
    assert "quickFilterText" not in ag.dashGridOptions


def test_rows_that_open_report_clicks_and_enter() -> None:
    (ag,) = _find(grid.data_grid(SPEC, [{"id": 1}], open_rows=True), dag.AgGrid)
    assert ag.eventListeners["cellClicked"] == ["msgOpenRow(params, setEventData)"]
    assert ag.eventListeners["cellKeyDown"] == ["msgOpenRow(params, setEventData)"]


def test_the_url_follows_the_grid_and_keeps_the_pages_own_keys() -> None:
    spec = grid.GridSpec(IDS, COLUMNS, url_params={"state": ("s", "value"), "mine": ("m", "value")})
    column_state = [
        {"colId": "name", "sort": "asc", "sortIndex": 0},
        {"colId": "kind", "hide": True},
    ]
    pagination = {"currentPage": 1, "pageSize": 50, "rowCount": 120}
    search = grid.url_search(
        spec,
        "?user=5&page=9",
        "coli",
        {"kind": {"filterType": "text", "type": "equals", "filter": "a"}},
        column_state,
        pagination,
        {"state": "running", "mine": True},
    )
    assert search == (
        "?user=5&page=2&q=coli&sort=name&size=50&hide=kind&f.kind=equals%3Aa&state=running&mine=1"
    )
    cleared = grid.url_search(spec, search, "", {}, column_state, pagination, {"state": None})
    assert "q=" not in cleared
    assert "state=" not in cleared
    assert "f.kind" not in cleared


def test_a_vocabulary_legend_looks_like_a_status_legend() -> None:
    legend = grid.vocabulary_legend(ARMS)
    first = legend.children[0]
    badge, meaning = first.children
    assert badge.className == "badge msg-badge text-bg-primary"
    assert meaning.children == ARMS["flight"].meaning
    params = grid.vocabulary_params(ARMS)
    assert params["statuses"]["ground"]["tone"] == "secondary"  # type: ignore[index]
