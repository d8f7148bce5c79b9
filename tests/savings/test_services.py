"""Savings rules (RULES.md §2) through the services, checked against the ledger a treasurer reads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger import queries
from koppontren.ledger.integrity import check_cooperative
from koppontren.ledger.models import JournalEntry, JournalLine
from koppontren.ledger.periods import close_month
from koppontren.ledger.posting import LineSpec, post_entry, reverse
from koppontren.savings import services as savings
from koppontren.savings.models import SavingsTransaction, WajibMonth
from koppontren.savings.services import SavingsError


def _entries(coop) -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry).where(JournalEntry.cooperative_id == coop.id))


def _lines(entry) -> list[tuple[str, int, int, int | None]]:
    return [(ln.account.code, ln.debit // 100, ln.credit // 100, ln.member_id) for ln in entry.lines]


def test_pokok_posts_kas_against_3101_with_the_member_and_is_refused_a_second_time(configured, member, treasurer):
    tx = savings.deposit(configured, member, "pokok", day=date(2026, 9, 1), actor=treasurer)
    assert tx.voucher == "SP/2026/000001" and tx.amount == 100_000_00
    entry = queries.get_entry(configured, tx.entry_id)
    assert _lines(entry) == [("1101", 100_000, 0, None), ("3101", 0, 100_000, member.id)]
    with pytest.raises(SavingsError) as err:
        savings.deposit(configured, member, "pokok", day=date(2026, 9, 2), actor=treasurer)
    assert err.value.code == "pokok_already_paid"
    assert _entries(configured) == 1
    assert savings.balances(configured, member.id).pokok == 100_000_00


def test_pokok_must_be_the_cooperatives_amount_and_must_be_configured(coop, treasurer, build):
    from koppontren.members import services as members

    m = members.register_member(coop, members.MemberData(name="Ahmad", category="santri", join_date=date(2026, 9, 1)), actor=treasurer)
    with pytest.raises(SavingsError) as err:
        savings.deposit(coop, m, "pokok", actor=treasurer)
    assert err.value.code == "pokok_not_set"
    savings.update_settings(coop, pokok_amount=Decimal(50_000), wajib_rates={}, sukarela_earns_shu=False, default_account_id=None, actor=treasurer)
    with pytest.raises(SavingsError) as err:
        savings.deposit(coop, m, "pokok", amount=Decimal(40_000), actor=treasurer)
    assert err.value.code == "invalid_amount" and "Rp50.000" in str(err.value)
    assert _entries(coop) == 0


def test_a_reversed_pokok_may_be_paid_again(configured, member, treasurer):
    tx = savings.deposit(configured, member, "pokok", day=date(2026, 9, 1), actor=treasurer)
    reverse(configured, queries.get_entry(configured, tx.entry_id), entry_date=date(2026, 9, 2), actor=treasurer)
    assert savings.balances(configured, member.id).pokok == 0
    assert savings.is_cancelled(configured, tx)
    again = savings.deposit(configured, member, "pokok", day=date(2026, 9, 3), actor=treasurer)
    assert savings.balances(configured, member.id).pokok == 100_000_00 and again.voucher == "SP/2026/000003"


def test_three_months_of_wajib_pay_the_oldest_unpaid_months_and_record_them(configured, member, treasurer):
    tx = savings.deposit(configured, member, "wajib", amount=Decimal(30_000), day=date(2026, 11, 20), actor=treasurer)
    assert tx.months == "2026-09,2026-10,2026-11" and tx.amount == 30_000_00
    assert "September 2026 – November 2026 (3 bulan)" in tx.description
    assert savings.paid_months(configured, member.id) == {(2026, 9), (2026, 10), (2026, 11)}
    arrears = savings.arrears(configured, member, date(2026, 12, 15))
    assert arrears.months == [(2026, 12)] and arrears.amount == 10_000_00


def test_wajib_for_chosen_months_refuses_a_month_paid_before_and_writes_nothing(configured, member, treasurer):
    savings.deposit(configured, member, "wajib", months=[(2026, 10)], day=date(2026, 10, 5), actor=treasurer)
    with pytest.raises(SavingsError) as err:
        savings.deposit(configured, member, "wajib", months=[(2026, 9), (2026, 10)], day=date(2026, 10, 6), actor=treasurer)
    assert err.value.code == "month_paid" and "Oktober 2026" in str(err.value)
    assert _entries(configured) == 1
    with pytest.raises(SavingsError) as err:
        savings.deposit(configured, member, "wajib", months=[(2026, 8)], actor=treasurer)
    assert err.value.code == "invalid_month"  # before the member joined
    with pytest.raises(SavingsError) as err:
        savings.deposit(configured, member, "wajib", amount=Decimal(15_000), actor=treasurer)
    assert err.value.code == "invalid_amount"  # not a multiple of Rp10.000
    assert _entries(configured) == 1


def test_a_reversed_wajib_payment_frees_its_months(configured, member, treasurer):
    tx = savings.deposit(configured, member, "wajib", months=[(2026, 9), (2026, 10)], day=date(2026, 10, 5), actor=treasurer)
    reverse(configured, queries.get_entry(configured, tx.entry_id), entry_date=date(2026, 10, 6), actor=treasurer)
    assert savings.paid_months(configured, member.id) == set()
    assert savings.arrears(configured, member, date(2026, 10, 31)).months == [(2026, 9), (2026, 10)]
    again = savings.deposit(configured, member, "wajib", months=[(2026, 9)], day=date(2026, 10, 7), actor=treasurer)
    assert savings.paid_months(configured, member.id) == {(2026, 9)}
    rows = db.session.scalars(select(WajibMonth).where(WajibMonth.member_id == member.id).order_by(WajibMonth.month)).all()
    assert [(r.month, r.entry_id) for r in rows] == [(9, again.entry_id), (10, tx.entry_id)]  # October's row no longer counts


def test_wajib_rates_follow_the_member_category(configured, new_member, treasurer):
    ustadz = new_member("Ust. Hasan", "ustadz", date(2026, 11, 1))
    tx = savings.deposit(configured, ustadz, "wajib", amount=Decimal(50_000), day=date(2026, 12, 1), actor=treasurer)
    assert tx.months == "2026-11,2026-12"
    alumni = new_member("Alumni Tanpa Tarif", "alumni", date(2026, 11, 1))
    with pytest.raises(SavingsError) as err:
        savings.deposit(configured, alumni, "wajib", amount=Decimal(10_000), actor=treasurer)
    assert err.value.code == "wajib_not_set"
    assert savings.arrears(configured, alumni).months == []  # nothing is due without a rate


def test_sukarela_never_goes_below_zero_and_the_refusal_names_the_balance(configured, member, treasurer):
    savings.deposit(configured, member, "sukarela", amount=Decimal(75_000), day=date(2026, 10, 1), actor=treasurer)
    savings.withdraw(configured, member, amount=Decimal(25_000), day=date(2026, 10, 2), actor=treasurer)
    with pytest.raises(SavingsError) as err:
        savings.withdraw(configured, member, amount=Decimal(50_001), day=date(2026, 10, 3), actor=treasurer)
    assert err.value.code == "insufficient_balance"
    assert "Rp50.000" in str(err.value) and "Rp50.001" in str(err.value)
    assert savings.balances(configured, member.id).sukarela == 50_000_00
    savings.withdraw(configured, member, amount=Decimal(50_000), day=date(2026, 10, 3), actor=treasurer)
    assert savings.balances(configured, member.id).sukarela == 0


@pytest.mark.parametrize("kind", ["pokok", "wajib"])
def test_pokok_and_wajib_cannot_be_withdrawn_while_a_member(configured, member, treasurer, kind):
    savings.deposit(configured, member, "pokok", day=date(2026, 9, 1), actor=treasurer)
    savings.deposit(configured, member, "wajib", amount=Decimal(10_000), day=date(2026, 9, 1), actor=treasurer)
    with pytest.raises(SavingsError) as err:
        savings.withdraw(configured, member, kind, amount=Decimal(1_000), actor=treasurer)
    assert err.value.code == "withdrawal_not_allowed"
    assert _entries(configured) == 2


def test_bad_input_is_refused_with_nothing_written(configured, member, treasurer):
    cases = [
        ({"kind": "sukarela", "amount": Decimal(0)}, "invalid_amount"),
        ({"kind": "sukarela", "amount": Decimal("-5")}, "invalid_amount"),
        ({"kind": "sukarela", "amount": Decimal("10.50")}, "invalid_amount"),  # whole rupiah
        ({"kind": "sukarela", "amount": 1.5}, "invalid_amount"),  # never a float
        ({"kind": "sukarela", "amount": Decimal(1000), "day": date(2026, 12, 16)}, "future_date"),  # tomorrow
        ({"kind": "sukarela", "amount": Decimal(1000), "day": date(2026, 8, 31)}, "invalid_date"),  # before joining
        ({"kind": "sukarela", "amount": Decimal(1000), "account_id": 999_999}, "invalid_account"),
        ({"kind": "emas", "amount": Decimal(1000)}, "invalid_field"),
    ]
    for kw, code in cases:
        kind = kw.pop("kind")
        with pytest.raises(SavingsError) as err:
            savings.deposit(configured, member, kind, actor=treasurer, **kw)
        assert err.value.code == code, (kind, kw)
    assert _entries(configured) == 0
    assert db.session.scalar(select(func.count()).select_from(SavingsTransaction)) == 0


def test_a_closed_month_refuses_the_deposit(configured, member, treasurer):
    close_month(configured, 2026, 10, actor=treasurer)
    with pytest.raises(SavingsError) as err:
        savings.deposit(configured, member, "sukarela", amount=Decimal(5_000), day=date(2026, 10, 10), actor=treasurer)
    assert err.value.code == "period_closed"
    assert _entries(configured) == 0


def test_deposits_may_go_to_the_bank_and_the_account_is_on_the_receipt(configured, member, treasurer):
    from koppontren.ledger import chart

    bank = chart.account_for(configured, "bank")
    tx = savings.deposit(configured, member, "sukarela", amount=Decimal(20_000), account_id=bank.id, day=date(2026, 10, 1), actor=treasurer)
    assert _lines(queries.get_entry(configured, tx.entry_id))[0] == ("1111", 20_000, 0, None)
    assert tx.account_name == bank.name_id
    santri_bank = chart.account_for(configured, "bank_santri")  # santri wallet money is not the cooperative's to take savings into
    with pytest.raises(SavingsError):
        savings.deposit(configured, member, "sukarela", amount=Decimal(1), account_id=santri_bank.id, actor=treasurer)


def test_an_idempotent_retry_returns_the_first_transaction(configured, member, treasurer):
    first = savings.deposit(configured, member, "sukarela", amount=Decimal(5_000), day=date(2026, 10, 1), actor=treasurer, idempotency_key="k-1")
    again = savings.deposit(configured, member, "sukarela", amount=Decimal(5_000), day=date(2026, 10, 1), actor=treasurer, idempotency_key="k-1")
    assert again.id == first.id and _entries(configured) == 1


def test_a_member_who_left_cannot_deposit(configured, member, treasurer):
    savings.exit_member(configured, member, effective_date=date(2026, 12, 1), actor=treasurer)
    with pytest.raises(SavingsError) as err:
        savings.deposit(configured, member, "sukarela", amount=Decimal(1_000), actor=treasurer)
    assert err.value.code == "not_active"


# --- arrears -------------------------------------------------------------------------------------

def test_the_arrears_report_lists_members_with_months_and_amounts(configured, new_member, treasurer):
    siti = new_member("Siti", "santri", date(2026, 9, 1))
    new_member("Hasan", "ustadz", date(2026, 12, 3))
    lunas = new_member("Lunas", "santri", date(2026, 12, 1))
    savings.deposit(configured, siti, "wajib", months=[(2026, 10)], day=date(2026, 10, 1), actor=treasurer)
    savings.deposit(configured, lunas, "wajib", months=[(2026, 12)], day=date(2026, 12, 1), actor=treasurer)
    rows = savings.arrears_report(configured, date(2026, 12, 15))
    assert [(m.name, a.months, a.amount // 100) for m, a in rows] == [
        ("Siti", [(2026, 9), (2026, 11), (2026, 12)], 30_000),
        ("Hasan", [(2026, 12)], 25_000),
    ]
    assert savings.arrears_report(configured, date(2026, 11, 30), category="ustadz") == []


# --- bulk wajib ----------------------------------------------------------------------------------

def test_bulk_wajib_posts_one_entry_with_a_line_per_member(configured, new_member, treasurer):
    a, b, c = new_member("A", "santri"), new_member("B", "ustadz"), new_member("C", "santri")
    entry, txs = savings.collect_wajib_bulk(configured, month=(2026, 11), member_ids=[a.id, b.id, c.id], day=date(2026, 11, 25),
                                            actor=treasurer, note="dipotong dari honor")
    assert _lines(entry) == [("1101", 45_000, 0, None), ("3102", 0, 10_000, a.id), ("3102", 0, 25_000, b.id), ("3102", 0, 10_000, c.id)]
    assert len(txs) == 3 and {t.voucher for t in txs} == {entry.number}
    assert all((2026, 11) in savings.paid_months(configured, m.id) for m in (a, b, c))
    assert savings.bulk_candidates(configured, (2026, 11)) == []


def test_bulk_wajib_is_all_or_nothing_and_names_every_blocking_member(configured, new_member, treasurer):
    a, b = new_member("A", "santri"), new_member("B", "alumni")  # alumni: no rate set
    late = new_member("Late", "santri", date(2026, 12, 2))
    savings.deposit(configured, a, "wajib", months=[(2026, 11)], day=date(2026, 11, 1), actor=treasurer)
    before = _entries(configured)
    with pytest.raises(savings.BulkRefusedError) as err:
        savings.collect_wajib_bulk(configured, month=(2026, 11), member_ids=[a.id, b.id, late.id], actor=treasurer)
    assert sorted(p.member_number for p in err.value.problems) == sorted([a.number, b.number, late.number])
    assert _entries(configured) == before


# --- exit ----------------------------------------------------------------------------------------

def test_exit_with_a_receivable_posts_the_two_entries_and_zeroes_every_balance(configured, member, treasurer):
    savings.deposit(configured, member, "pokok", day=date(2026, 9, 1), actor=treasurer)
    savings.deposit(configured, member, "wajib", amount=Decimal(30_000), day=date(2026, 11, 1), actor=treasurer)
    post_entry(configured, entry_date=date(2026, 11, 10), description="Belanja kredit", journal_type="PJ",
               lines=[LineSpec("1121", debit=Decimal(15_000), member_id=member.id), LineSpec("4101", credit=Decimal(15_000), member_id=member.id)])
    with pytest.raises(SavingsError) as err:
        savings.exit_member(configured, member, effective_date=date(2026, 12, 1), actor=treasurer)
    assert err.value.code == "has_receivables" and "Rp15.000" in str(err.value)
    result = savings.exit_member(configured, member, effective_date=date(2026, 12, 1), net_receivables=True, reason="Lulus", actor=treasurer)
    assert _lines(result.reclassification) == [("3101", 100_000, 0, member.id), ("3102", 30_000, 0, member.id), ("2131", 0, 130_000, member.id)]
    assert _lines(result.settlement) == [("2131", 130_000, 0, member.id), ("1121", 0, 15_000, member.id), ("1101", 0, 115_000, None)]
    assert result.payout == 115_000_00 and result.netted == 15_000_00 and result.sukarela is None
    b = savings.balances(configured, member.id)
    assert (b.pokok, b.wajib, b.sukarela, b.exit_payable, b.receivable, b.loan) == (0, 0, 0, 0, 0, 0)
    db.session.refresh(member)
    assert (member.status, member.exit_date, member.exit_reason) == ("keluar", date(2026, 12, 1), "Lulus")
    assert check_cooperative(configured).ok


def test_exit_repays_sukarela_as_a_normal_withdrawal_and_keeps_the_history(configured, member, treasurer):
    savings.deposit(configured, member, "pokok", day=date(2026, 9, 1), actor=treasurer)
    savings.deposit(configured, member, "sukarela", amount=Decimal(40_000), day=date(2026, 9, 1), actor=treasurer)
    result = savings.exit_member(configured, member, effective_date=date(2026, 12, 10), status="meninggal", actor=treasurer)
    assert result.sukarela.direction == "withdrawal" and result.sukarela.amount == 40_000_00
    assert _lines(queries.get_entry(configured, result.sukarela.entry_id)) == [("2111", 40_000, 0, member.id), ("1101", 0, 40_000, None)]
    assert savings.balances(configured, member.id) == savings.Balances()
    assert len(savings.transactions_of(configured, member.id)) == 4  # pokok, sukarela, payout, sukarela withdrawal
    lines = db.session.scalar(select(func.count()).select_from(JournalLine).where(JournalLine.member_id == member.id))
    assert lines == 6  # 3101, 2111 deposits; 3101 + 2131 reclassification; 2131 settlement; 2111 withdrawal


def test_receivables_beyond_pokok_and_wajib_are_netted_from_sukarela(configured, member, treasurer):
    savings.deposit(configured, member, "pokok", day=date(2026, 9, 1), actor=treasurer)
    savings.deposit(configured, member, "sukarela", amount=Decimal(60_000), day=date(2026, 9, 1), actor=treasurer)
    post_entry(configured, entry_date=date(2026, 10, 1), description="Pinjaman", journal_type="KK",
               lines=[LineSpec("1131", debit=Decimal(130_000), member_id=member.id), LineSpec("1101", credit=Decimal(130_000))])
    result = savings.exit_member(configured, member, effective_date=date(2026, 12, 1), net_receivables=True, actor=treasurer)
    assert _lines(result.settlement) == [("2131", 100_000, 0, member.id), ("2111", 30_000, 0, member.id), ("1131", 0, 130_000, member.id)]
    assert result.sukarela.amount == 30_000_00
    assert savings.balances(configured, member.id) == savings.Balances()


def test_an_exit_owing_more_than_all_savings_is_refused_whole(build, configured, member, treasurer):
    build.fund(configured, 1_000_000, date(2026, 8, 1))  # Kas Besar lends the member more than the savings
    savings.deposit(configured, member, "pokok", day=date(2026, 9, 1), actor=treasurer)
    post_entry(configured, entry_date=date(2026, 10, 1), description="Pinjaman", journal_type="KK",
               lines=[LineSpec("1131", debit=Decimal(500_000), member_id=member.id), LineSpec("1101", credit=Decimal(500_000))])
    before = _entries(configured)
    with pytest.raises(SavingsError) as err:
        savings.exit_member(configured, member, effective_date=date(2026, 12, 1), net_receivables=True, actor=treasurer)
    assert err.value.code == "receivables_exceed_savings"
    assert _entries(configured) == before
    db.session.refresh(member)
    assert member.status == "aktif"


def test_a_member_row_is_never_deleted(configured, member):
    from tests.helpers import refused_by_database

    assert "never deleted" in refused_by_database("DELETE FROM member WHERE id = :i", {"i": member.id})


def test_savings_transactions_are_immutable(configured, member, treasurer):
    from tests.helpers import refused_by_database

    savings.deposit(configured, member, "sukarela", amount=Decimal(5_000), day=date(2026, 10, 1), actor=treasurer)
    for sql in ("UPDATE savings_transaction SET amount = 1", "DELETE FROM savings_transaction"):
        assert "immutable" in refused_by_database(sql)


def test_the_passbook_runs_the_balance_from_the_opening_balance(configured, member, treasurer):
    savings.deposit(configured, member, "sukarela", amount=Decimal(50_000), day=date(2026, 9, 5), actor=treasurer)
    savings.deposit(configured, member, "sukarela", amount=Decimal(20_000), day=date(2026, 10, 5), actor=treasurer)
    savings.withdraw(configured, member, amount=Decimal(15_000), day=date(2026, 10, 20), actor=treasurer)
    book = savings.passbook(configured, member, "sukarela", date(2026, 10, 1), date(2026, 10, 31))
    assert book.opening_sen == 50_000_00 and book.closing_sen == 55_000_00
    assert [(r.credit_sen // 100, r.debit_sen // 100, r.balance_sen // 100) for r in book.rows] == [(20_000, 0, 70_000), (0, 15_000, 55_000)]


def test_a_reversal_that_would_leave_a_balance_below_zero_is_refused(configured, member, treasurer):
    from koppontren.ledger.errors import LedgerError

    deposit = savings.deposit(configured, member, "sukarela", amount=Decimal(50_000), day=date(2026, 10, 1), actor=treasurer)
    savings.withdraw(configured, member, amount=Decimal(30_000), day=date(2026, 10, 2), actor=treasurer)
    before = _entries(configured)
    with pytest.raises(LedgerError) as err:
        reverse(configured, queries.get_entry(configured, deposit.entry_id), entry_date=date(2026, 10, 3), actor=treasurer)
    assert err.value.code == "reversal_would_overdraw" and "Rp20.000" in str(err.value)
    assert _entries(configured) == before
    pokok = savings.deposit(configured, member, "pokok", day=date(2026, 10, 1), actor=treasurer)
    savings.exit_member(configured, member, effective_date=date(2026, 12, 1), actor=treasurer)
    with pytest.raises(LedgerError):  # the pokok already went to the member through the exit
        reverse(configured, queries.get_entry(configured, pokok.entry_id), entry_date=date(2026, 12, 2), actor=treasurer)
    assert savings.balances(configured, member.id) == savings.Balances()


def test_the_bulk_wajib_cli_collects_every_unpaid_member_or_refuses_whole(app, configured, new_member, treasurer):
    a = new_member("A", "santri")
    new_member("B", "ustadz")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["savings", "wajib-bulk", "--coop", "alhikmah", "--month", "2026-11", "--dry-run"])
    assert result.exit_code == 0 and "2 member(s), Rp35.000 for 2026-11" in result.output and _entries(configured) == 0
    result = runner.invoke(args=["savings", "wajib-bulk", "--coop", "alhikmah", "--month", "2026-11", "--date", "2026-11-30",
                                 "--account", "1111", "--note", "dipotong dari honor"])
    assert result.exit_code == 0, result.output
    assert "Posted SP/2026/000001: 2 member(s)" in result.output
    result = runner.invoke(args=["savings", "wajib-bulk", "--coop", "alhikmah", "--month", "2026-11", "--member", a.number])
    assert result.exit_code == 1 and "sudah dibayar" in result.output and _entries(configured) == 1
    result = runner.invoke(args=["savings", "wajib-bulk", "--coop", "alhikmah", "--month", "bulan-11"])
    assert result.exit_code == 1 and "tidak sah" in result.output



# --- found in review ------------------------------------------------------------------------------

def test_a_back_dated_withdrawal_may_not_take_any_balance_below_zero(configured, member, treasurer):
    savings.deposit(configured, member, "sukarela", amount=Decimal(100_000), day=date(2026, 12, 10), actor=treasurer)
    with pytest.raises(SavingsError) as err:  # on 1 October there was nothing yet
        savings.withdraw(configured, member, amount=Decimal(100_000), day=date(2026, 10, 1), actor=treasurer)
    assert err.value.code == "insufficient_balance" and "Rp0" in str(err.value)
    savings.withdraw(configured, member, amount=Decimal(60_000), day=date(2026, 12, 12), actor=treasurer)
    with pytest.raises(SavingsError):  # 40.000 left after the 12th, though 100.000 stood on the 11th
        savings.withdraw(configured, member, amount=Decimal(50_000), day=date(2026, 12, 11), actor=treasurer)
    assert savings.available_sukarela(configured, member.id, date(2026, 12, 11)) == 40_000_00


def test_an_exit_may_not_be_dated_before_the_members_last_movement(configured, member, treasurer):
    savings.deposit(configured, member, "pokok", day=date(2026, 12, 10), actor=treasurer)
    with pytest.raises(SavingsError) as err:
        savings.exit_member(configured, member, effective_date=date(2026, 10, 1), actor=treasurer)
    assert err.value.code == "invalid_date" and "2026-12-10" in str(err.value)


def test_an_exit_is_blocked_by_a_term_deposit_and_pays_back_an_overpaid_receivable(configured, member, treasurer):
    savings.deposit(configured, member, "pokok", day=date(2026, 9, 1), actor=treasurer)
    post_entry(configured, entry_date=date(2026, 10, 1), description="Simpanan berjangka", journal_type="KM",
               lines=[LineSpec("1101", debit=Decimal(40_000)), LineSpec("2112", credit=Decimal(40_000), member_id=member.id)])
    with pytest.raises(SavingsError) as err:
        savings.exit_member(configured, member, effective_date=date(2026, 12, 1), actor=treasurer)
    assert err.value.code == "has_term_deposit"
    post_entry(configured, entry_date=date(2026, 11, 1), description="Berjangka dicairkan", journal_type="KK",
               lines=[LineSpec("2112", debit=Decimal(40_000), member_id=member.id), LineSpec("1101", credit=Decimal(40_000))])
    post_entry(configured, entry_date=date(2026, 11, 2), description="Kelebihan bayar piutang", journal_type="KM",
               lines=[LineSpec("1101", debit=Decimal(5_000)), LineSpec("1121", credit=Decimal(5_000), member_id=member.id)])
    result = savings.exit_member(configured, member, effective_date=date(2026, 12, 1), actor=treasurer)
    assert result.payout == 105_000_00
    assert savings.balances(configured, member.id) == savings.Balances()


def test_the_entries_of_an_exit_cannot_be_reversed_one_by_one(configured, member, treasurer):
    from koppontren.ledger.errors import LedgerError

    savings.deposit(configured, member, "pokok", day=date(2026, 9, 1), actor=treasurer)
    result = savings.exit_member(configured, member, effective_date=date(2026, 12, 1), actor=treasurer)
    for entry in (result.settlement, result.reclassification):
        with pytest.raises(LedgerError) as err:
            reverse(configured, queries.get_entry(configured, entry.id), entry_date=date(2026, 12, 2), actor=treasurer)
        assert err.value.code == "member_left"


def test_retries_with_the_same_idempotency_key_return_the_first_transaction(configured, member, new_member, treasurer):
    first = savings.deposit(configured, member, "pokok", day=date(2026, 9, 1), actor=treasurer, idempotency_key="p")
    assert savings.deposit(configured, member, "pokok", day=date(2026, 9, 1), actor=treasurer, idempotency_key="p").id == first.id
    wajib = savings.deposit(configured, member, "wajib", amount=Decimal(20_000), day=date(2026, 10, 1), actor=treasurer, idempotency_key="w")
    assert savings.deposit(configured, member, "wajib", amount=Decimal(20_000), day=date(2026, 10, 1), actor=treasurer,
                           idempotency_key="w").id == wajib.id
    savings.deposit(configured, member, "sukarela", amount=Decimal(5_000), day=date(2026, 10, 1), actor=treasurer)
    out = savings.withdraw(configured, member, amount=Decimal(5_000), day=date(2026, 10, 2), actor=treasurer, idempotency_key="x")
    assert savings.withdraw(configured, member, amount=Decimal(5_000), day=date(2026, 10, 2), actor=treasurer,
                            idempotency_key="x").id == out.id
    other = new_member("B")
    entry, txs = savings.collect_wajib_bulk(configured, month=(2026, 11), member_ids=[other.id], actor=treasurer, idempotency_key="b")
    again, txs2 = savings.collect_wajib_bulk(configured, month=(2026, 11), member_ids=[other.id], actor=treasurer, idempotency_key="b")
    assert again.id == entry.id and [t.id for t in txs2] == [t.id for t in txs]
    assert _entries(configured) == 5


def test_bulk_wajib_refuses_months_too_far_ahead_and_dates_before_joining(configured, new_member, treasurer):
    late = new_member("Late", "santri", date(2026, 12, 1))
    with pytest.raises(SavingsError) as err:
        savings.collect_wajib_bulk(configured, month=(2999, 12), member_ids=[late.id], actor=treasurer)
    assert err.value.code == "invalid_month"
    with pytest.raises(savings.BulkRefusedError):
        savings.collect_wajib_bulk(configured, month=(2026, 12), member_ids=[late.id], day=date(2026, 11, 1), actor=treasurer)
    assert _entries(configured) == 0


def test_before_the_settings_exist_an_explicit_pokok_or_wajib_amount_is_taken(coop, treasurer):
    """A cooperative that hasn't filled in its savings settings yet (a fresh one, or one driven
    through the API) can still record what the member paid: the treasurer gives the amount."""
    from koppontren.members import services as members

    m = members.register_member(coop, members.MemberData(name="Ahmad", category="santri", join_date=date(2026, 9, 1)), actor=treasurer)
    tx = savings.deposit(coop, m, "pokok", amount=Decimal(25_000), day=date(2026, 9, 2), actor=treasurer)
    assert tx.amount == 2_500_000
    wajib = savings.deposit(coop, m, "wajib", months=[(2026, 9), (2026, 10)], amount=Decimal(20_000), day=date(2026, 10, 2), actor=treasurer)
    assert wajib.amount == 2_000_000 and wajib.months == "2026-09,2026-10"
    with pytest.raises(SavingsError) as err:
        savings.deposit(coop, m, "wajib", months=[(2026, 11), (2026, 12), (2027, 1)], amount=Decimal(20_000), day=date(2026, 12, 2), actor=treasurer)
    assert err.value.code == "invalid_amount"
    assert savings.balances(coop, m.id).pokok == 2_500_000
