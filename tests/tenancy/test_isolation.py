"""Tenant isolation and role checks over every route of the app (walks ``app.url_map``)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from koppontren.cashbank import services as cashbank
from koppontren.ledger.periods import close_year
from koppontren.ledger.posting import LineSpec, post_entry
from koppontren.members.services import MemberData, register_member
from koppontren.savings import services as savings
from koppontren.shop import receivables
from koppontren.shop import services as shop
from koppontren.shu import services as shu
from koppontren.wallet import services as wallet
from tests.helpers import login

#: Values for URL parameters other than the cooperative slug when walking the map.
SAMPLE_ARGS = {"user_id": "1", "page": "1", "code": "1101", "entry_id": "1", "member_id": "1", "tx_id": "1", "sale_id": "1",
               "payment_id": "1", "product_id": "1", "party_id": "1", "purchase_id": "1",
               "report": "balance-sheet", "token_id": "1", "year": "2026", "santri_id": "1", "transit_id": "1",
               "number": "MK/2026/000001"}


def _coop_paths(app, slug: str, method: str = "GET") -> list[str]:
    """Every cooperative URL answering ``method``, filled in for ``slug``."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "coop_slug" not in rule.arguments or method not in rule.methods:
            continue
        path = rule.rule.replace("<coop_slug>", slug)
        paths.append(re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: SAMPLE_ARGS[m.group(1)], path))
    return paths


def _coop_get_paths(app, slug: str) -> list[str]:
    return _coop_paths(app, slug, "GET")


@pytest.fixture
def two_coops(build):
    a = build.coop("coop-a")
    b = build.coop("coop-b")
    build.user("admin.a", a, "admin")
    build.user("admin.b", b, "admin")
    build.user("anggota.a", a, "member")
    build.user("operator", None, operator=True)
    # one journal entry (id 1, SAMPLE_ARGS["entry_id"]) so that the walk finds a real entry page in A
    post_entry(a, entry_date=date(2026, 3, 10), description="Contoh", lines=[LineSpec("1101", debit=1000), LineSpec("4201", credit=1000)])
    # cash transfer MK/2026/000001 (Kas Besar → bank), so its API path is real
    cashbank.transfer_cash(a, date=date(2026, 3, 10), from_account="1101", to_account="1111", amount=Decimal(500))
    # member 1 with savings transaction 1 (SAMPLE_ARGS), so member, passbook and kwitansi pages are real
    member = register_member(a, MemberData(name="Siti Aminah", category="santri", join_date=date(2026, 1, 5)), actor=None)
    savings.deposit(a, member, "sukarela", amount=Decimal(25_000), day=date(2026, 3, 11))
    # supplier 1, product 1, purchase 1, sale 1 on credit and its pelunasan, payment 1 (SAMPLE_ARGS): the shop's pages are real
    supplier = shop.create_party(a, kind="supplier", code="S1", name="CV Pemasok")
    product = shop.create_product(a, shop.ProductData(sku="P1", name="Sabun", price=Decimal(1_000)))
    shop.record_purchase(a, party_id=supplier.id, items=[shop.PurchaseItem(product.id, 2, Decimal(500))], day=date(2026, 3, 11))
    shop.set_credit_limit(a, "santri", Decimal(10_000))
    shop.record_sale(a, member_id=member.id, payment="credit", items=[shop.SaleItem(product.id, 1)], day=date(2026, 3, 12))
    receivables.pay_receivable(a, member.id, amount=Decimal(1_000), day=date(2026, 3, 13))
    # santri 1 (NIS 1001, API_ARGS["nis"]) with a card, a top-up (wallet transaction 1) and a sale paid by wallet: the wallet is real
    santri = wallet.create_santri(a, wallet.SantriData(nis="1001", name="Ahmad Fauzi", kelas="7A"))
    card = wallet.issue_card(a, santri)
    wallet.topup(a, santri, amount=Decimal(10_000), method="bank", day=date(2026, 3, 14), reference="TRF-1")
    shop.record_sale(a, payment="wallet", card=card.token, items=[shop.SaleItem(product.id, 1)], day=date(2026, 3, 15))
    # 2026 closed with its SHU computed (SAMPLE_ARGS["year"]), so the SHU review, PDFs and slips are real
    close_year(a, 2026, actor=None)
    shu.compute_run(a, 2026, actor=None)
    return a, b


def test_the_walk_covers_every_cooperative_page(app):
    paths = _coop_get_paths(app, "x")
    assert "/x/" in paths and "/x/settings" in paths and "/x/users" in paths and "/x/audit" in paths


def test_a_user_of_cooperative_a_gets_404_on_every_url_of_cooperative_b(client, app, two_coops):
    login(client, "admin.a")
    for path in _coop_get_paths(app, "coop-b"):
        assert client.get(path).status_code == 404, path
    for path in _coop_paths(app, "coop-b", "POST"):
        assert client.post(path, data={"role": "admin", "action": "grant"}).status_code == 404, path
    # and the same pages of their own cooperative open — except the member portal, which only the
    # member role grants (an admin is not a member record)
    for path in _coop_get_paths(app, "coop-a"):
        expected = 403 if path == "/coop-a/me" or path.startswith("/coop-a/me/") else 200
        assert client.get(path).status_code == expected, path


def test_an_unknown_cooperative_looks_exactly_like_a_foreign_one(client, app, two_coops):
    login(client, "admin.a")
    for path in _coop_get_paths(app, "tidak-ada"):
        assert client.get(path).status_code == 404, path


def test_anonymous_visitors_are_sent_to_login_from_every_cooperative_page(client, app, two_coops):
    for path in _coop_get_paths(app, "coop-a"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next="), path


def test_a_platform_operator_without_a_role_sees_no_cooperative_pages(client, app, two_coops):
    login(client, "operator")
    for path in _coop_get_paths(app, "coop-a"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("path", ["/coop-a/settings", "/coop-a/users", "/coop-a/audit"])
def test_a_member_gets_403_on_management_pages(client, two_coops, path):
    login(client, "anggota.a")
    assert client.get(path).status_code == 403
    assert client.get("/coop-a/").status_code == 200


@pytest.mark.parametrize(
    "role, path, status",
    [
        ("treasurer", "/coop-a/settings", 403),
        ("treasurer", "/coop-a/users", 403),
        ("cashier", "/coop-a/audit", 403),
        ("auditor", "/coop-a/audit", 200),
        ("auditor", "/coop-a/settings", 403),
        ("admin", "/coop-a/settings", 200),
    ],
)
def test_roles_grant_exactly_their_pages(client, build, two_coops, role, path, status):
    a, _ = two_coops
    build.user(f"user.{role}", a, role)
    login(client, f"user.{role}")
    assert client.get(path).status_code == status


def test_role_change_of_a_user_from_another_cooperative_is_404(client, two_coops):
    from koppontren.auth.services import get_user_by_login

    other = get_user_by_login("admin.b")
    login(client, "admin.a")
    response = client.post(f"/coop-a/users/{other.id}/roles", data={"role": "admin", "action": "grant"})
    assert response.status_code == 404


def test_every_view_declares_who_may_open_it(app):
    """A new view without a permission decorator fails here instead of being open by accident."""
    missing = [
        endpoint for endpoint, view in app.view_functions.items()
        if not getattr(view, "required_permission", None) and not endpoint.endswith("static")
    ]
    assert missing == []
    coop_views = [
        rule.endpoint for rule in app.url_map.iter_rules() if "coop_slug" in rule.arguments
    ]
    for endpoint in coop_views:
        assert app.view_functions[endpoint].required_permission not in ("public", "login"), endpoint


def test_platform_pages_are_for_operators_only(client, two_coops):
    login(client, "admin.a")
    assert client.get("/platform/coops").status_code == 403
    assert client.get("/platform/coops/new").status_code == 403
    client.post("/logout")
    assert client.get("/platform/coops").status_code == 302
