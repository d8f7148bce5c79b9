"""Issue 18 §1: approved books stay approved. Every entry lies between the cooperative's books start
and today; a fiscal year at or before the latest closed one is closed, whatever its months say. The
rules live in post_entry, so every module and the API obey them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from koppontren.extensions import db
from koppontren.ledger import periods, queries
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.posting import LineSpec, latest_closed_fiscal_year, post_entry
from koppontren.members import services as members
from koppontren.savings import services as savings
from koppontren.tenancy import services as tenancy
from koppontren.tenancy.models import first_day_of_current_fiscal_year
from tests.conftest import empty_database
from tests.helpers import Builder, login


def _sale(coop, day: date, amount: int = 100_000, **kw):
    return post_entry(coop, entry_date=day, description="Penjualan tunai", journal_type="KM",
                      lines=[LineSpec("1101", debit=Decimal(amount)), LineSpec("4201", credit=Decimal(amount))], **kw)


def _refusal(coop, day: date, **kw) -> LedgerError:
    with pytest.raises(LedgerError) as err:
        _sale(coop, day, **kw)
    return err.value


@pytest.fixture
def closed_2025(build):
    """A cooperative whose books start on 1 January 2025, with 2025 closed at the year end."""
    coop = build.coop("alhikmah", books_start=date(2025, 1, 1))
    admin = build.user("ketua", coop, "admin")
    _sale(coop, date(2025, 6, 1))
    periods.close_year(coop, 2025, actor=admin)
    return coop, admin


# --- closed fiscal years ---------------------------------------------------------------------------

def test_a_back_dated_entry_into_a_closed_year_is_refused_even_in_months_never_closed(build, closed_2025):
    coop, _admin = closed_2025
    coop.books_start = date(2000, 1, 1)  # even with books that started long ago: 2001 lies before the closed 2025
    db.session.commit()
    assert latest_closed_fiscal_year(coop.id) == 2025
    for day in (date(2001, 3, 5), date(2024, 12, 31), date(2025, 7, 1)):
        err = _refusal(coop, day)
        assert err.code == "period_closed" and "date" in err.fields
    assert _sale(coop, date(2026, 1, 2)).number == "KM/2026/000001"


def test_the_closed_years_neraca_cannot_change(build, closed_2025):
    coop, _admin = closed_2025
    before = _neraca(coop, date(2025, 12, 31))
    for day in (date(2025, 1, 1), date(2025, 12, 31), date(2024, 6, 30)):
        with pytest.raises(LedgerError):
            _sale(coop, day)
    _sale(coop, date(2026, 1, 1))
    assert _neraca(coop, date(2025, 12, 31)) == before


def _neraca(coop, day: date) -> dict:
    """Every account's (debit, credit) totals as of a day: what the Neraca of that day is made of."""
    return queries.account_totals(coop, as_of=day)


def test_a_month_of_an_earlier_year_reopens_only_after_the_later_years(build, closed_2025):
    coop, admin = closed_2025
    with pytest.raises(LedgerError) as err:
        periods.reopen_month(coop, 2024, 12, actor=admin)
    assert err.value.code == "later_year_closed"
    periods.reopen_month(coop, 2025, 12, actor=admin, reason="Koreksi biaya RAT")
    assert latest_closed_fiscal_year(coop.id) is None
    assert _sale(coop, date(2025, 12, 30)).number == "KM/2025/000002"
    assert _refusal(coop, date(2025, 11, 30)).code == "period_closed"  # its own month is still closed


# --- books start and today ---------------------------------------------------------------------------

def test_no_entry_before_the_books_start(build):
    coop = build.coop("alhikmah", books_start=date(2026, 1, 1))
    err = _refusal(coop, date(2025, 12, 31))
    assert err.code == "before_books_start" and "date" in err.fields and "01/01/2026" in str(err.message)
    assert _sale(coop, date(2026, 1, 1)).number == "KM/2026/000001"


def test_no_entry_after_today_in_the_cooperatives_time_zone(build, ledger_today):
    coop = build.coop("alhikmah")
    ledger_today(date(2026, 12, 7))
    err = _refusal(coop, date(2026, 12, 8))
    assert err.code == "future_date" and "date" in err.fields
    assert _sale(coop, date(2026, 12, 7)).number == "KM/2026/000001"


def test_period_closed_wins_then_before_books_start_then_future_date(build, closed_2025, ledger_today):
    coop, _admin = closed_2025
    coop.books_start = date(2025, 3, 1)
    db.session.commit()
    assert _refusal(coop, date(2025, 2, 1)).code == "period_closed"  # before the start too, but closed first
    late = build.coop("baru", books_start=date(2026, 6, 1))
    assert _refusal(late, date(2026, 5, 31)).code == "before_books_start"
    periods.close_month(late, 2026, 5, actor=build.user("ketua2", late, "admin"))
    assert _refusal(late, date(2026, 5, 31)).code == "period_closed"
    ledger_today(date(2026, 6, 30))
    periods.close_month(late, 2026, 7, actor=build.user("ketua3", late, "admin"))
    assert _refusal(late, date(2026, 7, 2)).code == "period_closed"  # a future month closed in advance
    assert _refusal(late, date(2026, 8, 2)).code == "future_date"


def test_the_default_books_start_is_the_first_day_of_the_current_fiscal_year(app_ctx):
    coop = tenancy.create_cooperative("juli", "Koperasi Juli", fiscal_year_start_month=7)
    assert coop.books_start == first_day_of_current_fiscal_year(7)
    assert coop.books_start.month == 7 and coop.books_start.day == 1


def test_modules_obey_the_ledger_rules(build, ledger_today):
    coop = build.coop("alhikmah", books_start=date(2026, 3, 1))
    savings.update_settings(coop, pokok_amount=Decimal(100_000), wajib_rates={"santri": Decimal(10_000)},
                            sukarela_earns_shu=False, default_account_id=None, actor=None)
    member = members.register_member(coop, members.MemberData(name="Siti", category="santri", join_date=date(2026, 1, 5)), actor=None)
    with pytest.raises(Exception) as err:
        savings.deposit(coop, member, "pokok", day=date(2026, 2, 1))
    assert err.value.code == "before_books_start"
    ledger_today(date(2026, 6, 1))
    with pytest.raises(Exception) as err:
        savings.deposit(coop, member, "pokok", day=date(2026, 6, 2))
    assert err.value.code == "future_date"


def test_arrears_count_from_the_later_of_join_date_and_books_start(build):
    coop = build.coop("alhikmah", books_start=date(2026, 7, 1))
    savings.update_settings(coop, pokok_amount=Decimal(100_000), wajib_rates={"santri": Decimal(10_000)},
                            sukarela_earns_shu=False, default_account_id=None, actor=None)
    old = members.register_member(coop, members.MemberData(name="Lama", category="santri", join_date=date(2020, 1, 5)), actor=None)
    new = members.register_member(coop, members.MemberData(name="Baru", category="santri", join_date=date(2026, 9, 5)), actor=None)
    assert savings.arrears(coop, old, as_of=date(2026, 12, 31)).months == [(2026, m) for m in range(7, 13)]
    assert savings.arrears(coop, new, as_of=date(2026, 12, 31)).months == [(2026, m) for m in range(9, 13)]


def test_a_join_date_lies_between_1950_and_today(build):
    coop = build.coop("alhikmah")
    with pytest.raises(members.MemberError) as err:
        members.register_member(coop, members.MemberData(name="Kakek", category="alumni", join_date=date(1949, 12, 31)), actor=None)
    assert "join_date" in err.value.fields
    assert members.register_member(coop, members.MemberData(name="Kakek", category="alumni", join_date=date(1950, 1, 1)), actor=None)


# --- moving the books start ------------------------------------------------------------------------

def test_the_books_start_moves_only_while_no_entry_lies_before_the_new_date(build):
    coop = build.coop("alhikmah", books_start=date(2026, 1, 1))
    admin = build.user("ketua", coop, "admin")
    tenancy.update_cooperative(coop, actor=admin, books_start=date(2025, 7, 1))  # earlier: nothing lies before
    assert coop.books_start == date(2025, 7, 1)
    _sale(coop, date(2025, 8, 1))
    with pytest.raises(tenancy.TenancyError) as err:
        tenancy.update_cooperative(coop, actor=admin, books_start=date(2025, 9, 1))
    assert err.value.code == "books_start_locked" and "books_start" in err.value.fields
    db.session.rollback()
    assert db.session.get(type(coop), coop.id).books_start == date(2025, 7, 1)
    with pytest.raises(tenancy.TenancyError) as err:
        tenancy.update_cooperative(coop, actor=admin, books_start=date(2099, 1, 1))
    assert err.value.code == "invalid_field"


def test_the_settings_page_shows_and_moves_the_books_start(client, build):
    coop = build.coop("alhikmah", books_start=date(2026, 1, 1))
    build.user("ketua", coop, "admin")
    login(client, "ketua")
    page = client.get("/alhikmah/settings").get_data(as_text=True)
    assert "Awal pembukuan" in page and 'value="2026-01-01"' in page
    form = {"name": coop.name, "fiscal_year_start_month": "1", "currency_decimals": "0", "locale": "id", "books_start": "2025-01-01"}
    assert client.post("/alhikmah/settings", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(type(coop), coop.id).books_start == date(2025, 1, 1)
    _sale(coop, date(2025, 2, 1))
    form["books_start"] = "2025-06-01"
    page = client.post("/alhikmah/settings", data=form).get_data(as_text=True)
    assert "Awal pembukuan tidak bisa dipindah" in page
    db.session.expire_all()
    assert db.session.get(type(coop), coop.id).books_start == date(2025, 1, 1)


def test_the_cli_sets_the_books_start(app, app_ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["coop", "create", "mulai", "--name", "Koperasi Mulai", "--books-start", "2024-07-01"])
    assert result.exit_code == 0, result.output
    assert tenancy.get_by_slug("mulai").books_start == date(2024, 7, 1)
    result = runner.invoke(args=["coop", "create", "salah", "--name", "Koperasi Salah", "--books-start", "2024-13-01"])
    assert result.exit_code == 2 and tenancy.get_by_slug("salah") is None


def test_the_opening_balance_is_dated_on_the_books_start(build):
    from koppontren.ledger import opening

    coop = build.coop("alhikmah", books_start=date(2026, 1, 1))
    plan = opening.OpeningPlan(lines=[LineSpec("1101", debit=Decimal(1_000_000)), LineSpec("3104", credit=Decimal(1_000_000))])
    entry = opening.post_opening(coop, plan, actor=None)
    assert entry.entry_date == date(2026, 1, 1)


def test_an_opening_balance_dated_elsewhere_moves_the_books_start_while_it_is_the_first_entry(build):
    from koppontren.ledger import opening

    coop = build.coop("alhikmah", books_start=date(2026, 1, 1))
    plan = opening.OpeningPlan(lines=[LineSpec("1101", debit=Decimal(1_000_000)), LineSpec("3104", credit=Decimal(1_000_000))])
    assert opening.post_opening(coop, plan, entry_date=date(2025, 7, 1), actor=None).entry_date == date(2025, 7, 1)
    assert coop.books_start == date(2025, 7, 1)
    other = build.coop("lain", books_start=date(2026, 1, 1))
    _sale(other, date(2026, 2, 1))
    with pytest.raises(LedgerError) as err:
        opening.post_opening(other, plan, entry_date=date(2026, 3, 1), actor=None)
    assert err.value.code == "entries_before_opening"


# --- the API ---------------------------------------------------------------------------------------

def _journal(day: str) -> dict:
    return {"date": day, "description": "Bayar listrik", "lines": [{"account": "4201", "credit": "150000"},
                                                                     {"account": "1101", "debit": "150000"}]}


def test_the_api_refuses_each_date_with_its_code_and_the_date_field(build, client, ledger_today):
    from koppontren.auth import tokens

    coop = build.coop("alhikmah", books_start=date(2025, 1, 1))
    admin = build.user("ketua", coop, "admin")
    treasurer = build.user("bendahara", coop, "treasurer")
    _sale(coop, date(2025, 3, 1))
    periods.close_year(coop, 2025, actor=admin)
    ledger_today(date(2026, 12, 7))
    headers = {"Authorization": f"Bearer {tokens.create_token(coop, treasurer)[1]}"}
    url = "/api/v1/coops/alhikmah/journal-entries"
    before = _neraca(coop, date(2025, 12, 31))
    for day, code in (("2001-01-15", "period_closed"), ("2025-06-30", "period_closed"), ("2026-12-08", "future_date")):
        r = client.post(url, json=_journal(day), headers=headers)
        assert r.status_code == 422 and r.json["error"]["code"] == code and "date" in r.json["error"]["fields"], (day, r.json)
    assert _neraca(coop, date(2025, 12, 31)) == before
    assert client.get("/api/v1/coops/alhikmah", headers=headers).json["books_start"] == "2025-01-01"
    late = build.coop("baru", books_start=date(2026, 6, 1))
    late_headers = {"Authorization": f"Bearer {tokens.create_token(late, build.user('bendahara2', late, 'treasurer'))[1]}"}
    r = client.post("/api/v1/coops/baru/journal-entries", json=_journal("2026-05-31"), headers=late_headers)
    assert r.status_code == 422 and r.json["error"]["code"] == "before_books_start" and "date" in r.json["error"]["fields"]
    assert client.post("/api/v1/coops/alhikmah/journal-entries", json=_journal("2026-12-07"), headers=headers).status_code == 201


# --- a property --------------------------------------------------------------------------------------

postings = st.lists(st.tuples(st.integers(min_value=-800, max_value=400), st.integers(min_value=1, max_value=10**9)),
                    min_size=1, max_size=25)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(postings)
def test_random_dated_postings_never_change_a_closed_year(app, seq):
    """Postings dated anywhere from two years before to a year after the close: those in a closed year
    are refused with period_closed and the closed year's Neraca stays what it was."""
    empty_database(app)
    with app.app_context():
        build = Builder()
        coop = build.coop("acak", books_start=date(2024, 1, 1))
        admin = build.user("ketua", coop, "admin")
        _sale(coop, date(2024, 5, 1))
        _sale(coop, date(2025, 5, 1))
        periods.close_year(coop, 2024, actor=admin)
        periods.close_year(coop, 2025, actor=admin)
        frozen = {day: _neraca(coop, day) for day in (date(2024, 12, 31), date(2025, 12, 31))}
        for offset, amount in seq:
            day = date(2026, 1, 1) + timedelta(days=offset)
            try:
                _sale(coop, day, amount)
            except LedgerError as err:
                assert day.year <= 2025 and err.code in ("period_closed", "before_books_start"), (day, err.code)
            else:
                assert day.year >= 2026, day
        assert {day: _neraca(coop, day) for day in frozen} == frozen
