"""The top navigation bar."""

from __future__ import annotations

from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import html

from .feedback import icon
from .theme import display_menu_items, theme_toggle

NAVBAR = "navbar"
LOGOUT = "logout-link"


@dataclass(frozen=True)
class NavLink:
    """One entry of the navbar."""

    name: str
    path: str
    icon: str


def navbar(links: list[NavLink], username: str, roles: list[str], version: str) -> dbc.Navbar:
    """Brand, page links (already filtered by role) and who is logged in."""
    items = [
        dbc.NavItem(
            dbc.NavLink(
                [icon(link.icon, "me-1"), link.name],
                href=link.path,
                active="exact" if link.path == "/" else "partial",
            )
        )
        for link in links
    ]
    user_menu = dbc.DropdownMenu(
        [
            dbc.DropdownMenuItem(f"Roles: {', '.join(roles) or 'none'}", header=True),
            dbc.DropdownMenuItem([icon("key", "me-2"), "Account and API tokens"], href="/account"),
            dbc.DropdownMenuItem([icon("braces", "me-2"), "API reference"], href="/api-docs"),
            dbc.DropdownMenuItem(divider=True),
            *display_menu_items(),
            dbc.DropdownMenuItem(divider=True),
            # A form, not a link: logout is a POST, so no page elsewhere can trigger it.
            html.Form(
                html.Button(
                    [icon("box-arrow-right", "me-2"), "Log out"],
                    type="submit",
                    className="dropdown-item",
                    id=LOGOUT,
                ),
                method="post",
                action="/logout",
                className="m-0",
            ),
        ],
        label=[icon("person-circle", "me-1"), username],
        nav=True,
        align_end=True,
        id="user-menu",
    )
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [
                        html.Img(src="/assets/favicon.svg", height="28", alt=""),
                        "MicroSpaceGen",
                        html.Small(f" {version}", className="text-white-50 ms-1"),
                    ],
                    href="/",
                    className="d-flex align-items-center",
                ),
                dbc.NavbarToggler(id="navbar-toggler"),
                dbc.Collapse(
                    [
                        dbc.Nav(items, navbar=True, className="me-auto"),
                        dbc.Nav(
                            [dbc.NavItem(theme_toggle()), user_menu],
                            navbar=True,
                            className="align-items-lg-center",
                        ),
                    ],
                    id="navbar-collapse",
                    navbar=True,
                    is_open=False,
                ),
            ],
            fluid=True,
        ),
        # The brand navy comes from app.css (--msg-space) in both themes; no Bootstrap
        # bg-* class, whose !important would override it.
        dark=True,
        color=None,
        className="msg-navbar mb-4",
        id=NAVBAR,
    )
