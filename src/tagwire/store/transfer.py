"""Moving an installation to another database (SQLite -> PostgreSQL, or back) without loss.

Every table is copied in dependency order, rows and ids as they are, in batches; the
target must be empty (freshly migrated). Ids are kept so links stay valid; PostgreSQL's
id sequences are then moved past the copied ids.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, Table, func, select, text

from tagwire.errors import InvalidInput
from tagwire.store.schema import feeds, metadata

BATCH = 1000


def copy_database(
    source: Engine, target: Engine, on_table: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every row of ``source`` into the empty ``target``; rows copied per table."""
    with target.connect() as conn:
        if conn.execute(select(func.count()).select_from(feeds)).scalar():
            raise InvalidInput("the target database is not empty; migrate into a new one")
    copied: dict[str, int] = {}
    with source.connect() as reader, target.begin() as writer:
        for table in metadata.sorted_tables:
            count = 0
            rows = reader.execution_options(yield_per=BATCH).execute(select(table)).mappings()
            for batch in rows.partitions(BATCH):
                writer.execute(table.insert(), [dict(row) for row in batch])
                count += len(batch)
            copied[table.name] = count
            if on_table is not None:
                on_table(table.name, count)
        if target.dialect.name == "postgresql":
            for table in metadata.sorted_tables:
                advance_sequence(writer, table)
    return copied


def advance_sequence(conn: Connection, table: Table) -> None:
    """Next id after the copied ones (PostgreSQL keeps ids in a sequence per table)."""
    if "id" not in table.c:
        return
    conn.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
            f" coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
        )
    )
