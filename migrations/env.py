"""Alembic environment: the models' metadata, and the URL handed over by store.migrate."""

from __future__ import annotations

from advanced_alchemy.base import orm_registry
from alembic import context
from sqlalchemy import create_engine, pool

import store.models  # noqa: F401  (registers every table on the metadata)

target_metadata = orm_registry.metadata
config = context.config


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
