"""The shop's back office (routes on the shop blueprint): the catalogue with its stock and the
stock card, suppliers/customers/consignors with payables and payments,
purchases and purchase returns, the stock count and the shop settings.

Reading needs ``shop.view`` (cashiers and auditors too); every change needs ``shop.manage``. Views
parse the form, call one shop service and render; a refusal (ShopError) is shown on the form and
nothing is written.
"""

from __future__ import annotations

import secrets
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from koppontren import money
from koppontren.auth.permissions import permission_required
from koppontren.clock import today
from koppontren.errors import DomainError
from koppontren.ledger import chart
from koppontren.members.services import CATEGORY_LABELS
from koppontren.shop import catalogue, purchasing
from koppontren.shop import services as shop
from koppontren.shop.backoffice_forms import (
    PURCHASE_ROWS,
    PartyFilterForm,
    PartyForm,
    ProductFilterForm,
    ProductForm,
    PurchaseFilterForm,
    PurchaseForm,
    PurchaseReturnForm,
    ShopSettingsForm,
    StockCardForm,
    StockCountForm,
    SupplierPaymentForm,
    choices,
    whole_qty,
)
from koppontren.shop.services import ShopError
from koppontren.shop.views import coop_bp
from koppontren.site.formhelpers import amount_of, show_domain_error
from koppontren.tenancy.scoping import current_coop

PER_PAGE = 50


@coop_bp.app_context_processor
def _backoffice_labels():
    return {
        "business_unit_label": lambda u: str(catalogue.BUSINESS_UNIT_LABELS.get(u, u or "")),
        "party_kind_label": lambda k: str(catalogue.PARTY_KIND_LABELS.get(k, k or "")),
        "purchase_payment_label": lambda p: str(catalogue.PAYMENT_LABELS.get(p, p or "")),
        "stock_move_label": lambda k: str(catalogue.MOVE_KIND_LABELS.get(k, k or "")),
    }


def _product_or_404(product_id: int):
    product = shop.get_product(current_coop(), product_id)
    if product is None:
        abort(404)
    return product


def _party_or_404(party_id: int):
    party = shop.get_party(current_coop(), party_id)
    if party is None:
        abort(404)
    return party


def _purchase_or_404(purchase_id: int):
    purchase = purchasing.get_purchase(current_coop(), purchase_id)
    if purchase is None:
        abort(404)
    return purchase


def _money_accounts(coop):
    """Cash and bank accounts a purchase, a return or a supplier payment may use (not the santri
    deposit bank: its money belongs to the santri wallets)."""
    return [a for a in chart.accounts(coop, postable_only=True, active_only=True) if a.cash_flow == "cash" and a.role not in ("bank_santri", "cash_transit")]


def _account_choices(coop):
    return choices((a.id, f"{a.code} — {a.name_id}") for a in _money_accounts(coop))


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _args() -> dict:
    return {k: v for k, v in request.args.items() if k != "page" and v}


def _amount_text(coop, sen: int) -> str:
    return money.format_number(money.from_sen(sen), coop.currency_decimals)


# --- products ------------------------------------------------------------------------------------

@coop_bp.get("/shop/products")
@permission_required("shop.view")
def products():
    coop = current_coop()
    filters = ProductFilterForm(request.args)
    filters.validate()
    active = {"1": True, "0": False}.get(filters.active.data or "1")
    rows, total = catalogue.list_products(coop, text=filters.q.data, business_unit=filters.business_unit.data or None, active=active,
                                          page=_page(), per_page=PER_PAGE)
    return render_template("shop/products.html", products=rows, total=total, filters=filters, page=_page(),
                           pages=max(1, -(-total // PER_PAGE)), args=_args(), stock=catalogue.stock_totals(coop),
                           average_cost=catalogue.average_cost)


@coop_bp.route("/shop/products/new", methods=["GET", "POST"])
@permission_required("shop.manage")
def new_product():
    coop = current_coop()
    form = ProductForm()
    if form.validate_on_submit():
        data = form.data_object(coop.currency_decimals)
        if data is not None:
            try:
                product = shop.create_product(coop, data, actor=current_user)
            except ShopError as err:
                show_domain_error(form, err)
            else:
                flash(_("Produk %(s)s %(n)s disimpan.", s=product.sku, n=product.name), "success")
                return redirect(url_for("shop.stock_card", product_id=product.id))
    return render_template("shop/product_form.html", form=form, product=None)


@coop_bp.route("/shop/products/<int:product_id>/edit", methods=["GET", "POST"])
@permission_required("shop.manage")
def edit_product(product_id: int):
    coop = current_coop()
    product = _product_or_404(product_id)
    form = ProductForm(obj=product) if request.method == "GET" else ProductForm()
    if request.method == "GET":
        form.price.data = _amount_text(coop, product.price)
        form.member_price.data = _amount_text(coop, product.member_price) if product.member_price is not None else ""
    if form.validate_on_submit():
        data = form.data_object(coop.currency_decimals)
        if data is not None:
            try:
                shop.update_product(coop, product, data, active=form.active.data, actor=current_user)
            except ShopError as err:
                show_domain_error(form, err)
            else:
                flash(_("Produk %(s)s %(n)s disimpan.", s=product.sku, n=product.name), "success")
                return redirect(url_for("shop.stock_card", product_id=product.id))
    return render_template("shop/product_form.html", form=form, product=product)


@coop_bp.get("/shop/products/<int:product_id>")
@permission_required("shop.view")
def stock_card(product_id: int):
    """The product page: its details and the kartu stok (this year by default)."""
    coop = current_coop()
    product = _product_or_404(product_id)
    form = StockCardForm(request.args)
    form.validate()
    date_to = form.date_to.data or today()
    date_from = form.date_from.data or date(date_to.year, 1, 1)
    date_from = min(date_from, date_to)
    card = catalogue.stock_card_page(coop, product, date_from, date_to)
    consignor = shop.get_party(coop, product.consignor_id) if product.consignor_id else None
    return render_template("shop/stock_card.html", product=product, card=card, form=form, consignor=consignor,
                           average=catalogue.average_cost(product))


# --- parties -------------------------------------------------------------------------------------

@coop_bp.get("/shop/parties")
@permission_required("shop.view")
def parties():
    coop = current_coop()
    filters = PartyFilterForm(request.args)
    filters.validate()
    rows, total = catalogue.list_parties(coop, kind=filters.kind.data or None, text=filters.q.data, page=_page(), per_page=PER_PAGE)
    owed = purchasing.supplier_balances(coop, [p.id for p in rows if p.kind == "supplier"])
    return render_template("shop/parties.html", parties=rows, total=total, filters=filters, page=_page(),
                           pages=max(1, -(-total // PER_PAGE)), args=_args(), owed=owed)


@coop_bp.route("/shop/parties/new", methods=["GET", "POST"])
@permission_required("shop.manage")
def new_party():
    coop = current_coop()
    form = PartyForm()
    if request.method == "GET" and request.args.get("kind") in catalogue.PARTY_KIND_LABELS:
        form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        try:
            party = shop.create_party(coop, kind=form.kind.data, code=form.code.data, name=form.name.data, phone=form.phone.data,
                                      address=form.address.data, actor=current_user)
        except ShopError as err:
            show_domain_error(form, err)
        else:
            flash(_("%(k)s %(n)s disimpan.", k=catalogue.PARTY_KIND_LABELS[party.kind], n=party.name), "success")
            return redirect(url_for("shop.party", party_id=party.id))
    return render_template("shop/party_form.html", form=form)


def _payment_form(coop) -> SupplierPaymentForm:
    form = SupplierPaymentForm()
    form.account.choices = _account_choices(coop)
    if request.method == "GET":
        form.date.data = today()
        form.account.data = chart.account_for(coop, "cash").id
        form.idempotency_key.data = secrets.token_urlsafe(16)
    return form


def _render_party(coop, party, form: SupplierPaymentForm):
    purchases = purchasing.party_purchases(coop, party.id)
    return render_template("shop/party.html", party=party, form=form, purchases=purchases, payments=purchasing.party_payments(coop, party.id),
                           owed=purchasing.supplier_owed(coop, party.id) if party.kind == "supplier" else None)


@coop_bp.get("/shop/parties/<int:party_id>")
@permission_required("shop.view")
def party(party_id: int):
    coop = current_coop()
    return _render_party(coop, _party_or_404(party_id), _payment_form(coop))


@coop_bp.post("/shop/parties/<int:party_id>/pay")
@permission_required("shop.manage")
def pay_supplier(party_id: int):
    coop = current_coop()
    supplier = _party_or_404(party_id)
    form = _payment_form(coop)
    if form.validate_on_submit():
        amount = amount_of(form.amount, coop.currency_decimals)
        if amount is not None:
            try:
                payment = purchasing.pay_supplier(coop, supplier.id, amount=amount, day=form.date.data, account_id=form.account.data,
                                                  actor=current_user, idempotency_key=form.idempotency_key.data or None)
            except ShopError as err:
                show_domain_error(form, err)
            else:
                flash(_("Pembayaran kepada %(p)s tercatat dengan nomor bukti %(v)s.", p=supplier.name, v=payment.voucher), "success")
                return redirect(url_for("shop.party", party_id=supplier.id))
    return _render_party(coop, supplier, form)


# --- purchases -----------------------------------------------------------------------------------

@coop_bp.get("/shop/purchases")
@permission_required("shop.view")
def purchases():
    coop = current_coop()
    filters = PurchaseFilterForm(request.args)
    filters.party.choices = choices([("", _("Semua pemasok")), *((p.id, f"{p.code} — {p.name}") for p in catalogue.suppliers(coop))])
    filters.validate()
    rows, total = purchasing.list_purchases(coop, party_id=filters.party.data, date_from=filters.date_from.data,
                                            date_to=filters.date_to.data, page=_page(), per_page=PER_PAGE)
    return render_template("shop/purchases.html", purchases=rows, total=total, filters=filters, page=_page(),
                           pages=max(1, -(-total // PER_PAGE)), args=_args(),
                           parties=purchasing.parties_by_id(coop, [p.party_id for p in rows]))


def _purchase_items(coop, form: PurchaseForm) -> tuple[list[shop.PurchaseItem], list[int]] | None:
    """The typed lines as PurchaseItems (blank rows skipped) and the form row of each, or None with
    the problems on their rows."""
    items, rows, ok = [], [], True
    for index, row in enumerate(form.lines.entries):
        if row.is_blank():
            continue
        item = _purchase_item(coop, row)
        if item is None:
            ok = False
            continue
        items.append(item)
        rows.append(index)
    if ok and not items:
        form.lines.errors = [_("Isi paling sedikit satu baris.")]
        ok = False
    return (items, rows) if ok else None


def _purchase_item(coop, row) -> shop.PurchaseItem | None:
    """One typed row as a PurchaseItem, or None with its problems on the row."""
    product = _purchased_product(coop, row)
    qty = whole_qty(row.qty.data)
    if qty is None or qty <= 0:
        row.qty.errors = [_("Jumlah barang harus bilangan bulat lebih dari nol.")]
    cost = amount_of(row.unit_cost, coop.currency_decimals)
    if product is None or qty is None or qty <= 0 or cost is None:
        return None
    return shop.PurchaseItem(product.id, qty, cost)


def _purchased_product(coop, row):
    """The row's product, by SKU/barcode typed or chosen from the list; None with the problem on the row."""
    product = None
    code = (row.sku.data or "").strip()
    if code:
        product = shop.find_product(coop, code)
        if product is None:
            row.sku.errors = [_("Produk %(c)s tidak ditemukan.", c=code)]
    elif (product_id := whole_qty(row.product.data)) is not None:
        product = shop.get_product(coop, product_id)
    if product is None and not code:
        row.product.errors = [_("Pilih produk atau tulis SKU/barcode.")]
    elif product is not None and product.consignor_id is not None:  # its stock belongs to the consignor
        row.sku.errors = [_("%(p)s barang titipan: tidak dibeli, dicatat di konsinyasi.", p=product.name)]
        product = None
    return product


def _show_line_error(form: PurchaseForm, err: ShopError, rows: list[int]) -> None:
    """``lines.<n>.<field>`` problems go on the form row of the n-th item; the rest as usual."""
    others = {}
    for key, problem in err.fields.items():
        parts = str(key).split(".")
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and 1 <= int(parts[1]) <= len(rows):
            field = getattr(form.lines.entries[rows[int(parts[1]) - 1]], parts[2], None)
            if field is not None:
                field.errors = [*list(field.errors or []), str(problem)]
                continue
        others[key] = problem
    show_domain_error(form, DomainError(err.code, err.message, others))


@coop_bp.route("/shop/purchases/new", methods=["GET", "POST"])
@permission_required("shop.manage")
def new_purchase():
    coop = current_coop()
    form = PurchaseForm()
    form.party.choices = choices((p.id, f"{p.code} — {p.name}") for p in catalogue.suppliers(coop))
    form.account.choices = _account_choices(coop)
    product_choices = choices([("", "—"), *((p.id, f"{p.sku} — {p.name}") for p in catalogue.purchasable_products(coop))])
    if request.method == "GET":
        form.date.data = today()
        form.account.data = chart.account_for(coop, "cash").id
        form.idempotency_key.data = secrets.token_urlsafe(16)
        if request.args.get("party", type=int):
            form.party.data = request.args.get("party", type=int)
    if request.method == "POST" and form.add_line.data:  # without JavaScript: one more row than the page had
        for _row in range(max(PURCHASE_ROWS - len(form.lines), 0) + 1):
            form.lines.append_entry()
    elif form.validate_on_submit() and (purchase := _record_purchase(coop, form)) is not None:
        flash(_("Pembelian tercatat dengan nomor bukti %(v)s.", v=purchase.voucher), "success")
        return redirect(url_for("shop.purchase", purchase_id=purchase.id))
    while len(form.lines) < PURCHASE_ROWS:  # rows read from a post come first; the page always offers a few empty ones
        form.lines.append_entry()
    for row in form.lines:
        row.product.choices = product_choices
    return render_template("shop/purchase_form.html", form=form)


def _record_purchase(coop, form: PurchaseForm):
    """The purchase the form records, or None with the problems on the form."""
    parsed = _purchase_items(coop, form)
    if parsed is None:
        return None
    items, rows = parsed
    try:
        return shop.record_purchase(coop, party_id=form.party.data, items=items, payment=form.payment.data, day=form.date.data,
                                    account_id=form.account.data if form.payment.data != "credit" else None,
                                    invoice=form.invoice.data, actor=current_user, idempotency_key=form.idempotency_key.data or None)
    except ShopError as err:
        _show_line_error(form, err, rows)
        return None


def _return_form(coop, purchase) -> PurchaseReturnForm:
    form = PurchaseReturnForm()
    form.account.choices = _account_choices(coop)
    if request.method == "GET":
        form.date.data = today()
        form.account.data = purchasing.paid_from_account_id(coop, purchase)
    if not form.idempotency_key.data:
        form.idempotency_key.data = secrets.token_urlsafe(16)
    return form


def _render_purchase(coop, purchase, form: PurchaseReturnForm | None):
    lines = purchasing.purchase_lines(coop, purchase)
    original = purchasing.get_purchase(coop, purchase.returns_purchase_id) if purchase.returns_purchase_id else None
    returns = purchasing.returns_of(coop, purchase) if original is None else []
    returned = purchasing.returned_qty(coop, purchase) if original is None else {}
    bought: dict[int, int] = {}
    for line in lines:
        bought[line.product_id] = bought.get(line.product_id, 0) + line.qty
    products = purchasing.products_by_id(coop, bought)
    returnable = {pid: qty - returned.get(pid, 0) for pid, qty in bought.items()}
    return render_template("shop/purchase.html", purchase=purchase, lines=lines, products=products, party=shop.get_party(coop, purchase.party_id),
                           original=original, returns=returns, returned=returned, returnable=returnable, form=form)


@coop_bp.get("/shop/purchases/<int:purchase_id>")
@permission_required("shop.view")
def purchase(purchase_id: int):
    coop = current_coop()
    p = _purchase_or_404(purchase_id)
    return _render_purchase(coop, p, _return_form(coop, p))


@coop_bp.post("/shop/purchases/<int:purchase_id>/return")
@permission_required("shop.manage")
def return_purchase(purchase_id: int):
    coop = current_coop()
    original = _purchase_or_404(purchase_id)
    form = _return_form(coop, original)
    if form.validate_on_submit():
        items, bad = [], False
        for line in purchasing.purchase_lines(coop, original):
            text = (request.form.get(f"return-{line.product_id}") or "").strip()
            if not text or any(i.product_id == line.product_id for i in items):
                continue
            qty = whole_qty(text)
            if qty is None:
                bad = True
                continue
            if qty:
                items.append(purchasing.ReturnItem(line.product_id, qty))
        if bad:
            flash(_("Jumlah retur harus bilangan bulat."), "danger")
        else:
            account_id = form.account.data if original.payment != "credit" and request.form.get("account") else None  # None: where it was paid from
            try:
                ret = purchasing.record_purchase_return(coop, original.id, items=items, day=form.date.data, account_id=account_id,
                                                        actor=current_user, idempotency_key=form.idempotency_key.data or None)
            except ShopError as err:
                show_domain_error(form, err)
            else:
                flash(_("Retur pembelian tercatat dengan nomor bukti %(v)s.", v=ret.voucher), "success")
                return redirect(url_for("shop.purchase", purchase_id=ret.id))
    return _render_purchase(coop, original, form)


# --- stock count ---------------------------------------------------------------------------------

@coop_bp.route("/shop/stock-count", methods=["GET", "POST"])
@permission_required("shop.manage")
def stock_count():
    """Stok opname: the count sheet (filtered by unit, category or name) and, after posting, the
    entry with each product's difference."""
    coop = current_coop()
    form = StockCountForm()
    filters = ProductFilterForm(request.args)
    filters.validate()
    category = request.args.get("category") or None
    rows = catalogue.products_to_count(coop, text=filters.q.data, business_unit=filters.business_unit.data or None, category=category)
    if request.method == "GET":
        form.date.data = today()
    errors: dict[int, str] = {}
    if form.validate_on_submit():
        counted, errors = _typed_counts(rows)
        if errors:
            flash(_("Periksa jumlah hitung yang ditandai."), "danger")
        elif not counted:
            flash(_("Isi jumlah hitung paling sedikit satu produk."), "warning")
        elif (done := _record_count(coop, form, counted)) is not None:
            return done
    entry_id = request.args.get("entry", type=int)
    moves = catalogue.moves_of_entry(coop, entry_id) if entry_id else []
    posted = purchasing.products_by_id(coop, [m.product_id for m in moves])
    return render_template("shop/stock_count.html", form=form, filters=filters, products=rows, errors=errors, category=category,
                           categories=catalogue.categories(coop), moves=moves, posted=posted, entry_id=entry_id if moves else None,
                           truncated=len(rows) >= catalogue.MAX_COUNT_ROWS, values=request.form)


def _typed_counts(rows) -> tuple[dict[int, int], dict[int, str]]:
    """(product id -> counted quantity, product id -> problem) of the count sheet's filled cells."""
    counted, errors = {}, {}
    for product in rows:
        text = (request.form.get(f"count-{product.id}") or "").strip()
        if not text:
            continue
        qty = whole_qty(text)
        if qty is None:
            errors[product.id] = _("Tulis jumlah hitung sebagai bilangan bulat.")
        else:
            counted[product.id] = qty
    return counted, errors


def _record_count(coop, form: StockCountForm, counted: dict[int, int]):
    """Post the count: the redirect to show it, or None with the refusal on the form."""
    try:
        entry = shop.record_count(coop, counted, day=form.date.data, actor=current_user)
    except ShopError as err:
        show_domain_error(form, err)
        return None
    if entry is None:
        flash(_("Semua jumlah hitung sama dengan stok sistem: tidak ada selisih."), "info")
        return redirect(url_for("shop.stock_count", **_args()))
    flash(_("Selisih stok tercatat dengan nomor bukti %(v)s.", v=entry.number), "success")
    return redirect(url_for("shop.stock_count", entry=entry.id, **_args()))


# --- settings ------------------------------------------------------------------------------------

@coop_bp.route("/shop/settings", methods=["GET", "POST"])
@permission_required("shop.manage")
def settings():
    coop = current_coop()
    form = ShopSettingsForm()
    limits = catalogue.credit_limits(coop)
    if request.method == "GET":
        for category, field in form.limit_fields():
            field.data = _amount_text(coop, limits[category])
    if form.validate_on_submit():
        amounts = {c: amount_of(f, coop.currency_decimals, required=False) for c, f in form.limit_fields()}
        if not any(f.errors for _c, f in form.limit_fields()):
            try:
                catalogue.update_credit_limits(coop, {c: a if a is not None else 0 for c, a in amounts.items()}, actor=current_user)
            except ShopError as err:
                show_domain_error(form, err)
            else:
                flash(_("Pengaturan toko disimpan."), "success")
                return redirect(url_for("shop.settings"))
    return render_template("shop/settings.html", form=form, category_labels=CATEGORY_LABELS)
