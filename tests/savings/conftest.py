"""Savings test helpers: a cooperative with settings (pokok Rp100.000; wajib Rp10.000 for santri,
Rp25.000 for ustadz), a treasurer, and a member builder that goes through the register service.
Today is pinned to 15 December 2026 so arrears and date checks don't move with the calendar."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from koppontren.ledger import posting
from koppontren.members import services as members
from koppontren.savings import services as savings

TODAY = date(2026, 12, 15)


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    for module in (savings, members, posting):
        monkeypatch.setattr(module, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def coop(build):
    return build.coop("alhikmah")


@pytest.fixture
def treasurer(build, coop):
    return build.user("bendahara", coop, "treasurer")


@pytest.fixture
def configured(coop, treasurer):
    savings.update_settings(coop, pokok_amount=Decimal(100_000), wajib_rates={"santri": Decimal(10_000), "ustadz": Decimal(25_000)},
                            sukarela_earns_shu=False, default_account_id=None, actor=treasurer)
    return coop


@pytest.fixture
def new_member(configured, treasurer):
    def make(name: str = "Siti Aminah", category: str = "santri", join_date: date = date(2026, 9, 1), **kw):
        return members.register_member(configured, members.MemberData(name=name, category=category, join_date=join_date, **kw),
                                       actor=treasurer)
    return make


@pytest.fixture
def member(new_member):
    return new_member()
