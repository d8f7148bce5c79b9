"""The wali portal over HTTP: a wali lands on it after logging in, sees only their own santri (with
balance, limits, and every purchase with its items, time and place), may lower a limit but never
raise it above the cooperative's, and another santri's page answers 404. Other roles are refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from koppontren.extensions import db
from koppontren.wallet import limits
from koppontren.wallet import services as wallet
from tests.helpers import login
from tests.wallet.conftest import buy

BASE = "/alhikmah"


@pytest.fixture
def family(coop, treasurer, cashier, santri, build, stocked):
    """Wali "bapak" of Ahmad (santri fixture, Rp50.000), who bought 2 snacks and a kitab at the
    cashier; wali "ibu" of Siti only; daily limit Rp15.000 set by the cooperative."""
    snack, kitab = stocked
    limits.update_settings(coop, limit_daily=Decimal(15_000), limit_weekly=None, limit_monthly=None,
                           exempt_categories=["kitab", "buku"], actor=treasurer)
    bapak = build.user("bapak", coop, name="Bapak Fauzi")
    wallet.link_wali(coop, santri, bapak, actor=treasurer)
    siti = wallet.create_santri(coop, wallet.SantriData(nis="1002", name="Siti Aminah"), actor=treasurer)
    ibu = build.user("ibu", coop, name="Ibu Aminah")
    wallet.link_wali(coop, siti, ibu, actor=treasurer)
    buy(coop, santri.card_token, (snack, 2), (kitab, 1), actor=cashier)
    build.user("pengawas", coop, "auditor")
    build.user("anggota", coop, "member")
    return santri, siti


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_a_wali_lands_on_the_portal_and_sees_their_santri_and_purchases(client, family):
    ahmad, _siti = family
    response = login(client, "bapak", follow=True)
    assert response.request.path == f"{BASE}/me/santri"
    page = _text(response)
    assert 'data-nis="1001"' in page and 'data-nis="1002"' not in page and "Siti" not in page
    assert "Rp20.000" in page  # 50.000 − 2 × 5.000 − 20.000 (the kitab, exempt from the limit)
    assert "2 × Chiki" in page and "1 × Kitab Safinah" in page and "Koperasi — kasir Ani Kasir" in page
    assert "Rp5.000" in page  # left today of the Rp15.000 limit: the snacks counted, the kitab did not
    detail = _text(client.get(f"{BASE}/me/santri/{ahmad.id}"))
    assert "Ahmad Fauzi" in detail and 'data-kind="purchase"' in detail and 'data-kind="topup"' in detail


def test_another_walis_santri_answers_404(client, family):
    _ahmad, siti = family
    login(client, "bapak")
    assert client.get(f"{BASE}/me/santri/{siti.id}").status_code == 404
    assert client.post(f"{BASE}/me/santri/{siti.id}/limits", data={"daily": "1.000"}).status_code == 404
    assert client.get(f"{BASE}/me/santri/999999").status_code == 404
    db.session.expire_all()
    assert db.session.get(type(siti), siti.id).wali_limit_daily is None  # the refused POST wrote nothing


def test_a_wali_lowers_a_limit_but_cannot_raise_it_above_the_cooperatives(client, family, coop):
    ahmad, _siti = family
    login(client, "bapak")
    response = client.post(f"{BASE}/me/santri/{ahmad.id}/limits", data={"daily": "10.000", "weekly": "", "monthly": ""})
    assert response.status_code == 302
    db.session.expire_all()
    fresh = wallet.get_santri(coop, ahmad.id)
    assert fresh.wali_limit_daily == 1_000_000 and wallet.spending(coop, fresh).limits.daily == 1_000_000
    response = client.post(f"{BASE}/me/santri/{ahmad.id}/limits", data={"daily": "20.000"})
    assert response.status_code == 422
    assert "Paling tinggi Rp15.000" in _text(response) and "hanya dapat menurunkan" in _text(response)
    db.session.expire_all()
    assert wallet.get_santri(coop, ahmad.id).wali_limit_daily == 1_000_000
    response = client.post(f"{BASE}/me/santri/{ahmad.id}/limits", data={"daily": "-1"})
    assert response.status_code == 422
    db.session.expire_all()
    assert wallet.get_santri(coop, ahmad.id).wali_limit_daily == 1_000_000


@pytest.mark.parametrize("login_name", ["bendahara", "kasir", "pengawas", "anggota"])
def test_other_roles_cannot_open_the_wali_portal(client, family, login_name):
    ahmad, _siti = family
    login(client, login_name)
    assert client.get(f"{BASE}/me/santri").status_code == 403
    assert client.get(f"{BASE}/me/santri/{ahmad.id}").status_code == 403
    assert client.post(f"{BASE}/me/santri/{ahmad.id}/limits", data={"daily": "1.000"}).status_code == 403


def test_a_wali_cannot_open_the_treasurers_wallet_pages(client, family):
    ahmad, _siti = family
    login(client, "bapak")
    for path in ("/wallet/santri", f"/wallet/santri/{ahmad.id}", "/wallet/daily", "/shop/pos", "/members"):
        assert client.get(BASE + path).status_code == 403, path
    assert client.post(f"{BASE}/wallet/santri/{ahmad.id}/topup", data={"amount": "5.000", "method": "cash"}).status_code == 403


def test_a_wali_of_no_santri_sees_a_hint(client, coop, build):
    build.user("wali.baru", coop, "wali")
    response = login(client, "wali.baru", follow=True)
    assert response.request.path == f"{BASE}/me/santri" and 'id="portal-no-santri"' in _text(response)
