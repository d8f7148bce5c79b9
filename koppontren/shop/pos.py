"""The cashier's side of the shop: what the POS screen asks (products by code or name, members by
number, name or card, with the credit they have left) and the change of a sale. The sale it
submits is the API's sale contract (``shop.sale_contract``), recorded once per idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass

from koppontren import money
from koppontren.ledger import chart, queries
from koppontren.members import services as members
from koppontren.shop import services
from koppontren.shop.models import Product
from koppontren.tenancy.models import Cooperative

SEARCH_LIMIT = 20


def amount_text(coop: Cooperative, amount_sen: int) -> str:
    """An amount for JSON: a decimal string in the cooperative's decimals ("72000", "72000.50")."""
    return str(money.quantize(money.from_sen(amount_sen), coop.currency_decimals))


# --- lookups -------------------------------------------------------------------------------------

def product_json(coop: Cooperative, product: Product) -> dict:
    return {"id": product.id, "sku": product.sku, "barcode": product.barcode, "name": product.name, "unit": product.unit,
            "price": amount_text(coop, product.price),
            "member_price": None if product.member_price is None else amount_text(coop, product.member_price),
            "qty": product.qty}


def find_products(coop: Cooperative, text: str | None) -> tuple[Product | None, list[Product]]:
    """(the active product whose barcode or SKU is exactly ``text``, active products matching it by
    name, SKU or barcode). A scanner's code lands in ``exact``; a typed name in the list."""
    text = (text or "").strip()[:100]
    exact = services.find_product(coop, text) if text else None
    if exact is not None and not exact.active:
        exact = None
    return exact, services.search_products(coop, text or None, limit=SEARCH_LIMIT)


@dataclass(frozen=True)
class MemberCredit:
    """What the POS shows of a member: who, and how much more they may buy on credit (sen)."""

    id: int
    number: str
    name: str
    category: str
    limit: int
    owed: int

    @property
    def available(self) -> int:
        return max(self.limit - self.owed, 0)


def member_credits(coop: Cooperative, found) -> list[MemberCredit]:
    """Each member's credit limit (their category's) and receivable owed, in one grouped query."""
    found = list(found)
    if not found:
        return []
    receivable = chart.account_for(coop, "receivable_member").id
    owed = queries.member_balances(coop, [receivable], [m.id for m in found])
    limits: dict[str, int] = {}
    out = []
    for m in found:
        if m.category not in limits:
            limits[m.category] = services.credit_limit(coop, m.category)
        out.append(MemberCredit(m.id, m.number, m.name, m.category, limits[m.category], owed.get(m.id, {}).get(receivable, 0)))
    return out


def find_members(coop: Cooperative, text: str | None) -> tuple[MemberCredit | None, list[MemberCredit]]:
    """(the active member whose number is exactly ``text`` — typed, or scanned from the member
    card, which carries the number as a barcode —, active members matching by name or number)."""
    text = (text or "").strip()[:100]
    if not text:
        return None, []
    exact = members.get_by_number(coop, text)
    if exact is not None and exact.status != "aktif":
        exact = None
    hits, _total = members.search(coop, text=text, status="aktif", per_page=SEARCH_LIMIT)
    credits = {c.id: c for c in member_credits(coop, [*([exact] if exact else []), *hits])}
    return (credits[exact.id] if exact else None), [credits[m.id] for m in hits]


def member_json(coop: Cooperative, credit: MemberCredit) -> dict:
    return {"id": credit.id, "number": credit.number, "name": credit.name, "category": credit.category,
            "category_label": str(members.CATEGORY_LABELS.get(credit.category, credit.category)),
            "credit_limit": amount_text(coop, credit.limit), "credit_owed": amount_text(coop, credit.owed),
            "credit_available": amount_text(coop, credit.available)}
