"""The account page: the password rule by its field, refusals beside their fields, token
times with date, time and zone."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from dashboard.services import accounts
from dashboard.services.actor import cli_actor
from tests.conftest import PASSWORD

from .conftest import Site, call_callback

PASSWORD_CALLBACK = "account-password-alert.children"
TOKEN_CALLBACK = "account-token-name.value"
FIELDS = ("account-current-password", "account-new-password", "account-confirm-password")
MOMENT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")


@pytest.fixture(scope="module")
def client(site: Site) -> FlaskClient:
    """A user of its own: wrong current passwords are throttled per user."""
    accounts.create_user(site.db, cli_actor("t"), "acctpage", PASSWORD, ["reviewer"])
    return site.client("acctpage")


def _layout(client: FlaskClient, path: str) -> str:
    values = {"_pages_location.pathname": path, "_pages_location.search": ""}
    response = call_callback(client, "_pages_content.children", values)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _outputs(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_data(as_text=True)
    answer: dict[str, dict[str, Any]] = response.get_json()["response"]
    return {f"{i}.{prop}": v for i, props in answer.items() for prop, v in props.items()}


def _change(client: FlaskClient, current: str, new: str, confirm: str) -> dict[str, Any]:
    values = {
        "account-change-password.n_clicks": 1,
        "account-current-password.value": current,
        "account-new-password.value": new,
        "account-confirm-password.value": confirm,
    }
    return _outputs(call_callback(client, PASSWORD_CALLBACK, values))


def _marked(outputs: dict[str, Any]) -> dict[str, str]:
    """The fields marked invalid, with the message shown beside each."""
    return {
        field: outputs[f"{field}-feedback.children"]
        for field in FIELDS
        if outputs[f"{field}.invalid"]
    }


def test_the_password_rule_stands_by_the_new_password_field(client: FlaskClient) -> None:
    page = _layout(client, "/account")
    assert json.dumps(accounts.PASSWORD_RULE)[1:-1] in page
    # Label, field, its refusal, then the rule: in that order, one after the other.
    order = [
        page.index('"New password"'),
        page.index('"account-new-password"'),
        page.index('"account-new-password-feedback"'),
        page.index('"account-password-rule"'),
        page.index('"New password again"'),
    ]
    assert order == sorted(order)
    assert f'"minLength":{accounts.PASSWORD_MIN}' in page
    assert f'"maxLength":{accounts.PASSWORD_MAX}' in page


def test_differing_new_passwords_are_marked_on_the_second_field(client: FlaskClient) -> None:
    outputs = _change(client, PASSWORD, "a long enough passphrase 1", "a long enough passphrase 2")
    assert _marked(outputs) == {"account-confirm-password": "The two new passwords differ."}
    assert outputs["account-password-alert.children"] is None


def test_a_short_password_is_marked_on_its_field(client: FlaskClient) -> None:
    outputs = _change(client, PASSWORD, "short", "short")
    marked = _marked(outputs)
    assert list(marked) == ["account-new-password"]
    assert str(accounts.PASSWORD_MIN) in marked["account-new-password"]


def test_a_guessable_password_is_refused_with_the_rule(client: FlaskClient) -> None:
    outputs = _change(client, PASSWORD, "password1234", "password1234")
    marked = _marked(outputs)
    assert list(marked) == ["account-new-password"]
    assert accounts.PASSWORD_RULE in marked["account-new-password"]


def test_a_wrong_current_password_is_marked_on_its_field(site: Site) -> None:
    # A user of its own: the success at the end ends its sessions.
    accounts.create_user(site.db, cli_actor("t"), "acctpage3", PASSWORD, ["reviewer"])
    client = site.client("acctpage3")
    good = "violet tractor harbour 42"
    outputs = _change(client, "not my password at all", good, good)
    assert _marked(outputs) == {"account-current-password": "Current password is wrong."}
    # A later success clears every mark.
    outputs = _change(client, PASSWORD, good, good)
    assert _marked(outputs) == {}
    assert "Password changed" in json.dumps(outputs["account-password-alert.children"])


def test_token_name_refusal_beside_the_field_and_times_with_zone(site: Site) -> None:
    accounts.create_user(site.db, cli_actor("t"), "acctpage2", PASSWORD, ["reviewer"])
    client = site.client("acctpage2")
    values = {"account-token-create.n_clicks": 1, "account-token-name.value": "  "}
    outputs = _outputs(call_callback(client, TOKEN_CALLBACK, values))
    assert outputs["account-token-name.invalid"] is True
    assert "required" in outputs["account-token-name-feedback.children"]
    assert outputs["account-token-alert.children"] is None

    values["account-token-name.value"] = "notebook"
    outputs = _outputs(call_callback(client, TOKEN_CALLBACK, values))
    assert outputs["account-token-name.invalid"] is False
    table = json.dumps(outputs["account-token-list.children"])
    assert len(MOMENT.findall(table)) == 1  # created; never used yet
    assert "never" in table
    assert MOMENT.search(_layout(client, "/account"))
