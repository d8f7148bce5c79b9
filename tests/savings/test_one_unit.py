"""Savings operations through the one door: each is one unit of work (a step failing late leaves
nothing behind, not even the entries posted before it), and a repeated request is recognised by
the one table of operation keys (the same key with other content is a conflict that writes nothing)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger.models import JournalEntry
from koppontren.members import services as members
from koppontren.operations import OperationConflict
from koppontren.savings import services as savings
from koppontren.savings.models import SavingsTransaction, WajibMonth


def _count(model, coop) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(model.cooperative_id == coop.id))


def test_an_exit_failing_at_its_last_step_leaves_no_entry_and_the_member_active(configured, member, treasurer, monkeypatch):
    savings.deposit(configured, member, "pokok", day=date(2026, 9, 1), actor=treasurer)
    savings.deposit(configured, member, "sukarela", amount=Decimal(40_000), day=date(2026, 9, 1), actor=treasurer)
    entries, documents = _count(JournalEntry, configured), _count(SavingsTransaction, configured)

    def refuse(*_a, **_k):
        raise members.MemberError("invalid_field", "refused for the test")

    monkeypatch.setattr(members, "mark_left", refuse)  # after the reclassification, settlement and withdrawal were posted
    with pytest.raises(members.MemberError):
        savings.exit_member(configured, member, effective_date=date(2026, 12, 1), actor=treasurer)
    assert _count(JournalEntry, configured) == entries
    assert _count(SavingsTransaction, configured) == documents
    assert members.get_member(configured, member.id).status == "aktif"
    assert savings.balances(configured, member.id).pokok == 100_000_00


def test_the_same_key_with_another_amount_is_a_conflict_and_writes_nothing(configured, member, treasurer):
    savings.deposit(configured, member, "sukarela", amount=Decimal(5_000), day=date(2026, 10, 1), actor=treasurer, idempotency_key="k")
    before = _count(JournalEntry, configured), _count(SavingsTransaction, configured)
    with pytest.raises(OperationConflict) as err:
        savings.deposit(configured, member, "sukarela", amount=Decimal(6_000), day=date(2026, 10, 1), actor=treasurer, idempotency_key="k")
    assert err.value.code == "idempotency_conflict"
    with pytest.raises(OperationConflict):  # another operation under the same key
        savings.withdraw(configured, member, amount=Decimal(5_000), day=date(2026, 10, 2), actor=treasurer, idempotency_key="k")
    assert (_count(JournalEntry, configured), _count(SavingsTransaction, configured)) == before


def test_a_replayed_deposit_is_marked_and_is_the_first_one(configured, member, treasurer):
    first = savings.deposit(configured, member, "wajib", months=[(2026, 9), (2026, 10)], day=date(2026, 10, 1), actor=treasurer,
                            idempotency_key="w-1")
    assert first.was_replayed is False
    first_id = first.id
    again = savings.deposit(configured, member, "wajib", months=[(2026, 9), (2026, 10)], day=date(2026, 10, 1), actor=treasurer,
                            idempotency_key="w-1")
    assert again.was_replayed is True
    assert again.id == first_id and again.amount == 20_000_00
    assert _count(WajibMonth, configured) == 2


def test_a_bulk_collection_failing_writes_no_month_and_no_document(configured, new_member, treasurer, monkeypatch):
    a, b = new_member("A"), new_member("B")
    original = savings._document
    calls = []

    def fail_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise savings.SavingsError("invalid_field", "refused for the test")
        return original(*args, **kwargs)

    monkeypatch.setattr(savings, "_document", fail_on_second)
    with pytest.raises(savings.SavingsError):
        savings.collect_wajib_bulk(configured, month=(2026, 11), member_ids=[a.id, b.id], day=date(2026, 11, 5), actor=treasurer)
    assert _count(JournalEntry, configured) == 0
    assert _count(WajibMonth, configured) == 0 and _count(SavingsTransaction, configured) == 0
