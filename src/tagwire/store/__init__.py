"""Storage: the one seam between tagwire and its database.

The pipeline, the CLI and the views call the functions of ``feeds``, ``articles``,
``tags`` and ``reads``; nothing else touches SQL. ``open_store`` creates the engine and
brings the schema to the newest migration.
"""

from __future__ import annotations

from sqlalchemy import Engine

from tagwire.store.db import create_store_engine, migrate


def open_store(url: str) -> Engine:
    engine = create_store_engine(url)
    migrate(engine)
    return engine


__all__ = ["open_store"]
