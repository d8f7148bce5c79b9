"""Property test: any sequence of valid and invalid posting attempts leaves the ledger whole.

Random accounts, amounts, dates (some in a closed month), duplicate idempotency keys (same and
different content), malformed lines. Every invalid attempt is refused and writes nothing; every valid
one is posted once; the trial balance stays at zero; voucher numbers stay gapless; the hash chain holds.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.integrity import check_cooperative
from koppontren.ledger.models import JournalEntry
from koppontren.ledger.periods import close_month
from koppontren.ledger.posting import LineSpec, post_entry
from tests.conftest import empty_database
from tests.helpers import Builder

ACCOUNTS = ["1101", "1102", "1111", "4201", "4202", "6101", "6102", "6103", "8102", "3104", "2142"]
CLOSED = (2026, 3)

amounts = st.integers(min_value=1, max_value=10**10)
days = st.integers(min_value=0, max_value=364).map(lambda n: date(2026, 1, 1) + timedelta(days=n))
keys = st.one_of(st.none(), st.sampled_from(["k1", "k2", "k3"]))
FAULTS = ["none", "unbalanced", "one_line", "both_sides", "negative", "header", "unknown", "float"]


@st.composite
def attempts(draw):
    debit_accounts = draw(st.lists(st.sampled_from(ACCOUNTS), min_size=1, max_size=3))
    credit_accounts = draw(st.lists(st.sampled_from(ACCOUNTS), min_size=1, max_size=3))
    debits = draw(st.lists(amounts, min_size=len(debit_accounts), max_size=len(debit_accounts)))
    total = sum(debits)
    # split the total over the credit lines, each ≥ 1
    cuts = sorted(draw(st.lists(st.integers(1, max(total - 1, 1)), min_size=len(credit_accounts) - 1,
                                max_size=len(credit_accounts) - 1, unique=True))) if total > len(credit_accounts) else []
    if len(cuts) != len(credit_accounts) - 1:
        credit_accounts, cuts = credit_accounts[:1], []
    bounds = [0, *cuts, total]
    credits = [bounds[i + 1] - bounds[i] for i in range(len(credit_accounts))]
    lines = [LineSpec(a, debit=Decimal(x)) for a, x in zip(debit_accounts, debits, strict=True)]
    lines += [LineSpec(a, credit=Decimal(x)) for a, x in zip(credit_accounts, credits, strict=True)]
    fault = draw(st.sampled_from(FAULTS))
    if fault == "unbalanced":
        lines[0] = LineSpec(lines[0].account, debit=lines[0].debit + 1)
    elif fault == "one_line":
        lines = lines[:1]
    elif fault == "both_sides":
        lines[0] = LineSpec(lines[0].account, debit=lines[0].debit, credit=Decimal(1))
    elif fault == "negative":
        lines[-1] = LineSpec(lines[-1].account, credit=-lines[-1].credit)
    elif fault == "header":
        lines[0] = LineSpec("11", debit=lines[0].debit)
    elif fault == "unknown":
        lines[0] = LineSpec("9999", debit=lines[0].debit)
    elif fault == "float":
        lines[0] = LineSpec(lines[0].account, debit=float(lines[0].debit))
    return {"date": draw(days), "lines": lines, "key": draw(keys), "fault": fault,
            "type": draw(st.sampled_from(["JU", "KM", "KK"]))}


def _fingerprint(a) -> tuple:
    return (a["type"], a["date"], tuple((ln.account, ln.debit, ln.credit) for ln in a["lines"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(attempts(), min_size=1, max_size=30))
def test_random_posting_attempts_keep_the_ledger_whole(app, seq):
    empty_database(app)
    with app.app_context():
        builder = Builder()
        coop = builder.coop("acak")
        builder.overdraft(coop, "1101", "1102", "1111")  # the cash rule has its own property test
        admin = builder.user("ketua", coop, "admin")
        close_month(coop, *CLOSED, actor=admin)
        posted = 0
        by_key: dict[str, tuple] = {}
        for a in seq:
            closed = (a["date"].year, a["date"].month) == CLOSED
            expect_ok = a["fault"] == "none" and not closed
            replay = conflict = False
            if expect_ok and a["key"] in by_key:
                replay = by_key[a["key"]] == _fingerprint(a)
                conflict = not replay
            before = db.session.scalar(select(func.count()).select_from(JournalEntry))
            try:
                post_entry(coop, entry_date=a["date"], description="acak", lines=a["lines"], journal_type=a["type"],
                           idempotency_key=a["key"])
            except LedgerError as err:
                assert not expect_ok or conflict, (a, err.code)
                if conflict:
                    assert err.code == "idempotency_conflict"
                elif closed and a["fault"] == "none":
                    assert err.code == "period_closed"
                assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == before
                continue
            assert expect_ok and not conflict, a
            if not replay:
                posted += 1
                if a["key"]:
                    by_key[a["key"]] = _fingerprint(a)
            assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == posted
        report = check_cooperative(coop)
        assert report.ok, [(r.name, r.problems) for r in report.results if not r.ok]
        db.session.remove()
