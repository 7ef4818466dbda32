"""Accessible tabs: use these instead of ``dbc.Tabs``.

``dbc.Tabs`` renders its panels with ids ending in ``-null`` and ``aria-labelledby`` naming
tabs that do not exist, which axe reports as serious (``aria-valid-attr-value``). These are
tabs as WAI-ARIA describes them: a ``tablist`` of ``tab`` buttons, each with
``aria-selected`` and ``aria-controls`` naming its ``tabpanel``, and each panel labelled by
its tab. Every panel stays in the page (the inactive ones ``hidden``), so their callbacks run
and their grids and forms keep their state while another tab is shown.

The active tab's key lives in a ``dcc.Store`` (``ids.store``, inside the component), so a page
can keep it in the URL or switch tabs from its own callbacks (``Output(ids.store, "data")``).
``register_tabs`` wires the clicks and the switching, in the browser::

    TOOLS = TabIds("explorer")  # buttons explorer-tab-<key>, panels explorer-panel-<key>
    register_tabs(TOOLS, ("cds", "orfs"))  # once, at the page's import

    def layout(**query):
        return tabs(
            TOOLS,
            [Tab("cds", "CDS", cds_panel()), Tab("orfs", "ORF finder", orf_panel())],
            active=query.get("tab", "cds"),
            label="Tools",
        )
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dash import Input, Output, clientside_callback, dcc, html

ACTIVE_CLASS = "nav-link active"
INACTIVE_CLASS = "nav-link"


@dataclass(frozen=True)
class TabIds:
    """The ids of one set of tabs, all from ``prefix``.

    >>> ids = TabIds("explorer")
    >>> ids.store, ids.tab("cds"), ids.panel("cds")
    ('explorer-tabs', 'explorer-tab-cds', 'explorer-panel-cds')
    """

    prefix: str

    @property
    def store(self) -> str:
        """The ``dcc.Store`` holding the active tab's key."""
        return f"{self.prefix}-tabs"

    @property
    def tablist(self) -> str:
        """The ``tablist``."""
        return f"{self.prefix}-tablist"

    def tab(self, key: str) -> str:
        """Tab ``key``'s button."""
        return f"{self.prefix}-tab-{key}"

    def panel(self, key: str) -> str:
        """Tab ``key``'s panel."""
        return f"{self.prefix}-panel-{key}"


@dataclass(frozen=True)
class Tab:
    """One tab: its key (in ids, the store and the URL), its label and its panel's content."""

    key: str
    label: Any
    panel: Any


def tab_class(is_active: bool) -> str:
    """The class of a tab's button.

    >>> tab_class(True), tab_class(False)
    ('nav-link active', 'nav-link')
    """
    return ACTIVE_CLASS if is_active else INACTIVE_CLASS


def _aria(**attributes: str) -> dict[str, Any]:
    """``aria-*`` attributes as Dash takes them (keyword arguments with a dash).

    >>> _aria(selected="true", controls="p")
    {'aria-selected': 'true', 'aria-controls': 'p'}
    """
    return {f"aria-{name}": value for name, value in attributes.items()}


def tabs(ids: TabIds, items: Sequence[Tab], active: str, label: str) -> html.Div:
    """The tabs ``items`` with ``active`` shown (an unknown key shows the first); ``label``
    names the ``tablist`` for screen readers. Needs ``register_tabs(ids, keys)``."""
    if not items:
        raise ValueError("tabs need at least one tab")
    keys = [t.key for t in items]
    if len(set(keys)) != len(keys):
        raise ValueError(f"tab keys repeat: {keys}")
    shown = active if active in keys else keys[0]
    buttons = [
        html.Li(
            html.Button(
                t.label,
                id=ids.tab(t.key),
                type="button",
                role="tab",
                className=tab_class(t.key == shown),
                **_aria(selected="true" if t.key == shown else "false", controls=ids.panel(t.key)),
            ),
            className="nav-item",
            role="presentation",
        )
        for t in items
    ]
    panels = [
        html.Div(
            t.panel,
            id=ids.panel(t.key),
            role="tabpanel",
            hidden=t.key != shown,
            className="pt-3",
            **_aria(labelledby=ids.tab(t.key)),
        )
        for t in items
    ]
    return html.Div(
        [
            dcc.Store(id=ids.store, data=shown),
            html.Ul(
                buttons,
                id=ids.tablist,
                className="nav nav-tabs msg-tabs",
                role="tablist",
                **_aria(label=label),
            ),
            *panels,
        ]
    )


def register_tabs(ids: TabIds, keys: Sequence[str]) -> None:
    """Wire tabs ``keys`` of ``ids`` (call once, at the page's import): a click on a tab puts
    its key in ``ids.store``; the store's key (from a click or any callback) shows its panel
    and marks its tab. Both run in the browser."""
    keys = list(keys)
    clientside_callback(
        """
        function () {
            const trigger = window.dash_clientside.callback_context.triggered_id;
            if (!trigger) { return window.dash_clientside.no_update; }
            return trigger.slice(__PREFIX__.length);
        }
        """.replace("__PREFIX__", json.dumps(ids.tab(""))),
        Output(ids.store, "data", allow_duplicate=True),
        *[Input(ids.tab(key), "n_clicks") for key in keys],
        prevent_initial_call=True,
    )
    clientside_callback(
        """
        function (active) {
            const keys = __KEYS__;
            if (!keys.includes(active)) { active = keys[0]; }
            return [
                ...keys.map(k => k === active ? __ACTIVE__ : __INACTIVE__),
                ...keys.map(k => k === active ? "true" : "false"),
                ...keys.map(k => k !== active),
            ];
        }
        """.replace("__KEYS__", json.dumps(keys))
        .replace("__ACTIVE__", json.dumps(ACTIVE_CLASS))
        .replace("__INACTIVE__", json.dumps(INACTIVE_CLASS)),
        *[Output(ids.tab(key), "className") for key in keys],
        *[Output(ids.tab(key), "aria-selected") for key in keys],
        *[Output(ids.panel(key), "hidden") for key in keys],
        Input(ids.store, "data"),
        prevent_initial_call=True,
    )
