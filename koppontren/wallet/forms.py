"""Forms of the santri wallet pages. Amounts are typed Indonesian-style ("15.000") and parsed with
``site.formhelpers.amount_of``; every rule is checked again by the wallet services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import DateField
from wtforms.validators import DataRequired, Length, Optional

from koppontren.members.forms import choices
from koppontren.site.forms import FlaskForm

METHOD_CHOICES = (("cash", _l("Tunai")), ("bank", _l("Transfer bank")))


class SantriForm(FlaskForm):
    nis = StringField(_l("NIS (nomor induk santri)"), validators=[DataRequired(), Length(max=30)])
    name = StringField(_l("Nama santri"), validators=[DataRequired(), Length(max=200)])
    kelas = StringField(_l("Kelas"), validators=[Optional(), Length(max=40)])
    asrama = StringField(_l("Asrama / kamar"), validators=[Optional(), Length(max=60)])
    member_number = StringField(_l("Nomor anggota (bila santri anggota koperasi)"), validators=[Optional(), Length(max=30)],
                                description=_l("Kosongkan bila santri bukan anggota: belanjanya dicatat sebagai penjualan non-anggota."))
    active = BooleanField(_l("Dompet aktif"), default=True)
    submit = SubmitField(_l("Simpan"))


class MoneyForm(FlaskForm):
    """A top-up or a refund."""

    amount = StringField(_l("Jumlah (Rp)"), validators=[DataRequired(), Length(max=30)])
    method = SelectField(_l("Cara"), choices=choices(METHOD_CHOICES))
    date = DateField(_l("Tanggal"), validators=[DataRequired()])
    reference = StringField(_l("Referensi (nomor transfer, nama pengirim …)"), validators=[Optional(), Length(max=100)])
    idempotency_key = HiddenField()
    submit = SubmitField(_l("Simpan"))


class LimitsForm(FlaskForm):
    """Daily / weekly / monthly limits; a blank field: the default (treasurer) or none (wali)."""

    daily = StringField(_l("Batas harian (Rp)"), validators=[Optional(), Length(max=30)])
    weekly = StringField(_l("Batas mingguan (Rp)"), validators=[Optional(), Length(max=30)])
    monthly = StringField(_l("Batas bulanan (Rp)"), validators=[Optional(), Length(max=30)])
    submit = SubmitField(_l("Simpan batas"))


class WalletSettingsForm(FlaskForm):
    limit_daily = StringField(_l("Batas harian bawaan (Rp)"), validators=[Optional(), Length(max=30)])
    limit_weekly = StringField(_l("Batas mingguan bawaan (Rp)"), validators=[Optional(), Length(max=30)])
    limit_monthly = StringField(_l("Batas bulanan bawaan (Rp)"), validators=[Optional(), Length(max=30)])
    exempt_categories = TextAreaField(_l("Kategori produk bebas batas (satu per baris)"), validators=[Optional(), Length(max=3000)],
                                      description=_l("Produk dengan kategori ini tidak dihitung ke batas belanja, misalnya kitab dan buku."))
    submit = SubmitField(_l("Simpan pengaturan"))


class WaliForm(FlaskForm):
    """Link a wali: an existing login, or a new account (login + name) with a one-time password."""

    login = StringField(_l("Nama pengguna (login) wali"), validators=[DataRequired(), Length(max=80)])
    name = StringField(_l("Nama wali (untuk akun baru)"), validators=[Optional(), Length(max=200)],
                       description=_l("Isi untuk membuat akun baru; kosongkan untuk menghubungkan akun yang sudah ada."))
    submit = SubmitField(_l("Hubungkan wali"))


class ActionForm(FlaskForm):
    """A bare POST (block or reissue a card, unlink a wali): the CSRF token only."""

    submit = SubmitField(_l("Lanjut"))


class ImportForm(FlaskForm):
    file = FileField(_l("Berkas"), validators=[FileRequired(_l("Pilih berkas.")),
                                               FileAllowed(["csv", "xlsx", "txt"], _l("Gunakan berkas .csv atau .xlsx."))])
    dry_run = BooleanField(_l("Periksa saja (belum disimpan)"), default=True)
    idempotency_key = HiddenField()
    submit = SubmitField(_l("Unggah"))


class TransitForm(FlaskForm):
    date = DateField(_l("Tanggal"), validators=[DataRequired()])
    amount = StringField(_l("Jumlah (Rp)"), validators=[DataRequired(), Length(max=30)])
    direction = SelectField(_l("Arah"), choices=choices((
        ("to_bank", _l("Uang dompet belum masuk bank 1112 (misalnya setoran tunai belum disetor)")),
        ("to_wallet", _l("Uang sudah di bank 1112, isi saldo belum dicatat")))))
    description = StringField(_l("Keterangan"), validators=[DataRequired(), Length(max=300)])
    submit = SubmitField(_l("Catat dana dalam perjalanan"))


class DayForm(FlaskForm):
    class Meta:
        csrf = False

    day = DateField(_l("Tanggal"), validators=[Optional()])
