"""Turn a database integrity error into what a person needs to hear.

PostgreSQL names the violated constraint; SQLite names only the columns of a unique
constraint and nothing at all for a foreign key, so both are brought to the constraint
names of the naming convention in ``dashboard/models/base.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy.exc import IntegrityError

from dashboard.models import Base

from .errors import Conflict

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (\w+)\.(\w+)")
_PG_FOREIGN_KEY = "23503"  # SQLSTATE foreign_key_violation


def constraint_name(exc: IntegrityError) -> str | None:
    """The name of the constraint ``exc`` violated, when the database tells (or implies) it."""
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return str(name)
    found = _SQLITE_UNIQUE.search(str(exc.orig))
    if found:
        table, first_column = found.groups()
        return f"uq_{table}_{first_column}"
    return None


def is_foreign_key_violation(exc: IntegrityError) -> bool:
    """Whether a row was removed (or pointed) while another row still refers to it."""
    if getattr(exc.orig, "sqlstate", None) == _PG_FOREIGN_KEY:
        return True
    return "FOREIGN KEY constraint failed" in str(exc.orig)


def referring_tables(table: str) -> list[str]:
    """Tables of the data model with a foreign key to ``table``."""
    return sorted(
        {
            other.name
            for other in Base.metadata.tables.values()
            for fk in other.foreign_keys
            if fk.column.table.name == table and other.name != table
        }
    )


def integrity_conflict(
    exc: IntegrityError,
    unique: Mapping[str, tuple[str, str | None]],
    *,
    referenced_table: str,
    subject: str,
) -> Conflict:
    """A :class:`Conflict` naming the real cause of ``exc``.

    ``unique`` maps constraint names to (message, field); a foreign-key failure says that
    ``subject`` (a row of ``referenced_table``) is still referred to, and by what.
    """
    name = constraint_name(exc)
    if name is not None and name in unique:
        message, field = unique[name]
        return Conflict(message, field=field)
    if is_foreign_key_violation(exc):
        diag = getattr(exc.orig, "diag", None)
        referrer = getattr(diag, "table_name", None)
        tables = [referrer] if referrer and referrer != referenced_table else []
        tables = tables or referring_tables(referenced_table)
        by = ", ".join(tables) if tables else "other records"
        return Conflict(f"{subject} cannot be removed: {by} still refer to it.")
    return Conflict(
        f"The change clashes with data already stored ({name or 'a database constraint'})."
    )
