"""Forms of the savings pages. Amounts are typed Indonesian-style ("1.250.000") and parsed with
``money.parse_amount_id``; every rule is checked again by the savings services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields import DateField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from koppontren.members.forms import category_choices, choices
from koppontren.members.services import CATEGORIES, STATUS_LABELS
from koppontren.savings.services import KIND_LABELS
from koppontren.site.forms import FlaskForm, Form


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DepositForm(FlaskForm):
    kind = SelectField(_l("Jenis simpanan"), choices=choices((k, KIND_LABELS[k]) for k in ("pokok", "wajib", "sukarela")))
    amount = StringField(_l("Jumlah (Rp)"), validators=[Optional(), Length(max=30)])
    month_count = IntegerField(_l("Jumlah bulan wajib"), default=1, validators=[Optional(), NumberRange(1, 60)],
                               description=_l("Membayar bulan-bulan tertua yang belum lunas, atau centang bulannya di bawah."))
    months = MultiCheckboxField(_l("Bulan wajib yang dibayar"), choices=[], validate_choice=False)
    date = DateField(_l("Tanggal"), validators=[DataRequired()])
    account = SelectField(_l("Diterima di"), coerce=int)
    note = StringField(_l("Catatan"), validators=[Optional(), Length(max=150)])
    submit = SubmitField(_l("Simpan setoran"))


class WithdrawForm(FlaskForm):
    amount = StringField(_l("Jumlah (Rp)"), validators=[DataRequired(), Length(max=30)])
    date = DateField(_l("Tanggal"), validators=[DataRequired()])
    account = SelectField(_l("Dibayar dari"), coerce=int)
    note = StringField(_l("Catatan"), validators=[Optional(), Length(max=150)])
    submit = SubmitField(_l("Simpan penarikan"))


class ExitForm(FlaskForm):
    status = SelectField(_l("Alasan berhenti"), choices=choices([("keluar", STATUS_LABELS["keluar"]), ("meninggal", STATUS_LABELS["meninggal"])]))
    effective_date = DateField(_l("Tanggal berlaku"), validators=[DataRequired()])
    reason = TextAreaField(_l("Keterangan"), validators=[Optional(), Length(max=500)])
    net_receivables = BooleanField(_l("Potong piutang dan pinjaman anggota dari simpanannya"))
    settlement_date = DateField(_l("Tanggal pembayaran"), validators=[Optional()])
    account = SelectField(_l("Dibayar dari"), coerce=int)
    submit = SubmitField(_l("Proses keluar anggota"))


class SettingsForm(FlaskForm):
    pokok_amount = StringField(_l("Simpanan pokok (sekali)"), validators=[DataRequired(), Length(max=30)])
    wajib_santri = StringField(_l("Santri"), validators=[Optional(), Length(max=30)])
    wajib_ustadz = StringField(_l("Ustadz/ustadzah"), validators=[Optional(), Length(max=30)])
    wajib_karyawan = StringField(_l("Karyawan"), validators=[Optional(), Length(max=30)])
    wajib_pengurus = StringField(_l("Pengurus"), validators=[Optional(), Length(max=30)])
    wajib_alumni = StringField(_l("Alumni"), validators=[Optional(), Length(max=30)])
    wajib_masyarakat = StringField(_l("Masyarakat"), validators=[Optional(), Length(max=30)])
    sukarela_earns_shu = BooleanField(_l("Simpanan sukarela ikut dihitung untuk SHU jasa modal"))
    default_account = SelectField(_l("Akun kas/bank bawaan"), coerce=int)
    number_prefix = StringField(_l("Awalan nomor anggota"), validators=[Optional(), Length(max=10)])
    number_digits = IntegerField(_l("Jumlah digit nomor"), validators=[DataRequired(), NumberRange(1, 10)])
    submit = SubmitField(_l("Simpan pengaturan"))

    def wajib_fields(self):
        return [(c, getattr(self, f"wajib_{c}")) for c in CATEGORIES]


class BulkWajibForm(FlaskForm):
    month = StringField(_l("Bulan"), validators=[DataRequired(), Regexp(r"^\d{4}-\d{2}$", message=_l("Tulis bulan sebagai 2026-11."))])
    date = DateField(_l("Tanggal"), validators=[DataRequired()])
    account = SelectField(_l("Diterima di"), coerce=int)
    note = StringField(_l("Catatan"), validators=[Optional(), Length(max=150)], description=_l("mis. dipotong dari honor bulan ini"))
    members = MultiCheckboxField(_l("Anggota"), choices=[], coerce=int, validate_choice=False)
    submit = SubmitField(_l("Simpan setoran massal"))


class PassbookForm(Form):
    kind = SelectField(_l("Jenis simpanan"), choices=choices((k, KIND_LABELS[k]) for k in ("pokok", "wajib", "sukarela")), default="sukarela")
    date_from = DateField(_l("Dari tanggal"), validators=[Optional()])
    date_to = DateField(_l("Sampai tanggal"), validators=[Optional()])


class ArrearsForm(Form):
    as_of = DateField(_l("Per tanggal"), validators=[Optional()])
    category = SelectField(_l("Kategori"), choices=category_choices(_l("Semua kategori")), validators=[Optional()])
