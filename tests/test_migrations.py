"""The migrated schema equals the models, and the database itself enforces what it can."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from koppontren.extensions import db
from tests.helpers import refused_by_database


def test_migrated_schema_has_no_pending_autogenerate_diff(app_ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_migrations_are_at_head(app_ctx):
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head


def test_every_cooperative_table_leads_its_keys_with_cooperative_id(app_ctx):
    """DESIGN.md §2: unique keys of tenant tables start with cooperative_id (sharding-ready)."""
    for table in db.metadata.sorted_tables:
        if "cooperative_id" not in table.c or table.name == "audit_event":
            continue
        for constraint in table.constraints:
            if constraint.__class__.__name__ == "UniqueConstraint":
                assert next(iter(constraint.columns)).name == "cooperative_id", (table.name, constraint.name)


def test_audit_log_rows_cannot_be_updated_or_deleted(build):
    build.coop("alhikmah")  # writes a coop.created audit row
    for statement in ("UPDATE audit_event SET action = 'tampered'", "DELETE FROM audit_event"):
        assert "append-only" in refused_by_database(statement)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT action FROM audit_event")).scalars().all() == ["coop.created"]


def test_sqlite_runs_with_wal_and_foreign_keys(app_ctx, is_postgres):
    if is_postgres:
        pytest.skip("SQLite pragmas")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_foreign_keys_are_enforced(app_ctx):
    message = refused_by_database(
        "INSERT INTO role_assignment (cooperative_id, user_id, role, created_at) "
        "VALUES (999, 999, 'admin', CURRENT_TIMESTAMP)"
    )
    assert "foreign key" in message


def test_role_values_are_checked_by_the_database(build):
    coop = build.coop("alhikmah")
    user = build.user("ahmad", coop, "admin")
    ids = {"c": coop.id, "u": user.id}
    message = refused_by_database(
        "INSERT INTO role_assignment (cooperative_id, user_id, role, created_at) "
        "VALUES (:c, :u, 'superuser', CURRENT_TIMESTAMP)", ids
    )
    assert "check constraint" in message
