"""The consignment page (titip jual): every consignor with what the cooperative owes them and
their products in stock, and — for managers — the forms to put a product on consignment, receive
or return goods, and pay a consignor. Each form posts to its own route, calls one consignment
service and comes back to the page; a refusal is shown on the form and nothing is written."""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.fields import DateField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from koppontren.auth.permissions import can, permission_required
from koppontren.clock import today
from koppontren.ledger import chart
from koppontren.members.forms import choices
from koppontren.shop import consignment
from koppontren.shop import services as shop
from koppontren.shop.services import ShopError
from koppontren.shop.views import coop_bp
from koppontren.site.formats import idr_sen
from koppontren.site.formhelpers import amount_of, show_domain_error
from koppontren.site.forms import FlaskForm
from koppontren.tenancy.scoping import current_coop


class ConsignmentProductForm(FlaskForm):
    product = SelectField(_l("Produk"), coerce=int)
    consignor = SelectField(_l("Penitip"), description=_l("Kosongkan untuk menjadikan produk milik koperasi lagi."))
    commission = StringField(_l("Komisi koperasi (%)"), validators=[Optional(), Length(max=8)])
    submit = SubmitField(_l("Simpan status titipan"))


class ReceiveForm(FlaskForm):
    action = SelectField(_l("Jenis"), choices=choices([("in", _l("Barang titipan masuk")), ("out", _l("Dikembalikan ke penitip"))]))
    consignor = SelectField(_l("Penitip"), coerce=int)
    product = SelectField(_l("Produk titipan"), coerce=int)
    qty = IntegerField(_l("Jumlah barang"), validators=[DataRequired(), NumberRange(1, 10**9)])
    date = DateField(_l("Tanggal"), validators=[DataRequired()])
    submit = SubmitField(_l("Catat barang titipan"))


class SettleForm(FlaskForm):
    consignor = SelectField(_l("Penitip"), coerce=int)
    amount = StringField(_l("Jumlah dibayar (Rp)"), validators=[DataRequired(), Length(max=30)])
    date = DateField(_l("Tanggal"), validators=[DataRequired()])
    account = SelectField(_l("Dibayar dari"), coerce=int)
    idempotency_key = HiddenField()  # fresh per rendered form: a double submit pays once
    submit = SubmitField(_l("Bayar penitip"))


def _commission_bp(field) -> int | None:
    """The typed percentage ("12,5") as basis points, or None with the problem on the field."""
    text = (field.data or "").strip().replace(",", ".") or "0"
    try:
        percent = Decimal(text)
    except InvalidOperation:
        percent = Decimal(-1)
    bp = percent * 100 if percent.is_finite() else Decimal(-1)
    if not 0 <= bp <= 10000 or bp != bp.to_integral_value():
        field.errors = [*list(field.errors or []), _("Komisi 0 sampai 100 %, paling banyak dua desimal.")]
        return None
    return int(bp)


def _forms(coop, summary):
    consignors = [s.party for s in summary if s.party.active]
    party_choices = choices((p.id, f"{p.code} — {p.name}") for p in consignors)
    assign, receive, settle = ConsignmentProductForm(prefix="c"), ReceiveForm(prefix="r"), SettleForm(prefix="s")
    assign.product.choices = choices((p.id, f"{p.sku} — {p.name}") for p in shop.search_products(coop, limit=500) if p.qty == 0)
    assign.consignor.choices = choices([("", _("— milik koperasi —")), *((str(p.id), f"{p.code} — {p.name}") for p in consignors)])
    receive.consignor.choices = settle.consignor.choices = party_choices
    receive.product.choices = choices((p.id, f"{p.sku} — {p.name}") for s in summary for p in s.products)
    settle.account.choices = choices((a.id, f"{a.code} — {a.name_id}") for a in consignment.cash_accounts(coop))
    if not settle.idempotency_key.data:
        settle.idempotency_key.data = secrets.token_urlsafe(16)
    for form in (receive, settle):
        if form.date.data is None:
            form.date.data = today()
    if settle.account.data is None:
        settle.account.data = chart.account_for(coop, "cash").id
    return assign, receive, settle


def _page(**submitted):
    """The page, with a form that failed to submit (``assign``, ``receive`` or ``settle``) in place
    of its blank one so that what was typed and its errors stay."""
    coop = current_coop()
    summary = consignment.summary(coop)
    forms = dict(zip(("assign", "receive", "settle"), _forms(coop, summary), strict=True))
    forms.update(submitted)
    return render_template("shop/consignment.html", summary=summary, settlements=consignment.settlements(coop),
                           may_manage=can("shop.manage"), total_owed=sum(s.owed for s in summary), **forms)


@coop_bp.get("/shop/consignment", endpoint="consignment")
@permission_required("shop.view")
def consignment_page():
    return _page()


def _submitted(index: int):
    """The posted form (0 assign, 1 receive, 2 settle), read from the request with its choices."""
    coop = current_coop()
    return coop, _forms(coop, consignment.summary(coop))[index]


@coop_bp.post("/shop/consignment/products")
@permission_required("shop.manage")
def consignment_product():
    coop, form = _submitted(0)
    if form.validate_on_submit():
        bp = _commission_bp(form.commission)
        product = shop.get_product(coop, form.product.data)
        consignor_id = int(form.consignor.data) if form.consignor.data else None
        if bp is not None and product is not None:
            try:
                consignment.set_consignment(coop, product, consignor_id=consignor_id, commission_bp=bp, actor=current_user)
            except ShopError as err:
                show_domain_error(form, err)
            else:
                flash(_("Status titipan %(p)s disimpan.", p=product.name), "success")
                return redirect(url_for("shop.consignment"))
    return _page(assign=form)


@coop_bp.post("/shop/consignment/receive")
@permission_required("shop.manage")
def consignment_receive():
    coop, form = _submitted(1)
    if form.validate_on_submit():
        service = consignment.receive_consignment if form.action.data == "in" else consignment.return_consignment
        try:
            service(coop, consignor_id=form.consignor.data, items=[(form.product.data, form.qty.data)], day=form.date.data,
                    actor=current_user)
        except ShopError as err:
            show_domain_error(form, err)
        else:
            flash(_("Barang titipan dicatat.") if form.action.data == "in" else _("Pengembalian barang titipan dicatat."), "success")
            return redirect(url_for("shop.consignment"))
    return _page(receive=form)


@coop_bp.post("/shop/consignment/settle")
@permission_required("shop.manage")
def consignment_settle():
    coop, form = _submitted(2)
    if form.validate_on_submit():
        amount = amount_of(form.amount, coop.currency_decimals)
        if amount is not None:
            try:
                payment = consignment.settle_consignor(coop, form.consignor.data, amount=amount, day=form.date.data,
                                                       account_id=form.account.data, actor=current_user,
                                                       idempotency_key=form.idempotency_key.data or None)
            except ShopError as err:
                show_domain_error(form, err)
            else:
                flash(_("Pembayaran %(a)s kepada penitip tercatat dengan nomor bukti %(n)s.",
                        a=idr_sen(payment.amount), n=payment.voucher), "success")
                return redirect(url_for("shop.consignment"))
    return _page(settle=form)
