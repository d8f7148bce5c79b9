"""Ledger test helpers: a cooperative with a treasurer, and a member subledger plugged in for tests.

The members package (a later module) registers the real ``member`` subledger; until it exists the
tests register a small in-memory one so member-account rules can be exercised.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from koppontren.ledger import subledgers
from koppontren.ledger.posting import LineSpec, post_entry


@pytest.fixture
def coop(build):
    return build.coop("alhikmah")


@pytest.fixture
def treasurer(build, coop):
    return build.user("bendahara", coop, "treasurer")


@pytest.fixture
def members(coop):
    """Members 1..3 of ``coop`` numbered A-0001…; ids from another cooperative are unknown."""
    known = {(coop.id, 1): "A-0001", (coop.id, 2): "A-0002", (coop.id, 3): "A-0003"}
    by_number = {(c, n): i for (c, i), n in known.items()}
    subledgers.register("member", exists=lambda c, i: (c, i) in known, by_number=lambda c, n: by_number.get((c, n)),
                        label=lambda c, i: known.get((c, i), "?"))
    yield known
    subledgers.unregister("member")


def cash_sale(coop, amount: int | str = 100_000, day: date = date(2026, 3, 10), **kw):
    """Dr Kas / Cr Penjualan Toko Non-Anggota — the simplest balanced entry."""
    return post_entry(coop, entry_date=day, description=kw.pop("description", "Penjualan tunai"), journal_type=kw.pop("journal_type", "KM"),
                      lines=[LineSpec("1101", debit=Decimal(amount)), LineSpec("4201", credit=Decimal(amount))], **kw)
