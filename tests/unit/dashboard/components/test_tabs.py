"""The accessible tabs (dashboard/components/tabs.py): WAI-ARIA roles and references that
resolve (what dbc.Tabs gets wrong), one active tab, and the callbacks that switch them."""

from __future__ import annotations

from typing import Any

import pytest
from dash import dcc, html
from dash._callback import GLOBAL_CALLBACK_LIST, GLOBAL_INLINE_SCRIPTS

from dashboard.components.tabs import Tab, TabIds, register_tabs, tabs

IDS = TabIds("tabs-test")
ITEMS = [
    Tab("cds", "CDS", html.P("the CDS")),
    Tab("orfs", "ORF finder", html.P("the ORFs")),
    Tab("motif", "Motif search", html.P("the motif")),
]


def _walk(component: Any) -> list[Any]:
    """Every component in a tree, depth first."""
    if isinstance(component, list | tuple):
        return [c for child in component for c in _walk(child)]
    if not hasattr(component, "to_plotly_json"):
        return []
    return [component, *_walk(getattr(component, "children", None))]


def _attr(component: Any, name: str) -> Any:
    return component.to_plotly_json()["props"].get(name)


def _by_role(tree: Any, role: str) -> list[Any]:
    return [c for c in _walk(tree) if _attr(c, "role") == role]


def test_ids_come_from_the_prefix() -> None:
    assert IDS.store == "tabs-test-tabs"
    assert IDS.tablist == "tabs-test-tablist"
    assert IDS.tab("cds") == "tabs-test-tab-cds"
    assert IDS.panel("cds") == "tabs-test-panel-cds"


def test_roles_and_references_resolve() -> None:
    tree = tabs(IDS, ITEMS, "orfs", "Tools")
    [tablist] = _by_role(tree, "tablist")
    assert _attr(tablist, "aria-label") == "Tools"
    buttons = _by_role(tree, "tab")
    panels = _by_role(tree, "tabpanel")
    assert [b.id for b in buttons] == [IDS.tab(t.key) for t in ITEMS]
    assert [p.id for p in panels] == [IDS.panel(t.key) for t in ITEMS]
    every_id = {c.id for c in _walk(tree) if getattr(c, "id", None)}
    for button, panel in zip(buttons, panels, strict=True):
        assert _attr(button, "aria-controls") == panel.id
        assert _attr(panel, "aria-labelledby") == button.id
        assert _attr(button, "type") == "button"
    # What dbc.Tabs gets wrong: ids ending in "-null", references to nothing.
    assert not any(str(i).endswith("-null") for i in every_id)
    assert all(_attr(b, "aria-controls") in every_id for b in buttons)


def test_one_tab_is_active_and_only_its_panel_shows() -> None:
    tree = tabs(IDS, ITEMS, "orfs", "Tools")
    buttons = _by_role(tree, "tab")
    panels = _by_role(tree, "tabpanel")
    assert [_attr(b, "aria-selected") for b in buttons] == ["false", "true", "false"]
    assert [b.className for b in buttons] == ["nav-link", "nav-link active", "nav-link"]
    assert [p.hidden for p in panels] == [True, False, True]
    # Every panel is in the page (its callbacks run, its grid keeps its state).
    assert [p.children.children for p in panels] == ["the CDS", "the ORFs", "the motif"]
    [store] = [c for c in _walk(tree) if isinstance(c, dcc.Store)]
    assert (_attr(store, "id"), _attr(store, "data")) == (IDS.store, "orfs")


def test_an_unknown_active_key_shows_the_first_tab() -> None:
    tree = tabs(IDS, ITEMS, "nonsense", "Tools")
    assert [p.hidden for p in _by_role(tree, "tabpanel")] == [False, True, True]
    [store] = [c for c in _walk(tree) if isinstance(c, dcc.Store)]
    assert _attr(store, "data") == "cds"


@pytest.mark.parametrize(
    ("items", "message"),
    [([], "at least one tab"), ([ITEMS[0], ITEMS[0]], "tab keys repeat")],
    ids=["none", "repeated"],
)
def test_no_tabs_or_repeated_keys_are_refused(items: list[Tab], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tabs(IDS, items, "cds", "Tools")


def test_register_tabs_wires_clicks_to_the_store_and_the_store_to_the_tabs() -> None:
    ids = TabIds("tabs-register-test")
    before, scripts = len(GLOBAL_CALLBACK_LIST), len(GLOBAL_INLINE_SCRIPTS)
    register_tabs(ids, ("a", "b"))
    added = GLOBAL_CALLBACK_LIST[before:]
    try:
        assert len(added) == 2
        click, switch = added
        assert [i["id"] for i in click["inputs"]] == [ids.tab("a"), ids.tab("b")]
        assert click["output"].startswith(f"{ids.store}.data")
        assert [i["id"] for i in switch["inputs"]] == [ids.store]
        for part in (
            f"{ids.tab('a')}.className",
            f"{ids.tab('b')}.aria-selected",
            f"{ids.panel('b')}.hidden",
        ):
            assert part in switch["output"]
        script = "\n".join(GLOBAL_INLINE_SCRIPTS[scripts:])
        assert '"tabs-register-test-tab-"' in script
        assert '["a", "b"]' in script
        assert '"nav-link active"' in script
        assert "__" not in script.replace("__name__", "")  # every placeholder filled
    finally:
        del GLOBAL_CALLBACK_LIST[before:]
        del GLOBAL_INLINE_SCRIPTS[scripts:]
