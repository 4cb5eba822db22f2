"""Opening the database: engine, SQLite pragmas (WAL, foreign keys), migrations to head."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from tagwire.errors import ConfigError, DatabaseUnavailable, StoreError

MIGRATIONS = Path(__file__).parent / "migrations"


def create_store_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get their folder, WAL and foreign keys."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"invalid database URL {url!r}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            sqlite_file(parsed), connect_args={"check_same_thread": False, "timeout": 30}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            engine = create_engine(parsed, pool_pre_ping=True)
        except (ArgumentError, ImportError) as exc:
            raise ConfigError(f"cannot use database URL {url!r}: {exc}") from None
    event.listen(engine, "handle_error", _translate_error)
    return engine


def sqlite_file(url: URL) -> URL:
    """``~`` expanded and the folder created, with a clear error when that is impossible."""
    if not url.database or url.database == ":memory:":
        return url
    path = Path(url.database).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the database folder {path.parent}: {exc.strerror}"
        ) from None
    return url.set(database=str(path))


def _translate_error(context: ExceptionContext) -> None:
    """Every database error leaves the store as a ``StoreError`` naming the database and
    the cause, in words a user can act on when the file or the disk is at fault."""
    if context.is_pre_ping:
        return  # the pool handles a dead connection itself
    original = context.original_exception
    where = _describe(context.engine.url) if context.engine is not None else "the database"
    plain = _plain_cause(original)
    if plain is not None:
        raise DatabaseUnavailable(f"database {where}: {plain} ({original})") from original
    raise StoreError(f"database {where}: {type(original).__name__}: {original}") from original


# SQLite's primary result codes, and PostgreSQL's SQLSTATEs, that are the machine's doing.
PLAIN_CAUSES = {
    sqlite3.SQLITE_READONLY: "it is read-only: the file, its folder or its disk cannot be written",
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_CANTOPEN: "it cannot be opened: its folder must exist, and be writable"
    " for the -wal and -shm files beside it",
    sqlite3.SQLITE_IOERR: "the disk failed to read or write it: is the disk full?",
    sqlite3.SQLITE_CORRUPT: "the file is damaged",
    sqlite3.SQLITE_NOTADB: "the file is not a SQLite database",
    "53100": "the disk is full",
    "25006": "it is read-only (a standby server, or default_transaction_read_only)",
}


def _plain_cause(error: BaseException) -> str | None:
    code = getattr(error, "sqlite_errorcode", None)
    key = code & 0xFF if isinstance(code, int) else getattr(error, "sqlstate", None)
    return PLAIN_CAUSES.get(key) if key is not None else None


def _describe(url: URL) -> str:
    """A SQLite file's path; a server database's URL without password or options."""
    if url.get_backend_name() == "sqlite":
        return url.database or "in memory"
    return url.set(query={}).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot prepare the database: {exc.__class__.__name__}: {exc}") from exc


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config
