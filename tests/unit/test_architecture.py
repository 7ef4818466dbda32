"""Imports point one way: dashboard -> services -> analysis / hardware / ledger / models."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = {
    "dash",
    "dash_bootstrap_components",
    "dash_ag_grid",
    "flask",
    "flask_login",
    "flask_smorest",
    "plotly",
}
RULES = {
    "analysis": WEB | {"sqlalchemy", "web3", "hardware", "ledger", "dashboard", "alembic"},
    "hardware": WEB | {"dashboard", "analysis", "ledger", "web3"},
    "ledger": WEB | {"dashboard", "analysis", "hardware"},
    "dashboard/services": WEB
    | {"dashboard.pages", "dashboard.components", "dashboard.api", "dashboard.auth"},
    "dashboard/models": WEB | {"dashboard.services", "dashboard.pages"},
    "dashboard/components": {"sqlalchemy", "dashboard.db", "dashboard.auth", "dashboard.models"},
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _violations(folder: str, forbidden: set[str]) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


@pytest.mark.parametrize("folder", sorted(RULES))
def test_imports_point_one_way(folder: str) -> None:
    assert _violations(folder, RULES[folder]) == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import flask\nfrom dash import html\n")
    assert _imports(bad) == {"flask", "dash"}
