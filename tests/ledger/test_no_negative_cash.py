"""Issue 18 §2 and §7, RULES-2 §8.1: no cash or bank account ends any day below zero — from the
entry's date onward, so a back-dated withdrawal can't dig a hole in a past day — and no amount or
balance can overflow the database's integers. `koppontren check` proves the first rule for history."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from koppontren.extensions import db
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.integrity import check_cooperative
from koppontren.ledger.models import Account
from koppontren.ledger.posting import LineSpec, post_entry, reverse
from tests.conftest import empty_database
from tests.helpers import Builder

CASH_CHECK = "cash and bank never below zero at any day's end"


def _move(coop, day: date, debit: str, credit: str, amount: int, **kw):
    return post_entry(coop, entry_date=day, description="Mutasi", journal_type="JU",
                      lines=[LineSpec(debit, debit=Decimal(amount)), LineSpec(credit, credit=Decimal(amount))], **kw)


def _receive(coop, day, amount, account="1101"):
    return _move(coop, day, account, "4201", amount)


def _pay(coop, day, amount, account="1101"):
    return _move(coop, day, "6102", account, amount)


def _refused(fn, *args, **kw) -> LedgerError:
    with pytest.raises(LedgerError) as err:
        fn(*args, **kw)
    return err.value


def test_a_payment_beyond_the_balance_is_refused_naming_account_balance_and_shortfall(build):
    coop = build.coop("alhikmah")
    _receive(coop, date(2026, 3, 1), 300_000)
    err = _refused(_pay, coop, date(2026, 3, 2), 500_000)
    assert err.code == "insufficient_funds"
    assert err.fields["account"] == "1101" and err.fields["balance"] == "300000.00" and err.fields["shortfall"] == "200000.00"
    assert err.fields["date"] == "2026-03-02" and "lines.2.account" in err.fields
    assert "1101" in str(err.message) and "300.000" in str(err.message) and "200.000" in str(err.message)
    assert _pay(coop, date(2026, 3, 2), 300_000).number == "JU/2026/000002"  # down to exactly zero is fine


def test_a_back_dated_payment_cannot_dig_a_hole_in_a_past_day(build):
    coop = build.coop("alhikmah")
    _receive(coop, date(2026, 3, 20), 100_000)
    err = _refused(_pay, coop, date(2026, 3, 10), 50_000)  # today's balance would be 50.000, but 10/03 ends at −50.000
    assert err.code == "insufficient_funds" and err.fields["date"] == "2026-03-10"


def test_a_back_dated_payment_cannot_break_a_later_day_either(build):
    coop = build.coop("alhikmah")
    _receive(coop, date(2026, 3, 10), 100_000)
    _pay(coop, date(2026, 3, 20), 100_000)
    err = _refused(_pay, coop, date(2026, 3, 15), 50_000)  # 15/03 ends at 50.000, but 20/03 at −50.000
    assert err.code == "insufficient_funds" and err.fields["date"] == "2026-03-20" and err.fields["shortfall"] == "50000.00"


def test_intra_day_order_is_ignored_a_same_day_receipt_funds_a_same_day_payment(build):
    coop = build.coop("alhikmah")
    _receive(coop, date(2026, 3, 10), 10_000)
    err = _refused(_pay, coop, date(2026, 3, 10), 60_000)
    assert err.code == "insufficient_funds"
    _receive(coop, date(2026, 3, 10), 50_000)
    assert _pay(coop, date(2026, 3, 10), 60_000)


def test_every_cash_role_is_covered_and_an_overdraft_facility_is_respected(build):
    coop = build.coop("alhikmah")
    for code in ("1101", "1102", "1103", "1111", "1112"):
        assert _refused(_pay, coop, date(2026, 3, 1), 1, account=code).code == "insufficient_funds", code
    db.session.execute(update(Account).where(Account.cooperative_id == coop.id, Account.code == "1111").values(allow_overdraft=True))
    db.session.commit()
    assert _pay(coop, date(2026, 3, 1), 1_000_000, account="1111")  # a bank with an overdraft facility
    assert check_cooperative(coop).ok


def test_a_transfer_out_of_cash_and_a_reversal_obey_the_rule(build):
    coop = build.coop("alhikmah")
    receipt = _receive(coop, date(2026, 3, 1), 100_000)
    assert _refused(_move, coop, date(2026, 3, 1), "1111", "1101", 150_000).code == "insufficient_funds"
    _move(coop, date(2026, 3, 2), "1111", "1101", 100_000)  # all of it to the bank
    err = _refused(reverse, coop, receipt, entry_date=date(2026, 3, 3))  # undoing the receipt would leave Kas at −100.000
    assert err.code == "insufficient_funds" and err.fields["account"] == "1101"
    assert receipt.reversed_by_id is None


def test_a_refusal_writes_nothing_and_gives_the_voucher_number_back(build):
    coop = build.coop("alhikmah")
    _receive(coop, date(2026, 3, 1), 100)
    _refused(_pay, coop, date(2026, 3, 1), 101)
    assert _pay(coop, date(2026, 3, 1), 100).number == "JU/2026/000002"


def test_the_check_names_the_first_day_and_account_below_zero(build):
    coop = build.coop("alhikmah")
    _receive(coop, date(2026, 3, 1), 100_000)
    db.session.execute(update(Account).where(Account.cooperative_id == coop.id, Account.code == "1102").values(allow_overdraft=True))
    db.session.commit()
    _pay(coop, date(2026, 3, 5), 40_000, account="1102")
    _pay(coop, date(2026, 3, 6), 10_000, account="1102")
    # the facility is withdrawn afterwards: history now breaks the rule, and the check says where
    db.session.execute(update(Account).where(Account.cooperative_id == coop.id, Account.code == "1102").values(allow_overdraft=False))
    db.session.commit()
    result = next(r for r in check_cooperative(coop).results if r.name == CASH_CHECK)
    assert not result.ok
    assert result.problems == ["1102 Kas Kecil: below zero at the end of 2026-03-05 (-4000000 sen) and on 1 later day(s)"]


# --- amounts that would overflow ------------------------------------------------------------------

def test_a_line_above_one_trillion_rupiah_is_refused(build):
    coop = build.coop("alhikmah")
    err = _refused(_receive, coop, date(2026, 3, 1), 10**12 + 1)
    assert err.code == "amount_too_large" and "lines.1.debit" in err.fields
    assert _receive(coop, date(2026, 3, 1), 10**12)


def test_no_balance_goes_beyond_a_thousand_trillion_rupiah(build):
    coop = build.coop("alhikmah")
    per_line, lines = 10**12, 1000
    post_entry(coop, entry_date=date(2026, 3, 1), description="Besar", journal_type="JU",
               lines=[LineSpec("1111", debit=Decimal(per_line)) for _ in range(lines)]
               + [LineSpec("3104", credit=Decimal(per_line)) for _ in range(lines)])
    err = _refused(_move, coop, date(2026, 3, 2), "1111", "3103", per_line)  # 1111 would hold 10**15 + 10**12
    assert err.code == "amount_too_large"


def test_the_api_refuses_big_amounts_and_overdrafts_with_their_codes(build, client):
    from koppontren.auth import tokens

    coop = build.coop("alhikmah")
    token = tokens.create_token(coop, build.user("bendahara", coop, "treasurer"))[1]
    headers = {"Authorization": f"Bearer {token}"}
    url = "/api/v1/coops/alhikmah/journal-entries"

    def post(amount: str, debit: str = "6102", credit: str = "1101"):
        return client.post(url, headers=headers, json={"date": "2026-03-01", "description": "Uji", "lines": [
            {"account": debit, "debit": amount}, {"account": credit, "credit": amount}]})

    r = post("1000000000001")
    assert r.status_code == 422 and r.json["error"]["code"] == "amount_too_large"
    r = post("1000")
    assert r.status_code == 422 and r.json["error"]["code"] == "insufficient_funds" and r.json["error"]["fields"]["account"] == "1101"
    assert post("1000", debit="1101", credit="4201").status_code == 201


# --- a property --------------------------------------------------------------------------------------

CASH = ["1101", "1103", "1111"]
actions = st.lists(st.tuples(
    st.sampled_from(["receive", "pay", "transfer"]), st.integers(min_value=0, max_value=59),
    st.sampled_from(CASH), st.sampled_from(CASH), st.integers(min_value=1, max_value=500_000)), min_size=1, max_size=30)


def _day_end_balances(coop) -> dict[str, list[int]]:
    from sqlalchemy import func, select

    from koppontren.ledger.models import JournalLine

    out = {}
    for code in CASH:
        account_id = db.session.scalar(select(Account.id).where(Account.cooperative_id == coop.id, Account.code == code))
        running, ends = 0, []
        for _day, net in db.session.execute(
                select(JournalLine.entry_date, func.sum(JournalLine.debit - JournalLine.credit))
                .where(JournalLine.cooperative_id == coop.id, JournalLine.account_id == account_id)
                .group_by(JournalLine.entry_date).order_by(JournalLine.entry_date)):
            running += int(net)
            ends.append(running)
        out[code] = ends
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(actions)
def test_random_cash_postings_transfers_and_back_dated_payments_never_end_a_day_below_zero(app, seq):
    empty_database(app)
    with app.app_context():
        coop = Builder().coop("acak")
        start = date(2026, 3, 1)
        for kind, offset, account, other, amount in seq:
            day = start + timedelta(days=offset)  # in any order: many are back-dated
            try:
                if kind == "receive":
                    _receive(coop, day, amount, account)
                elif kind == "pay":
                    _pay(coop, day, amount, account)
                elif account != other:
                    _move(coop, day, other, account, amount)
            except LedgerError as err:
                assert err.code == "insufficient_funds", err.code
        assert all(balance >= 0 for ends in _day_end_balances(coop).values() for balance in ends)
        assert check_cooperative(coop).ok


def test_the_day_rows_the_rule_reads_equal_the_journal_and_the_check_proves_it(build):
    """The rule reads ``cash_day`` (one row per cash account and day), kept by every writer of lines:
    single postings, reversals and the bulk path. A row changed behind the ledger's back is reported."""
    from sqlalchemy import select

    from koppontren.ledger.bulk import BulkPoster
    from koppontren.ledger.models import CashDay

    coop = build.coop("alhikmah")
    _receive(coop, date(2026, 3, 1), 300_000)
    _receive(coop, date(2026, 3, 1), 200_000, account="1103")
    entry = _pay(coop, date(2026, 3, 2), 100_000)
    reverse(coop, entry, entry_date=date(2026, 3, 3))
    poster = BulkPoster(coop, source="test")
    poster.post(entry_date=date(2026, 3, 4), description="Setoran kas toko", journal_type="JU",
                lines=[LineSpec("1101", debit=Decimal(150_000)), LineSpec("1103", credit=Decimal(150_000))])
    poster.flush()
    db.session.commit()
    rows = {(r.account_id, r.day): r.net for r in db.session.scalars(select(CashDay).where(CashDay.cooperative_id == coop.id))}
    assert sorted(rows.values()) == [-15_000_000, -10_000_000, 10_000_000, 15_000_000, 20_000_000, 30_000_000]
    assert check_cooperative(coop).ok
    db.session.execute(update(CashDay).where(CashDay.cooperative_id == coop.id, CashDay.net == 30_000_000).values(net=90_000_000))
    db.session.commit()
    result = next(r for r in check_cooperative(coop).results if r.name == "cash day balances equal the journal")
    assert result.problems == ["1101 on 2026-03-01: lines net 30000000 sen, day row 90000000 sen"]


def test_the_bulk_path_refuses_a_batch_that_takes_cash_below_zero(build):
    from koppontren.ledger.bulk import BulkPoster

    coop = build.coop("alhikmah")
    _receive(coop, date(2026, 3, 1), 100_000)
    poster = BulkPoster(coop, source="test")
    poster.post(entry_date=date(2026, 3, 2), description="Bayar", journal_type="KK",
                lines=[LineSpec("6102", debit=Decimal(150_000)), LineSpec("1101", credit=Decimal(150_000))])
    with pytest.raises(LedgerError) as err:
        poster.flush()
    db.session.rollback()
    assert err.value.code == "insufficient_funds" and err.value.fields["date"] == "2026-03-02"
    assert check_cooperative(coop).ok
