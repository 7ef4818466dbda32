"""Single sign-on settings: all or nothing, and every mistake named."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.config import ConfigError, load_settings

BASE = {
    "MICROSPACEGEN_OIDC_ISSUER": "https://login.example.org/realms/lab",
    "MICROSPACEGEN_OIDC_CLIENT_ID": "msg",
    "MICROSPACEGEN_OIDC_CLIENT_SECRET": "s3cret-value",
    "MICROSPACEGEN_OIDC_ROLE_MAP": "lab-admins=admin, lab-ops=Operator,lab-ops=scientist",
}


def test_off_without_the_issuer(tmp_path: Path) -> None:
    settings = load_settings({}, data_dir=tmp_path)
    assert settings.oidc is None
    assert settings.public_url is None


def test_read_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        {
            **BASE,
            "MICROSPACEGEN_OIDC_ROLES_CLAIM": "groups",
            "MICROSPACEGEN_OIDC_NAME": "Lab ID",
            "MICROSPACEGEN_PUBLIC_URL": "https://msg.lab.example.org/",
        },
        data_dir=tmp_path,
    )
    oidc = settings.oidc
    assert oidc is not None
    assert oidc.discovery_url == (
        "https://login.example.org/realms/lab/.well-known/openid-configuration"
    )
    assert oidc.role_map == (
        ("lab-admins", "admin"),
        ("lab-ops", "operator"),
        ("lab-ops", "scientist"),
    )
    assert (oidc.roles_claim, oidc.name) == ("groups", "Lab ID")
    assert settings.public_url == "https://msg.lab.example.org"
    assert "s3cret-value" not in repr(settings)
    defaults = load_settings(BASE, data_dir=tmp_path).oidc
    assert defaults is not None
    assert (defaults.roles_claim, defaults.name) == ("roles", "single sign-on")


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"MICROSPACEGEN_OIDC_CLIENT_SECRET": ""}, "needs MICROSPACEGEN_OIDC_CLIENT_SECRET"),
        ({"MICROSPACEGEN_OIDC_ISSUER": ""}, "needs MICROSPACEGEN_OIDC_ISSUER"),
        ({"MICROSPACEGEN_OIDC_ISSUER": "http://login.example.org"}, "https://"),
        ({"MICROSPACEGEN_OIDC_ISSUER": "login.example.org"}, "https://"),
        ({"MICROSPACEGEN_OIDC_ISSUER": "https://x.org/?realm=1"}, "no query"),
        ({"MICROSPACEGEN_OIDC_ROLE_MAP": ""}, "OIDC_ROLE_MAP is required"),
        ({"MICROSPACEGEN_OIDC_ROLE_MAP": "lab-admins=root"}, "'lab-admins=root' is not"),
        ({"MICROSPACEGEN_OIDC_ROLE_MAP": "lab-admins"}, "'lab-admins' is not value=role"),
        ({"MICROSPACEGEN_OIDC_ROLE_MAP": " , "}, "maps no value"),
        ({"MICROSPACEGEN_OIDC_NAME": "x\ny"}, "OIDC_NAME"),
        ({"MICROSPACEGEN_PUBLIC_URL": "msg.lab.example.org"}, "PUBLIC_URL"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, changes: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment.replace("?", r"\?")):
        load_settings({**BASE, **changes}, data_dir=tmp_path)


def test_plain_http_is_allowed_on_loopback_only(tmp_path: Path) -> None:
    settings = load_settings(
        {**BASE, "MICROSPACEGEN_OIDC_ISSUER": "http://127.0.0.1:9000"}, data_dir=tmp_path
    )
    assert settings.oidc is not None
