"""Tenant isolation of cost, as query plans (issue 10 §4): on SQLite every read the four statements
make of journal lines and entries goes through an index that leads with cooperative_id and covers
what the query needs. Table rows of one cooperative lie scattered among every other cooperative's,
so a plan that visits them (a rowid lookup, an index that does not cover) makes a statement slower
as the database fills with other cooperatives — bench/tenant_cost.py measured 1.9× at 100
cooperatives before these plans were index-only. SQLite plans without statistics (no ANALYZE), as
a fresh production database does; PostgreSQL plans from statistics and is measured by the bench.
The journal list's account and member filters are checked the same way: they must seek the
account's (member's) lines, not scan the cooperative's."""

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


def _all_reads(build) -> list[tuple[str, tuple]]:
    seen: list[tuple[str, tuple]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, tuple(parameters or ())))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        build()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return seen


@pytest.mark.parametrize("filters", [
    {"account_id": "1101"}, {"account_id": "1101", "date_from": date(2025, 1, 1)}, {"member_id": True}, {},
], ids=["account", "account and date", "member", "none"])
def test_the_journal_list_seeks_the_filtered_account_and_takes_its_order_from_an_index(year, is_postgres, filters):
    """The journal page's filters (queries.search_entries) must seek the account's or member's lines,
    not scan every line of the cooperative — SQLite prefers a covering index on cooperative_id alone
    unless the query bounds the lines' date — and the newest-first order must come from the index."""
    if is_postgres:
        pytest.skip("SQLite's plans")
    from koppontren.ledger import queries
    from koppontren.ledger.chart import account_by_code

    coop = year.coop
    args = dict(filters)
    if "account_id" in args:
        args["account_id"] = account_by_code(coop, args["account_id"]).id
    if args.get("member_id"):
        args["member_id"] = year.siti.id
    entries, total = queries.search_entries(coop, queries.JournalFilter(**args))
    assert total >= len(entries)
    plans = [(s, _plan(s, p)) for s, p in _all_reads(lambda: queries.search_entries(coop, queries.JournalFilter(**args), page=2))]
    steps = [step for _s, plan in plans for step in plan]
    line_steps = [s for s in steps if "journal_line" in s]
    if "account_id" in args:
        assert line_steps and all("account_id=?" in s for s in line_steps), steps
    if "member_id" in args:
        assert line_steps and all("member_id=?" in s for s in line_steps), steps
    assert not any("TEMP B-TREE" in s and "ORDER BY" in s for s in steps), steps
