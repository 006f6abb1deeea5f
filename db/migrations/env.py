"""Alembic environment for the mnistq store.

Driven programmatically by `db.migrate` (no alembic.ini): it passes an open connection in
`config.attributes["connection"]`. For developers, `alembic -x url=sqlite:///dev.db revision --autogenerate`
also works with a Config whose script_location points here.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from db.models import Base

config = context.config


def run_with(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs rebuild the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_with(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    with create_engine(url).connect() as conn:
        run_with(conn)
        conn.commit()
