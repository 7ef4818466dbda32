"""The login page on a phone and a desktop, in the light and the dark scheme."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .conftest import PageFactory, screenshot

PHONE = {"width": 390, "height": 844}
PHONE_LANDSCAPE = {"width": 844, "height": 390}
DESKTOP = {"width": 1400, "height": 900}
MARGIN_MIN_PX = 16

_GEOMETRY = """() => {
  const card = document.querySelector('.msg-login').getBoundingClientRect();
  const page = document.scrollingElement;
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const luminance = c => rgb(c).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const style = getComputedStyle(document.querySelector('.msg-login'));
  const text = getComputedStyle(document.querySelector('.msg-login h1'));
  return {
    left: card.left, right: window.innerWidth - card.right,
    top: card.top + window.scrollY, bottom: page.scrollHeight - (card.bottom + window.scrollY),
    overflow: page.scrollWidth - window.innerWidth,
    scheme: document.documentElement.getAttribute('data-bs-theme'),
    card: luminance(style.backgroundColor), text: luminance(text.color),
  };
}"""


def _geometry(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(_GEOMETRY)
    return found


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    ("viewport", "label"), [(PHONE, "phone"), (PHONE_LANDSCAPE, "landscape"), (DESKTOP, "desktop")]
)
def test_login_card_keeps_its_margins_and_follows_the_scheme(
    new_page: PageFactory, scheme: str, viewport: dict[str, int], label: str
) -> None:
    page = new_page()
    problems = new_page.problems(page)
    problems.expect_response(400, "/login")
    page.set_viewport_size(viewport)  # type: ignore[arg-type]
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    page.goto("/login")
    # A refusal makes the card its tallest. Empty fields are refused before any check, so
    # the suite's logins are never throttled by these attempts.
    with page.expect_navigation():
        page.click("#login-submit")
    expect(page.locator("#login-error")).to_be_visible()
    shape = _geometry(page)
    assert shape["overflow"] <= 0, shape
    for side in ("left", "right", "top", "bottom"):
        assert shape[side] >= MARGIN_MIN_PX, (side, shape)
    assert shape["scheme"] == scheme
    # The card follows the scheme: light card with dark text, or the reverse.
    if scheme == "dark":
        assert shape["card"] < 60 < 180 < shape["text"], shape
    else:
        assert shape["text"] < 60 < 200 < shape["card"], shape
    screenshot(page, f"login-{label}-{scheme}")
    problems.assert_clean(f"/login, {label}, {scheme}")
