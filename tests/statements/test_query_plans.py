"""Tenant isolation of cost, as query plans (issue 10 §4): on SQLite every read the four statements
make of journal lines and entries goes through an index that leads with cooperative_id and covers
what the query needs. Table rows of one cooperative lie scattered among every other cooperative's,
so a plan that visits them (a rowid lookup, an index that does not cover) makes a statement slower
as the database fills with other cooperatives — bench/tenant_cost.py measured 1.9× at 100
cooperatives before these plans were index-only. SQLite plans without statistics (no ANALYZE), as
a fresh production database does; PostgreSQL plans from statistics and is measured by the bench."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event

from koppontren.extensions import db
from koppontren.statements import builders
from koppontren.statements.model import ReportPeriod

Y2025 = ReportPeriod(date(2025, 1, 1), date(2025, 12, 31), "year")
STATEMENTS = {
    "Neraca": lambda coop: builders.balance_sheet(coop, Y2025, comparative=True),
    "PHU": lambda coop: builders.income_statement(coop, Y2025, comparative=True),
    "Arus Kas": lambda coop: builders.cash_flow(coop, Y2025, comparative=True),
    "Neraca Saldo": lambda coop: builders.trial_balance(coop, Y2025),
}
JOURNAL_TABLES = ("journal_line", "journal_entry")


def _journal_reads(coop, build) -> list[tuple[str, tuple]]:
    """The SQL (and parameters) of every query ``build`` sends that reads journal lines or entries."""
    seen: list[tuple[str, tuple]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and any(t in statement for t in JOURNAL_TABLES):
            seen.append((statement, tuple(parameters or ())))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        build(coop)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return seen


def _plan(statement: str, parameters: tuple) -> list[str]:
    cursor = db.session.connection().connection.driver_connection.cursor()
    try:
        return [row[3] for row in cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)]
    finally:
        cursor.close()


@pytest.mark.parametrize("name", list(STATEMENTS))
def test_statement_reads_of_the_journal_are_index_only_and_start_at_the_cooperative(year, is_postgres, name):
    if is_postgres:
        pytest.skip("SQLite's plans; PostgreSQL's come from statistics (bench/tenant_cost.py measures them)")
    reads = _journal_reads(year.coop, STATEMENTS[name])
    assert reads, "the statement reads the journal"
    for statement, parameters in reads:
        for step in _plan(statement, parameters):
            if not step.startswith(("SEARCH", "SCAN")):
                continue  # LIST SUBQUERY, USE TEMP B-TREE FOR GROUP BY, …
            if any(f" {alias} " in f" {step} " for alias in ("account", "cooperative", "period")):
                continue  # the chart and settings: a few hundred rows of this cooperative
            assert step.startswith("SEARCH") and "USING COVERING INDEX" in step and "(cooperative_id=?" in step, (
                f"{name}: {step!r} in\n{statement}")
