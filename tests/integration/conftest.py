"""One app per test session (Dash keeps its callbacks and pages process-wide)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from dashboard.auth import current_db
from dashboard.config import load_settings
from dashboard.db import Database
from dashboard.services import accounts
from dashboard.services.actor import cli_actor
from tests.conftest import PASSWORD


@dataclass(frozen=True)
class Site:
    """The app under test and its database."""

    server: Flask
    db: Database

    def client(self, username: str | None = None, password: str = PASSWORD) -> FlaskClient:
        """A client, logged in as ``username`` when given."""
        client = self.server.test_client()
        if username:
            response = client.post("/login", data={"username": username, "password": password})
            assert response.status_code == 302, response.get_data(as_text=True)
        return client


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir: Path = tmp_path_factory.mktemp("site")
    settings = load_settings({}, data_dir=data_dir)
    app = create_app(settings)
    server = app.server
    with server.app_context():
        db = current_db()
    cli = cli_actor("test")
    accounts.create_user(db, cli, "boss", PASSWORD, ["admin"])
    accounts.create_user(db, cli, "sci", PASSWORD, ["scientist"])
    accounts.create_user(db, cli, "oper", PASSWORD, ["operator"])
    accounts.create_user(db, cli, "rev", PASSWORD, ["reviewer"])
    yield Site(server, db)
    db.dispose()


def find_callback(client: FlaskClient, output_fragment: str) -> dict[str, Any]:
    """The callback whose outputs include ``output_fragment`` (as /_dash-dependencies lists it)."""
    deps = client.get("/_dash-dependencies").get_json()
    matches = [d for d in deps if output_fragment in d["output"]]
    assert len(matches) == 1, [d["output"] for d in matches]
    found: dict[str, Any] = matches[0]
    return found


def call_callback(client: FlaskClient, output_fragment: str, values: dict[str, Any]) -> Any:
    """POST to a callback like the browser does; ``values`` maps "id.prop" to its value."""
    dep = find_callback(client, output_fragment)
    output = dep["output"]
    parts = output.strip(".").split("...") if output.startswith("..") else [output]
    outputs = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        outputs.append({"id": ident.split("@")[0], "property": prop.split("@")[0]})

    def _fill(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

    inputs = _fill(dep["inputs"])
    body = {
        "output": output,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "state": _fill(dep["state"]),
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs],
    }
    return client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
