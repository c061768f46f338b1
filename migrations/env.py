"""Alembic environment: runs migrations on the engine given in ``config.attributes``.

On SQLite, foreign-key checks are off while migrating (a batch migration rebuilds a
table by copy, drop and rename, which would otherwise fail, or cascade, on real data)
and the whole database is checked afterwards; SQLite cannot switch them inside the
migration's transaction, so this happens here, around it.
"""

from __future__ import annotations

from alembic import context

from queries.schema import metadata

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        with connection.begin():
            context.configure(connection=connection, target_metadata=metadata,
                              render_as_batch=sqlite)
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.commit()
            if broken:
                raise RuntimeError(f"migration broke foreign keys: {broken[:10]}")
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
