"""Which pages a user may open: read from the ``roles`` each page declares."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import dash

from dashboard.auth import current_principal, may_open
from dashboard.components.feedback import forbidden
from dashboard.components.navbar import NavLink


def guard_layout(module: str, layout: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a page's layout so it renders only for users holding one of the page's roles.

    The Flask gate refuses such pages on a full load; this covers navigation inside
    the app, which fetches layouts through a Dash callback.
    """

    @wraps(layout)
    def guarded(**kwargs: Any) -> Any:
        page = dash.page_registry[module]
        required = frozenset(page.get("roles") or ())
        principal = current_principal()
        if required and (principal is None or not may_open(principal.roles, required)):
            return forbidden(str(page["name"]), ", ".join(sorted(required)))
        return layout(**kwargs)

    return guarded


def visible_links(roles: frozenset[str]) -> list[NavLink]:
    """Navbar entries for pages that are listed and that ``roles`` may open, in page order."""
    links = []
    for page in dash.page_registry.values():
        if not page.get("in_nav", True):
            continue
        required = frozenset(page.get("roles") or ())
        if required and not may_open(roles, required):
            continue
        links.append(NavLink(str(page["name"]), str(page["path"]), str(page.get("icon", "dot"))))
    return links
