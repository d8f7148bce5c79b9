"""The cashier's pages of the shop: the POS screen and its JSON endpoints, the receipt (struk) as a
58 mm print view and as PDF, the sales list, a sale with its returns, and members' receivable
payments (pelunasan). Views parse, call one shop service and render; a refusal (ShopError) is
shown on the page — or, for the POS, answered as ``{"error": {"code", "message", "fields"}}`` —
and nothing is written."""

from __future__ import annotations

import math
import re
import secrets

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from koppontren import money
from koppontren.auth.permissions import permission_required
from koppontren.clock import today
from koppontren.errors import DomainError
from koppontren.ledger import chart
from koppontren.members import services as members
from koppontren.members.forms import choices
from koppontren.shop import payments, purchasing, sale_contract, services
from koppontren.shop import pos as pos_service
from koppontren.shop import receivables as receivable_service
from koppontren.shop import sales as sales_service
from koppontren.shop.pos_forms import ReceivablePaymentForm, SaleReturnForm, SalesFilterForm
from koppontren.shop.services import SaleItem, ShopError
from koppontren.shop.views import coop_bp
from koppontren.site.formhelpers import amount_of, show_domain_error
from koppontren.tenancy.scoping import current_coop

PER_PAGE = 50
#: HTTP status of a refused POS sale; every other refusal is 422 (the request was understood)
ERROR_STATUS = {"invalid_request": 400, "insufficient_stock": 409, "idempotency_conflict": 409}


@coop_bp.app_context_processor
def _labels():
    return {"payment_label": sales_service.payment_label}


# --- the POS -------------------------------------------------------------------------------------

@coop_bp.get("/shop/pos")
@permission_required("shop.sell")
def pos():
    """The cashier's screen; all its work is done by pos.js against the JSON endpoints below."""
    return render_template("shop/pos.html", decimals=current_coop().currency_decimals)


@coop_bp.get("/shop/pos/products")
@permission_required("shop.sell")
def pos_products():
    """``?q=`` a scanned code, SKU or part of a name → ``{"exact": product|null, "products": [...]}``."""
    coop = current_coop()
    exact, found = pos_service.find_products(coop, request.args.get("q"))
    return jsonify(exact=pos_service.product_json(coop, exact) if exact else None,
                   products=[pos_service.product_json(coop, p) for p in found])


@coop_bp.get("/shop/pos/members")
@permission_required("shop.sell")
def pos_members():
    """``?q=`` a member number (typed or scanned from the card) or part of a name →
    ``{"exact": member|null, "members": [...]}`` with each member's credit available."""
    coop = current_coop()
    exact, found = pos_service.find_members(coop, request.args.get("q"))
    return jsonify(exact=pos_service.member_json(coop, exact) if exact else None,
                   members=[pos_service.member_json(coop, m) for m in found])


def _json_error(err: DomainError):
    body = {"code": err.code, "message": str(err.message), "fields": {k: str(v) for k, v in err.fields.items()}}
    return jsonify(error=body), ERROR_STATUS.get(err.code, 422)


@coop_bp.post("/shop/pos/sales")
@permission_required("shop.sell")
def pos_sale():
    """Record the POS's sale: the API's sale contract (``shop.sale_contract``) in, JSON out, the key in
    the ``Idempotency-Key`` header. 201 with the sale — also for a replay of the same key, marked by
    the ``Idempotent-Replayed`` header."""
    coop = current_coop()
    try:
        key = sale_contract.idempotency_key(request.headers.get("Idempotency-Key"))
        order = sale_contract.resolve(coop, sale_contract.parse(request.get_json(force=True, silent=True)))
        sale, replayed = sale_contract.sell(coop, order, actor=current_user, idempotency_key=key)
    except DomainError as err:  # ShopError, or the wallet's refusal of a santri's card (WalletError)
        return _json_error(err)
    change = services.change_due(sale)
    method = payments.get(sale.payment)
    paid_by = method.payer_after(coop, sale) if method else None
    response = jsonify(sale_id=sale.id, voucher=sale.voucher, total=pos_service.amount_text(coop, sale.total),
                       wallet=None if paid_by is None else {"name": paid_by[0], "balance": pos_service.amount_text(coop, paid_by[1])},
                       change=None if change is None else pos_service.amount_text(coop, change),
                       receipt_url=url_for("shop.receipt", sale_id=sale.id),
                       receipt_pdf_url=url_for("shop.receipt_pdf", sale_id=sale.id), replayed=replayed)
    response.status_code = 201
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


# --- receipts ------------------------------------------------------------------------------------

def _sale_or_404(sale_id: int):
    sale = services.get_sale(current_coop(), sale_id)
    if sale is None:
        abort(404)
    return sale


@coop_bp.get("/shop/sales/<int:sale_id>/receipt")
@permission_required("shop.view")
def receipt(sale_id: int):
    """The struk as a page sized for a 58 mm thermal printer (print it from the browser)."""
    from koppontren import pdf

    coop = current_coop()
    data = sales_service.receipt(coop, _sale_or_404(sale_id))
    struk = Markup(pdf.render_html("_struk.html", coop=coop, receipt=data))  # noqa: S704 - a template rendered with autoescape
    return render_template("shop/receipt.html", receipt=data, struk=struk, autoprint=request.args.get("print") == "1")


def struk_height_mm(coop, receipt: sales_service.Receipt) -> int:
    """A thermal roll has no page length: the PDF page is made as long as the struk, counted in
    printed rows (about 4 mm each; a name wraps at about 30 characters, the address at 40)."""
    rows = sum(1 + math.ceil(len(line.name) / 30) for line in receipt.lines)
    rows += math.ceil(len(coop.name) / 30) + math.ceil(len(coop.address or "") / 40)
    rows += 7 + (1 if receipt.member_number else 0) + (1 if receipt.change is not None else 0) + (2 if receipt.is_return else 0)
    return 22 + math.ceil(rows * 4.2)


@coop_bp.get("/shop/sales/<int:sale_id>/receipt.pdf")
@permission_required("shop.view")
def receipt_pdf(sale_id: int):
    from koppontren import pdf

    coop = current_coop()
    data = sales_service.receipt(coop, _sale_or_404(sale_id))
    body = pdf.render_pdf("struk.html", coop=coop, receipt=data, page_height_mm=struk_height_mm(coop, data))
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="struk-{data.voucher.replace("/", "-")}.pdf"'})


# --- the sales list and one sale -----------------------------------------------------------------

@coop_bp.get("/shop/sales")
@permission_required("shop.view")
def sales():
    """Sales and returns by date (today unless asked), payment method and member, with the
    totals of each payment method over the whole filtered period."""
    coop = current_coop()
    form = SalesFilterForm(request.args)
    form.validate()
    if "date_from" not in request.args and "date_to" not in request.args:
        form.date_from.data = form.date_to.data = today()
    member_id = None
    if form.member.data and form.member.data.strip():
        member = members.get_by_number(coop, form.member.data)
        if member is None:
            form.member.errors = [_("Anggota %(n)s tidak ada.", n=form.member.data.strip())]
        else:
            member_id = member.id
    rows, total, totals = [], 0, []
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    if not form.member.errors:
        filters = sales_service.SalesFilter(date_from=form.date_from.data, date_to=form.date_to.data,
                                            payment=form.payment.data if form.payment.data in sales_service.PAYMENT_LABELS else None,
                                            member_id=member_id)
        rows, total = sales_service.list_sales(coop, filters, page, PER_PAGE)
        totals = sales_service.totals_by_payment(coop, filters)
    people = members.members_by_ids(coop, (s.member_id for s in rows if s.member_id))
    args = {k: v for k, v in request.args.items() if k != "page"}
    if "date_from" not in args and "date_to" not in args:
        args.update(date_from=form.date_from.data.isoformat(), date_to=form.date_to.data.isoformat())
    return render_template("shop/sales.html", form=form, rows=rows, total=total, totals=totals, people=people, page=page,
                           pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), args=args)


def _render_sale(coop, sale, form: SaleReturnForm, status: int = 200):
    data = sales_service.receipt(coop, sale)
    return render_template("shop/sale.html", sale=sale, receipt=data, returns=sales_service.returns_of(coop, sale), form=form,
                           can_return=not data.is_return and any(ln.returnable for ln in data.lines)), status


@coop_bp.get("/shop/sales/<int:sale_id>")
@permission_required("shop.view")
def sale(sale_id: int):
    coop = current_coop()
    original = _sale_or_404(sale_id)
    return _render_sale(coop, original, SaleReturnForm(date=max(today(), original.sale_date), idempotency_key=secrets.token_urlsafe(16)))


@coop_bp.post("/shop/sales/<int:sale_id>/return")
@permission_required("shop.sell")
def sale_return(sale_id: int):
    """Goods back from the buyer: the quantities typed per line (``qty-<product id>``)."""
    coop = current_coop()
    original = _sale_or_404(sale_id)
    form = SaleReturnForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for field in form for e in field.errors) or _("Periksa isian Anda."), "danger")
        return _render_sale(coop, original, form, 400)
    items, bad = [], False
    for line in sales_service.receipt(coop, original).lines:
        text = (request.form.get(f"qty-{line.product_id}") or "").strip()
        if not text:
            continue
        if not re.fullmatch(r"[0-9]{1,9}", text):  # ASCII digits only: "²".isdigit() is true
            bad = True
        elif int(text):
            items.append(SaleItem(line.product_id, int(text)))
    if bad or not items:
        flash(_("Isi jumlah barang yang diretur (bilangan bulat).") if bad else _("Pilih barang yang diretur."), "danger")
        return _render_sale(coop, original, form, 422)
    try:
        ret = services.record_sale_return(coop, original.id, items=items, day=form.date.data, actor=current_user,
                                          idempotency_key=form.idempotency_key.data or None)
    except DomainError as err:  # ShopError, or the wallet's (a wallet sale's return)
        show_domain_error(form, err)
        return _render_sale(coop, original, form, 422)
    flash(_("Retur tercatat dengan nomor bukti %(n)s: %(a)s dikembalikan.", n=ret.voucher,
            a=money.format_idr(money.from_sen(ret.total), coop.currency_decimals, _locale())), "success")
    return redirect(url_for("shop.sale", sale_id=original.id))


def _locale() -> str:
    loc = get_locale()
    return str(loc.language) if loc else "id"


# --- member receivables (pelunasan) --------------------------------------------------------------

def _payment_form(coop) -> ReceivablePaymentForm:
    form = ReceivablePaymentForm()
    form.account.choices = choices((a.id, f"{a.code} — {a.name(_locale())}") for a in receivable_service.payment_accounts(coop))
    if request.method == "GET" or form.account.data is None:
        form.account.data = chart.account_for(coop, "till").id
    return form


def _render_receivables(coop, errors: dict | None = None, typed: dict | None = None, status: int = 200):
    """``errors`` and ``typed`` are keyed by ("m", member id) or ("c", customer id)."""
    rows = receivable_service.members_with_receivables(coop)
    customers = receivable_service.customers_with_receivables(coop)
    form = _payment_form(coop)
    keys = {**{("m", r.member_id): secrets.token_urlsafe(18) for r in rows},
            **{("c", r.party_id): secrets.token_urlsafe(18) for r in customers}}
    recent = receivable_service.payments_of(coop, limit=20, customers=True)
    people = members.members_by_ids(coop, (p.member_id for p in recent if p.member_id))
    parties = purchasing.parties_by_id(coop, [p.party_id for p in recent if p.party_id])
    return render_template("shop/receivables.html", rows=rows, customers=customers, form=form, keys=keys, errors=errors or {},
                           typed=typed or {}, recent=recent, people=people, parties=parties,
                           total=sum(r.owed for r in rows if r.owed > 0), customers_total=sum(r.owed for r in customers if r.owed > 0),
                           amount_input=lambda sen: money.format_number(money.from_sen(sen), coop.currency_decimals)), status


@coop_bp.get("/shop/receivables")
@permission_required("shop.sell")
def receivables():
    """Members (and non-member customers) who owe the shop, each with a payment form (the owed amount filled in)."""
    return _render_receivables(current_coop())


@coop_bp.post("/shop/receivables/<int:member_id>/pay")
@permission_required("shop.sell")
def pay_receivable(member_id: int):
    coop = current_coop()
    member = members.get_member(coop, member_id)
    if member is None:
        abort(404)
    form = _payment_form(coop)
    amount = None
    if form.validate_on_submit():
        amount = amount_of(form.amount, coop.currency_decimals)
    if amount is not None:
        try:
            payment = receivable_service.pay_receivable(coop, member.id, amount=amount, day=form.date.data, account_id=form.account.data,
                                                        actor=current_user, idempotency_key=form.idempotency_key.data or None)
        except ShopError as err:
            form.amount.errors = [str(err.message)]
        else:
            flash(_("Pelunasan %(a)s dari %(n)s tercatat dengan nomor bukti %(v)s.", n=f"{member.number} {member.name}",
                    a=money.format_idr(money.from_sen(payment.amount), coop.currency_decimals, _locale()), v=payment.voucher), "success")
            return redirect(url_for("shop.receivables"))
    problems = [str(e) for field in form for e in field.errors]
    return _render_receivables(coop, errors={("m", member.id): " ".join(problems) or _("Periksa isian Anda.")},
                               typed={("m", member.id): form.amount.data or ""}, status=422)


@coop_bp.post("/shop/receivables/customers/<int:party_id>/pay")
@permission_required("shop.sell")
def pay_customer_receivable(party_id: int):
    """A non-member customer pays off what they bought on credit (1122)."""
    coop = current_coop()
    customer = services.get_party(coop, party_id)
    if customer is None or customer.kind != "customer":
        abort(404)
    form = _payment_form(coop)
    amount = None
    if form.validate_on_submit():
        amount = amount_of(form.amount, coop.currency_decimals)
    if amount is not None:
        try:
            payment = receivable_service.pay_customer_receivable(coop, customer.id, amount=amount, day=form.date.data,
                                                                 account_id=form.account.data, actor=current_user,
                                                                 idempotency_key=form.idempotency_key.data or None)
        except ShopError as err:
            form.amount.errors = [str(err.message)]
        else:
            flash(_("Pelunasan %(a)s dari %(n)s tercatat dengan nomor bukti %(v)s.", n=f"{customer.code} {customer.name}",
                    a=money.format_idr(money.from_sen(payment.amount), coop.currency_decimals, _locale()), v=payment.voucher), "success")
            return redirect(url_for("shop.receivables"))
    problems = [str(e) for field in form for e in field.errors]
    return _render_receivables(coop, errors={("c", customer.id): " ".join(problems) or _("Periksa isian Anda.")},
                               typed={("c", customer.id): form.amount.data or ""}, status=422)


@coop_bp.get("/shop/receivables/payments/<int:payment_id>/kwitansi.pdf")
@permission_required("shop.view")
def receivable_kwitansi(payment_id: int):
    from koppontren import pdf

    coop = current_coop()
    payment = receivable_service.get_payment(coop, payment_id)
    if payment is None:
        abort(404)
    body = pdf.render_pdf("kwitansi.html", **receivable_service.kwitansi_context(coop, payment))
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="kwitansi-{payment.voucher.replace("/", "-")}.pdf"'})
