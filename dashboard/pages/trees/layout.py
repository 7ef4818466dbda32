"""The Trees page's layout: the saved trees, the chosen tree drawn with its controls and
facts, and (its own view, ``?new=datasets`` or ``?new=file``) the forms that build or upload
one. Built from the URL (``layout(**query)``) and the services only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.auth import app_state, current_actor, current_db
from dashboard.components import forms
from dashboard.components.feedback import empty_state, error_alert, icon
from dashboard.components.file_input import file_field
from dashboard.components.frame import card, loading, page_header
from dashboard.components.grid import GridSpec, data_grid
from dashboard.components.job_progress import job_progress
from dashboard.components.provenance_badge import provenance_legend
from dashboard.components.tabs import Tab, tabs
from dashboard.components.theme import current_scheme
from dashboard.components.tree_drawing import Drawing, draw
from dashboard.components.tree_figure import tree_graph_config
from dashboard.components.tree_state import TreeQuery, parse_tree_query, tree_href, tree_query
from dashboard.components.tree_views import (
    DEFAULT_BOOTSTRAP,
    DISTANCE_CHOICES,
    HIDDEN_TREE_COLUMNS,
    KIND_CHOICES,
    METHOD_CHOICES,
    PICK_COLUMNS,
    TREE_COLUMNS,
    compare_options,
    compare_summary,
    pick_rows,
    radio_choices,
    tree_info,
    tree_rows,
)
from dashboard.components.view_state import GridView, Sort, parse_int
from dashboard.services import datasets, experiments, policy, provenance, trees
from dashboard.services.errors import NotFound, ServiceError
from dashboard.services.policy import Action

from . import ids

LIST_SPEC = GridSpec(
    ids.LIST_IDS,
    TREE_COLUMNS,
    default=GridView(sort=(Sort("created_at", descending=True),), hidden=HIDDEN_TREE_COLUMNS),
    label="trees",
    # The list's URL callback also keeps the tree's view (one page, one query string).
    url_params={
        "tree": (ids.TREE, "data"),
        "layout": (ids.URL_LAYOUT, "data"),
        "branches": (ids.URL_BRANCHES, "data"),
        "colour": (ids.URL_COLOUR, "data"),
        "labels": (ids.URL_LABELS, "data"),
        "support": (ids.URL_SUPPORT, "data"),
        "zoom": (ids.URL_ZOOM, "data"),
        "collapsed": (ids.URL_COLLAPSED, "data"),
        "search": (ids.URL_SEARCH, "data"),
        "compare": (ids.URL_COMPARE, "data"),
    },
)
PICK_SPEC = GridSpec(ids.PICK_IDS, PICK_COLUMNS, label="datasets")
FACTOR_KEYS = tuple(key for key, _label in trees.FACTORS)
FACTOR_LABELS = dict(trees.FACTORS)
LIST_LIMIT = 500
ID_MAX = 2**31 - 1
# Provenance states that change by themselves (the batch is anchored and confirmed; a failed
# anchoring is retried): the page follows them until they settle, every PROVENANCE_MS.
SETTLING_STATES = frozenset({provenance.PENDING, provenance.FAILED})
PROVENANCE_MS = 4_000
TREE_EXTENSIONS = (".nwk", ".newick", ".tree", ".tre", ".treefile", ".nex", ".nexus", ".xml")
OTHER_EXTENSIONS = (".fasta", ".fa", ".fas", ".aln", ".phy", ".phylip", ".csv", ".tsv", ".dist")
PAGE_UPLOAD_MAX = 25 * 2**20  # bytes a file may have through the page (the API takes more)


def href(tree_id: int) -> str:
    """The page showing tree ``tree_id`` (its view reset)."""
    return tree_href(ids.PATH, TreeQuery(tree=tree_id))


def required_confirmations() -> int:
    """Confirmations after which an anchored record counts (the app's setting)."""
    return app_state().settings.chain_confirmations


def may_build() -> bool:
    """Whether the signed-in user may build, upload or re-root trees."""
    return policy.allows(current_actor(), Action.TREE_BUILD)


def _build_link(may: bool, *, with_ids: bool = True) -> list[Any]:
    if not may:
        return []
    return [
        dcc.Link(
            [icon("plus-lg", "me-1"), "Build a tree"],
            href=f"{ids.PATH}?new=datasets",
            className="btn btn-primary",
            **({"id": "trees-new-link"} if with_ids else {}),
        ),
        dcc.Link(
            [icon("upload", "me-1"), "Upload"],
            href=f"{ids.PATH}?new=file",
            className="btn btn-outline-primary msg-outline-primary",
            **({"id": "trees-upload-link"} if with_ids else {}),
        ),
    ]


def group_of(tips: dict[str, trees.TipInfo], factor: str) -> tuple[dict[str, str] | None, str]:
    """Tip -> category for colouring by ``factor`` ("" / unknown factor: no colouring)."""
    if factor not in FACTOR_LABELS:
        return None, ""
    return {label: info.factors.get(factor, "") for label, info in tips.items()}, FACTOR_LABELS[
        factor
    ]


def drawing_of(tree: trees.TreeView, q: TreeQuery, selected: int | None = None) -> Drawing:
    """The tree drawn as ``q`` says, coloured from its tips' datasets."""
    groups, title = (None, "")
    if q.colour:
        groups, title = group_of(trees.tip_info(current_db(), tree), q.colour)
    return draw(
        tree.newick,
        q,
        groups,
        group_title=title,
        selected=selected,
        scheme=current_scheme(),
    )


# --- the tree's controls ----------------------------------------------------------------------


def _radio(control_id: str, label: str, options: list[tuple[str, str]], value: str) -> html.Div:
    return html.Div(
        [
            html.Span(label, className="form-label small mb-1 d-block", id=f"{control_id}-label"),
            dbc.RadioItems(
                id=control_id,
                options=[{"label": text, "value": key} for key, text in options],
                value=value,
                inline=True,
                className="msg-tree-radio",
            ),
        ],
        role="radiogroup",
        **{"aria-labelledby": f"{control_id}-label"},
    )


def _controls(q: TreeQuery, drawing: Drawing) -> html.Div:
    colour_options = [{"label": "No colour", "value": ""}] + [
        {"label": label, "value": key} for key, label in trees.FACTORS
    ]
    return html.Div(
        [
            _radio(
                ids.LAYOUT,
                "Layout",
                [("rectangular", "Rectangular"), ("radial", "Circular")],
                q.shape,
            ),
            _radio(
                ids.BRANCHES,
                "Branches",
                [("phylogram", "Phylogram"), ("cladogram", "Cladogram")],
                "phylogram" if q.lengths else "cladogram",
            ),
            html.Div(
                [
                    dbc.Label("Colour by", html_for=ids.COLOUR, className="small mb-1"),
                    dbc.Select(
                        id=ids.COLOUR,
                        options=colour_options,
                        value=q.colour,
                        placeholder="No colour",
                        size="sm",
                    ),
                ],
                className="msg-tree-colour",
            ),
            html.Div(
                [
                    dbc.Switch(id=ids.LABELS, label="Tip labels", value=drawing.labels),
                    dbc.Switch(id=ids.SUPPORT, label="Support values", value=q.support),
                ],
                className="msg-tree-switches",
            ),
        ],
        className="msg-tree-controls",
    )


def _search(q: TreeQuery, drawing: Drawing) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    dbc.Label("Find tips", html_for=ids.SEARCH, className="visually-hidden"),
                    dbc.InputGroup(
                        [
                            dbc.InputGroupText(icon("search")),
                            dbc.Input(
                                id=ids.SEARCH,
                                type="search",
                                value=q.search,
                                placeholder="Find tips by name",
                                debounce=0.4,
                                autocomplete="off",
                                maxLength=100,
                            ),
                        ],
                        size="sm",
                    ),
                ],
                className="msg-tree-search",
            ),
            html.Span(
                search_text(q.search, len(drawing.matches)),
                id=ids.SEARCH_INFO,
                className="small text-body-secondary",
                role="status",
            ),
            dbc.Button(
                "Select their clade",
                id=ids.SEARCH_SELECT,
                size="sm",
                color="secondary",
                outline=True,
                class_name="msg-outline-quiet",
                disabled=not drawing.matches,
            ),
        ],
        className="msg-tree-searchbar",
    )


def search_text(search: str, count: int) -> str:
    """How many tips the search found.

    >>> search_text("", 0), search_text("anc", 1), search_text("x", 0)
    ('', '1 tip matches', 'No tip matches')
    """
    if not search:
        return ""
    if not count:
        return "No tip matches"
    return f"{count:,} tip{'s' if count != 1 else ''} match{'es' if count == 1 else ''}"


def _downloads(tree: trees.TreeView) -> dbc.DropdownMenu:
    item = "dropdown-item"
    return dbc.DropdownMenu(
        [
            dbc.DropdownMenuItem("The tree", header=True),
            html.Button("Newick (.nwk)", id=ids.DOWNLOAD_NEWICK, className=item, type="button"),
            html.Button("Nexus (.nex)", id=ids.DOWNLOAD_NEXUS, className=item, type="button"),
            html.Button("PhyloXML (.xml)", id=ids.DOWNLOAD_PHYLOXML, className=item, type="button"),
            dbc.DropdownMenuItem(divider=True),
            dbc.DropdownMenuItem("The figure as drawn", header=True),
            html.Button("SVG image", id=ids.DOWNLOAD_SVG, className=item, type="button"),
            html.Button("PNG image", id=ids.DOWNLOAD_PNG, className=item, type="button"),
        ],
        label=[icon("download", "me-1"), "Download"],
        color="secondary",
        size="sm",
        align_end=True,
        id="trees-downloads",
    )


def _action_bar(may: bool) -> html.Div:
    def button(button_id: str, text: str, icon_name: str, disabled: bool = True) -> dbc.Button:
        return dbc.Button(
            [icon(icon_name, "me-1"), text],
            id=button_id,
            size="sm",
            color="primary",
            outline=True,
            class_name="msg-outline-primary",
            disabled=disabled,
        )

    buttons = [
        button(ids.ZOOM_IN, "Zoom into this clade", "zoom-in"),
        button(ids.COLLAPSE, "Collapse", "arrows-collapse"),
    ]
    if may:
        buttons.append(button(ids.REROOT, "Re-root here", "diagram-2", disabled=False))
    buttons.append(
        dbc.Button(
            [icon("x-lg", "me-1"), "Clear"],
            id=ids.DESELECT,
            size="sm",
            color="link",
        )
    )
    return html.Div(
        [
            html.Div(id=ids.ACTION_TEXT, className="msg-tree-node small"),
            html.Div(buttons, className="d-flex flex-wrap gap-2"),
        ],
        id=ids.ACTIONS,
        className="msg-tree-actions",
        hidden=True,
        role="region",
        **{"aria-label": "The selected node"},
    )


def _view_card(tree: trees.TreeView, q: TreeQuery, drawing: Drawing, may: bool) -> dbc.Card:
    tools: list[Any] = [
        dbc.Button(
            [icon("fullscreen-exit", "me-1"), "Whole tree"],
            id=ids.RESET_ZOOM,
            size="sm",
            color="secondary",
            outline=True,
            class_name="msg-outline-quiet",
            disabled=q.zoom is None,
        )
    ]
    if may:
        tools.append(
            dbc.Button(
                [icon("signpost-split", "me-1"), "Midpoint root"],
                id=ids.MIDPOINT,
                size="sm",
                color="secondary",
                outline=True,
                class_name="msg-outline-quiet",
                title="Save a copy of this tree rooted at the midpoint of its longest path",
            )
        )
    tools.append(_downloads(tree))
    header = html.Div(
        [
            html.H2(tree.name, className="h5 mb-0 text-truncate msg-tree-name", title=tree.name),
            html.Div(tools, className="d-flex flex-wrap gap-2 ms-auto"),
        ],
        className="d-flex flex-wrap align-items-center gap-2",
    )
    graph = dcc.Graph(
        id=ids.FIGURE,
        figure=drawing.figure,
        config=tree_graph_config(tree.name or f"tree-{tree.id}"),
        className="msg-tree-graph",
    )
    return card(
        [
            _controls(q, drawing),
            _search(q, drawing),
            _action_bar(may),
            html.Div(
                drawing.note or None,
                id=ids.MESSAGE,
                className="small text-body-secondary",
                role="status",
            ),
            loading(graph, area_id=ids.FIGURE_AREA, min_height="360px"),
            dcc.Download(id=ids.DOWNLOAD),
            dcc.Store(id="trees-image-done"),
        ],
        header=header,
        class_name="mb-3 msg-tree-card",
    )


def _stores(tree: trees.TreeView, q: TreeQuery) -> list[dcc.Store]:
    url = tree_query(q)
    return [
        dcc.Store(id=ids.TREE, data=tree.id),
        dcc.Store(id=ids.ZOOM, data=q.zoom),
        dcc.Store(id=ids.COLLAPSED, data=list(q.collapsed)),
        dcc.Store(id=ids.SELECTED, data=None),
        dcc.Store(id=ids.CLICKED, data=None),
        dcc.Store(
            id=ids.IMAGE_NAME,
            data=tree_graph_config(tree.name or f"tree-{tree.id}")["toImageButtonOptions"][
                "filename"
            ],
        ),
        dcc.Store(id=ids.URL_LAYOUT, data=url.get("layout")),
        dcc.Store(id=ids.URL_BRANCHES, data=url.get("branches")),
        dcc.Store(id=ids.URL_COLOUR, data=url.get("colour")),
        dcc.Store(id=ids.URL_LABELS, data=url.get("labels")),
        dcc.Store(id=ids.URL_SUPPORT, data=url.get("support")),
        dcc.Store(id=ids.URL_ZOOM, data=url.get("zoom")),
        dcc.Store(id=ids.URL_COLLAPSED, data=url.get("collapsed")),
        dcc.Store(id=ids.URL_SEARCH, data=url.get("search")),
        dcc.Store(id=ids.URL_COMPARE, data=url.get("compare")),
    ]


def _tree_view(
    tree: trees.TreeView,
    q: TreeQuery,
    may: bool,
    others: list[trees.TreeView],
    status: provenance.Status,
) -> html.Div:
    db = current_db()
    drawing = drawing_of(tree, q)
    q = drawing.query
    parent_name = None
    if tree.parent_tree_id is not None:
        try:
            parent_name = trees.get_tree(db, tree.parent_tree_id).name
        except NotFound:
            parent_name = None
    info = card(
        tree_info(tree, status, href, parent_name, provenance_id=ids.INFO_PROVENANCE),
        header=[icon("info-circle", "me-2"), "About this tree"],
        class_name="mb-3",
    )
    return html.Div(
        [
            *_stores(tree, q),
            dbc.Row(
                [
                    dbc.Col(_view_card(tree, q, drawing, may), xl=9),
                    dbc.Col([html.Div(info, id=ids.INFO), _compare_card(tree, q, others)], xl=3),
                ],
                className="g-3",
            ),
        ]
    )


# --- comparing with another tree ---------------------------------------------------------------


def comparison(tree_id: int, other_id: int | None) -> Any:
    """The Robinson–Foulds comparison of tree ``tree_id`` with ``other_id`` in words (None:
    nothing chosen; a tree that is gone or cannot be compared: the service's reason)."""
    if other_id is None:
        return None
    if other_id == tree_id:
        return html.P("That is this tree: choose another one.", className="small mb-0")
    db = current_db()
    try:
        result = trees.compare(db, tree_id, other_id)
        other = trees.get_tree(db, other_id)
    except ServiceError as exc:
        return error_alert(exc)
    return compare_summary(result, other.name, href(other.id))


def _compare_card(tree: trees.TreeView, q: TreeQuery, others: list[trees.TreeView]) -> Any:
    options = compare_options(others, tree.id)
    value = str(q.compare) if q.compare is not None else ""
    if value and value not in {o["value"] for o in options}:
        options.append({"label": f"#{value}", "value": value})
    return card(
        [
            dbc.Label("Compare with", html_for=ids.COMPARE, className="small mb-1"),
            dbc.Select(id=ids.COMPARE, options=options, value=value, size="sm"),
            html.Div(
                comparison(tree.id, q.compare),
                id=ids.COMPARE_RESULT,
                className="mt-2",
                role="status",
                **{"aria-live": "polite"},
            ),
        ],
        header=[icon("intersect", "me-2"), "Compare with another tree"],
        class_name="mb-3",
    )


# --- the list ---------------------------------------------------------------------------------


def _list(rows: list[dict[str, Any]], query: dict[str, Any]) -> Any:
    return html.Section(
        [
            html.H2("Saved trees", className="h5 mb-2"),
            data_grid(
                LIST_SPEC,
                rows,
                view=LIST_SPEC.view(query),
                csv_name="trees.csv",
                legend=provenance_legend(),
                no_match="No trees match. Clear the search or the column filters to see all.",
            ),
        ],
        className="mb-3",
        **{"aria-label": "Saved trees"},
    )


def _no_trees(may: bool) -> html.Div:
    hint = (
        "A tree is built from datasets (genomes or aligned sequences), an alignment or a "
        "distance matrix, or uploaded as Newick, Nexus or PhyloXML."
    )
    if not may:
        return card(empty_state("diagram-3", "No trees yet", f"{hint} Scientists build them."))
    return card(
        empty_state(
            "diagram-3",
            "No trees yet",
            hint,
            html.Div(
                _build_link(True, with_ids=False), className="d-flex gap-2 justify-content-center"
            ),
        )
    )


def _trees_view(query: dict[str, Any], may: bool) -> list[Any]:
    db = current_db()
    q = parse_tree_query(query, FACTOR_KEYS)
    found, _total = trees.list_trees(db, limit=LIST_LIMIT)
    if not found:
        return [_no_trees(may)]
    tree: trees.TreeView | None = None
    missing = None
    if q.tree is not None:
        try:
            tree = trees.get_tree(db, q.tree)
        except NotFound:
            missing = q.tree
    if tree is None:
        tree = found[0]
        q = TreeQuery(tree=None, shape=q.shape, lengths=q.lengths, colour=q.colour)
    if q.compare == tree.id:
        q = replace(q, compare=None)
    required = required_confirmations()
    statuses = {t.id: trees.status(db, t, required) for t in found}
    if tree.id not in statuses:  # an older tree than the list holds
        statuses[tree.id] = trees.status(db, tree, required)
    rows = tree_rows(found, statuses, href)
    notice = (
        dbc.Alert(
            f"There is no tree {missing}; showing the newest.", color="warning", class_name="py-2"
        )
        if missing
        else None
    )
    return [
        notice,
        _tree_view(tree, q, may, found, statuses[tree.id]),
        _list(rows, query),
        *_provenance_followers(statuses),
    ]


# --- provenance that changes while the page is open --------------------------------------------


def settling(statuses: Mapping[int, provenance.Status]) -> dict[str, str]:
    """The trees whose provenance may still change by itself (a pending record gets
    anchored; a failed anchoring is retried): id (as text, a JSON key) -> state now."""
    return {str(k): v.state for k, v in statuses.items() if v.state in SETTLING_STATES}


def _provenance_followers(statuses: Mapping[int, provenance.Status]) -> list[Any]:
    watch = settling(statuses)
    return [
        dcc.Store(id=ids.PROVENANCE_WATCH, data=watch),
        dcc.Interval(id=ids.PROVENANCE_TICK, interval=PROVENANCE_MS, disabled=not watch),
    ]


@dataclass(frozen=True)
class ProvenanceNews:
    """What changed of the followed trees' provenance since the page last looked."""

    rows: list[dict[str, Any]]  # the list's rows of the trees whose status changed
    changed: dict[int, provenance.Status]
    watch: dict[str, str]  # the trees still settling, and their state now


def provenance_news(watch: object) -> ProvenanceNews:
    """The provenance now of the trees in ``watch`` ({id: state} as the page saw it); a tree
    that is gone, or an id the page never drew, is followed no more."""
    db = current_db()
    required = required_confirmations()
    changed: dict[int, provenance.Status] = {}
    views: list[trees.TreeView] = []
    still: dict[str, str] = {}
    for key, seen in (watch if isinstance(watch, dict) else {}).items():
        tree_id = parse_int(str(key), minimum=1, maximum=ID_MAX)
        if tree_id is None:
            continue
        try:
            tree = trees.get_tree(db, tree_id)
        except NotFound:
            continue
        now = trees.status(db, tree, required)
        if now.state != seen:
            changed[tree_id] = now
            views.append(tree)
        if now.state in SETTLING_STATES:
            still[str(tree_id)] = now.state
    return ProvenanceNews(tree_rows(views, changed, href), changed, still)


# --- building ---------------------------------------------------------------------------------


def _errors_beside(form_ids: forms.FormIds, name: str, control: Any, label: str) -> html.Div:
    """A radio group laid out like a form field: label, choices and its error slot."""
    return html.Div(
        [
            html.Div(label, className="form-label", id=f"{form_ids.name}-{name}-label"),
            html.Div(
                control, role="radiogroup", **{"aria-labelledby": f"{form_ids.name}-{name}-label"}
            ),
            forms.field_error(form_ids, name),
        ],
        id=form_ids.wrapper(name),
        className="msg-field mb-3",
        **{"data-msg-field": name},
    )


def _numbers(form_ids: forms.FormIds, bootstrap: str, show_seed: bool = True) -> dbc.Row:
    return dbc.Row(
        [
            dbc.Col(
                forms.field(
                    form_ids,
                    "bootstrap",
                    "Bootstrap replicates",
                    value=bootstrap,
                    input_mode="numeric",
                    help_text=f"0 = none; {DEFAULT_BOOTSTRAP} is usual for aligned sequences. "
                    f"At most {trees.BOOTSTRAP_MAX:,}; a bootstrap runs as a background job.",
                ),
                md=6,
            ),
            dbc.Col(
                forms.field(
                    form_ids,
                    "seed",
                    "Random seed",
                    value="1",
                    input_mode="numeric",
                    help_text="The same seed gives the same support values.",
                )
                if show_seed
                else None,
                md=6,
            ),
        ],
        className="g-3",
    )


def _name_field(form_ids: forms.FormIds) -> html.Div:
    return forms.field(
        form_ids,
        "name",
        "Name",
        max_length=trees.NAME_MAX,
        help_text="Left empty, the tree is named after its method and tip count.",
    )


def _datasets_form() -> html.Div:
    db = current_db()
    rows = pick_rows(datasets.list_datasets(db))
    form_ids = ids.BUILD_FORM
    picker = html.Div(
        [
            html.Div(
                [
                    html.Span("Datasets", className="form-label"),
                    html.Span(" *", className="msg-required", **{"aria-hidden": "true"}),
                ],
                id="trees-build-datasets-label",
            ),
            html.Div(
                "Tick the genomes (MinHash) or equal-length aligned sequences (p, JC69, K2P) "
                "to use; each becomes a tip named after its sample. One aligned multi-FASTA "
                "dataset gives a tip per record.",
                className="form-text mb-2",
            ),
            data_grid(
                PICK_SPEC,
                rows,
                csv_name="datasets.csv",
                empty=empty_state(
                    "files",
                    "No datasets to build from",
                    "Import genomes or assemblies first.",
                    dcc.Link(
                        "Import a dataset", href="/datasets/import", className="btn btn-primary"
                    ),
                ),
                grid_options={
                    "rowSelection": {
                        "mode": "multiRow",
                        "checkboxes": True,
                        "headerCheckbox": True,
                        "selectAll": "filtered",
                        "enableClickSelection": True,
                    },
                },
            ),
            html.Div("No dataset chosen.", id=ids.PICKED, className="small mt-1", role="status"),
            forms.field_error(form_ids, "datasets"),
        ],
        id=form_ids.wrapper("datasets"),
        className="msg-field mb-3",
        **{"data-msg-field": "datasets"},
    )
    fields = [
        picker,
        dbc.Row(
            [
                dbc.Col(
                    _errors_beside(
                        form_ids,
                        "distance",
                        radio_choices(ids.BUILD_DISTANCE, DISTANCE_CHOICES, "k2p"),
                        "Distance",
                    ),
                    lg=6,
                ),
                dbc.Col(
                    _errors_beside(
                        form_ids,
                        "method",
                        radio_choices(ids.BUILD_METHOD, METHOD_CHOICES, "nj"),
                        "Method",
                    ),
                    lg=6,
                ),
            ],
            className="g-3",
        ),
        _numbers(form_ids, str(DEFAULT_BOOTSTRAP)),
        _name_field(form_ids),
    ]
    return html.Div(
        [
            forms.form(
                form_ids,
                fields,
                actions=forms.form_actions(
                    form_ids, "Build tree", cancel_href=ids.PATH, submit_icon="diagram-3"
                ),
                title="Build a tree from datasets",
            ),
            html.Div(id=ids.BUILD_ALERT, className="mt-3"),
            job_progress(ids.BUILD_JOB, "Building the tree"),
        ]
    )


def _file_form() -> html.Div:
    form_ids = ids.UPLOAD_FORM
    experiment_options: list[tuple[str, str]] = [("", "None")] + [
        (str(e.id), e.name) for e in experiments.list_experiments(current_db())
    ]
    picked = file_field(
        form_ids,
        "file",
        "File",
        accept=(*TREE_EXTENSIONS, *OTHER_EXTENSIONS),
        host_id=ids.UPLOAD_HOST,
        required=True,
        note_id=ids.UPLOAD_NOTE,
        help_text="A tree (Newick, Nexus, PhyloXML), an alignment (FASTA, PHYLIP, Clustal, "
        f"Nexus) or a distance matrix (PHYLIP, CSV); plain text, up to "
        f"{PAGE_UPLOAD_MAX // 2**20} MiB here (larger through the API).",
    )
    # assets/trees.js reads the chosen file into UPLOAD_FILE.
    reader = {"store": ids.UPLOAD_FILE, "note": ids.UPLOAD_NOTE, "max": PAGE_UPLOAD_MAX}
    fields = [
        html.Div(picked, **{"data-msg-tree-file": json.dumps(reader)}),
        _errors_beside(
            form_ids, "kind", radio_choices(ids.UPLOAD_KIND, KIND_CHOICES, "auto"), "It holds"
        ),
        dbc.Row(
            [
                dbc.Col(
                    _errors_beside(
                        form_ids,
                        "distance",
                        radio_choices(ids.UPLOAD_DISTANCE, DISTANCE_CHOICES[:3], "k2p"),
                        "Distance (alignments)",
                    ),
                    lg=6,
                ),
                dbc.Col(
                    _errors_beside(
                        form_ids,
                        "method",
                        radio_choices(ids.UPLOAD_METHOD, METHOD_CHOICES, "nj"),
                        "Method (alignments and matrices)",
                    ),
                    lg=6,
                ),
            ],
            className="g-3",
        ),
        _numbers(form_ids, "0"),
        forms.field(
            form_ids,
            "experiment_id",
            "Tip metadata from experiment",
            kind="select",
            value="",
            options=experiment_options,
            help_text="Tips named like a sample of this experiment take its factors "
            "(spaceflight, gravity, dose...).",
        ),
        _name_field(form_ids),
        dcc.Store(id=ids.UPLOAD_FILE),
    ]
    return html.Div(
        [
            forms.form(
                form_ids,
                fields,
                actions=forms.form_actions(
                    form_ids, "Upload", cancel_href=ids.PATH, submit_icon="upload"
                ),
                title="Upload a tree, an alignment or a distance matrix",
            ),
            html.Div(id=ids.UPLOAD_ALERT, className="mt-3"),
            job_progress(ids.UPLOAD_JOB, "Building the tree"),
        ]
    )


def _new_view(active: str) -> list[Any]:
    return [
        page_header(
            "Build a tree",
            breadcrumb_items=[("Overview", "/"), ("Trees", ids.PATH), ("Build", None)],
            subtitle="From datasets, or from a file: a tree, an alignment or a distance matrix.",
        ),
        card(
            tabs(
                ids.NEW_TABS,
                [
                    Tab(ids.TAB_DATASETS, "From datasets", _datasets_form()),
                    Tab(ids.TAB_FILE, "From a file", _file_form()),
                ],
                active=active,
                label="Build from",
            ),
            class_name="mb-3",
        ),
    ]


def layout(**query: Any) -> html.Div:
    """The trees and the chosen one's view, or the build forms (``?new=...``)."""
    may = may_build()
    new = query.get("new")
    body: list[Any]
    if new in ids.NEW_TAB_KEYS and may:
        body = _new_view(str(new))
    else:
        body = [
            page_header(
                "Trees",
                breadcrumb_items=[("Overview", "/"), ("Trees", None)],
                actions=_build_link(may),
                subtitle="How the samples' genomes relate: flight lines, ground controls and "
                "the ancestor.",
            ),
            *_trees_view(query, may),
        ]
    return html.Div([dcc.Location(id=ids.NAVIGATE, refresh="callback-nav"), *body])
