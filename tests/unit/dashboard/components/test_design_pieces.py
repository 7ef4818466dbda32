"""The design system's small pieces: badges, breadcrumb, times, figure colours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import plotly.graph_objects as go
import pytest
from dash import dcc, html

from dashboard.components import frame, status, theme, timestamp
from dashboard.services import jobs
from dashboard.services.audit import RESULTS

ROOT = Path(__file__).resolve().parents[4]


def _text(component: object) -> str:
    """All text inside a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return "".join(_text(c) for c in component)
    return _text(getattr(component, "children", None))


@pytest.mark.parametrize(("family", "states"), [("job", jobs.STATES), ("audit", RESULTS)])
def test_every_state_the_services_know_has_a_badge(family: str, states: tuple[str, ...]) -> None:
    for state in states:
        assert f"{family}.{state}" in status.STATUSES, f"no badge for {family} state {state!r}"


def test_provenance_badges_cover_the_states_the_ledger_will_report() -> None:
    wanted = {"unanchored", "pending", "anchored", "tampered", "retracted", "failed"}
    family = {k.split(".", 1)[1] for k in status.STATUSES if k.startswith("provenance.")}
    assert family == wanted


def test_a_badge_never_relies_on_colour_alone() -> None:
    for key, look in status.STATUSES.items():
        badge = status.status_badge(*key.split(".", 1))
        icon, label = badge.children
        assert "bi-" in icon.className
        assert label == look.label
        assert badge.title == look.meaning
        assert look.tone in {
            *("success", "danger", "warning", "info", "primary", "secondary"),
            *status.EXTRA_TONES,
        }


def test_the_extra_tones_have_their_colours_in_the_stylesheet() -> None:
    css = (ROOT / "assets" / "app.css").read_text(encoding="utf-8")
    for tone in status.EXTRA_TONES:
        assert f".text-bg-{tone} " in css or f".text-bg-{tone}," in css, tone


def test_an_unknown_state_is_shown_as_itself_not_hidden() -> None:
    badge = status.status_badge("job", "teleported")
    assert _text(badge) == "teleported"
    assert "text-bg-secondary" in badge.className


def test_grid_params_carry_one_family_only() -> None:
    params = status.grid_badge_params("audit")
    assert set(params["statuses"]) == set(RESULTS)  # type: ignore[arg-type]


def test_breadcrumb_links_every_crumb_but_the_current_one() -> None:
    nav = frame.breadcrumb([("Overview", "/"), ("Experiments", "/experiments"), ("BRIC-23", None)])
    first, middle, last = nav.children.children
    assert isinstance(first.children, dcc.Link)
    assert first.children.href == "/"
    assert isinstance(middle.children, dcc.Link)
    assert last.children == "BRIC-23"
    assert getattr(last, "aria-current") == "page"


def test_page_header_has_one_h1_and_actions_beside_it() -> None:
    header = frame.page_header(
        "Experiments", breadcrumb_items=[("Overview", "/"), ("Experiments", None)], actions=["x"]
    )
    _crumbs, row = header.children
    text, actions = row.children
    assert isinstance(text.children[0], html.H1)
    assert text.children[0].children == "Experiments"
    assert actions.children == ["x"]


def test_times_are_written_in_utc_whatever_zone_they_come_in() -> None:
    paris = timezone(timedelta(hours=1))
    moment = datetime(2026, 11, 26, 10, 58, 30, tzinfo=paris)
    element = timestamp.timestamp(moment)
    assert element.dateTime == "2026-11-26T09:58:30Z"
    assert _text(element) == "2026-11-26 09:58 UTC"
    assert _text(timestamp.timestamp(None)) == "—"
    assert timestamp.iso_utc(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00Z"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_figures_take_the_schemes_text_colour_on_a_transparent_ground(scheme: str) -> None:
    figure = theme.themed(go.Figure(), scheme)
    assert figure.layout.font.color == theme.PLOT_PALETTES[scheme]["font"]
    assert figure.layout.paper_bgcolor == "rgba(0,0,0,0)"
    assert figure.layout.xaxis.gridcolor == theme.PLOT_PALETTES[scheme]["grid"]


def test_dark_and_light_figures_differ_and_garbage_falls_back_to_light() -> None:
    assert theme.PLOT_PALETTES["dark"]["font"] != theme.PLOT_PALETTES["light"]["font"]
    assert theme.plot_layout("</script>") == theme.plot_layout("light")
