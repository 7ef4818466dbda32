"""What a list shows, as a query string: search, column filters, sort, page and columns.

A list page's ``layout(**query)`` reads the view back with :func:`parse_view`, so a copied
link reproduces it; the grid reports its state (AG Grid's filter model, column state and
pagination info) and :func:`grid_view` plus :func:`merge_search` turn that back into the URL.
Pure functions, no Dash: values from a URL or a browser are untrusted, so anything that does
not parse is ignored (the default stands), never an error.

The query keys a grid owns::

    q=coli                      quick search
    sort=created_at:desc,name   sort keys in order (":asc" may be left out); "sort=" is none
    page=2                      page, counted from 1
    size=50                     rows per page, one of PAGE_SIZES
    hide=organism,created_by    columns hidden with the column chooser
    f.organism=contains:coli    a column filter, <operator>:<value>

>>> columns = GridColumns(sortable={"name", "created_at"}, filters={"name": TEXT})
>>> view = parse_view({"q": " coli ", "sort": "created_at:desc", "page": "2"}, columns)
>>> view.search, view.sort, view.page
('coli', (Sort(field='created_at', descending=True),), 2)
>>> view_query(view, GridView())
{'q': 'coli', 'sort': 'created_at:desc', 'page': '2', 'size': None, 'hide': None}
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode

PAGE_SIZES = (20, 50, 100)
DEFAULT_PAGE_SIZE = PAGE_SIZES[0]
SEARCH_MAX = 200  # characters of quick search kept
FILTER_VALUE_MAX = 200
FIELD_MAX = 64
PAGE_MAX = 1_000_000
FILTERS_MAX = 20
FILTER_PREFIX = "f."
GRID_KEYS = ("q", "sort", "page", "size", "hide")

# Column filter kinds, as AG Grid names its filterType.
TEXT, NUMBER, DATE = "text", "number", "date"
NO_VALUE = frozenset({"blank", "notBlank"})
OPERATORS: Mapping[str, frozenset[str]] = {
    TEXT: frozenset(
        {"contains", "notContains", "equals", "notEqual", "startsWith", "endsWith", *NO_VALUE}
    ),
    NUMBER: frozenset(
        {
            "equals",
            "notEqual",
            "lessThan",
            "lessThanOrEqual",
            "greaterThan",
            "greaterThanOrEqual",
            *NO_VALUE,
        }
    ),
    DATE: frozenset({"equals", "notEqual", "lessThan", "greaterThan", *NO_VALUE}),
}


@dataclass(frozen=True)
class Sort:
    """One sort key: a column and its direction."""

    field: str
    descending: bool = False


@dataclass(frozen=True)
class ColumnFilter:
    """One condition on one column (``value`` is empty for blank / notBlank)."""

    field: str
    operator: str
    value: str = ""


@dataclass(frozen=True)
class GridColumns:
    """What a grid lets the URL set: sortable columns, filter kind per column, hideable ones."""

    sortable: Collection[str] = frozenset()
    filters: Mapping[str, str] = field(default_factory=dict)
    hideable: Collection[str] = frozenset()


@dataclass(frozen=True)
class GridView:
    """Everything about a list that a link should carry."""

    search: str = ""
    sort: tuple[Sort, ...] = ()
    filters: tuple[ColumnFilter, ...] = ()
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    hidden: tuple[str, ...] = ()


# --- reading a query ------------------------------------------------------------------------


def _text(raw: object, limit: int) -> str | None:
    """A single query value as text (a repeated key or a non-string is no value)."""
    if not isinstance(raw, str):
        return None
    cleaned = "".join(ch for ch in raw if ch.isprintable())
    return cleaned.strip()[:limit]


def parse_search(raw: object) -> str:
    """Quick-search text: printable, trimmed, at most SEARCH_MAX characters.

    >>> parse_search("  E. coli\\x00 "), parse_search(["a", "b"]), parse_search(None)
    ('E. coli', '', '')
    """
    return _text(raw, SEARCH_MAX) or ""


def parse_int(raw: object, *, minimum: int, maximum: int) -> int | None:
    """A whole number within bounds, or None.

    >>> parse_int("3", minimum=1, maximum=9), parse_int("0", minimum=1, maximum=9)
    (3, None)
    >>> parse_int("1e9", minimum=1, maximum=9), parse_int("٣", minimum=1, maximum=9)
    (None, None)
    """
    text = _text(raw, 12)
    if not text or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def parse_sort(raw: object, sortable: Collection[str]) -> tuple[Sort, ...] | None:
    """``name,created_at:desc`` as sort keys; unknown columns are dropped.

    None when nothing usable was given (keep the default); an empty value means no sort.

    >>> parse_sort("created_at:desc,bogus,name", {"name", "created_at"})
    (Sort(field='created_at', descending=True), Sort(field='name', descending=False))
    >>> parse_sort("", {"name"}), parse_sort("bogus:sideways", {"name"})
    ((), None)
    """
    text = _text(raw, 400)
    if text is None:
        return None
    if not text:
        return ()
    keys: list[Sort] = []
    for part in text.split(","):
        name, _, direction = part.strip().partition(":")
        if name not in sortable or direction not in ("", "asc", "desc"):
            continue
        if any(k.field == name for k in keys):
            continue
        keys.append(Sort(name, direction == "desc"))
    return tuple(keys) or None


def parse_hidden(raw: object, hideable: Collection[str]) -> tuple[str, ...] | None:
    """``organism,created_by`` as hidden columns (only those that may be hidden).

    >>> parse_hidden("organism,name,organism", {"organism"}), parse_hidden("", {"organism"})
    (('organism',), ())
    """
    text = _text(raw, 400)
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    kept = tuple(dict.fromkeys(n for n in names if n in hideable))
    return kept if kept or not names else None


def _filter_value(kind: str, operator: str, value: str) -> str | None:
    if operator in NO_VALUE:
        return ""
    if not value:
        return None
    if kind == NUMBER:
        try:
            number = float(value)
        except ValueError:
            return None
        return value if math.isfinite(number) else None
    if kind == DATE:
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return None
    return value


def parse_filter(name: str, raw: object, kind: str) -> ColumnFilter | None:
    """``contains:coli`` for column ``name`` of filter ``kind``, or None if it does not parse.

    >>> parse_filter("organism", "contains:E. coli: K-12", TEXT)
    ColumnFilter(field='organism', operator='contains', value='E. coli: K-12')
    >>> parse_filter("flight", "greaterThan:x", NUMBER) is None
    True
    """
    text = _text(raw, FILTER_VALUE_MAX + 24)
    if not text:
        return None
    operator, _, value = text.partition(":")
    if operator not in OPERATORS.get(kind, ()):
        return None
    checked = _filter_value(kind, operator, value[:FILTER_VALUE_MAX])
    return None if checked is None else ColumnFilter(name, operator, checked)


def query_of(search: object) -> dict[str, str | list[str]]:
    """A URL's query string as Dash pages hands it to ``layout`` (a list for repeated keys).

    >>> query_of("?q=E.+coli&x=1&x=2"), query_of(["not", "a", "query"])
    ({'q': 'E. coli', 'x': ['1', '2']}, {})
    """
    found: dict[str, list[str]] = {}
    for key, value in _pairs(search):
        found.setdefault(key, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in found.items()}


def parse_view(
    query: Mapping[str, object], columns: GridColumns, default: GridView = GridView()
) -> GridView:
    """The view a URL's query asks for; what is missing or does not parse keeps ``default``."""
    sort = parse_sort(query.get("sort"), columns.sortable) if "sort" in query else None
    hidden = parse_hidden(query.get("hide"), columns.hideable) if "hide" in query else None
    size = parse_int(query.get("size"), minimum=1, maximum=max(PAGE_SIZES))
    has_filters = any(isinstance(k, str) and k.startswith(FILTER_PREFIX) for k in query)
    filters: list[ColumnFilter] = []
    for key, raw in query.items():
        name = key.removeprefix(FILTER_PREFIX) if isinstance(key, str) else ""
        if key != name and name in columns.filters:
            found = parse_filter(name, raw, columns.filters[name])
            if found is not None and len(filters) < FILTERS_MAX:
                filters.append(found)
    return GridView(
        search=parse_search(query.get("q")) if "q" in query else default.search,
        sort=default.sort if sort is None else sort,
        filters=tuple(filters) if has_filters else default.filters,
        page=parse_int(query.get("page"), minimum=1, maximum=PAGE_MAX) or default.page,
        page_size=size if size in PAGE_SIZES else default.page_size,
        hidden=default.hidden if hidden is None else hidden,
    )


# --- writing a query ------------------------------------------------------------------------


def sort_text(sort: Iterable[Sort]) -> str:
    """Sort keys as the ``sort`` value.

    >>> sort_text([Sort("created_at", True), Sort("name")])
    'created_at:desc,name'
    """
    return ",".join(k.field + (":desc" if k.descending else "") for k in sort)


def filter_key(column_filter: ColumnFilter) -> str:
    """The query key of a column filter (``f.organism``)."""
    return FILTER_PREFIX + column_filter.field


def filter_text(column_filter: ColumnFilter) -> str:
    """A column filter as its query value (``contains:coli``, ``blank``)."""
    if column_filter.operator in NO_VALUE:
        return column_filter.operator
    return f"{column_filter.operator}:{column_filter.value}"


def view_query(view: GridView, default: GridView) -> dict[str, str | None]:
    """The grid's query keys for ``view``: a value where it differs from ``default``, else None.

    Column filters are not in here (see :func:`filter_query`): their keys vary.
    """

    def differs(value: str, default_value: str) -> str | None:
        return value if value != default_value else None

    return {
        "q": differs(view.search, default.search),
        "sort": differs(sort_text(view.sort), sort_text(default.sort)),
        "page": differs(str(view.page), str(default.page)),
        "size": differs(str(view.page_size), str(default.page_size)),
        "hide": differs(",".join(view.hidden), ",".join(default.hidden)),
    }


def filter_query(view: GridView) -> dict[str, str]:
    """The ``f.<column>`` keys of the view's column filters.

    >>> filter_query(GridView(filters=(ColumnFilter("name", "contains", "coli"),)))
    {'f.name': 'contains:coli'}
    """
    return {filter_key(f): filter_text(f) for f in view.filters}


def _pairs(search: object) -> list[tuple[str, str]]:
    """The key/value pairs of a query string (nothing for what is not one)."""
    if not isinstance(search, str):
        return []
    return parse_qsl(search.removeprefix("?"), keep_blank_values=True)


def merge_search(search: object, updates: Mapping[str, str | None], *, filters: bool) -> str:
    """``search`` (``?a=1&q=x``) with ``updates`` applied: None removes a key, a value sets it.

    Keys keep their places (new ones go last), so the URL does not reshuffle as the view
    changes; with ``filters`` every ``f.*`` key not in ``updates`` is removed (the grid's
    filters replace them all).

    >>> merge_search("?action=auth.&q=old&f.name=contains:x", {"q": "new", "page": None},
    ...              filters=True)
    '?action=auth.&q=new'
    >>> merge_search("?q=a", {"q": None}, filters=False)
    ''
    """
    kept: dict[str, str] = {}
    for key, value in _pairs(search):
        if key in kept:
            continue
        if key in updates:
            if updates[key] is not None:
                kept[key] = str(updates[key])  # changed in place
        elif not (filters and key.startswith(FILTER_PREFIX)):
            kept[key] = value
    for key, update in updates.items():
        if update is not None and key not in kept:
            kept[key] = update
    return "?" + urlencode(kept) if kept else ""


# --- the grid's side ------------------------------------------------------------------------


def grid_sort_model(sort: Iterable[Sort]) -> list[dict[str, str]]:
    """Sort keys as AG Grid's sort model (for its initial state).

    >>> grid_sort_model([Sort("created_at", True)])
    [{'colId': 'created_at', 'sort': 'desc'}]
    """
    return [{"colId": k.field, "sort": "desc" if k.descending else "asc"} for k in sort]


def grid_filter_model(filters: Iterable[ColumnFilter], kinds: Mapping[str, str]) -> dict[str, Any]:
    """Column filters as AG Grid's filter model.

    >>> grid_filter_model([ColumnFilter("n", "greaterThan", "2")], {"n": NUMBER})
    {'n': {'filterType': 'number', 'type': 'greaterThan', 'filter': 2.0}}
    """
    model: dict[str, Any] = {}
    for f in filters:
        kind = kinds.get(f.field, TEXT)
        entry: dict[str, Any] = {"filterType": kind, "type": f.operator}
        if f.operator not in NO_VALUE:
            if kind == NUMBER:
                entry["filter"] = float(f.value)
            elif kind == DATE:
                entry["dateFrom"] = f"{f.value} 00:00:00"
            else:
                entry["filter"] = f.value
        model[f.field] = entry
    return model


def initial_state(view: GridView, kinds: Mapping[str, str]) -> dict[str, Any]:
    """AG Grid's ``initialState`` for ``view`` (sort, filters, page, hidden columns)."""
    return {
        "sort": {"sortModel": grid_sort_model(view.sort)},
        "filter": {"filterModel": grid_filter_model(view.filters, kinds)},
        "pagination": {"page": view.page - 1, "pageSize": view.page_size},
        "columnVisibility": {"hiddenColIds": list(view.hidden)},
    }


def _sort_from_state(column_state: object, sortable: Collection[str]) -> tuple[Sort, ...]:
    if not isinstance(column_state, list):
        return ()
    keyed: list[tuple[int, Sort]] = []
    for entry in column_state:
        if not isinstance(entry, dict):
            continue
        col, direction, index = entry.get("colId"), entry.get("sort"), entry.get("sortIndex")
        if isinstance(col, str) and col in sortable and direction in ("asc", "desc"):
            order = index if isinstance(index, int) and not isinstance(index, bool) else 0
            keyed.append((order, Sort(str(col), direction == "desc")))
    return tuple(k for _, k in sorted(keyed, key=lambda pair: pair[0]))


def _hidden_from_state(column_state: object, hideable: Collection[str]) -> tuple[str, ...]:
    if not isinstance(column_state, list):
        return ()
    return tuple(
        str(e["colId"])
        for e in column_state
        if isinstance(e, dict)
        and e.get("hide") is True
        and isinstance(e.get("colId"), str)
        and e["colId"] in hideable
    )


def _filter_from_model(name: str, entry: object, kind: str) -> ColumnFilter | None:
    if not isinstance(entry, dict):
        return None
    if "conditions" in entry:  # a combined filter: the URL keeps its first condition
        conditions = entry.get("conditions")
        first = conditions[0] if isinstance(conditions, list) and conditions else None
        return _filter_from_model(name, first, kind)
    operator = entry.get("type")
    raw = entry.get("dateFrom") if kind == DATE else entry.get("filter")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | type(None)):
        return None
    value = "" if raw is None else (repr(raw) if isinstance(raw, float) else str(raw))
    if isinstance(raw, float) and raw.is_integer():
        value = str(int(raw))
    return parse_filter(name, f"{operator}:{value}" if value else operator, kind)


def _filters_from_model(filter_model: object, kinds: Mapping[str, str]) -> tuple[ColumnFilter, ...]:
    if not isinstance(filter_model, dict):
        return ()
    found = (
        _filter_from_model(name, entry, kinds[name])
        for name, entry in filter_model.items()
        if name in kinds
    )
    return tuple(f for f in found if f is not None)[:FILTERS_MAX]


def page_from_info(pagination_info: object) -> tuple[int, int] | None:
    """(page from 1, page size) from AG Grid's pagination info, None before rows are known.

    >>> page_from_info({"currentPage": 2, "pageSize": 50, "rowCount": 300})
    (3, 50)
    >>> page_from_info({"currentPage": 0, "pageSize": 20, "rowCount": 0}) is None
    True
    """
    if not isinstance(pagination_info, dict):
        return None
    numbers = [pagination_info.get(k) for k in ("currentPage", "pageSize", "rowCount")]
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        return None
    current, size, rows = (int(str(n)) for n in numbers)
    if rows <= 0 or size not in PAGE_SIZES or not 0 <= current < PAGE_MAX:
        return None
    return current + 1, size


def grid_view(
    search: object,
    filter_model: object,
    column_state: object,
    pagination_info: object,
    columns: GridColumns,
    current: GridView,
) -> GridView:
    """The view the grid reports; the page stays ``current``'s while no rows are known."""
    paging = page_from_info(pagination_info)
    page, page_size = paging or (current.page, current.page_size)
    return replace(
        current,
        search=parse_search(search),
        sort=_sort_from_state(column_state, columns.sortable) if column_state else current.sort,
        filters=_filters_from_model(filter_model, columns.filters),
        page=page,
        page_size=page_size,
        hidden=(
            _hidden_from_state(column_state, columns.hideable) if column_state else current.hidden
        ),
    )


def grid_search(
    search: object,
    view: GridView,
    default: GridView,
    extra: Mapping[str, str | None] | None = None,
) -> str:
    """The URL query for ``view`` over the current ``search`` (other keys kept, in place)."""
    updates: dict[str, str | None] = {**view_query(view, default), **filter_query(view)}
    return merge_search(search, {**updates, **(extra or {})}, filters=True)
