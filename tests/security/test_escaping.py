"""User text is escaped everywhere (reliability and security §4): names and descriptions holding
``<script>`` are stored through the real services, then every page of the cooperative is opened —
the walk over ``app.url_map`` of the isolation tests — and every PDF is read back. The markup must
arrive as text, never as a tag."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from pypdf import PdfReader

from koppontren.ledger.posting import LineSpec, post_entry
from koppontren.members.services import MemberData, register_member
from koppontren.savings import services as savings
from koppontren.shop import receivables
from koppontren.shop import services as shop
from tests.helpers import login
from tests.tenancy.test_isolation import _coop_get_paths

EVIL = '<script>alert("x")</script>'
EVIL_IMG = "<img src=x onerror=alert(1)>"


def _hostile_coop(build):
    coop = build.coop("coop-a", name=f"Kopontren {EVIL}", address=f"Jl. {EVIL_IMG}", pesantren_name=EVIL)
    build.user("admin.a", coop, "admin", name=f"Ketua {EVIL}")
    post_entry(coop, entry_date=date(2026, 3, 10), description=f"Jurnal {EVIL}",
               lines=[LineSpec("1101", debit=1000, memo=EVIL_IMG), LineSpec("4201", credit=1000)])
    member = register_member(coop, MemberData(name=f"Siti {EVIL}", category="santri", join_date=date(2026, 1, 5),
                                              address=EVIL_IMG), actor=None)
    savings.deposit(coop, member, "sukarela", amount=Decimal(25_000), day=date(2026, 3, 11))
    supplier = shop.create_party(coop, kind="supplier", code="S1", name=f"CV {EVIL}")
    product = shop.create_product(coop, shop.ProductData(sku="P1", name=f"Sabun {EVIL}", price=Decimal(1_000)))
    shop.record_purchase(coop, party_id=supplier.id, items=[shop.PurchaseItem(product.id, 2, Decimal(500))], day=date(2026, 3, 11))
    shop.set_credit_limit(coop, "santri", Decimal(10_000))
    shop.record_sale(coop, member_id=member.id, payment="credit", items=[shop.SaleItem(product.id, 1)], day=date(2026, 3, 12))
    receivables.pay_receivable(coop, member.id, amount=Decimal(1_000), day=date(2026, 3, 13))
    return coop


def test_every_page_and_pdf_shows_stored_markup_as_text(client, app, build):
    _hostile_coop(build)
    login(client, "admin.a")
    pages = pdfs = 0
    for path in _coop_get_paths(app, "coop-a"):
        response = client.get(path)
        if response.status_code != 200:
            continue
        kind = response.mimetype
        if kind == "text/html":
            body = response.get_data(as_text=True)
            assert "<script>alert" not in body, path
            assert "<img src=x" not in body, path
            pages += 1
        elif kind == "application/pdf":
            text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(response.data)).pages)
            assert '<script>alert("x")</' in text, path  # the member's or product's name, printed as text
            if "receivables/payments" in path:
                assert "Bukti Pembayaran Piutang" in text and "Simpanan" not in text.split("Untuk")[0]
            pdfs += 1
    assert pages > 30 and pdfs >= 3
