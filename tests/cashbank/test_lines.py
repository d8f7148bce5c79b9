"""The pure line computation of a transfer (RULES-2 §8.2), table by table: what a treasurer would
write on the voucher."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from koppontren.cashbank.services import plan_transfer

D = date(2027, 1, 14)
LATER = date(2027, 1, 15)


def _rows(entries):
    return [(e.entry_date, e.arrival, [(ln.account, int(ln.debit), int(ln.credit)) for ln in e.lines]) for e in entries]


@pytest.mark.parametrize(("kwargs", "expected"), [
    # the till to the bank, the same day: one entry
    ({"amount": Decimal(1_235_500)},
     [(D, False, [("1111", 1_235_500, 0), ("1103", 0, 1_235_500)])]),
    # arriving the same day as it leaves is the same thing
    ({"amount": Decimal(1_235_500), "arrival_date": D},
     [(D, False, [("1111", 1_235_500, 0), ("1103", 0, 1_235_500)])]),
    # a bank fee: Dr 6109, the source gives amount + fee
    ({"amount": Decimal(500_000), "fee": Decimal(6_500)},
     [(D, False, [("1111", 500_000, 0), ("6109", 6_500, 0), ("1103", 0, 506_500)])]),
    # deposited the next day: through 1105 Kas dalam Perjalanan
    ({"amount": Decimal(1_235_500), "arrival_date": LATER},
     [(D, False, [("1105", 1_235_500, 0), ("1103", 0, 1_235_500)]),
      (LATER, True, [("1111", 1_235_500, 0), ("1105", 0, 1_235_500)])]),
    # in transit with a fee: the fee leaves with the money, only the amount arrives
    ({"amount": Decimal(2_000_000), "fee": Decimal(2_500), "arrival_date": LATER},
     [(D, False, [("1105", 2_000_000, 0), ("6109", 2_500, 0), ("1103", 0, 2_002_500)]),
      (LATER, True, [("1111", 2_000_000, 0), ("1105", 0, 2_000_000)])]),
    # a zero fee adds no line
    ({"amount": Decimal(1), "fee": Decimal(0)},
     [(D, False, [("1111", 1, 0), ("1103", 0, 1)])]),
])
def test_transfer_lines(kwargs, expected):
    entries = plan_transfer(day=D, source="1103", destination="1111", transit="1105", fee_account="6109", **kwargs)
    assert _rows(entries) == expected
    for entry in entries:  # every entry balances
        assert sum(ln.debit for ln in entry.lines) == sum(ln.credit for ln in entry.lines)


@pytest.mark.parametrize(("amount", "fee"), [(Decimal(0), Decimal(0)), (Decimal(-1), Decimal(0)), (Decimal(10), Decimal(-1))])
def test_no_lines_for_a_nonpositive_amount_or_a_negative_fee(amount, fee):
    with pytest.raises(ValueError):
        plan_transfer(day=D, source="1103", destination="1111", amount=amount, fee=fee)
