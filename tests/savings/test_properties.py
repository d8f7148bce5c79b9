"""Property test: after any sequence of savings operations (deposits of each kind, withdrawals,
refused attempts, bulk wajib, reversals, exits) every balance the app shows — the service, the
member page, the register list — equals the ledger's member subledger summed independently in SQL,
sukarela never goes below zero, pokok is either nothing or the one pokok amount, and the ledger
stays whole (koppontren check)."""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from koppontren.extensions import db
from koppontren.ledger import queries
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.integrity import check_cooperative
from koppontren.ledger.posting import reverse
from koppontren.members import services as members
from koppontren.savings import services as savings
from koppontren.savings.services import SavingsError
from tests.conftest import empty_database
from tests.helpers import Builder, login
from tests.savings.conftest import TODAY

N_MEMBERS = 3
ops = st.one_of(
    st.tuples(st.just("pokok"), st.integers(0, N_MEMBERS - 1)),
    st.tuples(st.just("wajib"), st.integers(0, N_MEMBERS - 1), st.integers(1, 3)),
    st.tuples(st.just("sukarela_in"), st.integers(0, N_MEMBERS - 1), st.integers(1, 500_000)),
    st.tuples(st.just("sukarela_out"), st.integers(0, N_MEMBERS - 1), st.integers(1, 500_000)),
    st.tuples(st.just("wajib_out"), st.integers(0, N_MEMBERS - 1), st.integers(1, 50_000)),
    st.tuples(st.just("bulk"), st.integers(9, 12)),
    st.tuples(st.just("reverse"), st.integers(0, 50)),
    st.tuples(st.just("exit"), st.integers(0, N_MEMBERS - 1), st.booleans()),
)
ROLE_CODES = {"pokok": "3101", "wajib": "3102", "sukarela": "2111"}


def _ledger_balances(coop_id: int) -> dict[tuple[int, str], int]:
    """(member id, kind) -> credit − debit in sen, straight from journal_line (no app code)."""
    rows = db.session.execute(text(
        "SELECT l.member_id, a.code, SUM(l.credit) - SUM(l.debit) FROM journal_line l "
        "JOIN account a ON a.cooperative_id = l.cooperative_id AND a.id = l.account_id "
        "WHERE l.cooperative_id = :c AND l.member_id IS NOT NULL AND a.code IN ('3101', '3102', '2111') "
        "GROUP BY l.member_id, a.code"), {"c": coop_id})
    by_code = {v: k for k, v in ROLE_CODES.items()}
    return {(mid, by_code[code]): int(net) for mid, code, net in rows}


def _shown(page: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}">([^<]*)<', page).group(1).strip()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(ops, min_size=1, max_size=25))
def test_balances_shown_anywhere_equal_the_ledger_subledger(app, seq):
    empty_database(app)
    with app.app_context():
        builder = Builder()
        coop = builder.coop("acak")
        treasurer = builder.user("bendahara", coop, "treasurer")
        savings.update_settings(coop, pokok_amount=Decimal(100_000), wajib_rates={"santri": Decimal(10_000), "ustadz": Decimal(25_000)},
                                sukarela_earns_shu=False, default_account_id=None, actor=treasurer)
        people = [members.register_member(coop, members.MemberData(name=f"Anggota {i}", category=("santri", "ustadz")[i % 2],
                                                                   join_date=TODAY.replace(month=9, day=1)), actor=treasurer)
                  for i in range(N_MEMBERS)]
        ids = [p.id for p in people]
        for op in seq:
            kind, *args = op
            member_id = ids[args[0]] if kind not in ("bulk", "reverse") else None
            try:
                if kind == "pokok":
                    savings.deposit(coop, member_id, "pokok", actor=treasurer)
                elif kind == "wajib":
                    m = members.get_member(coop, member_id)
                    savings.deposit(coop, member_id, "wajib", amount=Decimal(args[1]) * savings.get_settings(coop).wajib_rate(m.category),
                                    actor=treasurer)
                elif kind == "sukarela_in":
                    savings.deposit(coop, member_id, "sukarela", amount=Decimal(args[1]), actor=treasurer)
                elif kind == "sukarela_out":
                    before = savings.balances(coop, member_id).sukarela
                    try:
                        savings.withdraw(coop, member_id, amount=Decimal(args[1]), actor=treasurer)
                    except SavingsError as err:
                        assert err.code in ("insufficient_balance", "not_active"), err.code
                        assert err.code == "not_active" or args[1] * 100 > before
                        raise
                    assert args[1] * 100 <= before
                elif kind == "wajib_out":
                    try:
                        savings.withdraw(coop, member_id, "wajib", amount=Decimal(args[1]), actor=treasurer)
                    except SavingsError as err:
                        assert err.code == "withdrawal_not_allowed"
                        raise
                    raise AssertionError("a wajib withdrawal was accepted")
                elif kind == "bulk":
                    month = (TODAY.year, args[0])
                    chosen = [m.id for m, _rate in savings.bulk_candidates(coop, month)]
                    if chosen:
                        savings.collect_wajib_bulk(coop, month=month, member_ids=chosen, actor=treasurer)
                elif kind == "reverse":
                    entries = sorted({t.entry_id for i in ids for t, cancelled in savings.transactions_of(coop, i) if not cancelled})
                    if entries:
                        entry = queries.get_entry(coop, entries[args[0] % len(entries)])
                        if entry.reversed_by_id is None and entry.reverses_id is None:
                            try:
                                reverse(coop, entry, entry_date=TODAY, actor=treasurer)
                            except LedgerError as err:  # the money was already withdrawn or paid out
                                assert err.code in ("reversal_would_overdraw", "member_left"), err.code
                                db.session.rollback()
                elif kind == "exit":
                    savings.exit_member(coop, member_id, effective_date=TODAY, net_receivables=args[1], actor=treasurer)
                    assert savings.balances(coop, member_id) == savings.Balances()
            except SavingsError:
                db.session.rollback()
            ledger = _ledger_balances(coop.id)
            for mid in ids:
                b = savings.balances(coop, mid)
                for k in ("pokok", "wajib", "sukarela"):
                    assert b.of(k) == ledger.get((mid, k), 0), (op, mid, k)
                assert b.sukarela >= 0
                assert b.pokok in (0, 100_000_00)
        report = check_cooperative(coop)
        assert report.ok, [(r.name, r.problems) for r in report.results if not r.ok]
        db.session.commit()
        ledger = _ledger_balances(coop.id)
        client = app.test_client()
        login(client, "bendahara")
        listing = client.get("/acak/members").get_data(as_text=True)
        for mid in ids:
            page = client.get(f"/acak/members/{mid}").get_data(as_text=True)
            for k in ("pokok", "wajib", "sukarela"):
                expected = ledger.get((mid, k), 0)
                assert _shown(page, f"balance-{k}") == f"Rp{expected // 100:,}".replace(",", "."), (mid, k)
            number = members.get_member(coop, mid).number
            row = re.search(rf'<tr data-number="{number}">(.*?)</tr>', listing, re.S).group(1)
            shown = re.findall(r'class="amount">([^<]*)<', row)
            assert shown == [f"{ledger.get((mid, k), 0) // 100:,}".replace(",", ".") for k in ("pokok", "wajib", "sukarela")]
        db.session.remove()
