"""Which pages a user may open, as the access policy says (dashboard.services.policy)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any

import dash
from flask import Response, request

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


# The routes through which Dash serves its page skeleton for any path.
DASH_INDEX_RULES = frozenset({"/", "/<path:path>"})


def page_patterns(registry: Iterable[Mapping[str, object]]) -> list[re.Pattern[str]]:
    """A regex per registered page path (``<name>`` matches one path segment)."""
    patterns = []
    for page in registry:
        template = str(page.get("path_template") or page.get("path"))
        regex = re.sub(r"<[^>]+>", "[^/]+", re.escape(template))
        patterns.append(re.compile(f"^{regex}/?$"))
    return patterns


def unknown_page_status(patterns: list[re.Pattern[str]]) -> Callable[[Response], Response]:
    """An ``after_request`` hook: the skeleton served for a path no page has answers 404.

    The page shown is still the app's "Page not found" inside the frame; the status lets
    bookmarks, link checkers and proxies see that the address is wrong.
    """

    def hook(response: Response) -> Response:
        rule = request.url_rule.rule if request.url_rule else None
        if (
            rule in DASH_INDEX_RULES
            and response.status_code == 200
            and not any(p.match(request.path) for p in patterns)
        ):
            response.status_code = 404
        return response

    return hook
