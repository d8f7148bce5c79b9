"""Alembic environment for Koppontren, driven by Flask-Migrate (`koppontren db …`).

The database URL and the metadata come from the Flask app, so migrations always run against the
database the app is configured for. Batch mode (set in create_app) lets SQLite alter tables.

On PostgreSQL the app connects as a role that owns no table (``koppontren_app``, bound by row-level
security); migrations run as the tables' owner, whose URL is ``KOPPONTREN_MIGRATE_DATABASE_URL``
(config ``MIGRATE_DATABASE_URI``; unset: the app's own URL, for a deployment without the split).
Their connection bypasses row-level security (a data migration spans every cooperative), and after
every upgrade ``koppontren_secure_schema()`` (migration 0021) secures any new tenant table and grants
the app's role its rights on it.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import create_engine, pool, text

config = context.config
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
owner_url = current_app.config.get("MIGRATE_DATABASE_URI")
database_url = owner_url or target_db.engine.url.render_as_string(hide_password=False)
config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))


def run_migrations_offline():
    """Emit SQL to stdout instead of running it (``koppontren db upgrade --sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=target_db.metadata, literal_binds=True,
        **current_app.extensions["migrate"].configure_args,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        # An autogenerate that finds no change writes no empty migration file.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    engine = create_engine(owner_url, poolclass=pool.NullPool) if owner_url else target_db.engine
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":  # for this transaction only: the pool may reuse the connection
                connection.execute(text("SELECT set_config('app.rls_bypass', 'on', true)"))
            context.run_migrations()
            if connection.dialect.name == "postgresql" and connection.scalar(
                    text("SELECT to_regprocedure('koppontren_secure_schema()') IS NOT NULL")):
                connection.execute(text("SELECT koppontren_secure_schema()"))
    if owner_url:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
