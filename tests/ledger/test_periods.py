"""Months open and closed, reopening, and the year-end close into SHU Tahun Berjalan."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from koppontren.audit.models import AuditEvent
from koppontren.extensions import db
from koppontren.ledger import queries
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.periods import close_month, close_year, fiscal_year_status, reopen_month
from koppontren.ledger.posting import LineSpec, post_entry
from tests.ledger.conftest import cash_sale


def _post(coop, day, lines, description="Transaksi"):
    return post_entry(coop, entry_date=day, description=description, lines=[LineSpec(a, debit=Decimal(d), credit=Decimal(c)) for a, d, c in lines])


def _balances(coop, as_of=None):
    return {r.account.code: r.net_debit for r in queries.trial_balance(coop, as_of)}


def test_closing_and_reopening_a_month_is_audited_with_the_reason(coop, build):
    admin = build.user("ketua", coop, "admin")
    close_month(coop, 2026, 3, actor=admin)
    status = {(m.year, m.month): m.closed for m in fiscal_year_status(coop, 2026)}
    assert status[(2026, 3)] and not status[(2026, 4)]
    reopen_month(coop, 2026, 3, actor=admin, reason="Koreksi nota listrik")
    assert cash_sale(coop, day=date(2026, 3, 5))
    actions = [(e.action, e.detail) for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("period.%")).order_by(AuditEvent.id))]
    assert actions == [("period.closed", {"period": "2026-03"}), ("period.reopened", {"period": "2026-03", "reason": "Koreksi nota listrik"})]


def test_year_end_close_moves_the_result_into_shu_tahun_berjalan(coop, build):
    admin = build.user("ketua", coop, "admin")
    _post(coop, date(2026, 2, 1), [("1101", 10_000_000, 0), ("3104", 0, 10_000_000)], "Hibah yayasan")
    _post(coop, date(2026, 3, 1), [("1101", 2_500_000, 0), ("4201", 0, 2_500_000)], "Penjualan")
    _post(coop, date(2026, 5, 1), [("1101", 1_200_000, 0), ("4102", 0, 1_200_000)], "Penjualan produk")
    _post(coop, date(2026, 6, 1), [("6101", 1_000_000, 0), ("6102", 300_000, 0), ("1101", 0, 1_300_000)], "Gaji dan listrik")
    _post(coop, date(2026, 7, 1), [("8201", 100_000, 0), ("1101", 0, 100_000)], "Beban lain")
    before = _balances(coop)
    entry = close_year(coop, 2026, actor=admin)
    assert entry.number == "PN/2026/000001" and entry.entry_date == date(2026, 12, 31)
    after = _balances(coop)
    # revenue 3.700.000 − expenses 1.400.000 = SHU 2.300.000 credited to 3108
    assert -after["3108"] == 230_000_000
    for code in ("4201", "4102", "6101", "6102", "8201"):
        assert after[code] == 0
    for code in ("1101", "3104"):
        assert after[code] == before[code]
    assert sum(after.values()) == 0
    assert all(m.closed for m in fiscal_year_status(coop, 2026))
    with pytest.raises(LedgerError) as err:
        cash_sale(coop, day=date(2026, 8, 1))
    assert err.value.code == "period_closed"
    with pytest.raises(LedgerError) as err:
        close_year(coop, 2026, actor=admin)
    assert err.value.code == "nothing_to_close"


def test_a_loss_year_debits_shu_tahun_berjalan(coop, build):
    build.fund(coop)
    admin = build.user("ketua", coop, "admin")
    _post(coop, date(2026, 2, 1), [("1101", 500_000, 0), ("4201", 0, 500_000)])
    _post(coop, date(2026, 2, 2), [("6105", 800_000, 0), ("1101", 0, 800_000)])
    close_year(coop, 2026, actor=admin)
    assert _balances(coop)["3108"] == 30_000_000  # debit balance: a loss of 300.000


def test_after_a_correction_in_a_reopened_month_closing_again_closes_only_the_change(coop, build):
    admin = build.user("ketua", coop, "admin")
    _post(coop, date(2026, 3, 1), [("1101", 1_000_000, 0), ("4201", 0, 1_000_000)])
    close_year(coop, 2026, actor=admin)
    reopen_month(coop, 2026, 12, actor=admin, reason="Biaya RAT terlambat dicatat")
    _post(coop, date(2026, 12, 30), [("7101", 200_000, 0), ("1101", 0, 200_000)])
    second = close_year(coop, 2026, actor=admin)
    assert second.number == "PN/2026/000002"
    assert [(ln.account.code, ln.debit, ln.credit) for ln in second.lines] == [("7101", 0, 20_000_000), ("3108", 20_000_000, 0)]
    assert -_balances(coop)["3108"] == 80_000_000


def test_fiscal_year_starting_in_july_closes_on_30_june(build):
    coop = build.coop("juli", fiscal_year_start_month=7)
    admin = build.user("ketua", coop, "admin")
    _post(coop, date(2026, 8, 1), [("1101", 400_000, 0), ("4201", 0, 400_000)])
    _post(coop, date(2027, 7, 1), [("1101", 100_000, 0), ("4201", 0, 100_000)])  # next fiscal year
    entry = close_year(coop, 2026, actor=admin)
    assert entry.entry_date == date(2027, 6, 30) and entry.number == "PN/2026/000001"
    assert _balances(coop)["4201"] == -10_000_000  # only next year's sale is left
    months = fiscal_year_status(coop, 2026)
    assert (months[0].year, months[0].month, months[-1].year, months[-1].month) == (2026, 7, 2027, 6)


def test_trial_balance_as_of_a_date(coop):
    cash_sale(coop, 100_000, day=date(2026, 3, 1))
    cash_sale(coop, 50_000, day=date(2026, 4, 1))
    assert _balances(coop, date(2026, 3, 31)) == {"1101": 10_000_000, "4201": -10_000_000}
    assert _balances(coop) == {"1101": 15_000_000, "4201": -15_000_000}


def test_a_year_cannot_be_closed_while_an_earlier_one_is_open(coop, build):
    admin = build.user("ketua", coop, "admin")
    _post(coop, date(2025, 11, 1), [("1101", 700_000, 0), ("4201", 0, 700_000)])
    _post(coop, date(2026, 2, 1), [("1101", 300_000, 0), ("4201", 0, 300_000)])
    with pytest.raises(LedgerError) as err:
        close_year(coop, 2026, actor=admin)
    assert err.value.code == "previous_year_open"
    assert close_year(coop, 2025, actor=admin).entry_date == date(2025, 12, 31)
    close_year(coop, 2026, actor=admin)
    assert -_balances(coop)["3108"] == 100_000_000  # both years' SHU, each closed on its own


def test_journal_search_treats_percent_and_underscore_literally(coop):
    cash_sale(coop, description="Diskon 10% untuk santri")
    cash_sale(coop, description="Diskon 100 rupiah")
    found, total = queries.search_entries(coop, queries.JournalFilter(text="10%"))
    assert total == 1 and found[0].description == "Diskon 10% untuk santri"
    assert queries.search_entries(coop, queries.JournalFilter(text="_"))[1] == 0
