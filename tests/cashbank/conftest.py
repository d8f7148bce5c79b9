"""Cash-transfer test helpers: a cooperative with a treasurer and money in its cash accounts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from koppontren.clock import today
from koppontren.ledger import chart, queries
from koppontren.ledger.posting import LineSpec, post_entry

#: what ``funded`` puts in each account, in rupiah
FUNDS = {"1101": 5_000_000, "1102": 500_000, "1103": 1_000_000, "1111": 20_000_000}


@pytest.fixture
def day(app_ctx) -> date:
    return today()


@pytest.fixture
def coop(build):
    return build.coop("alhikmah")


@pytest.fixture
def treasurer(build, coop):
    return build.user("bendahara", coop, "treasurer")


def fund(coop, on: date, funds: dict[str, int] = FUNDS):
    """Opening money: Dr each cash account / Cr 3104 Hibah, dated ``on``."""
    lines = [LineSpec(code, debit=Decimal(v)) for code, v in funds.items()]
    lines.append(LineSpec("3104", credit=Decimal(sum(funds.values()))))
    return post_entry(coop, entry_date=on, description="Modal awal", lines=lines, journal_type="JU")


@pytest.fixture
def funded(coop, day):
    fund(coop, day - timedelta(days=10))
    return coop


def balance(coop, code: str, as_of: date | None = None) -> int:
    """The account's balance in whole rupiah (normal side)."""
    return queries.balance_of(coop, chart.account_by_code(coop, code), as_of) // 100
