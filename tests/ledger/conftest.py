"""Ledger test helpers: a cooperative with a treasurer, and three members of the real register
(the members package plugs the ``member`` subledger into the ledger at start-up)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from koppontren.ledger.posting import LineSpec, post_entry


@pytest.fixture
def coop(build):
    return build.coop("alhikmah")


@pytest.fixture
def treasurer(build, coop):
    return build.user("bendahara", coop, "treasurer")


@pytest.fixture
def members(coop):
    """Members 1..3 of ``coop`` numbered A-0001…, registered through the members service;
    ids from another cooperative are unknown. Returns {(coop id, member id): number}."""
    from koppontren.members.services import MemberData, register_member

    made = [register_member(coop, MemberData(name=f"Anggota {n}", category="santri", join_date=date(2026, 1, 1)), actor=None)
            for n in (1, 2, 3)]
    assert [m.id for m in made] == [1, 2, 3]
    return {(coop.id, m.id): m.number for m in made}


def cash_sale(coop, amount: int | str = 100_000, day: date = date(2026, 3, 10), **kw):
    """Dr Kas / Cr Penjualan Toko Non-Anggota — the simplest balanced entry."""
    return post_entry(coop, entry_date=day, description=kw.pop("description", "Penjualan tunai"), journal_type=kw.pop("journal_type", "KM"),
                      lines=[LineSpec("1101", debit=Decimal(amount)), LineSpec("4201", credit=Decimal(amount))], **kw)
