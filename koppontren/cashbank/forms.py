"""Forms of the cash-transfer page. Amounts are typed Indonesian-style ("1.250.000") and parsed with
``site.formhelpers.amount_of``; every rule is checked again by ``cashbank.services``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.fields import DateField
from wtforms.validators import DataRequired, Length, Optional

from koppontren.site.forms import FlaskForm


class TransferForm(FlaskForm):
    """A transfer: checked first (``check`` shows what will be posted), posted on ``confirm``. The
    hidden idempotency key is made when the empty form is shown: a double submit posts once."""

    from_account = SelectField(_l("Dari akun"), choices=[], validate_choice=False, validators=[DataRequired(_l("Pilih akun asal."))])
    to_account = SelectField(_l("Ke akun"), choices=[], validate_choice=False, validators=[DataRequired(_l("Pilih akun tujuan."))])
    amount = StringField(_l("Jumlah (Rp)"), validators=[DataRequired(_l("Isi jumlahnya.")), Length(max=30)])
    date = DateField(_l("Tanggal"), validators=[DataRequired(_l("Isi tanggal."))])
    description = StringField(_l("Keterangan"), validators=[Optional(), Length(max=500)],
                              description=_l("Kosongkan untuk keterangan otomatis."))
    fee = StringField(_l("Biaya transfer (Rp)"), validators=[Optional(), Length(max=30)],
                      description=_l("Dibebankan ke 6109 Beban Administrasi Bank; akun asal berkurang sebesar jumlah + biaya."))
    arrival_date = DateField(_l("Tanggal tiba"), validators=[Optional()],
                             description=_l("Isi bila uang baru tiba di hari lain; sementara dicatat di 1105 Kas dalam Perjalanan."))
    idempotency_key = HiddenField()
    confirmed = HiddenField()
    check = SubmitField(_l("Periksa"))
    confirm = SubmitField(_l("Posting mutasi"))


class ArrivalForm(FlaskForm):
    date = DateField(_l("Tanggal tiba"), validators=[DataRequired(_l("Isi tanggal."))])
    idempotency_key = HiddenField()
    submit = SubmitField(_l("Sudah tiba"))
