"""The database itself refuses what the ledger forbids — tried with raw SQL, past the ORM."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from koppontren.extensions import db
from tests.helpers import refused_by_database
from tests.ledger.conftest import cash_sale


@pytest.mark.parametrize("statement", [
    "UPDATE journal_line SET debit = debit + 100 WHERE debit > 0",
    "UPDATE journal_line SET memo = 'diubah'",
    "DELETE FROM journal_line",
])
def test_lines_cannot_be_changed_or_deleted(coop, statement):
    cash_sale(coop)
    assert "immutable" in refused_by_database(statement)


@pytest.mark.parametrize("statement", [
    "UPDATE journal_entry SET description = 'diubah'",
    "UPDATE journal_entry SET total = total + 1",
    "DELETE FROM journal_entry",
])
def test_posted_entries_cannot_be_changed_or_deleted(coop, statement):
    cash_sale(coop)
    assert "immutable" in refused_by_database(statement)


def test_only_the_reversal_link_may_be_set_and_only_once(coop):
    a, b = cash_sale(coop), cash_sale(coop)
    ids = {"a": a.id, "b": b.id}
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE journal_entry SET reversed_by_id = :b WHERE id = :a"), ids)
    assert "immutable" in refused_by_database("UPDATE journal_entry SET reversed_by_id = :a WHERE id = :a", ids)


def test_a_line_with_two_sides_is_refused_by_the_database(coop):
    entry = cash_sale(coop)
    params = {"c": coop.id, "e": entry.id, "a": entry.lines[0].account_id}
    message = refused_by_database(
        "INSERT INTO journal_line (cooperative_id, entry_id, line_no, account_id, entry_date, debit, credit) "
        "VALUES (:c, :e, 9, :a, '2026-03-10', 100, 100)", params)
    assert "check" in message


@pytest.mark.postgres_only
def test_postgres_refuses_an_unbalanced_entry_at_commit(coop, is_postgres):
    if not is_postgres:
        pytest.skip("the deferred balance trigger exists on PostgreSQL")
    entry = cash_sale(coop)
    params = {"c": coop.id, "e": entry.id, "a": entry.lines[0].account_id}
    # an extra debit line added to a posted entry unbalances it
    message = refused_by_database(
        "INSERT INTO journal_line (cooperative_id, entry_id, line_no, account_id, entry_date, debit, credit) "
        "VALUES (:c, :e, 3, :a, '2026-03-10', 500, 0)", params)
    assert "unbalanced" in message
    # a whole new entry whose lines don't balance
    message = refused_by_database(
        "INSERT INTO journal_entry (cooperative_id, journal_type, fiscal_year, sequence, number, entry_date, description, source, "
        "total, prev_hash, entry_hash, created_at) VALUES (:c, 'JU', 2026, 99, 'JU/2026/000099', '2026-03-10', 'x', 'sql', 100, "
        "'x', 'y', now()) ;\n"
        "INSERT INTO journal_line (cooperative_id, entry_id, line_no, account_id, entry_date, debit, credit) "
        "VALUES (:c, currval('journal_entry_id_seq'), 1, :a, '2026-03-10', 100, 0) ;\n"
        "INSERT INTO journal_line (cooperative_id, entry_id, line_no, account_id, entry_date, debit, credit) "
        "VALUES (:c, currval('journal_entry_id_seq'), 2, :a, '2026-03-10', 0, 90)", params)
    assert "unbalanced" in message
    # and an entry with no lines at all
    message = refused_by_database(
        "INSERT INTO journal_entry (cooperative_id, journal_type, fiscal_year, sequence, number, entry_date, description, source, "
        "total, prev_hash, entry_hash, created_at) VALUES (:c, 'JU', 2026, 98, 'JU/2026/000098', '2026-03-10', 'x', 'sql', 100, "
        "'x', 'y', now())", params)
    assert "unbalanced" in message


def test_journal_rows_of_one_cooperative_cannot_point_at_another_cooperatives_account(build, coop):
    other = build.coop("lain")
    entry = cash_sale(coop)
    from koppontren.ledger.chart import account_for

    params = {"c": coop.id, "e": entry.id, "a": account_for(other, "cash").id, "d": date(2026, 3, 10)}
    assert "foreign key" in refused_by_database(
        "INSERT INTO journal_line (cooperative_id, entry_id, line_no, account_id, entry_date, debit, credit) "
        "VALUES (:c, :e, 7, :a, :d, 100, 0)", params)
