"""One grid for every list, configured one way.

A toolbar above it (quick search, column chooser, CSV export); sort and filter on columns;
one pager with the same page sizes everywhere; categorical values as badges from the status
vocabulary with a legend under the grid; names as links; times as ISO in the data, shown in
the user's UTC or local choice; names that do not fit end in an ellipsis and show whole in a
tooltip. On a phone the name column is pinned and the grid scrolls sideways inside its card
(the page never does). A spinner shows in place when loading takes over 300 ms; an empty list
says what to do next. Search, filters, sort, page and hidden columns live in the URL
(``view_state``), so a copied link reproduces the view.

A page uses it like this::

    SPEC = GridSpec(
        grid_ids("experiments"),
        [link_column("name", "Experiment", href_field="href"), time_column("created_at", "At")],
        default=GridView(sort=(Sort("created_at", descending=True),)),
    )
    register_grid(SPEC)  # at import: toolbar, export and URL callbacks for this grid

    def layout(**query):
        return data_grid(SPEC, rows, view=SPEC.view(query), csv_name="experiments.csv")

The browser half lives in ``assets/grid.js`` (toolbar actions, URL-independent behaviour),
``assets/dashAgGridFunctions.js`` (formatters, tooltips, row opening, phone pinning) and
``assets/dashAgGridComponentFunctions.js`` (badge and link cell renderers, empty overlay).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html
from dash import no_update as _no_update

from .feedback import icon
from .frame import card, loading
from .status import Status, grid_badge_params, legend_of
from .view_state import (
    DATE,
    NUMBER,
    PAGE_SIZES,
    TEXT,
    GridColumns,
    GridView,
    grid_search,
    grid_view,
    initial_state,
    parse_view,
    query_of,
)

Column = dict[str, Any]
FILTERS = {TEXT: "agTextColumnFilter", NUMBER: "agNumberColumnFilter", DATE: "agDateColumnFilter"}
PHONE_PIN = "pinOnPhone"  # a column's context flag: pinned left on narrow screens
NAME_MIN_WIDTH = 170


# --- ids ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridIds:
    """The ids of one grid and its parts, all derived from the page's prefix."""

    prefix: str

    @property
    def grid(self) -> str:
        """The AgGrid itself (``experiments-grid``)."""
        return f"{self.prefix}-grid"

    @property
    def search(self) -> str:
        """The quick-search box."""
        return f"{self.prefix}-search"

    @property
    def columns(self) -> str:
        """The column chooser's checklist."""
        return f"{self.prefix}-columns"

    @property
    def columns_button(self) -> str:
        """The button that opens the column chooser."""
        return f"{self.prefix}-columns-button"

    @property
    def export(self) -> str:
        """The CSV export button."""
        return f"{self.prefix}-export"

    @property
    def url(self) -> str:
        """The grid's own ``dcc.Location`` (refresh=False: the view changes, the page stays)."""
        return f"{self.prefix}-url"

    @property
    def area(self) -> str:
        """The loading area around the grid."""
        return f"{self.prefix}-grid-area"


def grid_ids(prefix: str) -> GridIds:
    """The ids of the grid of the page whose ids start with ``prefix``.

    >>> grid_ids("audit").grid, grid_ids("audit").export
    ('audit-grid', 'audit-export')
    """
    return GridIds(prefix)


# --- columns ------------------------------------------------------------------------------


def _column(
    field_name: str,
    header: str,
    *,
    filter_kind: str | None,
    min_width: int,
    flex: float | None,
    width: int | None = None,
    sortable: bool = True,
    hideable: bool = True,
) -> Column:
    column: Column = {
        "field": field_name,
        "headerName": header,
        "sortable": sortable,
        "minWidth": min_width,
        "filter": FILTERS[filter_kind] if filter_kind else False,
        "lockVisible": not hideable,
    }
    if width is not None:
        column["width"] = width
        column["flex"] = None
    else:
        column["flex"] = flex
    return column


def text_column(
    field_name: str,
    header: str,
    *,
    min_width: int = 120,
    flex: float = 1,
    filter_kind: str | None = TEXT,
    tooltip: bool = True,
    sortable: bool = True,
    hideable: bool = True,
) -> Column:
    """Plain text; long values end in an ellipsis and show whole in a tooltip."""
    column = _column(
        field_name,
        header,
        filter_kind=filter_kind,
        min_width=min_width,
        flex=flex,
        sortable=sortable,
        hideable=hideable,
    )
    if tooltip:
        column["tooltipField"] = field_name
    return column


def number_column(
    field_name: str, header: str, *, width: int = 110, filter_kind: str | None = NUMBER
) -> Column:
    """A number, right-aligned."""
    column = _column(field_name, header, filter_kind=filter_kind, min_width=90, flex=None)
    column.update(width=width, type="rightAligned")
    return column


def link_column(
    field_name: str,
    header: str,
    *,
    href_field: str,
    min_width: int = NAME_MIN_WIDTH,
    flex: float = 2,
    is_name: bool = True,
    filter_kind: str | None = TEXT,
    sortable: bool = True,
) -> Column:
    """A name that links to its object (``href_field`` holds the app path per row).

    The name column (``is_name``) cannot be hidden and is pinned left on a phone, so each row
    stays recognisable while the rest scrolls. Names are rendered as text, never markup.
    """
    column = _column(
        field_name,
        header,
        filter_kind=filter_kind,
        min_width=min_width,
        flex=flex,
        sortable=sortable,
        hideable=not is_name,
    )
    column.update(
        cellRenderer="MsgLink",
        cellRendererParams={"hrefField": href_field},
        tooltipField=field_name,
    )
    if is_name:
        column["context"] = {PHONE_PIN: True}
    return column


def name_column(field_name: str, header: str, *, min_width: int = NAME_MIN_WIDTH) -> Column:
    """The row's name as text (rows that open on click): never hidden, pinned on a phone."""
    column = text_column(field_name, header, min_width=min_width, flex=2, hideable=False)
    column["context"] = {PHONE_PIN: True}
    return column


def vocabulary_params(statuses: Mapping[str, Status]) -> dict[str, object]:
    """Badge renderer params for a vocabulary given as ``{state: Status}``."""
    return {
        "statuses": {
            state: {"label": s.label, "icon": s.icon, "tone": s.tone, "meaning": s.meaning}
            for state, s in statuses.items()
        }
    }


def vocabulary_legend(statuses: Mapping[str, Status]) -> html.Ul:
    """The key to a vocabulary's badges (for vocabularies that are not a family of STATUSES)."""
    return legend_of(statuses)


def badge_column(
    field_name: str,
    header: str,
    *,
    family: str | None = None,
    statuses: Mapping[str, Status] | None = None,
    state_field: str | None = None,
    width: int | None = 130,
    min_width: int = 110,
    flex: float | None = None,
    filter_kind: str | None = TEXT,
) -> Column:
    """States as badges with icon and words, from ``family`` of the status vocabulary.

    The value may be one state or a list. With ``state_field`` the value holds labels (arm
    names) and ``state_field`` the state of each, in the same order. Without a vocabulary the
    badges are neutral tags (roles). The cell's text for search, filter and CSV is the value.
    """
    params: dict[str, object] = {}
    if family is not None:
        params = grid_badge_params(family)
    elif statuses is not None:
        params = vocabulary_params(statuses)
    if state_field is not None:
        params["stateField"] = state_field
    column = _column(
        field_name,
        header,
        filter_kind=filter_kind,
        min_width=min_width,
        flex=flex,
        width=width,
    )
    column.update(
        cellRenderer="MsgBadge",
        cellRendererParams=params,
        valueFormatter={"function": "msgJoin(params.value)"},
        getQuickFilterText={"function": "msgJoin(params.value)"},
        filterValueGetter={"function": "msgJoin(params.data[params.colDef.field])"},
        cellClass="msg-badge-cell",
    )
    return column


def time_column(
    field_name: str, header: str, *, width: int = 200, filter_kind: str | None = DATE
) -> Column:
    """A moment: ISO UTC in the data (sorts, exports), shown in UTC or local time as the user
    chose, with "3 min ago" in its tooltip."""
    column = _column(field_name, header, filter_kind=filter_kind, min_width=170, flex=None)
    column.update(
        width=width,
        valueFormatter={"function": "msgTime(params.value)"},
        tooltipValueGetter={"function": "msgTimeTooltip(params.value)"},
        useValueFormatterForExport=False,
        cellDataType=False,
    )
    if filter_kind == DATE:
        column["filterParams"] = {
            "comparator": {"function": "msgDateComparator"},
            "maxNumConditions": 1,
            "buttons": ["reset"],
        }
    return column


def columns_of(columns: Sequence[Column]) -> GridColumns:
    """What the URL may set for these columns (sortable, filter kinds, hideable)."""
    kinds = {path: kind for kind, path in FILTERS.items()}
    return GridColumns(
        sortable=frozenset(c["field"] for c in columns if c.get("sortable", True)),
        filters={c["field"]: kinds[c["filter"]] for c in columns if c.get("filter") in kinds},
        hideable=frozenset(c["field"] for c in columns if not c.get("lockVisible")),
    )


# --- the spec -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GridSpec:
    """One grid: its ids, columns and the view a bare URL shows."""

    ids: GridIds
    columns: Sequence[Column]
    default: GridView = field(default_factory=GridView)
    label: str = "rows"  # what the rows are, for the search box and empty texts
    server_rows: bool = False  # rows come page by page from a callback (AG Grid infinite model)
    url_params: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # key: (id, prop)

    @cached_property
    def allowed(self) -> GridColumns:
        """What the URL may set for this grid's columns."""
        return columns_of(self.columns)

    def view(self, query: Mapping[str, object]) -> GridView:
        """The view a URL query asks for (garbage ignored)."""
        return parse_view(query, self.allowed, self.default)


# --- the layout ---------------------------------------------------------------------------


def _toolbar(spec: GridSpec, view: GridView, extra: Sequence[object], export_title: str) -> Any:
    ids = spec.ids
    search = html.Div(
        [
            dbc.Label(f"Search {spec.label}", html_for=ids.search, className="visually-hidden"),
            dbc.InputGroup(
                [
                    dbc.InputGroupText(icon("search"), className="msg-grid-search-icon"),
                    dbc.Input(
                        id=ids.search,
                        type="search",
                        value=view.search,
                        debounce=300,
                        placeholder=f"Search {spec.label}…",
                        maxLength=200,
                        autoComplete="off",
                    ),
                ],
                size="sm",
            ),
        ],
        className="msg-grid-search",
    )
    choosable = [c for c in spec.columns if not c.get("lockVisible")]
    chooser = html.Div(
        [
            dbc.Button(
                [icon("layout-three-columns", "me-sm-1"), html.Span("Columns", className="msg-sm")],
                id=ids.columns_button,
                color="secondary",
                outline=True,
                size="sm",
                className="msg-tool",
                title="Show or hide columns",
            ),
            dbc.Popover(
                dbc.Checklist(
                    id=ids.columns,
                    options=[{"label": c["headerName"], "value": c["field"]} for c in choosable],
                    value=[c["field"] for c in choosable if c["field"] not in view.hidden],
                    className="msg-grid-columns",
                ),
                target=ids.columns_button,
                trigger="legacy",
                placement="bottom-end",
                body=True,
            ),
        ]
    )
    export = dbc.Button(
        [icon("download", "me-sm-1"), html.Span("CSV", className="msg-sm")],
        id=ids.export,
        color="secondary",
        outline=True,
        size="sm",
        className="msg-tool",
        title=export_title,
    )
    return html.Div(
        [
            search,
            *[html.Div(part, className="msg-grid-extra") for part in extra],
            html.Div([chooser if choosable else None, export], className="msg-grid-buttons"),
        ],
        className="msg-grid-toolbar",
        role="toolbar",
        **{"aria-label": f"Search and arrange the {spec.label}"},
    )


def _sizing(columns: Sequence[Column]) -> dict[str, Any]:
    """Column widths as initial state: a grid given any initial state ignores colDef flex."""
    model = [
        {"colId": c["field"], "flex": c["flex"]}
        if c.get("flex")
        else {"colId": c["field"], "width": c.get("width", 200)}
        for c in columns
    ]
    return {"columnSizing": {"columnSizingModel": model}}


def _grid_options(spec: GridSpec, view: GridView, no_match: str) -> dict[str, Any]:
    options: dict[str, Any] = {
        "pagination": True,
        "paginationPageSize": view.page_size,
        "paginationPageSizeSelector": list(PAGE_SIZES),
        "domLayout": "autoHeight",
        "tooltipShowDelay": 400,
        "tooltipInteraction": True,
        "enableCellTextSelection": True,
        "ensureDomOrder": True,
        "suppressDragLeaveHidesColumns": True,
        "initialState": {**initial_state(view, spec.allowed.filters), **_sizing(spec.columns)},
        "noRowsOverlayComponent": "MsgNoRows",
        "noRowsOverlayComponentParams": {"message": no_match},
    }
    if spec.server_rows:
        options.update(
            cacheBlockSize=view.page_size,
            maxConcurrentDatasourceRequests=1,
            maxBlocksInCache=10,
            # Rows the grid assumes before the server says: enough to open the URL's page at
            # once (the first answer gives the real count).
            infiniteInitialRowCount=view.page * view.page_size,
        )
    else:
        options["quickFilterText"] = view.search
    return options


def data_grid(
    spec: GridSpec,
    rows: list[dict[str, Any]] | None,
    *,
    view: GridView | None = None,
    csv_name: str = "export.csv",
    legend: object = None,
    empty: object = None,
    no_match: str | None = None,
    toolbar_extra: Sequence[object] = (),
    row_id: str | None = "id",
    open_rows: bool = False,
    export_title: str = "Download the rows that match as CSV",
    grid_options: Mapping[str, Any] | None = None,
    grid_props: Mapping[str, Any] | None = None,
) -> Any:
    """The grid in its card: toolbar, grid (spinner in place while slow), legend.

    ``rows`` is None when a callback feeds pages (``spec.server_rows``). ``empty`` (with the
    next action) replaces the grid when there are no rows at all and nothing is filtered.
    ``open_rows`` makes a click or Enter on a row report ``{"id": …}`` in the grid's
    ``eventData``, for pages that open a row in a modal. ``grid_options`` adds AG Grid options
    (e.g. row selection), ``grid_props`` AgGrid props.
    """
    view = view or spec.default
    ids = spec.ids
    nothing_filtered = not view.search and not view.filters
    if rows is not None and not rows and empty is not None and nothing_filtered:
        return card(empty)
    listeners: dict[str, list[str]] = {"gridSizeChanged": ["msgFitToWidth(params)"]}
    if open_rows:
        listeners["cellClicked"] = ["msgOpenRow(params, setEventData)"]
        listeners["cellKeyDown"] = ["msgOpenRow(params, setEventData)"]
    props: dict[str, Any] = {
        "id": ids.grid,
        "columnDefs": list(spec.columns),
        "defaultColDef": {
            "resizable": True,
            "sortable": True,
            "flex": 1,
            "minWidth": 100,
            "filterParams": {"maxNumConditions": 1, "buttons": ["reset"]},
        },
        "dashGridOptions": {
            **_grid_options(spec, view, no_match or f"No {spec.label} match."),
            **(grid_options or {}),
        },
        "csvExportParams": {"fileName": csv_name},
        "eventListeners": listeners,
        "style": {"height": None, "width": "100%"},
        "className": "msg-grid" + (" msg-grid-opens" if open_rows else ""),
    }
    if spec.server_rows:
        props["rowModelType"] = "infinite"
    else:
        props["rowData"] = rows or []
    if row_id:
        props["getRowId"] = f"params.data.{row_id} + ''"
    props.update(grid_props or {})
    body: list[object] = [
        dcc.Location(id=ids.url, refresh=False),
        _toolbar(spec, view, toolbar_extra, export_title),
        loading(
            html.Div(dag.AgGrid(**props), className="msg-grid-area"),
            area_id=ids.area,
            min_height="12rem",
        ),
    ]
    if legend is not None:
        body.append(html.Div(legend, className="msg-grid-legend"))
    return card(body, class_name="msg-grid-card")


# --- callbacks ----------------------------------------------------------------------------


def _query_value(value: object) -> str | None:
    """A control's value as a query value (nothing for empty, "1" for a ticked switch)."""
    if value is None or value is False or value in ("", []):
        return None
    if value is True:
        return "1"
    return str(value) if isinstance(value, str | int | float) else None


def url_search(
    spec: GridSpec,
    search: object,
    quick: object,
    filter_model: object,
    column_state: object,
    pagination_info: object,
    extra: Mapping[str, object],
) -> str:
    """The URL query after a change in the grid or its page's controls (pure)."""
    current = spec.view(query_of(search))
    view = grid_view(quick, filter_model, column_state, pagination_info, spec.allowed, current)
    return grid_search(search, view, spec.default, {k: _query_value(v) for k, v in extra.items()})


def register_grid(spec: GridSpec, *, export: bool = True) -> Callable[..., Any]:
    """Wire the toolbar and the URL of ``spec``'s grid (call once, at the page's import).

    ``export`` False leaves the CSV button to the page (e.g. an export job for huge lists).
    Returns the URL callback (for tests).
    """
    ids = spec.ids
    grid = State(ids.grid, "id")
    if spec.server_rows:
        clientside_callback(
            ClientsideFunction("msgGrid", "reload"),
            Input(ids.search, "value"),
            *[Input(cid, prop) for cid, prop in spec.url_params.values()],
            grid,
            prevent_initial_call=True,
        )
    else:
        clientside_callback(
            ClientsideFunction("msgGrid", "quickFilter"),
            Input(ids.search, "value"),
            grid,
            prevent_initial_call=True,
        )
    clientside_callback(
        ClientsideFunction("msgGrid", "showColumns"),
        Input(ids.columns, "value"),
        State(ids.columns, "options"),
        grid,
        prevent_initial_call=True,
    )
    if export:
        clientside_callback(
            ClientsideFunction("msgGrid", "exportCsv"),
            Output(ids.grid, "exportDataAsCsv"),
            Input(ids.export, "n_clicks"),
            prevent_initial_call=True,
        )
    extra_keys = list(spec.url_params)

    @callback(
        Output(ids.url, "search"),
        inputs={
            "quick": Input(ids.search, "value"),
            "filter_model": Input(ids.grid, "filterModel"),
            "column_state": Input(ids.grid, "columnState"),
            "pagination_info": Input(ids.grid, "paginationInfo"),
            "extra": {k: Input(*spec.url_params[k]) for k in extra_keys},
            "search": State(ids.url, "search"),
        },
        prevent_initial_call=True,
    )
    def keep_view_in_url(
        quick: object,
        filter_model: object,
        column_state: object,
        pagination_info: object,
        extra: dict[str, object],
        search: object,
    ) -> Any:
        """Write the grid's view into the URL (no reload: the grid's Location has refresh=False)."""
        extra = extra if isinstance(extra, dict) else {}
        found = url_search(spec, search, quick, filter_model, column_state, pagination_info, extra)
        return found if found != (search if isinstance(search, str) else "") else _no_update

    return keep_view_in_url
