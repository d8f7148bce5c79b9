"""The one door (issue 19 §1–2): a unit of work stores a whole operation or nothing, and one table of
operation keys replays a repeated request — same key and content: the first result; same key, other
content: a conflict — on SQLite and (the race) on PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.models import JournalEntry
from koppontren.ledger.posting import LineSpec, post_entry
from koppontren.operations import OperationConflict, UnitOfWorkError, canonical, command, unit_of_work
from koppontren.operations.models import OperationKey
from koppontren.tenancy.services import get_by_slug
from tests.ledger.test_concurrency import _run_threads

DAY = date(2026, 3, 2)


@command("test.capital")
def pay_in_capital(coop, amount: Decimal, *, note: str = "", actor=None, idempotency_key=None) -> JournalEntry:
    """A member pays in participation capital: a real posting, so the tests see what a service would store."""
    return post_entry(coop, entry_date=DAY, description=f"Modal penyertaan {note}".strip(), journal_type="KM", lines=[
        LineSpec("1101", debit=amount), LineSpec("3103", credit=amount)])


@command("test.two_entries")
def two_entries(coop, amount: Decimal, *, idempotency_key=None) -> tuple:
    first = pay_in_capital(coop, amount)
    second = post_entry(coop, entry_date=DAY, description="Biaya listrik", journal_type="KK", lines=[
        LineSpec("6102", debit=amount * 10), LineSpec("1101", credit=amount * 10)])  # more than came in: refused
    return first, second


@pytest.fixture
def coop(build):
    coop = build.coop("alhikmah")
    db.session.commit()
    return coop


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


def _keys() -> int:
    return db.session.scalar(select(func.count()).select_from(OperationKey))


def test_the_outermost_unit_commits_once_and_inner_units_join_it(coop):
    with unit_of_work():
        post_entry(coop, entry_date=DAY, description="Modal", journal_type="KM",
                   lines=[LineSpec("1101", debit=Decimal(500)), LineSpec("3103", credit=Decimal(500))])
        with unit_of_work():
            pay_in_capital(coop, Decimal(700))
        db.session.rollback()  # a stray rollback inside the unit: nothing was committed yet, so nothing stays
    assert _entries() == 0


def test_an_error_anywhere_rolls_back_the_whole_operation(coop):
    with pytest.raises(LedgerError) as err:
        two_entries(coop, Decimal(1000))
    assert err.value.code == "insufficient_funds"
    db.session.rollback()
    assert _entries() == 0


def test_a_swallowed_inner_error_stops_the_unit_from_committing_half_an_operation(coop):
    with pytest.raises(UnitOfWorkError):
        with unit_of_work():
            pay_in_capital(coop, Decimal(1000))
            try:
                post_entry(coop, entry_date=DAY, description="Listrik", journal_type="KK", lines=[
                    LineSpec("6102", debit=Decimal(5000)), LineSpec("1101", credit=Decimal(5000))])
            except LedgerError:
                pass  # a caller that carries on after a refusal
    assert _entries() == 0


def test_the_same_key_and_content_returns_the_first_result(coop):
    first = pay_in_capital(coop, Decimal("250000"), note="Ahmad", idempotency_key="form-1")
    assert first.was_replayed is False
    again = pay_in_capital(coop, Decimal("250000.00"), note="Ahmad", idempotency_key="form-1")
    assert again.was_replayed is True
    assert again.id == first.id and again.number == "KM/2026/000001"
    assert _entries() == 1 and _keys() == 1
    row = db.session.scalar(select(OperationKey))
    assert (row.cooperative_id, row.key, row.operation) == (coop.id, "form-1", "test.capital")


def test_the_same_key_with_other_content_or_another_operation_is_a_conflict_and_writes_nothing(coop, build):
    pay_in_capital(coop, Decimal("250000"), idempotency_key="k")
    with pytest.raises(OperationConflict) as err:
        pay_in_capital(coop, Decimal("300000"), idempotency_key="k")
    assert err.value.code == "idempotency_conflict" and "idempotency_key" in err.value.fields
    with pytest.raises(OperationConflict):
        two_entries(coop, Decimal("250000"), idempotency_key="k")
    assert _entries() == 1
    # keys are per cooperative: another cooperative's "k" is its own
    other = build.coop("annur")
    db.session.commit()
    assert pay_in_capital(other, Decimal("300000"), idempotency_key="k").was_replayed is False


def test_a_refused_first_attempt_leaves_the_key_free_for_the_corrected_retry(coop):
    with pytest.raises(LedgerError):
        two_entries(coop, Decimal(1000), idempotency_key="retry")
    assert _keys() == 0
    result = pay_in_capital(coop, Decimal(1000), idempotency_key="retry")
    assert result.was_replayed is False and _entries() == 1


def test_the_fingerprint_compares_amounts_by_value_and_refuses_what_it_cannot_compare():
    assert canonical(Decimal("1000.00")) == canonical(Decimal("1000")) != canonical(Decimal("1000.01"))
    assert canonical({"b": date(2026, 1, 2), "a": [Decimal("1.50")]}) == {"a": ["D1.5"], "b": "2026-01-02"}
    assert canonical(1.5) != canonical(Decimal("1.5")) and canonical(1.5) != canonical("1.5")
    with pytest.raises(TypeError):
        canonical(object())


@pytest.mark.postgres_only
def test_simultaneous_requests_with_one_key_run_once(app, coop, is_postgres):
    if not is_postgres:
        pytest.skip("a race: SQLite serialises writers by design")
    results = []

    def work(i: int) -> None:
        entry = pay_in_capital(get_by_slug("alhikmah"), Decimal(1000), idempotency_key="twins")
        results.append((entry.number, entry.was_replayed))

    assert _run_threads(app, 4, work) == []
    assert sorted(results) == [("KM/2026/000001", False)] + [("KM/2026/000001", True)] * 3
    assert _entries() == 1
