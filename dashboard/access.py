"""Which pages a user may open, as the access policy says (dashboard.services.policy)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import dash

from dashboard.auth import current_principal
from dashboard.components.feedback import forbidden
from dashboard.components.navbar import NavLink
from dashboard.services import policy


def guard_layout(module: str, layout: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a page's layout so it renders only for users the policy lets open the page.

    A refused full load reaches here too: the Flask gate audits it and answers 403 with
    the app's frame, and this puts the refusal inside the frame. It also covers navigation
    inside the app, which fetches layouts through a Dash callback.
    """

    @wraps(layout)
    def guarded(**kwargs: Any) -> Any:
        grant = policy.page_grant(module)
        principal = current_principal()
        if principal is None or not grant.allows(principal.roles):
            return forbidden(str(dash.page_registry[module]["name"]), grant.describe())
        return layout(**kwargs)

    return guarded


def visible_links(roles: frozenset[str]) -> list[NavLink]:
    """Navbar entries for pages that are listed and that ``roles`` may open, in page order."""
    links = []
    for module, page in dash.page_registry.items():
        if not page.get("in_nav", True) or not policy.may_open(roles, module):
            continue
        links.append(NavLink(str(page["name"]), str(page["path"]), str(page.get("icon", "dot"))))
    return links
