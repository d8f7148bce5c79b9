"""Cashiers charging one wallet at the same moment, on PostgreSQL (SQLite serialises writers by
design): the balance never goes below zero and the spending never past a limit; a reissue racing
a sale never lets the old card pay after the new one exists."""

from __future__ import annotations

from decimal import Decimal

import pytest

from koppontren.errors import DomainError
from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.ledger.integrity import check_cooperative
from koppontren.shop import services as shop
from koppontren.tenancy.services import get_by_slug
from koppontren.wallet import services as wallet
from tests.ledger.test_concurrency import _run_threads
from tests.wallet.conftest import TODAY

pytestmark = pytest.mark.postgres_only


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("race tests run on PostgreSQL (SQLite serialises writers by design)")


def _race(app, n: int, card: str, product_id: int, qty: int) -> list[str]:
    outcomes: list[str] = []

    def work(i: int) -> None:
        try:
            shop.record_sale(get_by_slug("alhikmah"), items=[shop.SaleItem(product_id, qty)], payment="wallet", card=card, day=TODAY)
            outcomes.append("ok")
        except DomainError as err:
            outcomes.append(err.code)

    assert _run_threads(app, n, work) == []
    return sorted(outcomes)


def _assert_whole(coop_slug: str = "alhikmah") -> None:
    coop = get_by_slug(coop_slug)
    assert check_cooperative(coop).ok
    santri = wallet.get_by_nis(coop, "1001")
    assert santri.balance >= 0
    assert queries.balance_of(coop, chart.account_for(coop, "santri_wallet")) == santri.balance


def test_two_cashiers_at_once_never_take_a_wallet_below_zero(app, coop, santri, card, stocked):
    snack, _ = stocked
    wallet.update_settings(coop, limit_daily=None, limit_weekly=None, limit_monthly=None, exempt_categories=[])
    product_id = snack.id
    db.session.commit()
    # Rp50.000 in the wallet, 8 cashiers each selling Rp30.000 at once: exactly one can be paid
    assert _race(app, 8, card, product_id, 6) == ["insufficient_balance"] * 7 + ["ok"]
    _assert_whole()
    assert wallet.get_by_nis(get_by_slug("alhikmah"), "1001").balance == 2_000_000


def test_cashiers_at_once_never_go_past_the_daily_limit(app, coop, santri, card, stocked):
    snack, _ = stocked
    wallet.update_settings(coop, limit_daily=Decimal(15_000), limit_weekly=None, limit_monthly=None, exempt_categories=[])
    product_id = snack.id
    db.session.commit()
    # Rp50.000 in the wallet but Rp15.000 a day: of 8 simultaneous Rp5.000 snacks, exactly 3 sell
    assert _race(app, 8, card, product_id, 1) == ["limit_exceeded"] * 5 + ["ok"] * 3
    _assert_whole()
    s = wallet.spending(get_by_slug("alhikmah"), wallet.get_by_nis(get_by_slug("alhikmah"), "1001"), TODAY)
    assert (s.spent_today, s.balance) == (1_500_000, 3_500_000)


def test_a_refund_racing_sales_never_overdraws(app, coop, santri, card, stocked):
    snack, _ = stocked
    wallet.update_settings(coop, limit_daily=None, limit_weekly=None, limit_monthly=None, exempt_categories=[])
    product_id, santri_id = snack.id, santri.id
    db.session.commit()
    outcomes: list[str] = []

    def work(i: int) -> None:
        coop_ = get_by_slug("alhikmah")
        try:
            if i % 2:
                wallet.refund(coop_, santri_id, amount=Decimal(30_000), method="cash", day=TODAY)
            else:
                shop.record_sale(coop_, items=[shop.SaleItem(product_id, 6)], payment="wallet", card=card, day=TODAY)
            outcomes.append("ok")
        except DomainError as err:
            outcomes.append(err.code)

    assert _run_threads(app, 6, work) == []
    assert outcomes.count("ok") == 1 and outcomes.count("insufficient_balance") == 5
    _assert_whole()
