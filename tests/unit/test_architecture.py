"""Imports point one way: dashboard -> services -> analysis / hardware / ledger / models."""

from __future__ import annotations

import ast
import shutil
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
    "dashboard/components": {
        "sqlalchemy",
        "dashboard.db",
        "dashboard.auth",
        "dashboard.models",
        "dashboard.pages",
        "dashboard.api",
    },
    # Pages and the API reach data through services only.
    "dashboard/pages": {
        "sqlalchemy",
        "alembic",
        "dashboard.db",
        "dashboard.models",
        "dashboard.api",
    },
    "dashboard/api": {
        "sqlalchemy",
        "alembic",
        "dash",
        "dash_bootstrap_components",
        "dash_ag_grid",
        "plotly",
        "dashboard.db",
        "dashboard.models",
        "dashboard.pages",
        "dashboard.components",
    },
}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, root: Path = ROOT) -> set[str]:
    """Absolute names ``path`` imports; relative imports are resolved against its package."""
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from dashboard import models` imports dashboard.models: name both.
            names.update(n for n in [base, *(f"{base}.{a.name}" for a in node.names)] if n)
    return names


def _violations(folder: str, forbidden: set[str], root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted((root / folder).rglob("*.py")):
        for name in _imports(path, root):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(root)} imports {name}")
    return found


@pytest.mark.parametrize("folder", sorted(RULES))
def test_imports_point_one_way(folder: str) -> None:
    assert _violations(folder, RULES[folder]) == []


def test_relative_imports_resolve_to_absolute_names(tmp_path: Path) -> None:
    page = tmp_path / "dashboard" / "pages" / "sub" / "view.py"
    page.parent.mkdir(parents=True)
    page.write_text("from ..x import y\nfrom ... import models\nfrom . import ids\nimport dash\n")
    assert _imports(page, tmp_path) >= {
        "dashboard.pages.x",
        "dashboard.models",
        "dashboard.pages.sub.ids",
        "dash",
    }


def _planted(tmp_path: Path, relative: str, source: str) -> Path:
    """A copy of the checked folders with one more module in it."""
    for folder in ("analysis", "dashboard"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("*.pyc"))
    planted = tmp_path / relative
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_text(source)
    return planted


@pytest.mark.parametrize(
    ("folder", "relative", "source", "found"),
    [
        ("dashboard/pages", "dashboard/pages/planted.py", "import sqlalchemy\n", "sqlalchemy"),
        (
            "dashboard/pages",
            "dashboard/pages/planted.py",
            "from ..models import User\n",
            "dashboard.models",
        ),
        (
            "dashboard/pages",
            "dashboard/pages/planted.py",
            "from dashboard import models\n",
            "dashboard.models",
        ),
        ("analysis", "analysis/planted.py", "from dash import html\n", "dash"),
        (
            "dashboard/components",
            "dashboard/components/planted.py",
            "from ..db import Database\n",
            "dashboard.db",
        ),
        (
            "dashboard/api",
            "dashboard/api/planted.py",
            "from dashboard.models import User\n",
            "dashboard.models",
        ),
    ],
)
def test_the_checker_fails_on_a_planted_violation(
    tmp_path: Path, folder: str, relative: str, source: str, found: str
) -> None:
    _planted(tmp_path, relative, source)
    found_here = _violations(folder, RULES[folder], tmp_path)
    assert f"{relative} imports {found}" in found_here
    assert {line.split(" imports ")[0] for line in found_here} == {relative}
