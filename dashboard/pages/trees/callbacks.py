"""The Trees page's callbacks for the tree shown: draw it as the controls say (and keep that
view in the URL), pick a node and act on it (zoom, collapse, re-root), find tips, and
download the tree or the figure. Each unpacks its inputs, calls the services and maps the
answer to outputs; the drawing itself is ``components/tree_drawing.py``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    no_update,
)

from dashboard.auth import current_actor, current_db
from dashboard.components.feedback import error_alert, icon
from dashboard.components.grid import register_grid
from dashboard.components.provenance_badge import provenance_badge
from dashboard.components.tree_drawing import NodeFacts, clade_tips, search_clade
from dashboard.components.tree_state import (
    TreeQuery,
    carried_over,
    clean_text,
    parse_nodes,
    toggle,
    tree_href,
    tree_query,
)
from dashboard.components.tree_views import node_summary
from dashboard.components.view_state import parse_int
from dashboard.services import trees
from dashboard.services.errors import InputError, ServiceError

from . import ids
from .layout import (
    FACTOR_KEYS,
    LIST_SPEC,
    comparison,
    drawing_of,
    provenance_news,
    search_text,
)

register_grid(LIST_SPEC)

ID_MAX = 2**31 - 1
NODE_MAX = 10_000_000
URL_OUTPUTS = {
    "layout": Output(ids.URL_LAYOUT, "data"),
    "branches": Output(ids.URL_BRANCHES, "data"),
    "colour": Output(ids.URL_COLOUR, "data"),
    "labels": Output(ids.URL_LABELS, "data"),
    "support": Output(ids.URL_SUPPORT, "data"),
    "zoom": Output(ids.URL_ZOOM, "data"),
    "collapsed": Output(ids.URL_COLLAPSED, "data"),
    "search": Output(ids.URL_SEARCH, "data"),
}


def view_of(
    tree_id: int,
    shape: object,
    branches: object,
    colour: object,
    labels: bool | None,
    support: object,
    zoom: object,
    collapsed: object,
    search: object,
) -> TreeQuery:
    """The view the controls ask for (anything odd from the browser: the default)."""
    colour_key = colour if isinstance(colour, str) and colour in FACTOR_KEYS else ""
    return TreeQuery(
        tree=tree_id,
        shape="radial" if shape == "radial" else "rectangular",
        lengths=branches != "cladogram",
        colour=colour_key,
        labels=labels,
        support=support is True,
        zoom=parse_int(str(zoom), minimum=0, maximum=NODE_MAX) if zoom is not None else None,
        collapsed=parse_nodes(collapsed),
        search=clean_text(search, 100),
    )


def action_state(node: NodeFacts | None) -> dict[str, Any]:
    """The action bar for the clicked node: its words and which buttons work."""
    if node is None:
        return {
            "hidden": True,
            "text": None,
            "zoom_in": True,
            "collapse": True,
            "collapse_text": "Collapse",
        }
    return {
        "hidden": False,
        "text": node_summary(
            node.name,
            node.is_tip,
            node.tips,
            node.support,
            node.id,
            node.is_tree_root,
        ),
        "zoom_in": node.is_tip or node.is_view_root,
        "collapse": node.is_tip or (node.is_view_root and not node.is_collapsed),
        "collapse_text": [
            icon("arrows-expand" if node.is_collapsed else "arrows-collapse", "me-1"),
            "Expand" if node.is_collapsed else "Collapse",
        ],
    }


@callback(
    output={
        "figure": Output(ids.FIGURE, "figure"),
        "labels_value": Output(ids.LABELS, "value"),
        "search_info": Output(ids.SEARCH_INFO, "children"),
        "search_select": Output(ids.SEARCH_SELECT, "disabled"),
        "message": Output(ids.MESSAGE, "children"),
        "reset": Output(ids.RESET_ZOOM, "disabled"),
        "actions_hidden": Output(ids.ACTIONS, "hidden"),
        "action_text": Output(ids.ACTION_TEXT, "children"),
        "zoom_in": Output(ids.ZOOM_IN, "disabled"),
        "collapse": Output(ids.COLLAPSE, "disabled"),
        "collapse_text": Output(ids.COLLAPSE, "children"),
        "url": URL_OUTPUTS,
    },
    inputs={
        "shape": Input(ids.LAYOUT, "value"),
        "branches": Input(ids.BRANCHES, "value"),
        "colour": Input(ids.COLOUR, "value"),
        "labels": Input(ids.LABELS, "value"),
        "support": Input(ids.SUPPORT, "value"),
        "search": Input(ids.SEARCH, "value"),
        "zoom": Input(ids.ZOOM, "data"),
        "collapsed": Input(ids.COLLAPSED, "data"),
        "selected": Input(ids.SELECTED, "data"),
        "tree_id": State(ids.TREE, "data"),
        "url_labels": State(ids.URL_LABELS, "data"),
    },
    prevent_initial_call=True,
)
def render(
    shape: object,
    branches: object,
    colour: object,
    labels: object,
    support: object,
    search: object,
    zoom: object,
    collapsed: object,
    selected: object,
    tree_id: object,
    url_labels: object,
) -> dict[str, Any]:
    """Draw the tree as the controls say; keep the view in the URL."""
    shown = parse_int(str(tree_id), minimum=1, maximum=ID_MAX)
    if shown is None:
        return _unchanged()
    # Tip labels: automatic until the user flips the switch; then as they chose.
    if ctx.triggered_id == ids.LABELS:
        wanted: bool | None = labels is True
    else:
        wanted = {"on": True, "off": False}.get(str(url_labels))
    q = view_of(shown, shape, branches, colour, wanted, support, zoom, collapsed, search)
    node_id = (
        parse_int(str(selected), minimum=0, maximum=NODE_MAX) if selected is not None else None
    )
    try:
        tree = trees.get_tree(current_db(), shown)
        drawing = drawing_of(tree, q, node_id)
    except InputError as exc:
        return _unchanged() | {"message": error_alert(exc)}
    q = drawing.query
    if wanted is not None and wanted == drawing.labels_auto:
        q = TreeQuery(**{**q.__dict__, "labels": None})  # back to automatic: nothing to keep
    url = tree_query(q)
    actions = action_state(drawing.node)
    return {
        "figure": drawing.figure,
        "labels_value": drawing.labels,
        "search_info": search_text(q.search, len(drawing.matches)),
        "search_select": not drawing.matches,
        "message": drawing.note or None,
        "reset": q.zoom is None,
        "actions_hidden": actions["hidden"],
        "action_text": actions["text"],
        "zoom_in": actions["zoom_in"],
        "collapse": actions["collapse"],
        "collapse_text": actions["collapse_text"],
        "url": {key: url.get(key) for key in URL_OUTPUTS},
    }


def _unchanged() -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(
        (
            "figure",
            "labels_value",
            "search_info",
            "search_select",
            "message",
            "reset",
            "actions_hidden",
            "action_text",
            "zoom_in",
            "collapse",
            "collapse_text",
        ),
        no_update,
    )
    return out | {"url": dict.fromkeys(URL_OUTPUTS, no_update)}


@callback(
    output={
        "result": Output(ids.COMPARE_RESULT, "children"),
        "url": Output(ids.URL_COMPARE, "data"),
    },
    inputs={"other": Input(ids.COMPARE, "value"), "tree_id": State(ids.TREE, "data")},
    prevent_initial_call=True,
)
def compare(other: object, tree_id: object) -> dict[str, Any]:
    """Compare the shown tree with the one chosen (Robinson–Foulds); keep it in the URL."""
    shown = parse_int(str(tree_id), minimum=1, maximum=ID_MAX)
    if shown is None:
        return {"result": no_update, "url": no_update}
    chosen = parse_int(str(other), minimum=1, maximum=ID_MAX) if other else None
    if chosen == shown:
        chosen = None
    return {
        "result": comparison(shown, chosen),
        "url": str(chosen) if chosen is not None else None,
    }


@callback(
    output={
        "rows": Output(ids.LIST_IDS.grid, "rowTransaction"),
        "badge": Output(ids.INFO_PROVENANCE, "children"),
        "watch": Output(ids.PROVENANCE_WATCH, "data"),
        "off": Output(ids.PROVENANCE_TICK, "disabled"),
    },
    inputs={"_tick": Input(ids.PROVENANCE_TICK, "n_intervals")},
    state={"watch": State(ids.PROVENANCE_WATCH, "data"), "tree_id": State(ids.TREE, "data")},
    prevent_initial_call=True,
)
def follow_provenance(_tick: object, watch: object, tree_id: object) -> dict[str, Any]:
    """Keep the provenance of the list and of the About card as the ledger has it: a pending
    tree turns anchored in both at once; stop asking once nothing is settling."""
    news = provenance_news(watch)
    shown = parse_int(str(tree_id), minimum=1, maximum=ID_MAX)
    return {
        "rows": {"update": news.rows} if news.rows else no_update,
        "badge": provenance_badge(news.changed[shown]) if shown in news.changed else no_update,
        "watch": news.watch if news.watch != watch else no_update,
        "off": not news.watch,
    }


# A click on the figure names its node (read in the browser: assets/trees.js).
clientside_callback(
    ClientsideFunction("msgTrees", "clickedNode"),
    Output(ids.CLICKED, "data"),
    Input(ids.FIGURE, "clickData"),
    State(ids.FIGURE, "id"),
    prevent_initial_call=True,
)


@callback(
    output={
        "zoom": Output(ids.ZOOM, "data"),
        "collapsed": Output(ids.COLLAPSED, "data"),
        "selected": Output(ids.SELECTED, "data"),
    },
    inputs={
        "clicked": Input(ids.CLICKED, "data"),
        "_zoom_in": Input(ids.ZOOM_IN, "n_clicks"),
        "_collapse": Input(ids.COLLAPSE, "n_clicks"),
        "_reset": Input(ids.RESET_ZOOM, "n_clicks"),
        "_deselect": Input(ids.DESELECT, "n_clicks"),
        "_find": Input(ids.SEARCH_SELECT, "n_clicks"),
        "selected": State(ids.SELECTED, "data"),
        "collapsed": State(ids.COLLAPSED, "data"),
        "search": State(ids.SEARCH, "value"),
        "tree_id": State(ids.TREE, "data"),
    },
    prevent_initial_call=True,
)
def act_on_node(
    clicked: object,
    _zoom_in: object,
    _collapse: object,
    _reset: object,
    _deselect: object,
    _find: object,
    selected: object,
    collapsed: object,
    search: object,
    tree_id: object,
) -> dict[str, Any]:
    """A click picks a node; the action bar zooms into it, collapses or expands it; "Whole
    tree" zooms out; "Select their clade" picks the search matches' common ancestor."""
    out: dict[str, Any] = dict.fromkeys(("zoom", "collapsed", "selected"), no_update)
    trigger = ctx.triggered_id
    node = parse_int(str(selected), minimum=0, maximum=NODE_MAX) if selected is not None else None
    if trigger == ids.CLICKED:
        picked = parse_int(str(clicked), minimum=0, maximum=NODE_MAX)
        if picked is not None:
            out["selected"] = picked
    elif trigger == ids.ZOOM_IN and node is not None:
        out["zoom"] = node
    elif trigger == ids.COLLAPSE and node is not None:
        out["collapsed"] = list(toggle(parse_nodes(collapsed), node))
    elif trigger == ids.RESET_ZOOM:
        out["zoom"] = None
    elif trigger == ids.DESELECT:
        out["selected"] = None
    elif trigger == ids.SEARCH_SELECT:
        shown = parse_int(str(tree_id), minimum=1, maximum=ID_MAX)
        if shown is None:
            return out
        try:
            tree = trees.get_tree(current_db(), shown)
        except InputError:
            return out
        found = search_clade(tree.newick, clean_text(search, 100))
        if found is not None:
            out["selected"] = found
    return out


@callback(
    output={
        "navigate": Output(ids.NAVIGATE, "href"),
        "message": Output(ids.MESSAGE, "children", allow_duplicate=True),
    },
    inputs={
        "_reroot": Input(ids.REROOT, "n_clicks"),
        "_midpoint": Input(ids.MIDPOINT, "n_clicks"),
        "selected": State(ids.SELECTED, "data"),
        "tree_id": State(ids.TREE, "data"),
        "shape": State(ids.LAYOUT, "value"),
        "branches": State(ids.BRANCHES, "value"),
        "colour": State(ids.COLOUR, "value"),
        "url_labels": State(ids.URL_LABELS, "data"),
        "support": State(ids.SUPPORT, "value"),
        "search": State(ids.SEARCH, "value"),
        "compare": State(ids.URL_COMPARE, "data"),
    },
    prevent_initial_call=True,
)
def reroot(
    _reroot: object,
    _midpoint: object,
    selected: object,
    tree_id: object,
    shape: object,
    branches: object,
    colour: object,
    url_labels: object,
    support: object,
    search: object,
    compare: object = None,
) -> dict[str, Any]:
    """Save a copy of the tree rooted on the clicked clade (or at its midpoint) and open it,
    drawn the same way."""
    shown = parse_int(str(tree_id), minimum=1, maximum=ID_MAX)
    if shown is None or not (_reroot or _midpoint):
        return {"navigate": no_update, "message": no_update}
    db, actor = current_db(), current_actor()
    try:
        if ctx.triggered_id == ids.MIDPOINT:
            made = trees.reroot(db, actor, shown, midpoint=True)
        else:
            node = (
                parse_int(str(selected), minimum=0, maximum=NODE_MAX)
                if selected is not None
                else None
            )
            if node is None:
                return {"navigate": no_update, "message": "Click a node first."}
            tree = trees.get_tree(db, shown)
            outgroup = clade_tips(tree.newick, node)
            if not outgroup or len(outgroup) == tree.tip_count:
                return {"navigate": no_update, "message": "That is the root already."}
            made = trees.reroot(db, actor, shown, outgroup=list(outgroup))
    except ServiceError as exc:
        return {"navigate": no_update, "message": error_alert(exc)}
    labels = {"on": True, "off": False}.get(str(url_labels))
    q = view_of(shown, shape, branches, colour, labels, support, None, None, search)
    other = parse_int(str(compare), minimum=1, maximum=ID_MAX) if compare else None
    q = replace(q, compare=other)
    return {"navigate": tree_href(ids.PATH, carried_over(q, made.id)), "message": None}


@callback(
    Output(ids.DOWNLOAD, "data"),
    Input(ids.DOWNLOAD_NEWICK, "n_clicks"),
    Input(ids.DOWNLOAD_NEXUS, "n_clicks"),
    Input(ids.DOWNLOAD_PHYLOXML, "n_clicks"),
    State(ids.TREE, "data"),
    prevent_initial_call=True,
)
def download(_newick: object, _nexus: object, _phyloxml: object, tree_id: object) -> Any:
    """The tree as Newick, Nexus or PhyloXML (the service writes it)."""
    shown = parse_int(str(tree_id), minimum=1, maximum=ID_MAX)
    fmt = {
        ids.DOWNLOAD_NEWICK: "newick",
        ids.DOWNLOAD_NEXUS: "nexus",
        ids.DOWNLOAD_PHYLOXML: "phyloxml",
    }.get(str(ctx.triggered_id))
    if shown is None or fmt is None:
        return no_update
    body, mimetype, filename = trees.export(current_db(), shown, fmt)
    return {"content": body.decode("utf-8"), "filename": filename, "type": mimetype}


# SVG and PNG are made by Plotly in the browser from the figure as drawn (assets/trees.js).
clientside_callback(
    ClientsideFunction("msgTrees", "downloadImage"),
    Output("trees-image-done", "data"),
    Input(ids.DOWNLOAD_SVG, "n_clicks"),
    Input(ids.DOWNLOAD_PNG, "n_clicks"),
    State(ids.IMAGE_NAME, "data"),
    State(ids.FIGURE, "id"),
    prevent_initial_call=True,
)
