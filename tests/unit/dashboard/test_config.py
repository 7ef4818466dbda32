from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dashboard.config import VARIABLES, ConfigError, load_settings


def test_defaults_put_sqlite_and_secret_in_data_dir(tmp_path: Path) -> None:
    settings = load_settings({}, data_dir=tmp_path / "d")
    assert settings.database_url == f"sqlite:///{tmp_path / 'd' / 'microspacegen.sqlite3'}"
    assert settings.port == 8050
    assert settings.host == "127.0.0.1"
    key_file = tmp_path / "d" / "secret_key"
    assert key_file.read_text() == settings.secret_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # The key is kept: a restart signs cookies with the same key.
    assert load_settings({}, data_dir=tmp_path / "d").secret_key == settings.secret_key


def test_environment_and_arguments(tmp_path: Path) -> None:
    env = {
        "MICROSPACEGEN_PORT": "9000",
        "MICROSPACEGEN_HOST": "0.0.0.0",
        "MICROSPACEGEN_DATA_DIR": str(tmp_path),
        "MICROSPACEGEN_SECRET_KEY": "x" * 40,
        "MICROSPACEGEN_DATABASE_URL": "postgresql+psycopg://u@h/db",
    }
    settings = load_settings(env)
    assert (settings.port, settings.host, settings.secret_key) == (9000, "0.0.0.0", "x" * 40)
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert not settings.is_sqlite
    assert load_settings(env, port=9100).port == 9100


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("PORT", "eighty", "not a whole number"),
        ("PORT", "70000", "between 1 and 65535"),
        ("SECURE_COOKIES", "maybe", "not a boolean"),
        ("SESSION_HOURS", "-1", "between"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, name: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=f"MICROSPACEGEN_{name}.*{fragment}"):
        load_settings({f"MICROSPACEGEN_{name}": value}, data_dir=tmp_path)


def test_readme_documents_every_variable() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    for name in VARIABLES:
        assert f"MICROSPACEGEN_{name}" in readme


@pytest.mark.parametrize("value", ["change-me", "REPLACE_ME", "x" * 31])
def test_a_short_secret_key_in_the_environment_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match=f"SECRET_KEY is {len(value)} characters"):
        load_settings({"MICROSPACEGEN_SECRET_KEY": value}, data_dir=tmp_path)
