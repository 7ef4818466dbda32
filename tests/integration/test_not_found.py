"""Addresses no page has answer 404, with the app's frame (and "Page not found") inside."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Site


@pytest.mark.parametrize("path", ["/no/such/page", "/experimentz", "/experiments/1/edit/more"])
def test_unknown_paths_answer_404_with_the_frame(site: Site, path: str) -> None:
    response = site.client("sci").get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert 'id="react-entry-point"' in response.get_data(as_text=True)  # the app's frame


@pytest.mark.parametrize("path", ["/", "/experiments", "/experiments/new", "/experiments/7"])
def test_page_paths_answer_200(site: Site, path: str) -> None:
    assert site.client("sci").get(path).status_code == 200


def test_logged_out_visitors_are_sent_to_log_in_not_told_what_exists(site: Site) -> None:
    response = site.client().get("/no/such/page")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
