"""Consistent copies of the database: SQLite's online backup API, or PostgreSQL's tools.

SQLite: ``Connection.backup`` copies every page in one step under a read transaction, so
the copy is one moment of the database however many writers the app has (WAL lets them
go on meanwhile). PostgreSQL: ``pg_dump`` in custom format reads in one repeatable-read
snapshot; ``pg_restore --single-transaction`` loads it whole or not at all.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import psycopg
from sqlalchemy import make_url

from ..errors import Conflict, ValidationFailed

SQLITE_PART = "database/microspacegen.sqlite3"
POSTGRES_PART = "database/postgresql.dump"
SQLITE_FILE = "microspacegen.sqlite3"


class ToolMissing(Conflict):
    """A PostgreSQL client tool is missing or too old for the server."""


def sqlite_path(url: str) -> Path:
    """The file of an SQLite URL."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValidationFailed("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def snapshot_sqlite(source: Path, target: Path) -> None:
    """Copy the database at ``source`` to a new file ``target`` (one consistent moment)."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # pages=-1: all in one step, so no writer can interleave
        # One self-contained file (the copy inherits WAL mode; the app sets it again on open).
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def check_sqlite(path: Path) -> None:
    """Refuse a restored SQLite file that SQLite itself finds damaged."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise ValidationFailed(f"The restored database is not SQLite: {exc}.") from None
    finally:
        conn.close()
    if not result or result[0] != "ok":
        raise ValidationFailed(f"The restored SQLite database fails its check: {result}.")


# --- PostgreSQL -------------------------------------------------------------------------------


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection options for the client tools: the URL (its query, e.g. ``sslmode``, kept)
    without its password, which goes in the environment (never on a command line)."""
    parsed = make_url(url)
    bare = parsed.set(drivername="postgresql", password=None)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return ["--dbname", bare.render_as_string(hide_password=False)], env


def plain_url(url: str) -> str:
    """A libpq URL (``postgresql://``) for psycopg from an SQLAlchemy one."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> tuple[str, int]:
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(
            f"{name} is not installed; it is needed to back up and restore PostgreSQL "
            "(Debian: apt-get install postgresql-client)."
        )
    out = subprocess.run(  # noqa: S603 - a fixed tool found on PATH
        [path, "--version"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    return path, int(found.group(1)) if found else 0


def _server_major(url: str) -> int:
    with psycopg.connect(plain_url(url), connect_timeout=10) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    return int(row[0]) // 10000 if row else 0


def dump_postgres(url: str, target: Path) -> str:
    """``pg_dump`` the database into ``target`` (custom format); returns the tool's version."""
    tool, major = _tool("pg_dump")
    server = _server_major(url)
    if major < server:
        raise ToolMissing(
            f"pg_dump {major} cannot dump a PostgreSQL {server} server; install the "
            f"client tools of version {server} or newer."
        )
    args, env = _libpq(url)
    done = subprocess.run(  # noqa: S603 - fixed tool, arguments from our own settings
        [tool, "--format=custom", "--no-owner", "--no-privileges", "--file", str(target), *args],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise Conflict(f"pg_dump failed: {done.stderr.strip()[-500:]}")
    os.chmod(target, 0o600)
    return f"{major}"


def is_empty_postgres(url: str) -> list[str]:
    """The tables already in the database (empty list: it may receive a restore)."""
    with psycopg.connect(plain_url(url), connect_timeout=10) as conn:
        rows = conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
        ).fetchall()
    return [str(r[0]) for r in rows]


def restore_postgres(url: str, dump: Path) -> None:
    """Load ``dump`` into the (empty) database at ``url`` in one transaction."""
    tool, major = _tool("pg_restore")
    server = _server_major(url)
    if major < server:
        raise ToolMissing(f"pg_restore {major} is older than the PostgreSQL {server} server.")
    args, env = _libpq(url)
    done = subprocess.run(  # noqa: S603 - fixed tool, arguments from our own settings
        [
            tool,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            *args,
            str(dump),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise Conflict(f"pg_restore failed (nothing was loaded): {done.stderr.strip()[-500:]}")


def empty_postgres(url: str) -> None:
    """Drop what a restore created in a database that was empty before it (after a failure)."""
    with psycopg.connect(plain_url(url), autocommit=True) as conn:
        for (table,) in conn.execute(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall():
            conn.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
        for (sequence,) in conn.execute(
            "SELECT format('%I.%I', sequence_schema, sequence_name) "
            "FROM information_schema.sequences"
        ).fetchall():
            conn.execute(f"DROP SEQUENCE IF EXISTS {sequence} CASCADE")
