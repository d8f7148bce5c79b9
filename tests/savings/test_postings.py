"""The journal lines of the savings documents, as a treasurer would write them: table tests of the
pure functions in ``savings.postings`` (no database). Amounts in sen (Rp1 = 100 sen); accounts by
their codes in the default chart."""

from __future__ import annotations

from decimal import Decimal

import pytest

from koppontren.ledger.posting import LineSpec
from koppontren.savings import postings
from koppontren.savings.postings import Balances, ExitAccounts, WajibItem

RP = 100
ACCOUNTS = ExitAccounts(principal="3101", mandatory="3102", voluntary="2111", exit_payable="2131", shu_payable="2121",
                        receivable="1121", loan="1131", cash="1101")
MEMBER = 7


def dr(account, rupiah, member=None, memo=None) -> LineSpec:
    return LineSpec(account, debit=Decimal(rupiah), member_id=member, memo=memo)


def cr(account, rupiah, member=None, memo=None) -> LineSpec:
    return LineSpec(account, credit=Decimal(rupiah), member_id=member, memo=memo)


def balanced(lines) -> bool:
    return sum(Decimal(ln.debit) for ln in lines) == sum(Decimal(ln.credit) for ln in lines)


@pytest.mark.parametrize(("account", "sen", "expected"), [
    ("3101", 250_000 * RP, (dr("1101", 250_000), cr("3101", 250_000, MEMBER))),  # pokok
    ("3102", 3 * 50_000 * RP, (dr("1101", 150_000), cr("3102", 150_000, MEMBER))),  # three wajib months
    ("2111", 12_345, (dr("1101", Decimal("123.45")), cr("2111", Decimal("123.45"), MEMBER))),  # sukarela in sen
])
def test_deposit_debits_cash_and_credits_the_members_savings(account, sen, expected):
    lines = postings.deposit_lines(amount_sen=sen, member_id=MEMBER, cash_account="1101", savings_account=account)
    assert lines == expected


def test_withdrawal_debits_sukarela_of_the_member_and_credits_the_bank():
    lines = postings.withdrawal_lines(amount_sen=75_000 * RP, member_id=MEMBER, cash_account="1111", voluntary_account="2111")
    assert lines == (dr("2111", 75_000, MEMBER), cr("1111", 75_000))


def test_sukarela_credit_moves_a_member_balance_into_sukarela():
    lines = postings.sukarela_credit_lines(amount_sen=1_240_000 * RP, member_id=MEMBER, from_account="2121", voluntary_account="2111")
    assert lines == (dr("2121", 1_240_000, MEMBER), cr("2111", 1_240_000, MEMBER))


def test_bulk_wajib_is_one_debit_of_the_total_and_one_credit_per_member():
    items = [WajibItem(1, 50_000 * RP, "A-0001 Ahmad"), WajibItem(2, 30_000 * RP, "A-0002 Budi"),
             WajibItem(3, 50_000 * RP, "A-0003 " + "x" * 300)]
    lines = postings.bulk_wajib_lines(items, cash_account="1101", wajib_account="3102")
    assert lines == (dr("1101", 130_000), cr("3102", 50_000, 1, "A-0001 Ahmad"), cr("3102", 30_000, 2, "A-0002 Budi"),
                     cr("3102", 50_000, 3, ("A-0003 " + "x" * 300)[:200]))
    assert balanced(lines)


# --- the exit: (balances in rupiah) -> reclassification, settlement, figures -------------------------

def bal(**rupiah) -> Balances:
    return Balances(**{k: v * RP for k, v in rupiah.items()})


EXIT_CASES = {
    "savings only, paid out in cash; sukarela by its own withdrawal": (
        bal(pokok=100_000, wajib=240_000, sukarela=50_000),
        (dr("3101", 100_000, MEMBER), dr("3102", 240_000, MEMBER), cr("2131", 340_000, MEMBER)),
        (dr("2131", 340_000, MEMBER), cr("1101", 340_000)),
        {"to_net": 0, "cash_out": 340_000, "sukarela_rest": 50_000, "from_sukarela": 0},
    ),
    "receivable netted from the payable, unpaid SHU, then sukarela": (
        bal(pokok=100_000, wajib=240_000, sukarela=150_000, shu_payable=20_000, receivable=400_000),
        (dr("3101", 100_000, MEMBER), dr("3102", 240_000, MEMBER), cr("2131", 340_000, MEMBER)),
        (dr("2131", 340_000, MEMBER), dr("2121", 20_000, MEMBER), dr("2111", 40_000, MEMBER), cr("1121", 400_000, MEMBER)),
        {"to_net": 400_000, "cash_out": 0, "sukarela_rest": 110_000, "from_sukarela": 40_000},
    ),
    "overpaid receivable is owed to the member; the loan is netted": (
        bal(pokok=100_000, receivable=-30_000, loan=100_000),
        (dr("3101", 100_000, MEMBER), cr("2131", 100_000, MEMBER)),
        (dr("2131", 100_000, MEMBER), dr("1121", 30_000, MEMBER), cr("1131", 100_000, MEMBER), cr("1101", 30_000)),
        {"to_net": 100_000, "cash_out": 30_000, "sukarela_rest": 0, "from_sukarela": 0},
    ),
    "an earlier exit payable and unpaid SHU are paid with pokok and wajib": (
        bal(pokok=100_000, wajib=60_000, exit_payable=50_000, shu_payable=12_500),
        (dr("3101", 100_000, MEMBER), dr("3102", 60_000, MEMBER), cr("2131", 160_000, MEMBER)),
        (dr("2131", 210_000, MEMBER), dr("2121", 12_500, MEMBER), cr("1101", 222_500)),
        {"to_net": 0, "cash_out": 222_500, "sukarela_rest": 0, "from_sukarela": 0},
    ),
    "sukarela only: no reclassification, no settlement": (
        bal(sukarela=75_000),
        (),
        (),
        {"to_net": 0, "cash_out": 0, "sukarela_rest": 75_000, "from_sukarela": 0},
    ),
    "receivables eat everything: nothing is paid in cash": (
        bal(pokok=100_000, wajib=100_000, sukarela=50_000, receivable=250_000),
        (dr("3101", 100_000, MEMBER), dr("3102", 100_000, MEMBER), cr("2131", 200_000, MEMBER)),
        (dr("2131", 200_000, MEMBER), dr("2111", 50_000, MEMBER), cr("1121", 250_000, MEMBER)),
        {"to_net": 250_000, "cash_out": 0, "sukarela_rest": 0, "from_sukarela": 50_000},
    ),
}


@pytest.mark.parametrize("case", list(EXIT_CASES))
def test_exit_lines(case):
    b, reclass, settlement, figures = EXIT_CASES[case]
    assert postings.exit_reclassification_lines(b, MEMBER, ACCOUNTS) == reclass
    assert postings.exit_settlement_lines(b, MEMBER, ACCOUNTS) == settlement
    f = postings.exit_figures(b)
    assert {"to_net": f.to_net, "cash_out": f.cash_out, "sukarela_rest": f.sukarela_rest, "from_sukarela": f.from_sukarela} == \
        {k: v * RP for k, v in figures.items()}
    assert balanced(reclass) and balanced(settlement)


@pytest.mark.parametrize("case", list(EXIT_CASES))
def test_exit_pays_the_member_exactly_what_is_left_after_netting(case):
    """Everything the member is owed minus what they owe leaves in cash, by the settlement or by
    the withdrawal of the rest of sukarela: not a rupiah more or less."""
    b = EXIT_CASES[case][0]
    f = postings.exit_figures(b)
    owed_to_member = b.pokok + b.wajib + b.sukarela + b.exit_payable + b.shu_payable + max(-b.receivable, 0) + max(-b.loan, 0)
    assert f.cash_out + f.sukarela_rest == owed_to_member - f.to_net


def test_exit_lines_keep_the_sen():
    b = Balances(pokok=10_050, wajib=2_525, shu_payable=1)
    assert postings.exit_settlement_lines(b, MEMBER, ACCOUNTS) == (
        dr("2131", Decimal("125.75"), MEMBER), dr("2121", Decimal("0.01"), MEMBER), cr("1101", Decimal("125.76")))


def test_exit_available_counts_savings_unpaid_shu_and_overpayments():
    assert postings.exit_available(bal(pokok=100_000, wajib=50_000, sukarela=25_000, shu_payable=10_000, exit_payable=5_000,
                                       receivable=-3_000, loan=40_000)) == 193_000 * RP
