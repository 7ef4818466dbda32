"""Display preferences over the API, and the page skeleton that carries them."""

from __future__ import annotations

from tests.integration.conftest import Site

PATH = "/api/v1/me/preferences"


def test_anonymous_callers_have_no_preferences(site: Site) -> None:
    response = site.client().get(PATH, headers={"Accept": "application/json"})
    assert response.status_code == 401


def test_a_user_reads_and_changes_their_own(site: Site) -> None:
    oper = site.client("oper")
    assert oper.get(PATH).get_json() == {"theme": "system", "time_display": "utc"}

    changed = oper.patch(PATH, json={"theme": "dark"})

    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.get_json() == {"theme": "dark", "time_display": "utc"}
    page = oper.get("/").get_data(as_text=True)
    # The skeleton is dark before any script runs, for Bootstrap and AG Grid alike.
    assert '<html lang="en" data-msg-theme="dark" data-msg-time="utc"' in page
    assert 'data-bs-theme="dark" data-ag-theme-mode="dark"' in page
    # Someone else is unaffected.
    assert site.client("rev").get(PATH).get_json()["theme"] == "system"
    oper.patch(PATH, json={"theme": "system"})


def test_bad_values_are_refused_and_change_nothing(site: Site) -> None:
    oper = site.client("oper")
    before = oper.get(PATH).get_json()
    for body in (
        {"theme": "solarized"},
        {"time_display": "Europe/Paris"},
        {"theme": None},
        {"colour": "red"},
        {"theme": ["dark"]},
    ):
        response = oper.patch(PATH, json=body)
        assert response.status_code == 422, (body, response.get_data(as_text=True))
    assert oper.get(PATH).get_json() == before


def test_a_system_user_gets_the_scheme_their_browser_last_reported(site: Site) -> None:
    rev = site.client("rev")
    rev.set_cookie("msg_scheme", "dark")
    assert 'data-bs-theme="dark"' in rev.get("/").get_data(as_text=True)
    # Anything else in the cookie is ignored, never echoed into the page.
    rev.set_cookie("msg_scheme", '"><script>alert(1)</script>')
    page = rev.get("/").get_data(as_text=True)
    assert 'data-bs-theme="light"' in page
    assert "alert(1)" not in page


def test_the_preferences_route_is_in_the_openapi_document(site: Site) -> None:
    spec = site.client("rev").get("/api/v1/openapi.json").get_json()
    assert set(spec["paths"][PATH]) >= {"get", "patch"}
