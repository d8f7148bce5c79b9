"""Forms for a cooperative's profile and for creating one (operator)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, FieldList, FormField, IntegerField, PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from koppontren.site.forms import FlaskForm, Form

MONTH_NAMES = [
    (1, _l("Januari")), (2, _l("Februari")), (3, _l("Maret")), (4, _l("April")), (5, _l("Mei")),
    (6, _l("Juni")), (7, _l("Juli")), (8, _l("Agustus")), (9, _l("September")), (10, _l("Oktober")),
    (11, _l("November")), (12, _l("Desember")),
]
MONTHS = dict(MONTH_NAMES)
LANGUAGES = [SelectChoice("id", "Bahasa Indonesia"), SelectChoice("en", "English")]


def month_choices():
    return [SelectChoice(month, label) for month, label in MONTH_NAMES]


class CoopProfileForm(FlaskForm):
    name = StringField(_l("Nama koperasi"), validators=[DataRequired(), Length(max=200)])
    pesantren_name = StringField(_l("Nama pondok pesantren"), validators=[Optional(), Length(max=200)])
    legal_number = StringField(_l("Nomor badan hukum"), validators=[Optional(), Length(max=100)])
    nik_koperasi = StringField(_l("NIK koperasi"), validators=[Optional(), Length(max=40)])
    address = TextAreaField(_l("Alamat"), validators=[Optional(), Length(max=1000)])
    fiscal_year_start_month = SelectField(_l("Bulan awal tahun buku"), choices=month_choices, coerce=int)
    currency_decimals = IntegerField(
        _l("Angka desimal mata uang"), default=0,
        validators=[NumberRange(min=0, max=2, message=_l("Harus 0, 1 atau 2."))],
    )
    locale = SelectField(_l("Bahasa laporan"), choices=LANGUAGES)
    books_start = DateField(_l("Awal pembukuan"), validators=[Optional()],
                            description=_l("Tidak ada jurnal sebelum tanggal ini; saldo awal dibukukan pada tanggal ini."))
    submit = SubmitField(_l("Simpan"))


class NewCoopForm(CoopProfileForm):
    slug = StringField(_l("Kode koperasi (di alamat web)"), validators=[DataRequired(), Length(max=40)])
    admin_login = StringField(_l("Login admin pertama"), validators=[DataRequired(), Length(min=3, max=80)])
    admin_name = StringField(_l("Nama admin pertama"), validators=[DataRequired(), Length(max=200)])
    admin_password = PasswordField(_l("Kata sandi admin pertama"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Buat koperasi"))


OFFICER_ROLE_CHOICES = [SelectChoice("ketua", _l("Ketua")), SelectChoice("sekretaris", _l("Sekretaris")),
                        SelectChoice("bendahara", _l("Bendahara")), SelectChoice("pengawas", _l("Pengawas")),
                        SelectChoice("manajer", _l("Manajer"))]
#: rows the officers' section shows: the board, three pengawas, a manajer and room for more
OFFICER_ROWS = 8


class OfficerForm(Form):
    role = SelectField(_l("Jabatan"), choices=OFFICER_ROLE_CHOICES, validate_choice=False)  # a row left empty has none; the service checks
    name = StringField(_l("Nama"), validators=[Optional(), Length(max=200)])
    term_start = DateField(_l("Awal masa bakti"), validators=[Optional()])
    term_end = DateField(_l("Akhir masa bakti"), validators=[Optional()])


class OfficersForm(FlaskForm):
    """The officers' section of the settings page: a row per officer (a row without a name is
    dropped) and the signing town. The rules are the service's (tenancy.officers)."""

    officers = FieldList(FormField(OfficerForm), min_entries=OFFICER_ROWS, max_entries=30)
    signing_town = StringField(_l("Kota tempat tanda tangan"), validators=[Optional(), Length(max=100)],
                               description=_l("Ditulis sebelum tanggal di bawah tanda tangan laporan."))
    submit = SubmitField(_l("Simpan pengurus"))
