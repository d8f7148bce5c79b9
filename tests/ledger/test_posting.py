"""post_entry and reverse: the seven ledger rules, each refusal writing nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from koppontren.audit.models import AuditEvent
from koppontren.extensions import db
from koppontren.ledger import queries, subledgers
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.models import JournalEntry, JournalLine
from koppontren.ledger.periods import close_month
from koppontren.ledger.posting import LineSpec, post_entry, reverse
from tests.ledger.conftest import cash_sale


def _counts():
    return (db.session.scalar(select(func.count()).select_from(JournalEntry)),
            db.session.scalar(select(func.count()).select_from(JournalLine)))


def test_a_balanced_entry_is_posted_with_its_voucher_number_and_lines(coop, treasurer, build):
    build.fund(coop)
    entry = post_entry(
        coop, entry_date=date(2026, 3, 10), description="Bayar listrik dan ATK", journal_type="KK", actor=treasurer,
        lines=[LineSpec("6102", debit=Decimal("350000")), LineSpec("6103", debit=Decimal("150000")),
               LineSpec("1101", credit=Decimal("500000"), memo="tunai")],
    )
    assert entry.number == "KK/2026/000001"
    assert entry.total == 50_000_000  # sen
    assert [(ln.account.code, ln.debit, ln.credit) for ln in entry.lines] == [
        ("6102", 35_000_000, 0), ("6103", 15_000_000, 0), ("1101", 0, 50_000_000)]
    assert entry.created_by_id == treasurer.id
    assert len(entry.entry_hash) == 64
    assert "KK/2026/000001" in [d["number"] for d in db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "entry.posted"))]


def test_voucher_numbers_count_per_type_and_fiscal_year(coop):
    assert cash_sale(coop).number == "KM/2026/000001"
    assert cash_sale(coop).number == "KM/2026/000002"
    assert cash_sale(coop, journal_type="JU").number == "JU/2026/000001"
    assert cash_sale(coop, day=date(2027, 1, 2)).number == "KM/2027/000001"


def test_a_fiscal_year_starting_in_july_is_named_by_its_first_year(build):
    coop = build.coop("juli", fiscal_year_start_month=7)
    assert cash_sale(coop, day=date(2026, 6, 30)).number == "KM/2025/000001"
    assert cash_sale(coop, day=date(2026, 7, 1)).number == "KM/2026/000001"
    assert cash_sale(coop, day=date(2027, 6, 30)).number == "KM/2026/000002"


def test_numbers_are_per_cooperative(build, coop):
    other = build.coop("lain")
    assert cash_sale(coop).number == cash_sale(other).number == "KM/2026/000001"


BAD = [
    ("unbalanced", [LineSpec("1101", debit=100), LineSpec("4201", credit=99)]),
    ("too_few_lines", [LineSpec("1101", debit=100)]),
    ("invalid_line", [LineSpec("1101", debit=100, credit=100), LineSpec("4201", credit=100)]),
    ("invalid_line", [LineSpec("1101"), LineSpec("4201", credit=100)]),
    ("invalid_line", [LineSpec("1101", debit=-100), LineSpec("4201", credit=-100)]),
    ("invalid_amount", [LineSpec("1101", debit=0.5), LineSpec("4201", credit=0.5)]),
    ("invalid_amount", [LineSpec("1101", debit=Decimal("100.5")), LineSpec("4201", credit=Decimal("100.5"))]),
    ("invalid_amount", [LineSpec("1101", debit=Decimal("NaN")), LineSpec("4201", credit=100)]),
    ("unknown_account", [LineSpec("9999", debit=100), LineSpec("4201", credit=100)]),
    ("not_postable", [LineSpec("11", debit=100), LineSpec("4201", credit=100)]),
    ("module_only_account", [LineSpec("1141", debit=100), LineSpec("1101", credit=100)]),
    ("module_only_account", [LineSpec("2113", credit=100), LineSpec("1112", debit=100)]),
    ("subledger_required", [LineSpec("1131", debit=100), LineSpec("1101", credit=100)]),
    ("subledger_required", [LineSpec("1101", credit=100), LineSpec("2101", debit=100)]),
]


@pytest.mark.parametrize("code, lines", BAD, ids=[f"{c}-{i}" for i, (c, _) in enumerate(BAD)])
def test_invalid_postings_are_refused_with_a_code_and_write_nothing(coop, code, lines):
    before = _counts()
    with pytest.raises(LedgerError) as err:
        post_entry(coop, entry_date=date(2026, 3, 10), description="Salah", lines=lines)
    assert err.value.code == code
    assert str(err.value.message)  # a human message
    assert _counts() == before
    assert cash_sale(coop).number == "KM/2026/000001"  # no voucher number was used up


def test_refusal_messages_exist_in_indonesian_and_english(app, coop):
    from flask_babel import force_locale

    with pytest.raises(LedgerError) as err:
        post_entry(coop, entry_date=date(2026, 3, 10), description="x", lines=[LineSpec("1101", debit=100), LineSpec("4201", credit=99)])
    with app.test_request_context():
        with force_locale("id"):
            assert "tidak seimbang" in str(err.value.message)
        with force_locale("en"):
            assert "unbalanced" in str(err.value.message).lower()


def test_another_cooperatives_account_is_unknown(build, coop):
    from koppontren.ledger.chart import account_for

    other = build.coop("lain")

    with pytest.raises(LedgerError) as err:
        post_entry(coop, entry_date=date(2026, 3, 10), description="x",
                   lines=[LineSpec(account_for(other, "cash"), debit=100), LineSpec("4201", credit=100)])
    assert err.value.code == "unknown_account"
    with pytest.raises(LedgerError):
        post_entry(coop, entry_date=date(2026, 3, 10), description="x",
                   lines=[LineSpec(account_for(other, "cash").id, debit=100), LineSpec("4201", credit=100)])


def test_description_date_and_type_are_checked(coop):
    lines = [LineSpec("1101", debit=100), LineSpec("4201", credit=100)]
    for kwargs, code in [
        ({"description": "  "}, "invalid_description"),
        ({"entry_date": "2026-03-10"}, "invalid_date"),
        ({"journal_type": "XX"}, "invalid_journal_type"),
    ]:
        args = {"entry_date": date(2026, 3, 10), "description": "ok", "lines": lines, **kwargs}
        with pytest.raises(LedgerError) as err:
            post_entry(coop, **args)
        assert err.value.code == code


def test_member_accounts_need_a_member_of_the_same_cooperative(coop, members, build):
    build.fund(coop)
    def post(member_id):
        return post_entry(coop, entry_date=date(2026, 3, 10), description="Pinjaman anggota", journal_type="KK",
                          lines=[LineSpec("1131", debit=100_000, member_id=member_id), LineSpec("1101", credit=100_000)])

    assert post(1).lines[0].member_id == 1
    with pytest.raises(LedgerError) as err:
        post(99)
    assert err.value.code == "unknown_member"
    with pytest.raises(LedgerError) as err:
        post(None)
    assert err.value.code == "subledger_required"


def test_member_references_are_refused_while_no_member_subledger_exists(coop, monkeypatch):
    monkeypatch.setattr(subledgers, "_REGISTRY", {})  # as if the members module were not installed
    with pytest.raises(LedgerError) as err:
        post_entry(coop, entry_date=date(2026, 3, 10), description="x",
                   lines=[LineSpec("1131", debit=100, member_id=1), LineSpec("1101", credit=100)])
    assert err.value.code == "subledger_unavailable"


def test_revenue_lines_may_carry_the_member(coop, members):
    entry = post_entry(coop, entry_date=date(2026, 3, 10), description="Penjualan ke anggota",
                       lines=[LineSpec("1101", debit=50_000), LineSpec("4101", credit=50_000, member_id=2)])
    assert entry.lines[1].member_id == 2


def test_a_closed_month_refuses_postings(coop, treasurer):
    close_month(coop, 2026, 3, actor=treasurer)
    with pytest.raises(LedgerError) as err:
        cash_sale(coop, day=date(2026, 3, 31))
    assert err.value.code == "period_closed"
    assert cash_sale(coop, day=date(2026, 4, 1)).number == "KM/2026/000001"


def test_idempotency_key_returns_the_first_entry(coop):
    first = cash_sale(coop, idempotency_key="pos-1-abc")
    assert first.was_replayed is False
    again = cash_sale(coop, idempotency_key="pos-1-abc")
    assert again.id == first.id and again.was_replayed is True
    assert _counts()[0] == 1
    with pytest.raises(LedgerError) as err:
        cash_sale(coop, amount=200_000, idempotency_key="pos-1-abc")
    assert err.value.code == "idempotency_conflict"
    assert _counts()[0] == 1


def test_idempotency_keys_are_per_cooperative(build, coop):
    other = build.coop("lain")
    assert cash_sale(coop, idempotency_key="k").cooperative_id == coop.id
    assert cash_sale(other, idempotency_key="k").cooperative_id == other.id


def test_reversal_mirrors_the_entry_and_links_both(coop, treasurer):
    entry = post_entry(coop, entry_date=date(2026, 3, 10), description="Salah catat", actor=treasurer,
                       lines=[LineSpec("6102", debit=300_000), LineSpec("6103", debit=200_000), LineSpec("8101", credit=500_000)])
    before = {r.account.code: r.net_debit for r in queries.trial_balance(coop)}
    reversal = reverse(coop, entry, entry_date=date(2026, 3, 12), actor=treasurer)
    assert reversal.number == "JU/2026/000002"
    assert reversal.reverses_id == entry.id and entry.reversed_by_id == reversal.id
    assert [(ln.account.code, ln.debit, ln.credit) for ln in reversal.lines] == [
        ("6102", 0, 30_000_000), ("6103", 0, 20_000_000), ("8101", 50_000_000, 0)]
    assert all(r.net_debit == 0 for r in queries.trial_balance(coop))
    assert before["8101"] == -50_000_000
    with pytest.raises(LedgerError) as err:
        reverse(coop, entry, actor=treasurer)
    assert err.value.code == "already_reversed"
    with pytest.raises(LedgerError) as err:
        reverse(coop, reversal, actor=treasurer)
    assert err.value.code == "cannot_reverse_reversal"
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "entry.reversed"))["reversal"] == reversal.number


def test_a_reversal_cannot_predate_its_entry_nor_land_in_a_closed_month(coop, treasurer):
    entry = cash_sale(coop, day=date(2026, 3, 10))
    with pytest.raises(LedgerError) as err:
        reverse(coop, entry, entry_date=date(2026, 3, 9), actor=treasurer)
    assert err.value.code == "invalid_date"
    close_month(coop, 2026, 4, actor=treasurer)
    with pytest.raises(LedgerError) as err:
        reverse(coop, entry, entry_date=date(2026, 4, 2), actor=treasurer)
    assert err.value.code == "period_closed"
    assert entry.reversed_by_id is None


def test_an_entry_on_a_since_deactivated_account_can_still_be_reversed(coop, treasurer, build):
    build.fund(coop)
    from koppontren.ledger.chart import add_account, set_active

    account = add_account(coop, parent_code="6", code="6110", name_id="Beban Internet", cash_flow="operating", actor=treasurer)
    lines = [LineSpec("6110", debit=300_000), LineSpec("1101", credit=300_000)]
    paid = post_entry(coop, entry_date=date(2026, 3, 10), description="Internet", lines=lines)
    post_entry(coop, entry_date=date(2026, 3, 10), description="Pengembalian", lines=[
        LineSpec("1101", debit=300_000), LineSpec("6110", credit=300_000)])
    set_active(account, False, actor=treasurer)  # balance is zero again
    assert reverse(coop, paid, entry_date=date(2026, 3, 11), actor=treasurer).reverses_id == paid.id


def test_reversing_another_cooperatives_entry_is_refused(build, coop, treasurer):
    other = build.coop("lain")
    entry = cash_sale(other)
    with pytest.raises(LedgerError) as err:
        reverse(coop, entry, actor=treasurer)
    assert err.value.code == "not_found"


def test_hash_chain_links_each_entry_to_the_previous(coop):
    a, b = cash_sale(coop), cash_sale(coop)
    assert a.prev_hash == "0" * 64
    assert b.prev_hash == a.entry_hash != b.entry_hash


# --- the statement-level posting path (posting.py "Posting is the hot path") -----------------------

def _counter(coop, journal_type: str, fiscal_year: int = 2026):
    from koppontren.ledger.models import VoucherCounter

    return db.session.scalar(select(VoucherCounter.last_sequence).where(
        VoucherCounter.cooperative_id == coop.id, VoucherCounter.journal_type == journal_type, VoucherCounter.fiscal_year == fiscal_year))


def test_a_refusal_found_after_the_number_was_claimed_gives_it_back(coop):
    assert cash_sale(coop).number == "KM/2026/000001"
    with pytest.raises(LedgerError) as err:  # the accounts are checked after the number was claimed
        post_entry(coop, entry_date=date(2026, 3, 10), description="x", journal_type="KM",
                   lines=[LineSpec("9999", debit=100), LineSpec("4201", credit=100)])
    assert err.value.code == "unknown_account"
    assert _counter(coop, "KM") == 1
    assert cash_sale(coop).number == "KM/2026/000002"


def test_a_replay_and_a_conflict_give_the_claimed_number_back(coop):
    first = cash_sale(coop, idempotency_key="k-1")
    assert cash_sale(coop, idempotency_key="k-1").id == first.id
    with pytest.raises(LedgerError):
        cash_sale(coop, amount=5, idempotency_key="k-1")
    assert _counter(coop, "KM") == 1
    assert cash_sale(coop).number == "KM/2026/000002"


def test_a_replay_into_a_month_closed_since_is_refused_as_closed(coop, treasurer):
    cash_sale(coop, idempotency_key="k-2")
    close_month(coop, 2026, 3, actor=treasurer)
    with pytest.raises(LedgerError) as err:
        cash_sale(coop, idempotency_key="k-2")
    assert err.value.code == "period_closed"


def test_the_returned_entry_is_what_was_stored(build, treasurer):
    coop = build.coop("sen", currency_decimals=2)
    build.overdraft(coop)
    entry = post_entry(coop, entry_date=date(2026, 3, 10), description="  Bayar  ", journal_type="KK", actor=treasurer,
                       reference=" R-1 ", idempotency_key="k-3",
                       lines=[LineSpec("6102", debit=Decimal("1.5")), LineSpec("1101", credit=Decimal("1.5"), memo=" tunai ")])
    columns = [c.key for c in JournalEntry.__table__.columns if c.key != "created_at"]
    returned = {c: getattr(entry, c) for c in columns}
    db.session.expire_all()
    stored = db.session.get(JournalEntry, entry.id, populate_existing=True)
    assert {c: getattr(stored, c) for c in columns} == returned
    assert returned["description"] == "Bayar" and returned["reference"] == "R-1" and returned["total"] == 150
    assert [(ln.line_no, ln.memo, ln.entry_date) for ln in stored.lines] == [(1, None, date(2026, 3, 10)), (2, "tunai", date(2026, 3, 10))]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "entry.posted")).one()
    assert (event.cooperative_id, event.actor_id) == (coop.id, treasurer.id)
    assert event.detail == {"number": "KK/2026/000001", "total": "1.50", "source": "manual"}


def test_the_audit_event_keeps_the_requests_address(app, coop):
    with app.test_request_context("/", method="POST", environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        cash_sale(coop)
    assert db.session.scalar(select(AuditEvent.ip_address).where(AuditEvent.action == "entry.posted")) == "10.1.2.3"


def test_an_account_is_checked_as_stored_not_as_the_instance_says(coop):
    from sqlalchemy import update

    from koppontren.ledger.chart import account_for
    from koppontren.ledger.models import Account

    cash = account_for(coop, "cash")
    db.session.execute(update(Account).where(Account.id == cash.id).values(active=False).execution_options(synchronize_session=False))
    assert cash.active  # the instance in memory is stale
    with pytest.raises(LedgerError) as err:
        post_entry(coop, entry_date=date(2026, 3, 10), description="x", lines=[LineSpec(cash, debit=1), LineSpec("4201", credit=1)])
    assert err.value.code == "inactive_account"


def test_a_cooperative_without_a_chain_head_gets_one_at_its_first_posting(coop):
    from sqlalchemy import delete

    from koppontren.ledger.models import LedgerHead

    db.session.execute(delete(LedgerHead).where(LedgerHead.cooperative_id == coop.id))
    db.session.commit()
    entry = cash_sale(coop)
    assert entry.prev_hash == "0" * 64
    head = db.session.scalars(select(LedgerHead).where(LedgerHead.cooperative_id == coop.id)).one()
    assert (head.last_entry_id, head.last_hash, head.entries) == (entry.id, entry.entry_hash, 1)


def test_validate_checks_without_writing(coop):
    from koppontren.ledger.posting import validate

    request = validate(coop, entry_date=date(2026, 3, 10), description="x", lines=[LineSpec("1101", debit=1), LineSpec("4201", credit=1)])
    assert [(c.debit, c.credit) for c in request.lines] == [(100, 0), (0, 100)]
    with pytest.raises(LedgerError) as err:
        validate(coop, entry_date=date(2026, 3, 10), description="x", lines=[LineSpec("1101", debit=1), LineSpec("11", credit=1)])
    assert err.value.code == "not_postable"
    assert _counts() == (0, 0) and _counter(coop, "JU") is None


def test_lines_are_inserted_in_chunks_where_one_statement_would_take_too_many(coop, monkeypatch):
    """SQLite caps the parameters of one statement (32,766 by default, 10 per line): an opening balance
    with a line per member is sent in several INSERTs. Shown with chunks of 3 lines."""
    from koppontren.ledger import posting

    monkeypatch.setattr(posting, "_SQLITE_LINES_PER_INSERT", 3)
    lines = [LineSpec("1101", debit=n, memo=f"baris {n}") for n in range(1, 8)] + [LineSpec("4201", credit=28)]
    entry = post_entry(coop, entry_date=date(2026, 3, 10), description="Saldo awal per anggota", lines=lines)
    assert [(ln.line_no, ln.debit, ln.memo) for ln in entry.lines][:7] == [(n, n * 100, f"baris {n}") for n in range(1, 8)]
    assert entry.lines[7].credit == 2_800


def test_accounts_a_module_keeps_to_itself_take_only_that_modules_postings(coop, members):
    """Savings keep their rules only if nobody else posts to 3101/3102/2111: not a manual journal,
    not an opening entry — the savings module (source "savings") and the member import may."""
    lines = [LineSpec("1101", debit=100), LineSpec("2111", credit=100, member_id=1)]
    for source in ("manual", "opening"):
        with pytest.raises(LedgerError) as err:
            post_entry(coop, entry_date=date(2026, 3, 10), description="x", lines=lines, source=source)
        assert err.value.code == "module_only_account" and "modul simpanan" in str(err.value)
    entry = post_entry(coop, entry_date=date(2026, 3, 10), description="Setoran", lines=lines, source="savings", journal_type="SP")
    reverse(coop, entry, entry_date=date(2026, 3, 11))  # a reversal goes through (the module's guard decides)


def test_the_returned_entry_belongs_to_the_session_like_a_loaded_one(coop):
    """post_entry registers the entry it wrote in the session's identity map without reading it back:
    it must behave as if loaded — persistent, the instance session.get() returns, unmodified (a commit
    writes nothing for it), its lines loaded on first access — also with commit=False."""
    from sqlalchemy import inspect

    entry = cash_sale(coop, commit=False)
    state = inspect(entry)
    assert state.persistent and not state.modified and entry in db.session
    assert db.session.get(JournalEntry, entry.id) is entry
    assert [(ln.line_no, ln.debit, ln.credit) for ln in entry.lines] == [(1, 10_000_000, 0), (2, 0, 10_000_000)]
    db.session.commit()  # nothing to flush for it (an UPDATE of a posted entry would be refused by the database)
    assert db.session.get(JournalEntry, entry.id) is entry and entry.number == "KM/2026/000001"


@pytest.mark.parametrize(("amount", "decimals", "sen"), [
    (Decimal(125), 0, 12_500), (Decimal("125.00"), 0, 12_500), (Decimal("1E+2"), 0, 10_000), (Decimal("-0"), 0, 0),
    (7, 0, 700), (Decimal("1.5"), 2, 150), (Decimal("1.25"), 2, 125), ("12", 0, 1_200),
])
def test_amounts_convert_exactly(amount, decimals, sen):
    from koppontren.ledger.posting import _amount_sen

    assert _amount_sen(amount, decimals, 1, "debit") == sen


@pytest.mark.parametrize(("amount", "decimals", "code"), [
    (Decimal("1.5"), 0, "invalid_amount"), (Decimal("1.255"), 2, "invalid_amount"), (Decimal(-1), 0, "invalid_line"),
    (-1, 0, "invalid_line"), (Decimal("NaN"), 0, "invalid_amount"), (Decimal("Infinity"), 0, "invalid_amount"),
    (True, 0, "invalid_amount"), (1.0, 0, "invalid_amount"), (10**15, 0, "amount_too_large"), (Decimal(10**15), 0, "amount_too_large"),
    (10**12 + 1, 0, "amount_too_large"),
])
def test_bad_amounts_are_refused(amount, decimals, code):
    from koppontren.ledger.posting import _amount_sen

    with pytest.raises(LedgerError) as err:
        _amount_sen(amount, decimals, 1, "debit")
    assert err.value.code == code


def test_a_database_refusal_during_posting_is_sqlalchemys_error_and_writes_nothing(coop):
    """On SQLite the posting's statements go through the driver's own cursor: an error the database
    raises must still come out as SQLAlchemy's (as exec_driver_sql would raise it) and roll back.
    Here the voucher counter is set back by hand, so the next number is taken."""
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    from koppontren.ledger.models import VoucherCounter

    cash_sale(coop)
    db.session.execute(update(VoucherCounter).where(VoucherCounter.cooperative_id == coop.id).values(last_sequence=0))
    db.session.commit()
    with pytest.raises(IntegrityError):
        cash_sale(coop)
    assert _counts() == (1, 2) and _counter(coop, "KM") == 0
    assert cash_sale(coop, journal_type="JU").number == "JU/2026/000001"  # the session is usable again
