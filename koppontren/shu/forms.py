"""Forms of the SHU pages. The rules editor's component rows are a FieldList; every rule is checked
again by the SHU services (``shu.rules.validate``, ``services.check_accounts``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, FormField, SelectField, StringField, SubmitField
from wtforms.fields import DateField
from wtforms.validators import DataRequired, Length, Optional

from koppontren.members.forms import choices
from koppontren.shu.services import KIND_LABELS, METHOD_LABELS
from koppontren.site.forms import FlaskForm, Form

SOURCE_CHOICES = choices([("member", _l("SHU anggota")), ("nonmember", _l("SHU non-anggota"))])
UNIT_CHOICES = choices([("", _l("semua transaksi")), ("toko", _l("toko")), ("produk", _l("produk pesantren"))])
BASIS_CHOICES = choices([("year_end", _l("Saldo akhir tahun")), ("monthly_average", _l("Rata-rata saldo akhir bulan"))])


class ComponentForm(Form):
    name = StringField(_l("Komponen"), validators=[Optional(), Length(max=100)])
    kind = SelectField(_l("Jenis"), choices=choices(KIND_LABELS.items()))
    percent = StringField(_l("Persen"), validators=[Optional(), Length(max=12)])
    account = StringField(_l("Akun"), validators=[Optional(), Length(max=12)])
    source = SelectField(_l("Sumber"), choices=SOURCE_CHOICES)
    unit = SelectField(_l("Unit usaha"), choices=UNIT_CHOICES)


class RulesForm(FlaskForm):
    components = FieldList(FormField(ComponentForm), min_entries=1, max_entries=30)
    savings_basis = SelectField(_l("Dasar jasa modal"), choices=BASIS_CHOICES)
    include_sukarela = BooleanField(_l("Simpanan sukarela ikut dasar jasa modal"))
    include_departed = BooleanField(_l("Anggota yang keluar selama tahun buku ikut menerima SHU"))
    submit = SubmitField(_l("Simpan aturan"))


class ComputeForm(FlaskForm):
    submit = SubmitField(_l("Hitung SHU"))


class ApproveForm(FlaskForm):
    date = DateField(_l("Tanggal RAT"), validators=[DataRequired()])
    decision = StringField(_l("No. keputusan RAT"), validators=[DataRequired(), Length(max=100)])
    submit = SubmitField(_l("Sahkan pembagian SHU"))


class PayoutForm(FlaskForm):
    date = DateField(_l("Tanggal bayar"), validators=[DataRequired()])
    member = StringField(_l("No. anggota"), validators=[Optional(), Length(max=30)],
                         description=_l("Kosongkan untuk membayar semua anggota yang belum dibayar."))
    method = SelectField(_l("Cara bayar"), choices=choices(METHOD_LABELS.items()))
    account = SelectField(_l("Dibayar dari (tunai)"), coerce=int)
    submit = SubmitField(_l("Bayar SHU"))
