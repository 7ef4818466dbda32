"""The list pages' callbacks, posted as a crafted client would: hostile values get an answer,
never a server error, and admin data stays behind the admin role."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from .conftest import Site, call_callback

HOSTILE: list[Any] = [
    None,
    "",
    "x" * 10_000,
    ["a", "b"],
    {"a": {"b": [1, 2]}},
    12,
    -1,
    1.5e308,
    True,
    "\u202e<script>",
]


def _url_callback(client: FlaskClient, url_id: str, values: dict[str, Any]) -> Any:
    """POST to the grid's URL callback (its output is exactly ``<url_id>.search``)."""
    deps = client.get("/_dash-dependencies").get_json()
    (dep,) = [d for d in deps if d["output"] == f"{url_id}.search"]

    def fill(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

    inputs = fill(dep["inputs"])
    body = {
        "output": dep["output"],
        "outputs": {"id": url_id, "property": "search"},
        "inputs": inputs,
        "state": fill(dep["state"]),
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs],
    }
    return client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("prefix", ["experiments", "users", "jobs", "audit"])
def test_the_url_callback_takes_anything(site: Site, prefix: str, value: Any) -> None:
    grid = f"{prefix}-grid"
    values = {
        f"{prefix}-search.value": value,
        f"{grid}.filterModel": value,
        f"{grid}.columnState": [value, {"colId": value, "sort": value, "sortIndex": value}],
        f"{grid}.paginationInfo": {"currentPage": value, "pageSize": value, "rowCount": value},
        f"{prefix}-url.search": value,
    }
    answer = _url_callback(site.client("boss"), f"{prefix}-url", values)
    assert answer.status_code in (200, 204), answer.get_data(as_text=True)[:500]


@pytest.mark.parametrize("value", HOSTILE)
def test_audit_rows_take_anything_and_only_for_admins(site: Site, value: Any) -> None:
    values = {
        "audit-grid.getRowsRequest": {"startRow": value, "endRow": value, "sortModel": value},
        "audit-user.value": value,
        "audit-action.value": value,
        "audit-result.value": value,
        "audit-since.value": value,
        "audit-until.value": value,
        "audit-search.value": value,
    }
    answer = call_callback(site.client("boss"), "audit-grid.getRowsResponse", values)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    chart = call_callback(site.client("boss"), "audit-chart.figure", values)
    assert chart.status_code == 200, chart.get_data(as_text=True)[:500]
    refused = call_callback(site.client("sci"), "audit-grid.getRowsResponse", values)
    assert refused.status_code == 403


@pytest.mark.parametrize("value", HOSTILE)
def test_opening_rows_takes_anything(site: Site, value: Any) -> None:
    for output, event in (
        ("audit-detail-modal.is_open", "audit-grid.eventData"),
        ("users-edit-user.data", "users-grid.eventData"),
    ):
        for data in (value, {"data": value}, {"data": {"id": value}}):
            answer = call_callback(site.client("boss"), output, {event: data})
            assert answer.status_code in (200, 204), answer.get_data(as_text=True)[:500]


def test_an_event_opens_in_full_for_admins_only(site: Site) -> None:
    event = {"audit-grid.eventData": {"data": {"id": 1}}}
    answer = call_callback(site.client("boss"), "audit-detail-modal.is_open", event)
    assert answer.status_code == 200
    assert "Hash chain" in answer.get_data(as_text=True)
    missing = {"audit-grid.eventData": {"data": {"id": 10**12}}}
    gone = call_callback(site.client("boss"), "audit-detail-modal.is_open", missing)
    assert "No audit event" in gone.get_data(as_text=True)
    refused = call_callback(site.client("sci"), "audit-detail-modal.is_open", event)
    assert refused.status_code == 403


@pytest.mark.parametrize("value", HOSTILE)
def test_job_filters_take_anything(site: Site, value: Any) -> None:
    values = {"jobs-state.value": value, "jobs-kind.value": value, "jobs-everyone.value": False}
    answer = call_callback(site.client("sci"), "jobs-grid.rowData", values)
    assert answer.status_code in (200, 422), answer.get_data(as_text=True)[:500]
