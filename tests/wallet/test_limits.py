"""Spending limits: daily / weekly (ISO week from Monday) / monthly on products not exempt; the
cooperative's defaults, the treasurer's limits per santri and the wali's lower ones."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from koppontren.wallet import limits
from koppontren.wallet import services as wallet
from koppontren.wallet.errors import WalletError
from tests.wallet.conftest import TODAY, buy


@pytest.fixture
def snack_limit(coop):
    """The cooperative's default: Rp15.000 a day on snacks, the default exempt categories."""
    return wallet.update_settings(coop, limit_daily=Decimal(15_000), limit_weekly=None, limit_monthly=None,
                                  exempt_categories=list(limits.DEFAULT_EXEMPT))


def test_exempt_categories_match_trimmed_and_case_insensitively(coop):
    settings = wallet.get_settings(coop)
    assert settings.is_exempt("  KITAB ") and settings.is_exempt("Alat  Tulis") and not settings.is_exempt("Jajanan")
    assert not settings.is_exempt(None) and not settings.is_exempt("")
    changed = wallet.update_settings(coop, limit_daily=None, limit_weekly=None, limit_monthly=None, exempt_categories="Jajanan, buku\nbuku")
    assert changed.exempt_categories == ("Jajanan", "buku") and changed.is_exempt("jajanan") and not changed.is_exempt("kitab")


def test_exempt_items_still_sell_after_the_daily_snack_limit_is_reached(coop, santri, card, stocked, snack_limit):
    snack, kitab = stocked
    buy(coop, card, (snack, 2))
    buy(coop, card, (snack, 1))  # Rp15.000: the limit exactly
    with pytest.raises(WalletError) as err:
        buy(coop, card, (snack, 1))
    assert err.value.code == "limit_exceeded"
    assert "Sisa hari ini Rp0" in str(err.value.message) and err.value.fields["limit"] == "daily"
    sale = buy(coop, card, (kitab, 1))  # exempt: Rp20.000 more still sells
    assert sale.total == 2_000_000
    s = wallet.spending(coop, wallet.get_by_nis(coop, "1001"))
    assert (s.balance, s.spent_today, s.remaining_today, s.available_today) == (1_500_000, 1_500_000, 0, 0)
    # a mixed basket is refused on its snack part, though the balance would cover it
    wallet.topup(coop, wallet.get_by_nis(coop, "1001"), amount=Decimal(50_000), method="cash")
    with pytest.raises(WalletError) as err:
        buy(coop, card, (kitab, 1), (snack, 1))
    assert err.value.code == "limit_exceeded"


def test_the_refusal_says_what_is_left_today(coop, santri, card, stocked, snack_limit):
    snack, _ = stocked
    buy(coop, card, (snack, 1))
    with pytest.raises(WalletError) as err:
        buy(coop, card, (snack, 3))  # Rp15.000 more, Rp10.000 left
    assert "Rp10.000" in str(err.value.message) and str(err.value.fields["card"]) == "Sisa hari ini Rp10.000."


def test_limits_count_per_iso_week_and_calendar_month(coop, santri, card, stocked):
    snack, _ = stocked
    wallet.update_settings(coop, limit_daily=None, limit_weekly=Decimal(20_000), limit_monthly=Decimal(30_000), exempt_categories=[])
    wallet.topup(coop, santri, amount=Decimal(100_000), method="cash", day=date(2026, 11, 30))
    buy(coop, card, (snack, 2), day=date(2026, 11, 30))  # Monday 30 November: this ISO week, last month
    buy(coop, card, (snack, 1), day=date(2026, 12, 13))  # Sunday 13 December: last week, this month
    buy(coop, card, (snack, 2), day=date(2026, 12, 14))  # Monday: this week and month
    santri = wallet.get_by_nis(coop, "1001")
    s = wallet.spending(coop, santri, TODAY)
    assert (s.spent_today, s.spent_week, s.spent_month) == (0, 1_000_000, 1_500_000)
    assert (s.remaining("weekly"), s.remaining("monthly"), s.remaining_today) == (1_000_000, 1_500_000, 1_000_000)
    on_dec_6 = wallet.spending(coop, santri, date(2026, 12, 6))  # the week of Monday 30 November spans two months
    assert (on_dec_6.spent_week, on_dec_6.spent_month) == (1_000_000, 1_500_000)  # its whole month, not just up to the 6th
    buy(coop, card, (snack, 2))
    with pytest.raises(WalletError) as err:
        buy(coop, card, (snack, 1))  # the week's Rp20.000 is used
    assert err.value.code == "limit_exceeded" and err.value.fields["limit"] == "weekly"


def test_the_treasurers_limit_replaces_the_default_and_the_wali_may_only_lower_it(coop, santri, card, stocked, snack_limit, treasurer):
    snack, _ = stocked
    user, _password = wallet.create_wali(coop, santri, login="wali.ahmad", name="Bapak Ahmad", actor=treasurer)
    with pytest.raises(WalletError) as err:
        wallet.set_wali_limits(coop, santri, daily=Decimal(20_000), weekly=None, monthly=None, actor=user)
    assert err.value.code == "limit_too_high" and "daily" in err.value.fields and "Rp15.000" in str(err.value.fields["daily"])
    assert wallet.get_by_nis(coop, "1001").wali_limit_daily is None
    wallet.set_wali_limits(coop, santri, daily=Decimal(5_000), weekly=Decimal(1_000_000), monthly=None, actor=user)
    santri = wallet.get_by_nis(coop, "1001")
    assert wallet.effective_limits(coop, santri) == wallet.Limits(500_000, 100_000_000, None)  # no weekly limit above: any is lower
    buy(coop, card, (snack, 1))
    with pytest.raises(WalletError) as err:
        buy(coop, card, (snack, 1))
    assert err.value.code == "limit_exceeded"
    # the treasurer raises the santri's own limit: the wali's lower one still binds
    wallet.set_limits(coop, santri, daily=Decimal(50_000), weekly=None, monthly=None, actor=treasurer)
    assert wallet.effective_limits(coop, wallet.get_by_nis(coop, "1001")).daily == 500_000
    # someone who is not this santri's wali cannot set them
    stranger, _ = wallet.create_wali(coop, wallet.create_santri(coop, wallet.SantriData(nis="1009", name="Lain")), login="wali.lain",
                                     name="Ibu Lain")
    with pytest.raises(WalletError) as err:
        wallet.set_wali_limits(coop, santri, daily=Decimal(1_000), weekly=None, monthly=None, actor=stranger)
    assert err.value.code == "not_wali"
    with pytest.raises(WalletError) as err:
        wallet.set_limits(coop, santri, daily=Decimal("-1"), weekly=None, monthly=None)
    assert err.value.code == "invalid_amount"


def test_a_wali_limit_above_a_later_lowered_coop_limit_is_clipped(coop, santri, treasurer):
    user, _ = wallet.create_wali(coop, santri, login="wali.ahmad", name="Bapak Ahmad", actor=treasurer)
    wallet.set_wali_limits(coop, santri, daily=Decimal(10_000), weekly=None, monthly=None, actor=user)
    wallet.update_settings(coop, limit_daily=Decimal(7_000), limit_weekly=None, limit_monthly=None, exempt_categories=[])
    assert wallet.effective_limits(coop, wallet.get_by_nis(coop, "1001")).daily == 700_000


def test_a_backdated_sale_counts_everything_spent_in_its_week_and_month(coop, santri, card, stocked):
    """A sale dated yesterday must not get a fresh weekly allowance by ignoring what was bought today."""
    snack, _ = stocked
    wallet.update_settings(coop, limit_daily=None, limit_weekly=Decimal(40_000), limit_monthly=Decimal(45_000), exempt_categories=[])
    wallet.topup(coop, santri, amount=Decimal(100_000), method="cash", day=date(2026, 12, 1))
    buy(coop, card, (snack, 6))  # Rp30.000 on Tuesday 15 December
    with pytest.raises(WalletError) as err:
        buy(coop, card, (snack, 6), day=date(2026, 12, 14))  # Monday, same ISO week: Rp60.000 > Rp40.000
    assert err.value.code == "limit_exceeded" and err.value.fields["limit"] == "weekly"
    with pytest.raises(WalletError) as err:
        buy(coop, card, (snack, 4), day=date(2026, 12, 2))  # the week before, same month: Rp50.000 > Rp45.000
    assert err.value.code == "limit_exceeded" and err.value.fields["limit"] == "monthly"
    buy(coop, card, (snack, 3), day=date(2026, 12, 2))  # Rp45.000 in December: the limit exactly
    s = wallet.spending(coop, wallet.get_by_nis(coop, "1001"), date(2026, 12, 2))
    assert (s.spent_today, s.spent_week, s.spent_month) == (1_500_000, 1_500_000, 4_500_000)
