"""The santri wallet's treasurer pages over HTTP: who may open and do what, the forms' happy paths
with the figures a treasurer checks, refusals shown in Indonesian with nothing written, another
cooperative's santri answering 404, the card sheet PDF and the wali's login slip."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from koppontren.auth import services as auth
from koppontren.extensions import db
from koppontren.ledger import chart
from koppontren.ledger import queries as ledger_queries
from koppontren.wallet import cards, limits
from koppontren.wallet import services as wallet
from koppontren.wallet.models import Santri, WalletTransaction
from tests.helpers import login

BASE = "/alhikmah"


@pytest.fixture
def people(build):
    """A cooperative with one person per role (and a wali of no santri yet), and another cooperative."""
    coop = build.coop("alhikmah")
    for login_name, role in (("bendahara", "treasurer"), ("ketua", "admin"), ("kasir", "cashier"), ("pengawas", "auditor"),
                             ("anggota", "member"), ("wali", "wali")):
        build.user(login_name, coop, role)
    other = build.coop("annur")
    build.user("bendahara.b", other, "treasurer")
    return coop, other


@pytest.fixture
def ahmad(people):
    coop, _other = people
    santri = wallet.create_santri(coop, wallet.SantriData(nis="1001", name="Ahmad Fauzi", kelas="7A", asrama="Al-Fatih"))
    santri.card_token = cards.issue_card(coop, santri).token
    wallet.topup(coop, santri, amount=Decimal(50_000), method="bank", reference="TRF-1")
    return santri


@pytest.fixture
def foreign(people):
    _coop, other = people
    return wallet.create_santri(other, wallet.SantriData(nis="9001", name="Santri Lain"))


def _text(response) -> str:
    return response.get_data(as_text=True)


def _txs() -> int:
    return db.session.scalar(select(func.count()).select_from(WalletTransaction))


def _balance(santri_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Santri, santri_id).balance


VIEW_PAGES = ["/wallet/santri", "/wallet/santri/{s}", "/wallet/daily"]
MANAGE_PAGES = ["/wallet/santri/new", "/wallet/santri/{s}/edit", "/wallet/santri/{s}/topup", "/wallet/santri/{s}/refund",
                "/wallet/santri/{s}/limits", "/wallet/settings", "/wallet/import", "/wallet/topups/import", "/wallet/cards",
                "/wallet/import/template.csv", "/wallet/import/template.xlsx", "/wallet/topups/import/template.csv"]
LEDGER_PAGES = ["/wallet/reconciliation"]
ALL = VIEW_PAGES + MANAGE_PAGES + LEDGER_PAGES


@pytest.mark.parametrize(("login_name", "allowed"), [
    ("bendahara", ALL),
    ("ketua", ALL),
    ("kasir", VIEW_PAGES),
    ("pengawas", VIEW_PAGES + LEDGER_PAGES),
    ("anggota", []),
    ("wali", []),
])
def test_each_role_opens_exactly_its_wallet_pages(client, ahmad, login_name, allowed):
    login(client, login_name)
    for page in ALL:
        path = BASE + page.format(s=ahmad.id)
        status = client.get(path).status_code
        assert status == (200 if page in allowed else 403), (path, status)


def test_another_cooperatives_santri_is_not_found_on_every_santri_page(client, ahmad, foreign):
    login(client, "bendahara")
    for page in [p for p in ALL if "{s}" in p]:
        assert client.get(BASE + page.format(s=foreign.id)).status_code == 404, page
    for action in ("topup", "refund", "limits", "wali", "card", "card/block", "edit"):
        assert client.post(f"{BASE}/wallet/santri/{foreign.id}/{action}", data={"amount": "1.000", "method": "cash"}).status_code == 404
    assert _balance(foreign.id) == 0


def test_list_searches_by_name_and_nis_and_shows_balances(client, ahmad, people):
    coop, _ = people
    wallet.create_santri(coop, wallet.SantriData(nis="1002", name="Siti Aminah", kelas="8B"))
    login(client, "kasir")
    page = _text(client.get(f"{BASE}/wallet/santri?q=ahmad"))
    assert 'data-nis="1001"' in page and 'data-nis="1002"' not in page and "50.000" in page
    page = _text(client.get(f"{BASE}/wallet/santri?q=1002"))
    assert 'data-nis="1002"' in page and 'data-nis="1001"' not in page
    assert "Rp50.000" in _text(client.get(f"{BASE}/wallet/santri"))  # Σ balances = what 2113 holds


def test_treasurer_registers_and_edits_a_santri(client, people):
    coop, _ = people
    login(client, "bendahara")
    response = client.post(f"{BASE}/wallet/santri/new", data={"nis": "2001", "name": "Umar  Faruq", "kelas": "9A", "asrama": "B"})
    assert response.status_code == 302
    santri = wallet.get_by_nis(coop, "2001")
    assert santri.name == "Umar Faruq" and santri.balance == 0 and santri.active
    response = client.post(f"{BASE}/wallet/santri/{santri.id}/edit", data={"nis": "2001", "name": "Umar Al-Faruq", "kelas": "9B",
                                                                           "active": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert wallet.get_by_nis(coop, "2001").kelas == "9B"
    # closing the wallet: the box unticked
    assert client.post(f"{BASE}/wallet/santri/{santri.id}/edit", data={"nis": "2001", "name": "Umar Al-Faruq"}).status_code == 302
    db.session.expire_all()
    assert not wallet.get_by_nis(coop, "2001").active


def test_a_duplicate_nis_is_refused_in_indonesian_and_nothing_is_written(client, ahmad):
    login(client, "bendahara")
    response = client.post(f"{BASE}/wallet/santri/new", data={"nis": "1001", "name": "Orang Lain"})
    assert response.status_code == 422
    assert "NIS 1001 sudah dipakai" in _text(response)
    assert db.session.scalar(select(func.count()).select_from(Santri)) == 1


def test_topup_by_bank_credits_2113_and_debits_1112(client, ahmad, people):
    coop, _ = people
    login(client, "bendahara")
    page = client.get(f"{BASE}/wallet/santri/{ahmad.id}/topup")
    assert page.status_code == 200
    response = client.post(f"{BASE}/wallet/santri/{ahmad.id}/topup",
                           data={"amount": "25.000", "method": "bank", "date": "2026-12-01", "reference": "TRF-2", "idempotency_key": "k-1"},
                           follow_redirects=True)
    assert response.status_code == 200 and "Saldo sekarang Rp75.000" in _text(response)
    assert _balance(ahmad.id) == 7_500_000
    wallet_account, bank = chart.account_for(coop, "santri_wallet"), chart.account_for(coop, "bank_santri")
    assert abs(ledger_queries.balance_of(coop, wallet_account)) == 7_500_000
    assert abs(ledger_queries.balance_of(coop, bank)) == 7_500_000
    # the same form posted again (a double click) records once
    client.post(f"{BASE}/wallet/santri/{ahmad.id}/topup",
                data={"amount": "25.000", "method": "bank", "date": "2026-12-01", "reference": "TRF-2", "idempotency_key": "k-1"})
    assert _balance(ahmad.id) == 7_500_000


@pytest.mark.parametrize("amount", ["", "abc", "-5.000", "0", "1.000,5"])
def test_a_bad_topup_amount_is_refused_and_nothing_is_written(client, ahmad, amount):
    login(client, "bendahara")
    before = _txs()
    response = client.post(f"{BASE}/wallet/santri/{ahmad.id}/topup", data={"amount": amount, "method": "bank", "date": "2026-12-01"})
    assert response.status_code == 422
    assert "alert-danger" in _text(response)
    assert _txs() == before and _balance(ahmad.id) == 5_000_000


def test_a_refund_above_the_balance_is_refused_with_the_balance_shown(build, client, people, ahmad):
    build.fund(people[0], 1_000_000, date(2026, 11, 30))  # Kas Besar pays the refund (the top-up came by bank)
    login(client, "bendahara")
    response = client.post(f"{BASE}/wallet/santri/{ahmad.id}/refund", data={"amount": "60.000", "method": "cash", "date": "2026-12-01"})
    assert response.status_code == 422
    assert "hanya Rp50.000" in _text(response)
    assert _balance(ahmad.id) == 5_000_000
    response = client.post(f"{BASE}/wallet/santri/{ahmad.id}/refund", data={"amount": "50.000", "method": "cash", "date": "2026-12-01"})
    assert response.status_code == 302 and _balance(ahmad.id) == 0


def test_the_cashier_may_not_top_up(client, ahmad):
    login(client, "kasir")
    assert client.post(f"{BASE}/wallet/santri/{ahmad.id}/topup", data={"amount": "5.000", "method": "cash"}).status_code == 403
    assert _balance(ahmad.id) == 5_000_000


def test_limits_and_settings_are_saved_and_bad_ones_refused(client, ahmad, people):
    coop, _ = people
    login(client, "bendahara")
    response = client.post(f"{BASE}/wallet/settings", data={"limit_daily": "15.000", "limit_weekly": "", "limit_monthly": "300.000",
                                                            "exempt_categories": "kitab\nBuku\nalat tulis"})
    assert response.status_code == 302
    settings = limits.get_settings(coop)
    assert settings.limits.daily == 1_500_000 and settings.limits.weekly is None and settings.is_exempt(" BUKU ")
    response = client.post(f"{BASE}/wallet/santri/{ahmad.id}/limits", data={"daily": "10.000", "weekly": "", "monthly": ""})
    assert response.status_code == 302
    assert wallet.spending(coop, wallet.get_santri(coop, ahmad.id)).limits.daily == 1_000_000
    response = client.post(f"{BASE}/wallet/santri/{ahmad.id}/limits", data={"daily": "sepuluh ribu"})
    assert response.status_code == 422
    db.session.expire_all()
    assert wallet.get_santri(coop, ahmad.id).limit_daily == 1_000_000
    response = client.post(f"{BASE}/wallet/settings", data={"limit_daily": "x", "exempt_categories": ""})
    assert response.status_code == 422 and limits.get_settings(coop).limits.daily == 1_500_000


def _issued_tokens(response) -> list[str]:
    """The clear tokens the page after a card issue carries to its print button."""
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    return _text(response).split('id="card-tokens" value="')[1].split('"')[0].split()


def _print(client, tokens) -> object:
    return client.post(f"{BASE}/wallet/cards/print", data={"tokens": "\n".join(tokens), "filename": "kartu-1001.pdf"})


def _pdf_text(response) -> tuple[int, str]:
    assert response.status_code == 200 and response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert response.headers["Cache-Control"] == "no-store"
    reader = PdfReader(io.BytesIO(response.data))
    return len(reader.pages), " ".join(p.extract_text() for p in reader.pages)


def test_card_reissue_blocks_the_old_token_prints_the_new_card_and_block_stops_it(client, ahmad, people):
    coop, _ = people
    login(client, "bendahara")
    old = ahmad.card_token
    [new] = _issued_tokens(client.post(f"{BASE}/wallet/santri/{ahmad.id}/card"))
    assert new != old
    with pytest.raises(wallet.WalletError):
        cards.find_by_token(coop, old)
    assert cards.find_by_token(coop, new).id == ahmad.id
    pages, text = _pdf_text(_print(client, [new]))
    assert pages == 1 and "Ahmad Fauzi" in text and "NIS 1001" in text
    assert _print(client, [old]).status_code == 302  # the blocked card prints no more
    assert client.post(f"{BASE}/wallet/santri/{ahmad.id}/card/block").status_code == 302
    assert cards.active_card(coop, ahmad) is None
    response = _print(client, [new])  # nor does a blocked card's token, even from its own page
    assert response.status_code == 302 and response.headers["Location"].endswith("/wallet/cards")
    assert "ganti kartunya" in _text(client.get(response.headers["Location"]))


def test_a_card_sheet_prints_only_the_cards_just_issued_and_reissuing_a_class_reprints_it(client, ahmad, people):
    coop, _ = people
    for n in range(11):
        wallet.create_santri(coop, wallet.SantriData(nis=f"30{n:02d}", name=f"Santri Nomor {n}", kelas="7A"))
    login(client, "bendahara")
    tokens = _issued_tokens(client.post(f"{BASE}/wallet/cards/issue", data={"kelas": "7A"}))
    assert len(tokens) == 11  # Ahmad (7A) had a card: it is not in the sheet
    pages, text = _pdf_text(_print(client, tokens))
    assert pages == 2 and "Santri Nomor 10" in text and "Ahmad Fauzi" not in text
    assert client.post(f"{BASE}/wallet/cards/issue", data={"kelas": "7A"}).status_code == 302  # nobody is missing one now
    # reprinting the class: only with the box ticked, then every card is new and the old ones are blocked
    assert client.post(f"{BASE}/wallet/cards/reissue", data={"kelas": "7A"}).status_code == 302
    assert cards.find_by_token(coop, ahmad.card_token).id == ahmad.id
    again = _issued_tokens(client.post(f"{BASE}/wallet/cards/reissue", data={"kelas": "7A", "confirm": "1"}))
    assert len(again) == 12 and not set(again) & set(tokens)
    for old in [*tokens, ahmad.card_token]:
        with pytest.raises(wallet.WalletError):
            cards.find_by_token(coop, old)
    pages, text = _pdf_text(_print(client, again))
    assert pages == 2 and "Ahmad Fauzi" in text and "Santri Nomor 10" in text
    assert _print(client, tokens).status_code == 302 and _print(client, [*again, tokens[0]]).status_code == 302  # one stale: none


def test_printing_refuses_unknown_foreign_and_malformed_tokens_and_other_roles(app, client, ahmad, foreign, people):
    coop, other = people
    their = cards.issue_card(other, foreign).token
    login(client, "bendahara")
    for tokens in ([], [wallet.new_token()], [their], ["' OR 1=1 --"], [ahmad.card_token, their], ["x" * 70] * 2):
        response = _print(client, tokens)
        assert response.status_code == 302, tokens
    assert _pdf_text(_print(client, [ahmad.card_token, ahmad.card_token]))[0] == 1  # a repeat prints once
    for login_name in ("kasir", "pengawas", "wali"):
        someone = app.test_client()
        login(someone, login_name)
        assert _print(someone, [ahmad.card_token]).status_code == 403
        assert someone.post(f"{BASE}/wallet/cards/reissue", data={"kelas": "", "confirm": "1"}).status_code == 403
    stranger = app.test_client()
    login(stranger, "bendahara.b")  # another cooperative's treasurer, with our token: our pages don't exist for them
    assert _print(stranger, [ahmad.card_token]).status_code == 404
    assert cards.find_by_token(coop, ahmad.card_token).id == ahmad.id  # nothing reissued by the refusals


def test_linking_a_new_wali_shows_a_one_time_password_the_wali_can_log_in_with(client, ahmad, people):
    coop, _ = people
    login(client, "bendahara")
    response = client.post(f"{BASE}/wallet/santri/{ahmad.id}/wali", data={"login": "wali.ahmad", "name": "Bapak Fauzi"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = _text(response)
    password = page.split('id="slip-password">')[1].split("<")[0]
    assert "wali.ahmad" in page and len(password) >= 8
    user = auth.get_user_by_login("wali.ahmad")
    assert wallet.is_wali_of(coop, user, ahmad) and user.must_change_password
    slip = client.post(f"{BASE}/wallet/santri/{ahmad.id}/wali/slip.pdf", data={"login": "wali.ahmad", "password": password})
    assert slip.mimetype == "application/pdf" and slip.headers["Cache-Control"] == "no-store"
    slip_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(slip.data)).pages)
    assert "wali.ahmad" in slip_text and password in slip_text and "Ahmad Fauzi" in slip_text
    stale = client.post(f"{BASE}/wallet/santri/{ahmad.id}/wali/slip.pdf", data={"login": "wali.ahmad", "password": "tebakan-salah"})
    assert stale.status_code == 302  # only the account's unused one-time password prints
    client.post("/logout")
    assert login(client, "wali.ahmad", password).status_code == 302
    # an existing login is linked without a new password; an unknown login without a name is refused
    client.post("/logout")
    login(client, "bendahara")
    assert client.post(f"{BASE}/wallet/santri/{ahmad.id}/wali", data={"login": "wali"}).status_code == 302
    assert wallet.is_wali_of(coop, auth.get_user_by_login("wali"), ahmad)
    response = client.post(f"{BASE}/wallet/santri/{ahmad.id}/wali", data={"login": "belum.ada"}, follow_redirects=True)
    assert "belum ada" in _text(response) and auth.get_user_by_login("belum.ada") is None


def test_reconciliation_shows_the_cash_in_transit_until_the_treasurer_records_it(client, ahmad, people):
    from koppontren.wallet.models import WalletTransit

    _coop, _ = people
    login(client, "bendahara")
    client.post(f"{BASE}/wallet/santri/{ahmad.id}/topup", data={"amount": "20.000", "method": "cash", "date": "2026-12-01"})
    page = _text(client.get(f"{BASE}/wallet/reconciliation"))
    # Σ balances 70.000 = 2113 70.000; bank 1112 holds 50.000: 20.000 of cash not yet deposited
    assert '<tr data-line="balances"><th>Jumlah saldo semua dompet santri</th><td class="amount">70.000' in page
    assert 'data-line="difference"' in page and "20.000</strong>" in page and "alert-danger" in page
    bad = client.post(f"{BASE}/wallet/reconciliation/transit", data={"date": "2026-12-01", "amount": "dua puluh", "direction": "to_bank",
                                                                     "description": "Setoran tunai"})
    assert bad.status_code == 422 and db.session.scalar(select(func.count()).select_from(WalletTransit)) == 0
    response = client.post(f"{BASE}/wallet/reconciliation/transit", data={"date": "2026-12-01", "amount": "20.000",
                                                                          "direction": "to_bank", "description": "Setoran tunai"})
    assert response.status_code == 302
    page = _text(client.get(f"{BASE}/wallet/reconciliation"))
    assert "Cocok: tidak ada selisih." in page and "alert-danger" not in page
    item = db.session.scalar(select(WalletTransit))
    assert item.amount == 2_000_000
    client.post("/logout")
    login(client, "pengawas")
    assert client.post(f"{BASE}/wallet/reconciliation/transit/{item.id}/clear").status_code == 403
    client.post("/logout")
    login(client, "bendahara")
    assert client.post(f"{BASE}/wallet/reconciliation/transit/{item.id}/clear").status_code == 302
    assert client.post(f"{BASE}/wallet/reconciliation/transit/999999/clear").status_code == 404
    db.session.expire_all()
    assert db.session.get(WalletTransit, item.id).cleared_on is not None


def test_the_daily_report_counts_each_persons_wallet_work(client, ahmad, people):
    _coop, _ = people
    login(client, "bendahara")
    client.post(f"{BASE}/wallet/santri/{ahmad.id}/topup", data={"amount": "20.000", "method": "cash", "date": "2026-12-01"})
    client.post(f"{BASE}/wallet/santri/{ahmad.id}/refund", data={"amount": "5.000", "method": "cash", "date": "2026-12-01"})
    treasurer = auth.get_user_by_login("bendahara")
    client.post("/logout")
    login(client, "kasir")
    page = _text(client.get(f"{BASE}/wallet/daily?day=2026-12-01"))
    row = page.split(f'data-user="{treasurer.id}"')[1].split("</tr>")[0]
    assert "20.000 (1)" in row and "5.000 (1)" in row
    assert "Tidak ada transaksi" in _text(client.get(f"{BASE}/wallet/daily?day=2026-11-01"))


def test_the_pos_offers_the_santri_wallet_with_a_card_scan_field(client, people):
    login(client, "kasir")
    page = _text(client.get(f"{BASE}/shop/pos"))
    assert 'id="pay-wallet" value="wallet"' in page and 'id="card-scan"' in page and "Dompet santri" in page



def test_wtforms_own_messages_are_in_the_users_language(app, client, ahmad):
    """WTForms ships no Indonesian: a bad choice must not answer "Not a valid choice." on an
    Indonesian page (koppontren/site/forms.py); English keeps WTForms' own text."""
    login(client, "bendahara")
    before = _txs()
    response = client.post(f"{BASE}/wallet/santri/{ahmad.id}/topup", data={"amount": "25.000", "method": "gopay", "date": "2026-12-01"})
    text = _text(response)
    assert "Pilihan tidak sah." in text and "Not a valid choice" not in text
    assert _txs() == before
    from wtforms import SelectField

    from koppontren.site.forms import FlaskForm

    class Choice(FlaskForm):
        method = SelectField(choices=["cash"])

    with app.test_request_context(method="POST", data={"method": "gopay"}):
        form = Choice(meta={"csrf": False})
        assert not form.validate() and form.method.errors == ["Pilihan tidak sah."]
    with app.test_request_context(method="POST", data={"method": "gopay"}):
        from flask import session
        from flask_babel import refresh

        session["lang"] = "en"
        refresh()  # the test's app context keeps the locale of the request before
        form = Choice(meta={"csrf": False})
        assert not form.validate() and form.method.errors == ["Not a valid choice."]
