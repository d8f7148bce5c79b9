"""API test helpers: a cooperative with a user and a token per role, another cooperative, and a
client that speaks JSON with a bearer token — all built through the services."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from koppontren.auth import tokens
from koppontren.clock import today
from koppontren.members import services as members
from koppontren.savings import services as savings
from koppontren.shop import services as shop

ROLES = ("admin", "treasurer", "cashier", "auditor", "member")


@dataclass
class Api:
    """A JSON client for one token: ``api.post("/journal-entries", {...}, key="k1")`` → response."""

    client: object
    token: str | None
    slug: str

    def url(self, path: str) -> str:
        return path if path.startswith("/api/") else f"/api/v1/coops/{self.slug}{path}"

    def headers(self, key: str | None = None, extra: dict | None = None) -> dict:
        h = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if key is not None:
            h["Idempotency-Key"] = key
        return {**h, **(extra or {})}

    def get(self, path: str, **params):
        return self.client.get(self.url(path), query_string=params, headers=self.headers())

    def post(self, path: str, body=None, key: str | None = None, raw: str | bytes | None = None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(self.url(path), data=data, content_type="application/json", headers=self.headers(key))

    def patch(self, path: str, body, key: str | None = None):
        return self.client.patch(self.url(path), data=json.dumps(body), content_type="application/json", headers=self.headers(key))


@pytest.fixture
def day(app_ctx) -> date:
    return today()


@pytest.fixture
def coop(build):
    coop = build.coop("alhikmah")
    savings.update_settings(coop, pokok_amount=Decimal(100_000), wajib_rates={"santri": Decimal(10_000), "ustadz": Decimal(25_000)},
                            sukarela_earns_shu=False, default_account_id=None, actor=None)
    return coop


@pytest.fixture
def other_coop(build):
    other = build.coop("annur")
    user = build.user("bendahara.annur", other, "treasurer")
    return other, tokens.create_token(other, user)[1]


@pytest.fixture
def users(build, coop):
    return {role: build.user(f"{role}.alhikmah", coop, role) for role in ROLES}


@pytest.fixture
def api_for(client, coop, users):
    made = {role: tokens.create_token(coop, users[role], f"token {role}")[1] for role in ROLES}

    def make(role: str | None) -> Api:
        return Api(client, made[role] if role else None, coop.slug)

    return make


@pytest.fixture
def api(api_for) -> Api:
    """The treasurer's client."""
    return api_for("treasurer")


@pytest.fixture
def member(coop, day):
    return members.register_member(coop, members.MemberData(name="Siti Aminah", category="santri", join_date=day.replace(month=1, day=5)),
                                   actor=None)


@pytest.fixture
def stocked(build, coop, day):
    """A supplier SUP-01, a customer C-01, beras BRS-5 (price 75.000, member price 72.000) with 10 bought at
    60.000, and kopi KOPI-PP (30.000) with 20 bought at 18.000, paid from Rp5.000.000 of participation
    capital paid in that day."""
    build.fund(coop, 5_000_000, day)
    supplier = shop.create_party(coop, kind="supplier", code="SUP-01", name="CV Sumber Rezeki")
    shop.create_party(coop, kind="customer", code="C-01", name="Toko Sebelah")
    beras = shop.create_product(coop, shop.ProductData(sku="BRS-5", name="Beras 5 kg", price=Decimal(75_000),
                                                       member_price=Decimal(72_000)))
    kopi = shop.create_product(coop, shop.ProductData(sku="KOPI-PP", name="Kopi Pesantren", price=Decimal(30_000), business_unit="produk"))
    shop.record_purchase(coop, party_id=supplier.id, day=day, items=[
        shop.PurchaseItem(beras.id, 10, Decimal(60_000)), shop.PurchaseItem(kopi.id, 20, Decimal(18_000))])
    return coop
