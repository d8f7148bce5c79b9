"""Transfers between cash accounts through the service: the entries, the refusals (nothing written),
the fee, money in transit and its arrival, replays."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koppontren.audit.models import AuditEvent
from koppontren.cashbank import services as cashbank
from koppontren.cashbank.models import CashTransfer
from koppontren.extensions import db
from koppontren.ledger import chart, periods, posting, queries
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.models import JournalEntry
from koppontren.operations import OperationConflict
from tests.cashbank.conftest import balance, fund


def _counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(JournalEntry)),
            db.session.scalar(select(func.count()).select_from(CashTransfer)))


def test_the_till_goes_to_the_bank_in_one_mk_entry(funded, treasurer, day):
    transfer = cashbank.transfer_cash(funded, date=day, from_account="1103", to_account="1111", amount=Decimal(750_000),
                                      actor=treasurer, idempotency_key="setor-1")
    assert transfer.number == f"MK/{day.year}/000001" and not transfer.in_transit and not transfer.was_replayed
    assert (balance(funded, "1103"), balance(funded, "1111")) == (250_000, 20_750_000)
    entry = queries.get_entry_by_number(funded, transfer.number)
    assert entry.journal_type == "MK" and entry.source == "cashbank"
    assert [(ln.account.code, ln.debit // 100, ln.credit // 100) for ln in entry.lines] == [("1111", 750_000, 0), ("1103", 0, 750_000)]
    assert entry.description == "Mutasi kas 1103 Kas Toko ke 1111 Bank – Rekening Operasional"
    assert (transfer.amount, transfer.fee, transfer.created_by_id) == (75_000_000, 0, treasurer.id)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "cash.transfer"))
    assert event.detail["number"] == transfer.number and event.detail["amount"] == "750000"


def test_a_fee_is_charged_to_6109_and_the_source(funded, treasurer, day):
    transfer = cashbank.transfer_cash(funded, date=day, from_account="1111", to_account="1101", amount=Decimal(1_000_000),
                                      fee=Decimal(6_500), description="Tarik tunai untuk gaji", actor=treasurer)
    assert (balance(funded, "1111"), balance(funded, "1101"), balance(funded, "6109")) == (18_993_500, 6_000_000, 6_500)
    assert chart.account_for(funded, "bank_charges").code == "6109"
    entry = queries.get_entry_by_number(funded, transfer.number)
    assert entry.description == "Tarik tunai untuk gaji" and entry.total == 100_650_000
    assert transfer.fee == 650_000


def test_money_arriving_on_a_later_past_day_goes_through_1105_in_two_entries(funded, treasurer, day):
    sent, arrived = day - timedelta(days=3), day - timedelta(days=2)
    transfer = cashbank.transfer_cash(funded, date=sent, from_account="1103", to_account="1111", amount=Decimal(400_000),
                                      arrival_date=arrived, actor=treasurer, idempotency_key="k")
    assert not transfer.in_transit and transfer.via_transit and transfer.arrived_on == arrived
    assert transfer.arrival_number == f"MK/{day.year}/000002"
    assert balance(funded, "1105", sent) == 400_000 and balance(funded, "1111", sent) == 20_000_000
    assert balance(funded, "1105") == 0 and balance(funded, "1111") == 20_400_000 and balance(funded, "1103") == 600_000
    arrival = queries.get_entry_by_number(funded, transfer.arrival_number)
    assert arrival.reference == transfer.number and arrival.entry_date == arrived
    assert [(ln.account.code, ln.debit // 100, ln.credit // 100) for ln in arrival.lines] == [("1111", 400_000, 0), ("1105", 0, 400_000)]


def test_an_arrival_after_today_waits_in_1105_until_it_is_received(funded, treasurer, day):
    transfer = cashbank.transfer_cash(funded, date=day, from_account="1103", to_account="1111", amount=Decimal(300_000),
                                      arrival_date=day + timedelta(days=1), actor=treasurer)
    assert transfer.in_transit and transfer.expected_on == day + timedelta(days=1) and transfer.arrival_entry_id is None
    assert balance(funded, "1105") == 300_000 and balance(funded, "1111") == 20_000_000
    assert [t.number for t in cashbank.open_transfers(funded)] == [transfer.number]
    assert cashbank.list_transfers(funded, in_transit_only=True)[1] == 1

    with pytest.raises(cashbank.CashBankError) as err:
        cashbank.arrive(funded, transfer.number, date=day - timedelta(days=1), actor=treasurer)
    assert (err.value.code, set(err.value.fields)) == ("invalid_date", {"date"})

    done = cashbank.arrive(funded, transfer.number, date=day, actor=treasurer, idempotency_key="tiba-1")
    assert not done.in_transit and done.arrived_on == day and not done.was_replayed
    assert balance(funded, "1105") == 0 and balance(funded, "1111") == 20_300_000
    assert cashbank.open_transfers(funded) == []
    # the same request again is a replay; any other arrival is refused
    again = cashbank.arrive(funded, transfer.number, date=day, actor=treasurer, idempotency_key="tiba-1")
    assert again.was_replayed and again.arrival_number == done.arrival_number
    with pytest.raises(cashbank.CashBankError) as err:
        cashbank.arrive(funded, transfer.number, date=day, actor=treasurer, idempotency_key="tiba-2")
    assert err.value.code == "already_arrived"
    assert balance(funded, "1111") == 20_300_000


def test_arrival_refusals(funded, treasurer, day):
    direct = cashbank.transfer_cash(funded, date=day, from_account="1101", to_account="1102", amount=Decimal(1), actor=treasurer)
    with pytest.raises(cashbank.CashBankError) as err:
        cashbank.arrive(funded, direct.number, date=day, actor=treasurer)
    assert err.value.code == "not_in_transit"
    with pytest.raises(cashbank.CashBankError) as err:
        cashbank.arrive(funded, "MK/2026/999999", date=day, actor=treasurer)
    assert err.value.code == "not_found"
    pending = cashbank.transfer_cash(funded, date=day, from_account="1103", to_account="1111", amount=Decimal(5),
                                     arrival_date=day + timedelta(days=2), actor=treasurer)
    posting.reverse(funded, queries.get_entry_by_number(funded, pending.number), entry_date=day, actor=treasurer)
    assert cashbank.reversed_transfers(funded, [pending, direct]) == {pending.id}
    with pytest.raises(cashbank.CashBankError) as err:
        cashbank.arrive(funded, pending.number, date=day, actor=treasurer)
    assert err.value.code == "transfer_reversed"
    assert balance(funded, "1105") == 0


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"from_account": "9999"}, "invalid_account", "from_account"),
    ({"to_account": ""}, "invalid_account", "to_account"),
    ({"from_account": "11"}, "invalid_account", "from_account"),  # a header
    ({"to_account": "4101"}, "not_cash_account", "to_account"),
    ({"from_account": "1105"}, "not_cash_account", "from_account"),  # 1105 is only the way between two cash accounts
    ({"to_account": "1103"}, "same_account", "to_account"),
    ({"amount": Decimal(0)}, "invalid_amount", "amount"),
    ({"amount": Decimal(-5)}, "invalid_amount", "amount"),
    ({"amount": Decimal("10.5")}, "invalid_amount", "amount"),
    ({"amount": Decimal("NaN")}, "invalid_amount", "amount"),
    ({"amount": 1.5}, "invalid_amount", "amount"),
    ({"fee": Decimal(-1)}, "invalid_amount", "fee"),
    ({"arrival_date": "besok"}, "invalid_date", "arrival_date"),
    ({"description": "x" * 501}, "invalid_description", "description"),
])
def test_refusals_name_the_field_and_write_nothing(funded, treasurer, day, changes, code, field):
    before = _counts()
    args = {"date": day, "from_account": "1103", "to_account": "1111", "amount": Decimal(100_000), **changes}
    with pytest.raises(cashbank.CashBankError) as err:
        cashbank.transfer_cash(funded, **args, actor=treasurer, idempotency_key="k")
    assert err.value.code == code and field in err.value.fields
    assert _counts() == before


def test_an_arrival_before_the_transfer_date_is_refused(funded, treasurer, day):
    with pytest.raises(cashbank.CashBankError) as err:
        cashbank.transfer_cash(funded, date=day, from_account="1103", to_account="1111", amount=Decimal(1),
                               arrival_date=day - timedelta(days=1), actor=treasurer)
    assert (err.value.code, list(err.value.fields)) == ("invalid_date", ["arrival_date"])


def test_every_problem_is_named_at_once(funded, treasurer, day):
    with pytest.raises(cashbank.CashBankError) as err:
        cashbank.check_transfer(funded, date=day, from_account="4101", to_account="9999", amount=Decimal(0), fee=Decimal(-1))
    assert err.value.code == "not_cash_account"
    assert set(err.value.fields) == {"from_account", "to_account", "amount", "fee"}


def test_another_cooperatives_account_is_unknown(funded, treasurer, day, build):
    other = build.coop("annur")
    with pytest.raises(cashbank.CashBankError) as err:
        cashbank.transfer_cash(funded, date=day, from_account=chart.account_by_code(other, "1101"), to_account="1111",
                               amount=Decimal(1), actor=treasurer)
    assert (err.value.code, list(err.value.fields)) == ("invalid_account", ["from_account"])
    with pytest.raises(cashbank.CashBankError) as err:
        cashbank.transfer_cash(funded, date=day, from_account="1101", to_account=chart.account_by_code(other, "1111").id,
                               amount=Decimal(1), actor=treasurer)
    assert err.value.code == "invalid_account"


def test_a_replay_posts_once_and_another_request_with_the_key_is_a_conflict(funded, treasurer, day):
    args = {"date": day, "from_account": "1103", "to_account": "1111", "amount": Decimal(200_000)}
    first = cashbank.transfer_cash(funded, **args, actor=treasurer, idempotency_key="form-abc")
    again = cashbank.transfer_cash(funded, **args, actor=treasurer, idempotency_key="form-abc")
    assert again.was_replayed and again.id == first.id and again.number == first.number
    assert _counts() == (2, 1) and balance(funded, "1111") == 20_200_000
    with pytest.raises(OperationConflict) as err:
        cashbank.transfer_cash(funded, **{**args, "amount": Decimal(1)}, actor=treasurer, idempotency_key="form-abc")
    assert err.value.code == "idempotency_conflict"
    assert _counts() == (2, 1)


def test_a_replay_of_a_two_entry_transfer_posts_nothing_more(funded, treasurer, day):
    args = {"date": day - timedelta(days=2), "from_account": "1103", "to_account": "1111", "amount": Decimal(10),
            "arrival_date": day - timedelta(days=1)}
    first = cashbank.transfer_cash(funded, **args, actor=treasurer, idempotency_key="two")
    again = cashbank.transfer_cash(funded, **args, actor=treasurer, idempotency_key="two")
    assert again.was_replayed and again.arrival_number == first.arrival_number
    assert _counts() == (3, 1)


def test_ledger_refusals_pass_through_unchanged_and_write_nothing(funded, treasurer, day):
    closed = day - timedelta(days=70)
    sent = closed - timedelta(days=35)  # another month, open
    fund(funded, sent - timedelta(days=1), {"1101": 1_000})
    periods.close_month(funded, closed.year, closed.month, actor=treasurer)
    before = _counts()
    with pytest.raises(LedgerError) as err:
        cashbank.transfer_cash(funded, date=closed, from_account="1101", to_account="1111", amount=Decimal(500), actor=treasurer)
    assert err.value.code == "period_closed" and "date" in err.value.fields
    # the arrival refused (its month is closed) takes the departure with it: all or nothing
    with pytest.raises(LedgerError) as err:
        cashbank.transfer_cash(funded, date=sent, from_account="1101", to_account="1111", amount=Decimal(500), arrival_date=closed,
                               actor=treasurer, idempotency_key="both")
    assert err.value.code == "period_closed"
    assert _counts() == before and balance(funded, "1105") == 0


def test_a_missing_fee_account_is_a_ledger_refusal(funded, treasurer, day):
    fee_account = chart.account_for(funded, "bank_charges")
    fee_account.role = None
    db.session.commit()
    with pytest.raises(LedgerError) as err:
        cashbank.transfer_cash(funded, date=day, from_account="1111", to_account="1101", amount=Decimal(1), fee=Decimal(1),
                               actor=treasurer)
    assert err.value.code == "unknown_account"
    # without a fee it needs no such account
    assert cashbank.transfer_cash(funded, date=day, from_account="1111", to_account="1101", amount=Decimal(1), actor=treasurer)


def test_the_page_lists_the_cash_accounts_with_their_balances(funded):
    rows = {r.account.code: r.balance // 100 for r in cashbank.end_accounts(funded)}
    assert rows == {"1101": 5_000_000, "1102": 500_000, "1103": 1_000_000, "1111": 20_000_000, "1112": 0}
