"""Forms of the back-office pages. Amounts are typed Indonesian-style ("12.500") and parsed with
``money.parse_amount_id``; quantities are whole units. The shop services check every rule again."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, FieldList, FormField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import DateField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from koppontren.members.services import CATEGORIES, CATEGORY_LABELS
from koppontren.shop.catalogue import BUSINESS_UNIT_LABELS, PARTY_KIND_LABELS, PAYMENT_LABELS
from koppontren.shop.services import ProductData
from koppontren.site.formhelpers import amount_of
from koppontren.site.forms import FlaskForm, Form

PURCHASE_ROWS = 5  # rows the new-purchase form shows without JavaScript


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]




class ProductFilterForm(Form):
    q = StringField(_l("Cari nama, SKU, barcode"), validators=[Optional(), Length(max=100)])
    business_unit = SelectField(_l("Unit usaha"), choices=lambda: choices([("", _l("Semua unit")), *BUSINESS_UNIT_LABELS.items()]),
                                validators=[Optional()])
    active = SelectField(_l("Status"), choices=lambda: choices([("1", _l("Aktif")), ("0", _l("Tidak aktif")), ("all", _l("Semua"))]),
                         default="1", validators=[Optional()])


class ProductForm(FlaskForm):
    sku = StringField(_l("SKU"), validators=[DataRequired(), Length(max=40)], description=_l("Kode barang: huruf, angka, . / -"))
    barcode = StringField(_l("Barcode"), validators=[Optional(), Length(max=64)])
    name = StringField(_l("Nama barang"), validators=[DataRequired(), Length(max=200)])
    unit = StringField(_l("Satuan"), default="pcs", validators=[Optional(), Length(max=20)])
    category = StringField(_l("Kategori"), validators=[Optional(), Length(max=60)])
    business_unit = SelectField(_l("Unit usaha"), choices=lambda: choices(BUSINESS_UNIT_LABELS.items()), default="toko")
    price = StringField(_l("Harga jual (Rp)"), validators=[DataRequired(), Length(max=30)])
    member_price = StringField(_l("Harga anggota (Rp)"), validators=[Optional(), Length(max=30)],
                               description=_l("Kosongkan bila anggota membayar harga biasa."))
    active = BooleanField(_l("Aktif (dijual)"), default=True)
    submit = SubmitField(_l("Simpan produk"))

    def data_object(self, decimals: int) -> ProductData | None:
        """The product as typed, or None with the amount problems on their fields."""
        price = amount_of(self.price, decimals)
        member_price = amount_of(self.member_price, decimals, required=False)
        if price is None or self.member_price.errors:
            return None
        return ProductData(sku=self.sku.data or "", name=self.name.data or "", price=price, member_price=member_price,
                           unit=self.unit.data or "pcs", category=self.category.data, business_unit=self.business_unit.data,
                           barcode=self.barcode.data)


class ProductImportForm(FlaskForm):
    file = FileField(_l("Berkas CSV atau XLSX"), validators=[
        FileRequired(_l("Pilih berkas.")), FileAllowed(["csv", "xlsx"], _l("Gunakan berkas .csv atau .xlsx."))])
    dry_run = BooleanField(_l("Periksa saja (dry run) — tidak menyimpan apa pun"), default=True)
    submit = SubmitField(_l("Unggah"))


class PartyFilterForm(Form):
    q = StringField(_l("Cari nama atau kode"), validators=[Optional(), Length(max=100)])
    kind = SelectField(_l("Jenis"), choices=lambda: choices([("", _l("Semua jenis")), *PARTY_KIND_LABELS.items()]), validators=[Optional()])


class PartyForm(FlaskForm):
    kind = SelectField(_l("Jenis"), choices=lambda: choices(PARTY_KIND_LABELS.items()), default="supplier")
    code = StringField(_l("Kode"), validators=[DataRequired(), Length(max=30)], description=_l("Misalnya SUP-01."))
    name = StringField(_l("Nama"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(_l("Telepon / WhatsApp"), validators=[Optional(), Length(max=30)])
    address = TextAreaField(_l("Alamat"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Simpan"))


class SupplierPaymentForm(FlaskForm):
    amount = StringField(_l("Jumlah (Rp)"), validators=[DataRequired(), Length(max=30)])
    date = DateField(_l("Tanggal"), validators=[DataRequired()])
    account = SelectField(_l("Dibayar dari"), coerce=int)
    idempotency_key = HiddenField()
    submit = SubmitField(_l("Bayar pemasok"))


class PurchaseLineForm(Form):
    product = SelectField(_l("Produk"), choices=[], validate_choice=False)
    sku = StringField(_l("atau SKU/barcode"), validators=[Optional(), Length(max=64)])
    qty = StringField(_l("Jumlah"), validators=[Optional(), Length(max=12)])
    unit_cost = StringField(_l("Harga beli satuan (Rp)"), validators=[Optional(), Length(max=30)])

    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in (self.product, self.sku, self.qty, self.unit_cost))


class PurchaseForm(FlaskForm):
    party = SelectField(_l("Pemasok"), coerce=int, validate_choice=False)
    date = DateField(_l("Tanggal"), validators=[DataRequired()])
    invoice = StringField(_l("No. faktur pemasok"), validators=[Optional(), Length(max=60)])
    payment = SelectField(_l("Pembayaran"), choices=lambda: choices(PAYMENT_LABELS.items()), default="cash")
    account = SelectField(_l("Dibayar dari (tunai/bank)"), coerce=int, validate_choice=False)
    idempotency_key = HiddenField()
    lines = FieldList(FormField(PurchaseLineForm), min_entries=1, max_entries=200)
    add_line = SubmitField(_l("Tambah baris"))
    submit = SubmitField(_l("Simpan pembelian"))


class PurchaseReturnForm(FlaskForm):
    """Quantities to return per product come as ``return-<product id>`` inputs (read by the view)."""

    date = DateField(_l("Tanggal retur"), validators=[DataRequired()])
    idempotency_key = HiddenField()  # fresh per rendered form: a double submit records one return
    account = SelectField(_l("Uang kembali ke"), coerce=int, validate_choice=False,
                          description=_l("Untuk pembelian tunai/bank; pembelian kredit mengurangi utang usaha."))
    submit = SubmitField(_l("Catat retur pembelian"))


class StockCountForm(FlaskForm):
    """Counted quantities come as ``count-<product id>`` inputs (read by the view); blank: not counted."""

    date = DateField(_l("Tanggal hitung"), validators=[DataRequired()])
    submit = SubmitField(_l("Posting selisih stok"))


class StockCardForm(Form):
    date_from = DateField(_l("Dari"), validators=[Optional()])
    date_to = DateField(_l("Sampai"), validators=[Optional()])


class PurchaseFilterForm(Form):
    party = SelectField(_l("Pemasok"), coerce=lambda v: int(v) if v not in (None, "") else None, validate_choice=False,
                        validators=[Optional()])
    date_from = DateField(_l("Dari"), validators=[Optional()])
    date_to = DateField(_l("Sampai"), validators=[Optional()])


class ShopSettingsForm(FlaskForm):
    submit = SubmitField(_l("Simpan pengaturan toko"))

    def limit_fields(self):
        return [(c, getattr(self, f"limit_{c}")) for c in CATEGORIES]


for _category in CATEGORIES:
    setattr(ShopSettingsForm, f"limit_{_category}", StringField(CATEGORY_LABELS[_category], validators=[Optional(), Length(max=30)]))


def whole_qty(text: str | None) -> int | None:
    """A typed quantity as a whole number ("1.000" reads as a thousand); None when not one."""
    text = (text or "").strip()
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")
    if not re.fullmatch(r"[0-9]{1,9}", text):  # ASCII digits only ("²".isdigit() is true), and a bounded number
        return None
    return int(text)

