"""A list's view in the URL: read back from hostile queries, written from AG Grid's state."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.components import view_state as vs
from dashboard.components.view_state import (
    DATE,
    NUMBER,
    TEXT,
    ColumnFilter,
    GridColumns,
    GridView,
    Sort,
)

COLUMNS = GridColumns(
    sortable={"name", "organism", "created_at", "flight"},
    filters={"name": TEXT, "organism": TEXT, "flight": NUMBER, "created_at": DATE},
    hideable={"organism", "created_at", "flight"},
)
DEFAULT = GridView(sort=(Sort("created_at", descending=True),))


def test_a_bare_url_shows_the_default_view() -> None:
    assert vs.parse_view({}, COLUMNS, DEFAULT) == DEFAULT


def test_every_key_is_read_back() -> None:
    query = {
        "q": "coli",
        "sort": "name,created_at:desc",
        "page": "3",
        "size": "50",
        "hide": "organism,flight",
        "f.organism": "contains:E. coli: K-12",
        "f.flight": "greaterThan:1",
        "f.created_at": "lessThan:2026-11-26",
        "f.name": "blank",
    }
    view = vs.parse_view(query, COLUMNS, DEFAULT)
    assert view == GridView(
        search="coli",
        sort=(Sort("name"), Sort("created_at", descending=True)),
        filters=(
            ColumnFilter("organism", "contains", "E. coli: K-12"),
            ColumnFilter("flight", "greaterThan", "1"),
            ColumnFilter("created_at", "lessThan", "2026-11-26"),
            ColumnFilter("name", "blank", ""),
        ),
        page=3,
        page_size=50,
        hidden=("organism", "flight"),
    )


@pytest.mark.parametrize(
    "query",
    [
        {"page": "abc"},
        {"page": "0"},
        {"page": "-2"},
        {"page": "1e3"},
        {"page": "99999999999999999999999"},
        {"page": ["2", "3"]},
        {"size": "7"},
        {"size": "100000"},
        {"sort": "bogus:desc"},
        {"sort": "name:sideways"},
        {"sort": ["name", "organism"]},
        {"hide": "name"},  # the name column cannot be hidden
        {"hide": "bogus"},
        {"f.bogus": "contains:x"},
        {"f.organism": "exec:x"},
        {"f.organism": "contains:"},
        {"f.flight": "greaterThan:many"},
        {"f.flight": "greaterThan:nan"},
        {"f.flight": "greaterThan:inf"},
        {"f.created_at": "lessThan:yesterday"},
        {"f.organism": ["contains:a", "contains:b"]},
        {"q": ["a", "b"]},
        {"q": None},
    ],
)
def test_garbage_is_ignored_never_an_error(query: dict[str, Any]) -> None:
    view = vs.parse_view(query, COLUMNS, DEFAULT)
    assert view.page == 1
    assert view.page_size == vs.DEFAULT_PAGE_SIZE
    assert view.sort == DEFAULT.sort
    assert view.hidden == ()
    assert view.filters == ()
    assert view.search == ""


def test_hostile_text_is_cleaned_and_bounded() -> None:
    view = vs.parse_view({"q": "\x00\x1b[31m<script>" + "x" * 5000}, COLUMNS)
    assert view.search.startswith("[31m<script>")
    assert len(view.search) == vs.SEARCH_MAX
    assert all(ch.isprintable() for ch in view.search)
    many = {f"f.{i}": "contains:x" for i in range(1000)}
    assert vs.parse_view(many, COLUMNS).filters == ()


def test_an_empty_sort_means_none_and_an_empty_hide_means_all_columns() -> None:
    defaults = GridView(sort=(Sort("name"),), hidden=("organism",))
    view = vs.parse_view({"sort": "", "hide": ""}, COLUMNS, defaults)
    assert (view.sort, view.hidden) == ((), ())


def test_only_what_differs_from_the_default_goes_in_the_url() -> None:
    assert vs.view_query(DEFAULT, DEFAULT) == dict.fromkeys(vs.GRID_KEYS)
    unsorted = GridView(page=2)
    assert vs.view_query(unsorted, DEFAULT)["sort"] == ""
    assert vs.view_query(unsorted, DEFAULT)["page"] == "2"


@pytest.mark.parametrize(
    "view",
    [
        DEFAULT,
        GridView(),
        GridView(
            search="E. coli & B. subtilis?",
            sort=(Sort("organism"), Sort("flight", descending=True)),
            filters=(
                ColumnFilter("name", "notContains", "a=b&c"),
                ColumnFilter("flight", "lessThanOrEqual", "2.5"),
                ColumnFilter("created_at", "notBlank"),
            ),
            page=7,
            page_size=100,
            hidden=("created_at",),
        ),
    ],
)
def test_a_view_survives_the_round_trip_through_the_url(view: GridView) -> None:
    search = vs.grid_search("?action=auth.", view, DEFAULT)
    query = vs.query_of(search)
    assert query["action"] == "auth."  # the page's own keys stay
    assert vs.parse_view(query, COLUMNS, DEFAULT) == view


def test_merge_keeps_other_keys_in_place_and_replaces_the_filters() -> None:
    search = "?user=5&f.name=contains:old&q=x&f.organism=equals:y"
    merged = vs.merge_search(search, {"q": "new", "f.name": "contains:z"}, filters=True)
    assert merged == "?user=5&f.name=contains%3Az&q=new"
    assert vs.merge_search("", {"q": None}, filters=True) == ""
    assert vs.merge_search(None, {"q": "a b"}, filters=False) == "?q=a+b"


def test_agrid_state_becomes_a_view() -> None:
    column_state = [
        {"colId": "name", "sort": "asc", "sortIndex": 1, "hide": False},
        {"colId": "created_at", "sort": "desc", "sortIndex": 0, "hide": False},
        {"colId": "organism", "sort": None, "hide": True},
        {"colId": "evil", "sort": "asc", "sortIndex": 2, "hide": True},
    ]
    filter_model = {
        "organism": {"filterType": "text", "type": "contains", "filter": "coli"},
        "flight": {"filterType": "number", "type": "greaterThan", "filter": 2.0},
        "created_at": {
            "filterType": "date",
            "type": "lessThan",
            "dateFrom": "2026-11-26 00:00:00",
        },
        "name": {
            "filterType": "text",
            "operator": "OR",
            "conditions": [
                {"filterType": "text", "type": "startsWith", "filter": "BRIC"},
                {"filterType": "text", "type": "endsWith", "filter": "x"},
            ],
        },
        "evil": {"filterType": "text", "type": "contains", "filter": "x"},
    }
    pagination = {"currentPage": 2, "pageSize": 50, "rowCount": 300, "totalPages": 6}
    view = vs.grid_view("coli ", filter_model, column_state, pagination, COLUMNS, DEFAULT)
    assert view == GridView(
        search="coli",
        sort=(Sort("created_at", descending=True), Sort("name")),
        filters=(
            ColumnFilter("organism", "contains", "coli"),
            ColumnFilter("flight", "greaterThan", "2"),
            ColumnFilter("created_at", "lessThan", "2026-11-26"),
            ColumnFilter("name", "startsWith", "BRIC"),
        ),
        page=3,
        page_size=50,
        hidden=("organism",),
    )


@pytest.mark.parametrize(
    ("filter_model", "column_state", "pagination"),
    [
        (None, None, None),
        ("x", "y", "z"),
        ({"organism": "contains"}, [1, "a", None], {"currentPage": "2"}),
        ({"organism": {"type": ["contains"], "filter": {"a": 1}}}, [{"colId": []}], []),
        ({"flight": {"type": "equals", "filter": True}}, [{"sortIndex": "a"}], {"rowCount": -1}),
    ],
)
def test_malformed_grid_state_keeps_the_current_view(
    filter_model: Any, column_state: Any, pagination: Any
) -> None:
    current = GridView(sort=(Sort("name"),), page=4)
    view = vs.grid_view(None, filter_model, column_state, pagination, COLUMNS, current)
    assert view.page == 4
    assert view.filters == ()
    assert view.search == ""


def test_the_page_is_kept_until_the_grid_knows_its_rows() -> None:
    current = GridView(page=4)
    empty = {"currentPage": 0, "pageSize": 20, "rowCount": 0}
    assert vs.grid_view("", {}, [], empty, COLUMNS, current).page == 4


def test_initial_state_for_the_grid() -> None:
    view = GridView(
        sort=(Sort("flight", descending=True),),
        filters=(ColumnFilter("flight", "equals", "2"), ColumnFilter("created_at", "blank")),
        page=2,
        page_size=50,
        hidden=("organism",),
    )
    assert vs.initial_state(view, COLUMNS.filters) == {
        "sort": {"sortModel": [{"colId": "flight", "sort": "desc"}]},
        "filter": {
            "filterModel": {
                "flight": {"filterType": "number", "type": "equals", "filter": 2.0},
                "created_at": {"filterType": "date", "type": "blank"},
            }
        },
        "pagination": {"page": 1, "pageSize": 50},
        "columnVisibility": {"hiddenColIds": ["organism"]},
    }
