"""The journal lines of the wallet documents: table tests of the pure functions in
``wallet.postings`` (no database). Amounts in sen; 1101 Kas, 1112 Bank – Dana Titipan Santri,
2113 Dana Titipan Santri."""

from __future__ import annotations

from decimal import Decimal

import pytest

from koppontren.ledger.posting import LineSpec
from koppontren.wallet import postings
from koppontren.wallet.postings import TopupItem

RP = 100


def dr(account, rupiah, memo=None) -> LineSpec:
    return LineSpec(account, debit=Decimal(rupiah), memo=memo)


def cr(account, rupiah, memo=None) -> LineSpec:
    return LineSpec(account, credit=Decimal(rupiah), memo=memo)


@pytest.mark.parametrize(("method_account", "sen", "expected"), [
    ("1112", 200_000 * RP, (dr("1112", 200_000), cr("2113", 200_000, "S-001 Aisyah"))),  # bank transfer
    ("1101", 50_000 * RP, (dr("1101", 50_000), cr("2113", 50_000, "S-001 Aisyah"))),  # cash, in transit
    ("1112", 1_050, (dr("1112", Decimal("10.50")), cr("2113", Decimal("10.50"), "S-001 Aisyah"))),
])
def test_topup_debits_the_money_and_credits_the_wallet(method_account, sen, expected):
    assert postings.topup_lines(amount_sen=sen, memo="S-001 Aisyah", method_account=method_account, wallet_account="2113") == expected


@pytest.mark.parametrize(("method_account", "sen", "expected"), [
    ("1112", 80_000 * RP, (dr("2113", 80_000, "S-002 Bilal"), cr("1112", 80_000))),
    ("1101", 12_500 * RP, (dr("2113", 12_500, "S-002 Bilal"), cr("1101", 12_500))),
])
def test_refund_is_the_mirror_of_a_topup(method_account, sen, expected):
    assert postings.refund_lines(amount_sen=sen, memo="S-002 Bilal", method_account=method_account, wallet_account="2113") == expected


def test_bulk_topup_is_one_debit_of_the_total_and_one_credit_per_row():
    items = [TopupItem(100_000 * RP, postings.santri_memo("S-001", "Aisyah", "TRF-9")),
             TopupItem(25_000 * RP, postings.santri_memo("S-002", "Bilal")),
             TopupItem(100_000 * RP, postings.santri_memo("S-001", "Aisyah", "TRF-10"))]
    lines = postings.bulk_topup_lines(items, method_account="1112", wallet_account="2113")
    assert lines == (dr("1112", 225_000), cr("2113", 100_000, "S-001 Aisyah (TRF-9)"), cr("2113", 25_000, "S-002 Bilal"),
                     cr("2113", 100_000, "S-001 Aisyah (TRF-10)"))
    assert sum(ln.debit for ln in lines) == sum(ln.credit for ln in lines)


def test_card_purchase_and_return_lines_on_the_wallet():
    assert postings.purchase_line(amount_sen=17_500 * RP, memo="S-003 Citra", wallet_account="2113") == dr("2113", 17_500, "S-003 Citra")
    assert postings.return_line(amount_sen=2_500 * RP, memo="S-003 Citra", wallet_account="2113") == cr("2113", 2_500, "S-003 Citra")
