"""The statements agree with each other for any ledger (Hypothesis over random balanced entries,
some of them closed by the year-end close)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from koppontren.ledger.chart import accounts as chart_accounts
from koppontren.ledger.periods import close_year
from koppontren.ledger.posting import LineSpec, post_entry
from koppontren.money import from_sen
from koppontren.statements import builders
from koppontren.statements.model import ReportPeriod
from tests.conftest import empty_database
from tests.helpers import Builder

#: Accounts a manual journal may use (no subledger, not reserved by a module).
CODES = ["1101", "1102", "1111", "1152", "1161", "1214", "1215", "2141", "2142", "3103", "3104", "3105", "3107",
         "4101", "4104", "4201", "5101", "5201", "6101", "6104", "7101", "8101", "8201", "9101"]

entry = st.tuples(
    st.integers(min_value=0, max_value=729),  # day offset from 2025-01-01 (two years)
    st.lists(st.tuples(st.sampled_from(CODES), st.integers(min_value=1, max_value=5_000_000)), min_size=1, max_size=4),
    st.sampled_from(CODES),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(entries=st.lists(entry, min_size=1, max_size=12), close=st.booleans(), cut=st.integers(min_value=0, max_value=729))
def test_statements_agree_for_any_ledger(app, entries, close, cut):
    empty_database(app)
    with app.app_context():
        coop = Builder().coop("acak")
        # any ledger includes cash and bank below zero (the overdraft setting): the statements must agree on it too
        Builder().overdraft(coop, "1101", "1102", "1111")
        for offset, debits, credit_code in sorted(entries):
            lines = [LineSpec(code, debit=from_sen(amount * 100)) for code, amount in debits]
            lines.append(LineSpec(credit_code, credit=from_sen(sum(a for _c, a in debits) * 100)))
            post_entry(coop, entry_date=date(2025, 1, 1) + timedelta(days=offset), description="Acak", lines=lines)
        if close:
            close_year(coop, 2025, actor=None)
        by_code = {a.code: a for a in chart_accounts(coop)}
        end = date(2025, 1, 1) + timedelta(days=cut)
        for period in (ReportPeriod(date(2025, 1, 1), date(2025, 12, 31)), ReportPeriod(date(2026, 1, 1), date(2026, 12, 31)),
                       ReportPeriod(date(2025, 3, 1), end if end >= date(2025, 3, 1) else date(2025, 3, 1))):
            bs = builders.balance_sheet(coop, period)
            assert bs.totals["total_assets"] == bs.totals["total_liabilities_equity"]
            phu = builders.income_statement(coop, period)
            assert phu.totals["shu_setelah_pajak"] == phu.totals["revenue"] - phu.totals["expense"]
            eq = builders.equity_changes(coop, period)
            rows = {r.key: r.values[-1] for r in eq.section("equity_current").rows}
            assert rows["closing"] == bs.totals["total_equity"]
            assert rows["opening"] + rows["deposits"] + rows["withdrawals"] + rows["distribution"] + rows["result"] == rows["closing"]
            for col in range(1, len(eq.section("equity_current").columns)):
                col_rows = {r.key: r.values[col] for r in eq.section("equity_current").rows}
                assert sum(v for k, v in col_rows.items() if k not in ("closing",)) == col_rows["closing"]
            assert rows["result"] == phu.totals["shu_setelah_pajak"]
            cf = builders.cash_flow(coop, period)
            t = cf.totals
            assert t["operating"] + t["investing"] + t["financing"] == t["net_change"]
            assert t["cash_opening"] + t["net_change"] == t["cash_closing"]
            cash_codes = ("1101", "1102", "1103", "1111", "1112")
            cash_rows = sum(r.values[1] for r in cf.section("cash_accounts").rows)
            assert cash_rows == t["cash_closing"]
            assert t["cash_closing"] == sum(bs.row(f"account:{c}").values[1] for c in cash_codes
                                            if any(r.key == f"account:{c}" for r in bs.section("assets").rows))
            tb = builders.trial_balance(coop, period)
            assert tb.totals["debit"] == tb.totals["credit"] and tb.totals["balance_debit"] == tb.totals["balance_credit"]
            assert by_code  # the chart is there
