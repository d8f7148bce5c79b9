"""The cash-transfer page (/<slug>/cash-transfers): the form with the cash accounts and their
balances, the confirmation of what will be posted, a double submit posting once, money in transit
and its "arrived" button, and who may do what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from koppontren.cashbank import services as cashbank
from koppontren.cashbank.models import CashTransfer
from koppontren.extensions import db
from koppontren.ledger.models import JournalEntry
from tests.cashbank.conftest import balance
from tests.helpers import login

URL = "/alhikmah/cash-transfers"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _form(day, **changes):
    return {"from_account": "1103", "to_account": "1111", "amount": "750.000", "date": day.isoformat(), "fee": "",
            "description": "", "arrival_date": "", "idempotency_key": "kunci-mk-1", **changes}


@pytest.fixture
def treasurer_client(client, funded, treasurer):
    login(client, "bendahara")
    return client


def test_the_page_offers_the_cash_accounts_with_their_balances(treasurer_client):
    page = treasurer_client.get(URL)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Mutasi kas" in text and 'id="transfer-form"' in text
    assert "1103 — Kas Toko (saldo Rp1.000.000)" in text and "1111 — Bank – Rekening Operasional (saldo Rp20.000.000)" in text
    assert "1105 —" not in text and "4101 —" not in text  # 1105 is never an end; revenue is no cash
    assert 'id="nav-cash-transfers"' in text


def test_check_shows_the_entry_then_confirm_posts_it_once(treasurer_client, funded, day):
    check = treasurer_client.post(URL, data=_form(day, fee="2.500"))
    text = check.get_data(as_text=True)
    assert check.status_code == 200 and 'id="confirm-form"' in text and "6109" in text and "752.500" in text
    assert _count(JournalEntry) == 1  # nothing posted yet
    done = treasurer_client.post(URL, data=_form(day, fee="2.500", confirmed="1"))
    assert done.status_code == 302 and done.headers["Location"].endswith(URL)
    assert (balance(funded, "1103"), balance(funded, "1111"), balance(funded, "6109")) == (247_500, 20_750_000, 2_500)
    again = treasurer_client.post(URL, data=_form(day, fee="2.500", confirmed="1"), follow_redirects=True)
    assert "sudah tercatat" in again.get_data(as_text=True)
    assert _count(CashTransfer) == 1 and _count(JournalEntry) == 2
    listed = treasurer_client.get(URL).get_data(as_text=True)
    assert f"MK/{day.year}/000001" in listed and "Selesai" in listed


@pytest.mark.parametrize(("changes", "message"), [
    ({"to_account": "1103"}, "Akun asal dan akun tujuan harus berbeda."),
    ({"amount": "0"}, "Jumlah harus lebih dari nol."),
    ({"amount": "satu juta"}, "bukan jumlah uang yang sah"),
    ({"to_account": "4101"}, "bukan akun kas atau bank"),
    ({"arrival_date": "2000-01-01"}, "Tanggal tiba tidak boleh sebelum tanggal kirim."),
])
@pytest.mark.parametrize("confirmed", ["", "1"])
def test_refusals_are_shown_on_the_form_and_write_nothing(treasurer_client, day, changes, message, confirmed):
    r = treasurer_client.post(URL, data=_form(day, confirmed=confirmed, **changes))
    assert r.status_code == 200 and message in r.get_data(as_text=True)
    assert _count(JournalEntry) == 1 and _count(CashTransfer) == 0


def test_a_ledger_refusal_is_a_clear_message(treasurer_client, funded, treasurer, day):
    from koppontren.ledger import periods

    old = day - timedelta(days=70)
    periods.close_month(funded, old.year, old.month, actor=treasurer)
    r = treasurer_client.post(URL, data=_form(day, date=old.isoformat(), confirmed="1"))
    assert r.status_code == 200 and "sudah ditutup" in r.get_data(as_text=True)
    assert _count(CashTransfer) == 0


def test_money_in_transit_is_listed_until_it_arrives(treasurer_client, funded, day):
    tomorrow = day + timedelta(days=1)
    check = treasurer_client.post(URL, data=_form(day, arrival_date=tomorrow.isoformat())).get_data(as_text=True)
    assert "1105" in check and "Sudah tiba" in check  # the arrival waits for its day
    treasurer_client.post(URL, data=_form(day, arrival_date=tomorrow.isoformat(), confirmed="1"))
    assert balance(funded, "1105") == 750_000
    page = treasurer_client.get(URL).get_data(as_text=True)
    assert 'id="in-transit"' in page and "Dalam perjalanan" in page
    number = f"MK/{day.year}/000001"
    arrived = treasurer_client.post(f"{URL}/{number}/arrive", data={"date": day.isoformat(), "idempotency_key": "tiba-x"},
                                    follow_redirects=True)
    assert "tiba" in arrived.get_data(as_text=True) and balance(funded, "1105") == 0 and balance(funded, "1111") == 20_750_000
    again = treasurer_client.post(f"{URL}/{number}/arrive", data={"date": day.isoformat(), "idempotency_key": "tiba-x"},
                                  follow_redirects=True)
    assert "sudah tercatat" in again.get_data(as_text=True) and _count(JournalEntry) == 3
    assert 'id="in-transit"' not in treasurer_client.get(URL).get_data(as_text=True)
    assert treasurer_client.post(f"{URL}/MK/2026/000099/arrive", data={"date": day.isoformat()}).status_code == 404


@pytest.mark.parametrize("role", ["cashier", "member"])
def test_cashiers_and_members_may_not_see_or_post(client, build, funded, day, role):
    build.user(f"u.{role}", funded, role)
    login(client, f"u.{role}")
    assert client.get(URL).status_code == 403
    assert client.post(URL, data=_form(day, confirmed="1")).status_code == 403
    assert client.post(f"{URL}/MK/2026/000001/arrive", data={"date": day.isoformat()}).status_code == 403
    assert _count(CashTransfer) == 0


def test_auditors_read_the_list_without_the_form(client, build, funded, treasurer, day):
    cashbank.transfer_cash(funded, date=day, from_account="1101", to_account="1102", amount=10, actor=treasurer)
    build.user("pengawas", funded, "auditor")
    login(client, "pengawas")
    page = client.get(URL)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and f"MK/{day.year}/000001" in text and 'id="transfer-form"' not in text
    assert client.post(URL, data=_form(day, confirmed="1")).status_code == 403


def test_another_cooperatives_user_gets_404(client, build, funded, day):
    other = build.coop("annur")
    build.user("bendahara.annur", other, "treasurer")
    login(client, "bendahara.annur")
    assert client.get(URL).status_code == 404
    assert client.post(URL, data=_form(day, confirmed="1")).status_code == 404
