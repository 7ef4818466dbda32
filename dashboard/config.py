"""Configuration read once at start-up from arguments and ``MICROSPACEGEN_*`` variables."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

ENV_PREFIX = "MICROSPACEGEN_"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name
MIN_SECRET_CHARS = 32


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to know about where it runs.

    Built by :func:`load_settings`; nothing else reads the environment.
    """

    data_dir: Path
    database_url: str
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 8050
    admin_password: str | None = None
    secure_cookies: bool = False
    session_hours: float = 12.0
    api_max_body_bytes: int = 1024 * 1024
    max_request_bytes: int = 64 * 1024 * 1024
    threads: int = 8
    broker_url: str | None = None
    queue_name: str = "microspacegen"
    workers: int = 2
    chain_url: str | None = None
    chain_keyfile: Path | None = None
    chain_password: str | None = None
    chain_contract: str | None = None
    chain_confirmations: int = 1
    ledger_batch_size: int = 1000
    ledger_batch_wait_s: float = 2.0
    integrity_sweep_hours: float = 24.0
    backup_hours: float = 0.0
    backup_dir: Path | None = None
    backup_keep: int = 7
    devices: str = "sim://chamber-1,sim://centrifuge-1,sim://dosimeter-1"
    sim_speed: float = 1.0
    telemetry_hz: float = 1.0
    controller: bool = True
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    log_format: str | None = None  # json, console, or None: console on a terminal, else json
    public_url: str | None = None
    oidc: OidcSettings | None = None

    @property
    def cache_dir(self) -> Path:
        """Directory of the diskcache used by background callbacks."""
        return self.data_dir / "cache"

    @property
    def job_files_dir(self) -> Path:
        """Where finished jobs keep the files they produced (one folder a job)."""
        return self.data_dir / "jobs"

    @property
    def job_queue_file(self) -> Path:
        """The embedded job queue (SQLite), used when no broker URL is set."""
        return self.data_dir / "job-queue.sqlite3"

    @property
    def chain_dir(self) -> Path:
        """The embedded chain, and the contract deployments remembered per chain."""
        return self.data_dir / "chain"

    @property
    def backups_dir(self) -> Path:
        """Where scheduled backups are written (``MICROSPACEGEN_BACKUP_DIR``)."""
        return self.backup_dir or self.data_dir / "backups"

    @property
    def metrics_dir(self) -> Path:
        """Where the processes `serve` starts keep their metrics (emptied when it starts).

        One folder per host: machines or containers sharing the data directory must not
        share metric files (their process ids may collide) or empty each other's.
        """
        host = "".join(c if c.isalnum() or c in "._-" else "_" for c in socket.gethostname())
        return self.data_dir / "metrics" / (host[:64] or "host")

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is an embedded SQLite file."""
        return self.database_url.startswith("sqlite")


@dataclass(frozen=True)
class OidcSettings:
    """Single sign-on through one OpenID Connect provider (set when its issuer is)."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    # The ID token claim whose values (a list of strings, or one string) name groups or roles,
    # and which of those values give which of our roles.
    roles_claim: str = "roles"
    role_map: tuple[tuple[str, str], ...] = ()
    name: str = "single sign-on"

    @property
    def discovery_url(self) -> str:
        """Where the provider publishes its endpoints and keys."""
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


# name -> (default shown in the README, description); the README table is tested against this.
VARIABLES: dict[str, tuple[str, str]] = {
    "HOST": ("127.0.0.1", "Interface the server listens on."),
    "PORT": ("8050", "TCP port of the server."),
    "DATA_DIR": ("./var", "Where the SQLite database, secret key and caches live."),
    "DATABASE_URL": (
        "sqlite:///<data dir>/microspacegen.sqlite3",
        "SQLAlchemy URL; e.g. `postgresql+psycopg://user@host/db`.",
    ),
    "SECRET_KEY": (
        "generated into `<data dir>/secret_key`",
        "Signs session cookies. Set the same value on every worker.",
    ),
    "ADMIN_PASSWORD": (
        "random, printed once",
        "Password of the `admin` user created on first start.",
    ),
    "SECURE_COOKIES": ("0", "Set to 1 behind HTTPS so cookies carry the Secure flag."),
    "SESSION_HOURS": ("12", "How long a login session lasts."),
    "THREADS": ("8", "Worker threads of the WSGI server."),
    "BROKER_URL": (
        "none: embedded queue in `<data dir>/job-queue.sqlite3`",
        "`redis://host:6379/0` sends jobs through Redis to workers on any machine.",
    ),
    "QUEUE_NAME": ("microspacegen", "Name of the job queue; differ it when apps share a Redis."),
    "WORKERS": (
        "2",
        "Job worker processes `serve` starts beside itself; 0 when `worker` runs elsewhere.",
    ),
    "MAX_REQUEST_MB": (
        "64",
        "Largest request body, in MiB. The server receives a body whole (into "
        "`<data dir>/tmp`) before it knows who sent it, so this bounds what anyone can make it "
        "write; raise it to `POST /api/v1/datasets` bigger files, or send those in chunks to "
        "`/api/v1/uploads` (as the browser does).",
    ),
    "CHAIN_URL": (
        "none: embedded chain in `<data dir>/chain`",
        "JSON-RPC URL of an EVM node that anchors the provenance ledger, e.g. "
        "`http://127.0.0.1:8545`. The embedded chain proves integrity only to those who "
        "trust this server; a public chain proves it to anyone.",
    ),
    "CHAIN_KEYFILE": (
        "none",
        "Encrypted keystore (JSON) of the account that anchors, for `CHAIN_URL`. Never "
        "put a key in the repository or in a variable.",
    ),
    "CHAIN_PASSWORD": ("none", "Password of `CHAIN_KEYFILE`."),
    "CHAIN_CONTRACT": (
        "deployed automatically on development chains only",
        "Address of the `ProvenanceRegistry` contract on `CHAIN_URL`.",
    ),
    "CHAIN_CONFIRMATIONS": (
        "1 (embedded), 12 (`CHAIN_URL`)",
        "Blocks on top of an anchor before it counts as anchored.",
    ),
    "LEDGER_BATCH_SIZE": ("1000", "Datasets per Merkle root (at most 65535)."),
    "LEDGER_BATCH_WAIT_S": (
        "2",
        "Longest a new record waits for its batch to fill before the batch is anchored.",
    ),
    "INTEGRITY_SWEEP_HOURS": (
        "24",
        "How often every stored dataset file is re-hashed against its record; 0 turns it off.",
    ),
    "BACKUP_HOURS": (
        "0 (off)",
        "How often a job worker writes a backup archive into `BACKUP_DIR` (see Backup and "
        "restore); 0 turns scheduled backups off.",
    ),
    "BACKUP_DIR": (
        "`<data dir>/backups`",
        "Folder of the scheduled backups; put it on another disk. The archives hold the "
        "secret key and the database: keep the folder as private as the data directory.",
    ),
    "BACKUP_KEEP": ("7", "How many scheduled backups to keep; older ones are removed."),
    "DEVICES": (
        "`sim://chamber-1,sim://centrifuge-1,sim://dosimeter-1`",
        "Culture hardware, comma separated `[id=]URL`: `sim://chamber-N`, `sim://centrifuge-N`, "
        "`sim://dosimeter-N` (simulators) or `modbus+tcp://host:502/UNIT` (a chamber over "
        "Modbus TCP; see `hardware/drivers/modbus.py` for its register map), e.g. "
        "`flight=modbus+tcp://10.0.0.5:502/1,sim://centrifuge-1`.",
    ),
    "SIM_SPEED": (
        "1",
        "Model seconds per wall second of the simulators (60 shows a day's growth curve in "
        "24 minutes). Real hardware ignores it.",
    ),
    "TELEMETRY_HZ": ("1", "Samples per second per parameter the controller records."),
    "CONTROLLER": (
        "1",
        "Whether `serve` starts the hardware controller beside itself; 0 when "
        "`python app.py controller` runs elsewhere (one owner per device, by lease).",
    ),
    "METRICS_PORT": (
        "none: off",
        "A port of its own serving Prometheus's `GET /metrics` without a login (the main "
        "port serves it to a metrics user's bearer token).",
    ),
    "METRICS_HOST": (
        "127.0.0.1",
        "Interface of `METRICS_PORT`; anyone who reaches it reads the metrics.",
    ),
    "LOG_FORMAT": (
        "console on a terminal, else json",
        "`json` (one object per line) or `console` (readable lines) on standard error.",
    ),
    "PUBLIC_URL": (
        "none: taken from each request's host",
        "The address users reach the app at, e.g. `https://msg.lab.example.org`; single "
        "sign-on sends the provider back to `<PUBLIC_URL>/login/sso/callback`. Set it behind a "
        "proxy that does not pass the original host.",
    ),
    "OIDC_ISSUER": (
        "none: single sign-on off",
        "Issuer URL of the OpenID Connect provider, exactly as its discovery document "
        "(`<issuer>/.well-known/openid-configuration`) names it, e.g. "
        "`https://login.example.org/realms/lab`. With the client id and secret below, the login "
        "page offers single sign-on.",
    ),
    "OIDC_CLIENT_ID": ("none", "Client id of this app at the provider."),
    "OIDC_CLIENT_SECRET": ("none", "Client secret of this app at the provider."),
    "OIDC_ROLES_CLAIM": (
        "roles",
        "ID token claim listing the user's groups or roles (e.g. `groups`).",
    ),
    "OIDC_ROLE_MAP": (
        "none (required with `OIDC_ISSUER`)",
        "Which claim values give which roles, comma separated `value=role`, e.g. "
        "`lab-admins=admin,lab-ops=operator,lab-staff=scientist`. A user none of whose values "
        "is mapped is refused.",
    ),
    "OIDC_NAME": (
        "single sign-on",
        'Provider name on the login page\'s button ("Sign in with …").',
    ),
}


N = TypeVar("N", int, float)


class ConfigError(ValueError):
    """A configuration value is missing or malformed."""


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(ENV_PREFIX + name)
    return value if value not in (None, "") else None


def _as_number(name: str, raw: str, kind: type[N], low: N, high: N) -> N:
    try:
        value = kind(raw)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{ENV_PREFIX}{name}={raw!r} is not {what}") from None
    if not low <= value <= high:
        raise ConfigError(f"{ENV_PREFIX}{name}={value} must be between {low} and {high}")
    return value


def _as_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{ENV_PREFIX}{name}={raw!r} is not a boolean (use 1 or 0)")


def _broker_url(raw: str | None) -> str | None:
    # Huey carries the jobs: embedded SQLite or Redis (see README, "Jobs").
    if raw is None or raw.startswith(("redis://", "rediss://", "unix://")):
        return raw
    scheme = raw.split(":", 1)[0]
    raise ConfigError(
        f"{ENV_PREFIX}BROKER_URL: the scheme {scheme!r} is not supported; use "
        "redis://host:6379/0, or leave it unset for the embedded queue"
    )


def _queue_name(raw: str) -> str:
    if not raw.replace("-", "").replace("_", "").isalnum() or len(raw) > 64:
        raise ConfigError(f"{ENV_PREFIX}QUEUE_NAME={raw!r}: use letters, digits, '-' and '_'")
    return raw


def _chain_url(raw: str | None) -> str | None:
    if raw is None or raw.startswith(("http://", "https://")):
        return raw
    raise ConfigError(
        f"{ENV_PREFIX}CHAIN_URL={raw!r}: give the node's JSON-RPC address over HTTP(S), e.g. "
        "http://127.0.0.1:8545, or leave it unset for the embedded chain"
    )


def _chain_contract(raw: str | None) -> str | None:
    if raw is None:
        return None
    body = raw[2:] if raw.startswith("0x") else ""
    if len(body) != 40 or any(c not in "0123456789abcdefABCDEF" for c in body):
        raise ConfigError(
            f"{ENV_PREFIX}CHAIN_CONTRACT={raw!r} is not a contract address (0x and 40 hex digits)"
        )
    return raw


def _public_url(raw: str | None) -> str | None:
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"{ENV_PREFIX}PUBLIC_URL={raw!r}: give the app's address as http(s)://host[:port]"
            "[/path], without a query"
        )
    return raw.rstrip("/")


def _is_loopback(host: str | None) -> bool:
    return host in ("localhost", "127.0.0.1", "::1")


def _role_map(raw: str | None) -> tuple[tuple[str, str], ...]:
    from dashboard.services.actor import ALL_ROLES

    known = sorted(role.value for role in ALL_ROLES)
    if raw is None:
        raise ConfigError(
            f"{ENV_PREFIX}OIDC_ROLE_MAP is required with {ENV_PREFIX}OIDC_ISSUER: map the "
            f"provider's group values to roles, e.g. lab-admins=admin,lab-ops=operator "
            f"(roles: {', '.join(known)})"
        )
    pairs: list[tuple[str, str]] = []
    for entry in raw.split(","):
        value, sep, role = (part.strip() for part in entry.partition("="))
        if not entry.strip():
            continue
        if not sep or not value or role.lower() not in known:
            raise ConfigError(
                f"{ENV_PREFIX}OIDC_ROLE_MAP: {entry.strip()!r} is not value=role with a role "
                f"from {', '.join(known)}"
            )
        pairs.append((value, role.lower()))
    if not pairs:
        raise ConfigError(f"{ENV_PREFIX}OIDC_ROLE_MAP maps no value to a role")
    return tuple(pairs)


def _oidc(env: Mapping[str, str]) -> OidcSettings | None:
    """Single sign-on settings: all of issuer, client id and secret, or none of them."""
    names = ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET")
    values = {name: _env(env, name) for name in names}
    if not any(values.values()):
        return None
    missing = [ENV_PREFIX + name for name, value in values.items() if value is None]
    if missing:
        raise ConfigError(f"Single sign-on needs {' and '.join(missing)} too")
    issuer, client_id, secret = (str(values[name]) for name in names)
    parts = urlsplit(issuer)
    # The provider's keys and tokens come over this address: plain HTTP only on loopback.
    if not parts.netloc or not (
        parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname))
    ):
        raise ConfigError(
            f"{ENV_PREFIX}OIDC_ISSUER={issuer!r}: give the provider's https:// issuer URL "
            "(http:// only on localhost)"
        )
    if parts.query or parts.fragment or len(issuer) > 255:
        raise ConfigError(
            f"{ENV_PREFIX}OIDC_ISSUER={issuer!r}: an issuer URL has no query or fragment and "
            "at most 255 characters"
        )
    claim = _env(env, "OIDC_ROLES_CLAIM") or "roles"
    name = (_env(env, "OIDC_NAME") or "single sign-on").strip()
    if len(name) > 60 or any(not ch.isprintable() for ch in name):
        raise ConfigError(f"{ENV_PREFIX}OIDC_NAME: at most 60 printable characters")
    return OidcSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=secret,
        roles_claim=claim,
        role_map=_role_map(_env(env, "OIDC_ROLE_MAP")),
        name=name,
    )


def make_private_dir(path: Path) -> None:
    """Create ``path`` (or keep it) readable by its owner only: it holds the database, the
    secret key and the caches."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def load_or_create_secret(data_dir: Path) -> str:
    """Return the secret key kept in the data directory, creating it atomically once."""
    path = data_dir / SECRET_KEY_FILE
    if path.exists():
        value = path.read_text(encoding="ascii").strip()
        if len(value) < MIN_SECRET_CHARS:
            raise ConfigError(
                f"{path} holds a secret shorter than {MIN_SECRET_CHARS} characters; delete it"
            )
        return value
    make_private_dir(data_dir)
    value = secrets.token_urlsafe(48)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        # link() fails if another process won the race; then its key is the key.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()


def configured_database_url(environ: Mapping[str, str] | None = None) -> str | None:
    """``MICROSPACEGEN_DATABASE_URL`` if set (a restore must not create a data directory,
    which :func:`load_settings` does)."""
    return _env(os.environ if environ is None else environ, "DATABASE_URL")


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    host: str | None = None,
    port: int | None = None,
    data_dir: str | Path | None = None,
) -> Settings:
    """Build :class:`Settings`: explicit arguments win over the environment, then defaults."""
    env = os.environ if environ is None else environ
    directory = Path(data_dir or _env(env, "DATA_DIR") or "./var").expanduser().resolve()
    database_url = _env(env, "DATABASE_URL") or f"sqlite:///{directory / 'microspacegen.sqlite3'}"
    if database_url.startswith("sqlite"):
        make_private_dir(directory)
    secret = _env(env, "SECRET_KEY") or load_or_create_secret(directory)
    if len(secret) < MIN_SECRET_CHARS:  # a placeholder left in a Secret would sign sessions
        raise ConfigError(
            f"{ENV_PREFIX}SECRET_KEY is {len(secret)} characters; it needs at least "
            f"{MIN_SECRET_CHARS} random ones, e.g. from: python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'"
        )
    chain_url = _chain_url(_env(env, "CHAIN_URL"))
    keyfile = _env(env, "CHAIN_KEYFILE")
    backup_dir = _env(env, "BACKUP_DIR")
    raw_port = str(port) if port is not None else (_env(env, "PORT") or "8050")
    return Settings(
        data_dir=directory,
        database_url=database_url,
        secret_key=secret,
        host=host or _env(env, "HOST") or "127.0.0.1",
        port=_as_number("PORT", raw_port, int, 1, 65535),
        admin_password=_env(env, "ADMIN_PASSWORD"),
        secure_cookies=_as_bool("SECURE_COOKIES", _env(env, "SECURE_COOKIES") or "0"),
        session_hours=_as_number(
            "SESSION_HOURS", _env(env, "SESSION_HOURS") or "12", float, 0.1, 720
        ),
        threads=_as_number("THREADS", _env(env, "THREADS") or "8", int, 1, 64),
        broker_url=_broker_url(_env(env, "BROKER_URL")),
        queue_name=_queue_name(_env(env, "QUEUE_NAME") or "microspacegen"),
        workers=_as_number("WORKERS", _env(env, "WORKERS") or "2", int, 0, 64),
        max_request_bytes=1024
        * 1024
        * _as_number("MAX_REQUEST_MB", _env(env, "MAX_REQUEST_MB") or "64", int, 17, 262_144),
        chain_url=chain_url,
        chain_keyfile=Path(keyfile).expanduser().resolve() if keyfile else None,
        chain_password=_env(env, "CHAIN_PASSWORD"),
        chain_contract=_chain_contract(_env(env, "CHAIN_CONTRACT")),
        chain_confirmations=_as_number(
            "CHAIN_CONFIRMATIONS",
            _env(env, "CHAIN_CONFIRMATIONS") or ("12" if chain_url else "1"),
            int,
            1,
            1000,
        ),
        ledger_batch_size=_as_number(
            "LEDGER_BATCH_SIZE", _env(env, "LEDGER_BATCH_SIZE") or "1000", int, 1, 65535
        ),
        ledger_batch_wait_s=_as_number(
            "LEDGER_BATCH_WAIT_S", _env(env, "LEDGER_BATCH_WAIT_S") or "2", float, 0.0, 86400.0
        ),
        integrity_sweep_hours=_as_number(
            "INTEGRITY_SWEEP_HOURS", _env(env, "INTEGRITY_SWEEP_HOURS") or "24", float, 0.0, 8760.0
        ),
        backup_hours=_as_number(
            "BACKUP_HOURS", _env(env, "BACKUP_HOURS") or "0", float, 0.0, 8760.0
        ),
        backup_dir=Path(backup_dir).expanduser().resolve() if backup_dir else None,
        backup_keep=_as_number("BACKUP_KEEP", _env(env, "BACKUP_KEEP") or "7", int, 1, 1000),
        devices=_devices(_env(env, "DEVICES")),
        sim_speed=_as_number("SIM_SPEED", _env(env, "SIM_SPEED") or "1", float, 0.01, 10_000.0),
        telemetry_hz=_as_number("TELEMETRY_HZ", _env(env, "TELEMETRY_HZ") or "1", float, 0.1, 10.0),
        controller=_as_bool("CONTROLLER", _env(env, "CONTROLLER") or "1"),
        metrics_port=_optional_port("METRICS_PORT", _env(env, "METRICS_PORT")),
        metrics_host=_env(env, "METRICS_HOST") or "127.0.0.1",
        log_format=_log_format(_env(env, "LOG_FORMAT")),
        public_url=_public_url(_env(env, "PUBLIC_URL")),
        oidc=_oidc(env),
    )


def _optional_port(name: str, raw: str | None) -> int | None:
    return None if raw is None else _as_number(name, raw, int, 1, 65535)


def _log_format(raw: str | None) -> str | None:
    if raw is None or raw in ("json", "console"):
        return raw
    raise ConfigError(f"{ENV_PREFIX}LOG_FORMAT={raw!r}: use json or console")


def _devices(raw: str | None) -> str:
    """The device list, checked now so a typo stops the start with its entry named."""
    from hardware.factory import DEFAULT_DEVICES, parse_devices

    spec = raw or DEFAULT_DEVICES
    try:
        parse_devices(spec)
    except ValueError as exc:
        raise ConfigError(f"MICROSPACEGEN_DEVICES: {exc}") from None
    return spec
