"""Forms of the cashier's pages (the POS itself posts JSON, see ``shop.pos``): the sales-list
filters, a sales return and a member's receivable payment. Amounts are typed Indonesian-style
("1.250.000") and every rule is checked again by the shop services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.fields import DateField
from wtforms.validators import DataRequired, Length, Optional

from koppontren.members.forms import choices
from koppontren.shop.sales import PAYMENT_LABELS
from koppontren.site.forms import FlaskForm, Form


class SalesFilterForm(Form):
    """GET filters of the sales list (no CSRF: it changes nothing)."""

    date_from = DateField(_l("Dari tanggal"), validators=[Optional()])
    date_to = DateField(_l("Sampai tanggal"), validators=[Optional()])
    payment = SelectField(_l("Cara bayar"), choices=choices([("", _l("Semua")), *PAYMENT_LABELS.items()]), validate_choice=False)
    member = StringField(_l("No. anggota"), validators=[Optional(), Length(max=30)])


class SaleReturnForm(FlaskForm):
    """The quantities come as ``qty-<product id>`` inputs, one per line of the sale."""

    date = DateField(_l("Tanggal retur"), validators=[DataRequired()])
    idempotency_key = HiddenField()  # fresh per rendered form: a double submit records one return
    submit = SubmitField(_l("Catat retur"))


class ReceivablePaymentForm(FlaskForm):
    amount = StringField(_l("Jumlah (Rp)"), validators=[DataRequired(), Length(max=30)])
    date = DateField(_l("Tanggal"), validators=[Optional()])
    account = SelectField(_l("Diterima di"), coerce=int)
    idempotency_key = HiddenField()  # fresh per rendered form: a double submit records one payment
    submit = SubmitField(_l("Terima pelunasan"))
