"""Every table that holds a cooperative's data is keyed by ``cooperative_id`` (DESIGN.md §2), so one
cooperative's work doesn't depend on how many share the database and the schema can be distributed
by cooperative (Citus, docs/scaling.md): the column is on every such table, in every unique key and
in every foreign key between such tables, and first in every index."""

from __future__ import annotations

from sqlalchemy import ForeignKeyConstraint, UniqueConstraint

from koppontren import models  # noqa: F401  - every table on the metadata
from koppontren.extensions import db

#: Tables of the whole deployment, not of one cooperative (Citus: reference tables, copied to every node).
GLOBAL_TABLES = {"cooperative", "user_account", "login_delay"}
#: Indexes that may lead with another column, and why.
OTHER_LEADING_INDEXES = {
    "ix_role_assignment_user_id": "finds the cooperatives of the user who logs in, before any cooperative is chosen",
}


def _tenant_tables():
    return [t for t in db.metadata.sorted_tables if t.name not in GLOBAL_TABLES]


def test_every_table_but_the_global_ones_carries_cooperative_id():
    missing = [t.name for t in _tenant_tables() if "cooperative_id" not in t.c]
    assert missing == []
    for table in _tenant_tables():
        column = table.c.cooperative_id
        assert not column.nullable or table.name == "audit_event", table.name  # the audit log also records platform events
        assert any(fk.column.table.name == "cooperative" for fk in column.foreign_keys), table.name


def test_every_unique_key_includes_cooperative_id():
    problems = []
    for table in _tenant_tables():
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint) and "cooperative_id" not in constraint.columns:
                problems.append(f"{table.name}: UNIQUE ({', '.join(constraint.columns.keys())})")
        for index in table.indexes:
            if index.unique and "cooperative_id" not in index.columns:
                problems.append(f"{table.name}: UNIQUE INDEX {index.name}")
    assert problems == []


def test_every_foreign_key_between_tenant_tables_includes_cooperative_id():
    """A line can't point at another cooperative's entry even by a wrong id: the database checks the
    pair (cooperative_id, id). Keys to the global tables are the only single-column ones."""
    problems = []
    for table in _tenant_tables():
        for constraint in table.constraints:
            if not isinstance(constraint, ForeignKeyConstraint):
                continue
            target = constraint.elements[0].column.table.name
            if target in GLOBAL_TABLES:
                continue
            if "cooperative_id" not in constraint.columns:
                problems.append(f"{table.name}({', '.join(constraint.columns.keys())}) -> {target}")
    assert problems == []


def test_every_index_of_a_tenant_table_leads_with_cooperative_id():
    problems = [
        f"{table.name}: {index.name}"
        for table in _tenant_tables() for index in table.indexes
        if next(iter(index.columns)).name != "cooperative_id" and index.name not in OTHER_LEADING_INDEXES
    ]
    assert problems == []


def test_tenant_rows_can_be_addressed_by_cooperative_and_id():
    """Distributing by cooperative needs primary keys that contain it; tables other rows point at
    already have UNIQUE (cooperative_id, id), which becomes that key (docs/scaling.md)."""
    referenced = {
        constraint.elements[0].column.table.name
        for table in _tenant_tables() for constraint in table.constraints
        if isinstance(constraint, ForeignKeyConstraint) and constraint.elements[0].column.table.name not in GLOBAL_TABLES
    }
    for name in sorted(referenced):
        table = db.metadata.tables[name]
        keys = [list(c.columns.keys()) for c in table.constraints if isinstance(c, UniqueConstraint)]
        assert ["cooperative_id", "id"] in keys, name
