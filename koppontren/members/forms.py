"""Forms of the members' register pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import DateField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from koppontren.members.models import CATEGORIES
from koppontren.members.services import CATEGORY_LABELS, GENDER_LABELS, STATUS_LABELS, MemberData
from koppontren.site.forms import FlaskForm, Form


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def category_choices(blank: str | None = None) -> list[SelectChoice]:
    pairs = [(c, CATEGORY_LABELS[c]) for c in CATEGORIES]
    return choices([("", blank), *pairs] if blank else pairs)


class MemberForm(FlaskForm):
    number = StringField(_l("Nomor anggota"), validators=[Optional(), Length(max=30)],
                         description=_l("Kosongkan untuk nomor berikutnya otomatis."))
    name = StringField(_l("Nama lengkap"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(_l("Kategori"), choices=category_choices(), validators=[DataRequired()])
    nik = StringField(_l("NIK (16 angka)"), validators=[Optional(), Length(max=20)])
    gender = SelectField(_l("Jenis kelamin"), choices=choices([("", "—"), *GENDER_LABELS.items()]), validators=[Optional()])
    birth_date = DateField(_l("Tanggal lahir"), validators=[Optional()])
    phone = StringField(_l("Telepon / WhatsApp"), validators=[Optional(), Length(max=30)])
    address = TextAreaField(_l("Alamat"), validators=[Optional(), Length(max=1000)])
    join_date = DateField(_l("Tanggal masuk"), validators=[DataRequired()])
    submit = SubmitField(_l("Simpan"))

    def data_object(self) -> MemberData:
        return MemberData(name=self.name.data or "", category=self.category.data or "", join_date=self.join_date.data,
                          nik=self.nik.data, gender=self.gender.data or None, birth_date=self.birth_date.data,
                          phone=self.phone.data, address=self.address.data, number=self.number.data)


class MemberFilterForm(Form):
    q = StringField(_l("Cari nama, nomor, NIK, telepon"), validators=[Optional(), Length(max=100)])
    category = SelectField(_l("Kategori"), choices=category_choices(_l("Semua kategori")), validators=[Optional()])
    status = SelectField(_l("Status"), choices=choices([("", _l("Semua status")), *STATUS_LABELS.items()]), validators=[Optional()])


class MemberImportForm(FlaskForm):
    """The member import upload: the file, the opening entry's date and counter account, dry run."""

    file = FileField(_l("Berkas CSV atau XLSX"), validators=[
        FileRequired(_l("Pilih berkas.")), FileAllowed(["csv", "xlsx"], _l("Gunakan berkas .csv atau .xlsx."))])
    date = DateField(_l("Tanggal saldo awal"), validators=[DataRequired()],
                     description=_l("Tanggal jurnal saldo awal simpanan; anggota yang punya saldo harus sudah masuk pada tanggal ini."))
    account = SelectField(_l("Akun lawan (debit)"), coerce=int,
                          description=_l("Biasanya kas atau bank tempat simpanan itu disimpan; atau 3104 bila uangnya tidak tercatat lagi."))
    dry_run = BooleanField(_l("Periksa saja (dry run) — tidak menyimpan apa pun"), default=True)
    submit = SubmitField(_l("Unggah"))
