"""The journal lines of the SHU documents: table tests of the pure functions in ``shu.postings``
(no database). Amounts in sen; 3108 SHU tahun berjalan, 3105 cadangan, 2121 Utang SHU Anggota,
2122 dana pengurus, 1121 piutang anggota, 1101 Kas."""

from __future__ import annotations

from decimal import Decimal

import pytest

from koppontren.ledger.posting import LineSpec
from koppontren.shu import postings
from koppontren.shu.compute import AllocationLine, Figures, MemberBasis, compute_shu
from koppontren.shu.rules import Component, Rules

RP = 100
MEMBER = 11


def dr(account, rupiah, member=None) -> LineSpec:
    return LineSpec(account, debit=Decimal(rupiah), member_id=member)


def cr(account, rupiah, member=None) -> LineSpec:
    return LineSpec(account, credit=Decimal(rupiah), member_id=member)


def test_allocation_debits_the_shu_and_credits_each_pool_and_member():
    credits = [AllocationLine("3105", 30_000_000 * RP), AllocationLine("2122", 5_000_000 * RP),
               AllocationLine("2121", 1_240_000 * RP, 1), AllocationLine("2121", 23_760_000 * RP, 2)]
    assert postings.allocation_lines(shu_sen=60_000_000 * RP, shu_account="3108", credits=credits) == (
        dr("3108", 60_000_000), cr("3105", 30_000_000), cr("2122", 5_000_000), cr("2121", 1_240_000, 1), cr("2121", 23_760_000, 2))


def test_allocation_of_a_computed_run_balances_to_the_rupiah():
    """The published case (REFERENCE.md §4.7, Lukman) through compute_shu: the entry balances and
    Lukman's line is his Rp1.240.000."""
    rules = Rules((Component("Cadangan", "reserve", Decimal(55), "3105"), Component("Jasa modal", "jasa_modal", Decimal(20), "2121"),
                   Component("Jasa anggota", "jasa_usaha", Decimal(25), "2121")))
    bases = [MemberBasis(1, "A-0001", "Lukman", 2_000_000 * RP, {None: 5_000_000 * RP}),
             MemberBasis(2, "A-0002", "Lain", 98_000_000 * RP, {None: 70_000_000 * RP})]
    result = compute_shu(Figures(60_000_000 * RP), bases, rules)
    lines = postings.allocation_lines(shu_sen=60_000_000 * RP, shu_account="3108", credits=result.allocation_lines())
    assert sum(ln.debit for ln in lines) == sum(ln.credit for ln in lines) == Decimal(60_000_000)
    assert cr("2121", 1_240_000, 1) in lines
    assert lines[1] == cr("3105", 33_000_000)


PAYOUT_CASES = {
    "cash": ("cash", 1_240_000, 500_000, (dr("2121", 1_240_000, MEMBER), cr("1101", 1_240_000)), 0),
    "netting part of the share": ("netting", 1_240_000, 500_000,
                                  (dr("2121", 1_240_000, MEMBER), cr("1121", 500_000, MEMBER), cr("1101", 740_000)), 500_000),
    "netting all of the share": ("netting", 1_240_000, 2_000_000, (dr("2121", 1_240_000, MEMBER), cr("1121", 1_240_000, MEMBER)),
                                 1_240_000),
    "netting an overpaid receivable: nothing to net": ("netting", 1_240_000, -50_000,
                                                       (dr("2121", 1_240_000, MEMBER), cr("1101", 1_240_000)), 0),
    "netting nothing owed": ("netting", 300_000, 0, (dr("2121", 300_000, MEMBER), cr("1101", 300_000)), 0),
}


@pytest.mark.parametrize("case", list(PAYOUT_CASES))
def test_payout_lines(case):
    method, total, owed, expected, netted = PAYOUT_CASES[case]
    planned = postings.payout(method=method, total_sen=total * RP, member_id=MEMBER, payable_account="2121", cash_account="1101",
                              receivable_account="1121", owed_sen=owed * RP)
    assert planned.lines == expected
    assert planned.netted == netted * RP


def test_payout_into_savings_is_not_a_cash_payout():
    with pytest.raises(ValueError, match="sukarela"):
        postings.payout(method="sukarela", total_sen=100, member_id=MEMBER, payable_account="2121", cash_account="1101")
