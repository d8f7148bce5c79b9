"""Forms of the ledger pages: chart changes, the manual journal, reversal, periods, opening balances.

Amounts are typed Indonesian-style ("1.250.000") and parsed with ``money.parse_amount_id``; a bad
amount becomes an error on its own row. Everything else is checked again by the ledger services,
whose refusals (``LedgerError``) are put back on the rows with :meth:`LineRowsMixin.show_error`.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, FieldList, FormField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.fields import DateField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from koppontren import money
from koppontren.errors import DomainError
from koppontren.ledger.chart import CASH_FLOW_CATEGORIES
from koppontren.ledger.posting import JOURNAL_TYPES, MANUAL_JOURNAL_TYPES, LineSpec
from koppontren.site.formhelpers import show_domain_error
from koppontren.site.forms import FlaskForm, Form

MAX_LINES = 300

CASH_FLOW_LABELS = {
    "cash": _l("Kas dan setara kas"),
    "operating": _l("Aktivitas operasi"),
    "investing": _l("Aktivitas investasi"),
    "financing": _l("Aktivitas pendanaan"),
    "noncash": _l("Bukan kas"),
}
SUBLEDGER_LABELS = {
    "": _l("Tidak ada"),
    "member": _l("Anggota"),
    "party": _l("Pemasok / pelanggan"),
}


def money_error_text(err: money.MoneyError) -> str:
    """MoneyError carries its own Indonesian and English texts."""
    locale = get_locale()
    return err.message if locale and locale.language == "en" else err.message_id


def parse_amount(field, decimals: int) -> Decimal | None:
    """The field's amount (0 when empty), or None with the problem added to the field's errors."""
    text = (field.data or "").strip()
    if not text:
        return Decimal(0)
    try:
        return money.parse_amount_id(text, decimals)
    except money.MoneyError as err:
        field.errors = [*list(field.errors or []), money_error_text(err)]
        return None


# --- chart of accounts ------------------------------------------------------------------------------

class AddAccountForm(FlaskForm):
    parent_code = SelectField(_l("Akun induk (kelompok)"), choices=[], validators=[DataRequired()])
    code = StringField(_l("Kode akun baru"), validators=[DataRequired(), Length(max=12)],
                       description=_l("Angka, diawali kode induknya; misalnya 6110 di bawah 6."))
    name_id = StringField(_l("Nama (Indonesia)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Nama (Inggris)"), validators=[Optional(), Length(max=200)])
    cash_flow = SelectField(_l("Kategori arus kas"), choices=lambda: [
        SelectChoice("", _l("— pilih —")), *(SelectChoice(c, CASH_FLOW_LABELS[c]) for c in CASH_FLOW_CATEGORIES)],
        validators=[DataRequired(_l("Pilih kategori arus kas."))])
    subledger = SelectField(_l("Buku pembantu"), choices=lambda: [SelectChoice(k, v) for k, v in SUBLEDGER_LABELS.items()])
    submit = SubmitField(_l("Tambah akun"))


class RenameAccountForm(FlaskForm):
    name_id = StringField(_l("Nama (Indonesia)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Nama (Inggris)"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Simpan nama"))


class AccountActiveForm(FlaskForm):
    active = HiddenField(validators=[DataRequired()])  # "1" reactivates, "0" deactivates


# --- journal lines ------------------------------------------------------------------------------

class LineRowsMixin:
    """Shared by the forms whose ``lines`` rows become LineSpecs (manual journal, opening form)."""

    lines: FieldList

    def show_error(self, err: DomainError, rows: list[int]) -> None:
        """Show a ledger refusal: ``lines.<n>.<field>`` problems on the form row they came from
        (``rows[n - 1]`` is the row of the n-th line handed to the service; blank rows are skipped),
        ``lines`` under the table, any other field next to it, and the message on top."""
        others = {}
        for key, problem in err.fields.items():
            parts = str(key).split(".")
            if parts[0] != "lines":
                others[key] = problem
            elif len(parts) == 1 or not parts[1].isdigit() or not 1 <= int(parts[1]) <= len(rows):
                self.lines.errors = [*list(self.lines.errors or []), str(problem)]
            else:
                row = self.lines.entries[rows[int(parts[1]) - 1]]
                field = getattr(row, parts[2], None) if len(parts) > 2 else None
                field = field if field is not None else row.account
                field.errors = [*list(field.errors or []), str(problem)]
        show_domain_error(self, DomainError(err.code, err.message, others))


class JournalLineForm(Form):
    account = SelectField(_l("Akun"), choices=[], validate_choice=False)
    debit = StringField(_l("Debit"), validators=[Length(max=40)])
    credit = StringField(_l("Kredit"), validators=[Length(max=40)])
    memo = StringField(_l("Memo"), validators=[Length(max=200)])
    member = StringField(_l("No. anggota"), validators=[Length(max=40)])

    def is_blank(self) -> bool:
        return not any((f.data or "").strip() for f in (self.account, self.debit, self.credit, self.memo, self.member))


def journal_type_choices():
    return [SelectChoice(t, JOURNAL_TYPES[t]) for t in MANUAL_JOURNAL_TYPES]


class JournalForm(LineRowsMixin, FlaskForm):
    """Jurnal umum. Field names match the keys of LedgerError.fields (``date``, ``description`` …)."""

    date = DateField(_l("Tanggal"), validators=[InputRequired()])
    journal_type = SelectField(_l("Jenis jurnal"), choices=journal_type_choices, default="JU")
    description = StringField(_l("Keterangan"), validators=[DataRequired(), Length(max=500)])
    reference = StringField(_l("Referensi / no. bukti"), validators=[Optional(), Length(max=100)])
    idempotency_key = HiddenField()
    lines = FieldList(FormField(JournalLineForm), min_entries=2)
    add_line = SubmitField(_l("Tambah baris"))
    submit = SubmitField(_l("Posting jurnal"))

    def validate_lines(self, field):
        if len(field.entries) > MAX_LINES:
            raise ValidationError(_l("Paling banyak %(n)s baris.", n=MAX_LINES))

    def line_specs(self, decimals: int, member_id_of=None) -> tuple[list[int], list[LineSpec]] | None:
        """The filled-in rows as LineSpecs, with the form row index of each; None when a row has a bad
        amount, no account or an unknown member number (the problem is on that row).

        ``member_id_of(number)`` turns a member number into an id (None: unknown); without it the
        member column is ignored (no member subledger registered).
        """
        rows: list[int] = []
        specs: list[LineSpec] = []
        ok = True
        for i, row in enumerate(self.lines.entries):
            if row.is_blank():
                continue
            debit, credit = parse_amount(row.debit, decimals), parse_amount(row.credit, decimals)
            if not (row.account.data or "").strip():
                row.account.errors = [*list(row.account.errors or []), _("Pilih akun.")]
                ok = False
            member_id = None
            number = (row.member.data or "").strip()
            if member_id_of is not None and number:
                member_id = member_id_of(number)
                if member_id is None:
                    row.member.errors = [*list(row.member.errors or []), _("Anggota %(n)s tidak ada.", n=number)]
                    ok = False
            if debit is None or credit is None:
                ok = False
                continue
            rows.append(i)
            specs.append(LineSpec(row.account.data.strip(), debit=debit, credit=credit, member_id=member_id,
                                  memo=(row.memo.data or "").strip() or None))
        return (rows, specs) if ok else None


class ReverseForm(FlaskForm):
    date = DateField(_l("Tanggal pembalikan"), validators=[InputRequired()])
    submit = SubmitField(_l("Balik jurnal"))


# --- filters (GET, no CSRF) ----------------------------------------------------------------------

class AsOfForm(Form):
    as_of = DateField(_l("Per tanggal"), validators=[Optional()])


class DateRangeForm(Form):
    date_from = DateField(_l("Dari"), name="from", validators=[Optional()])
    date_to = DateField(_l("Sampai"), name="to", validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("Tanggal akhir sebelum tanggal awal."))


def filter_type_choices():
    return [SelectChoice("", _l("Semua jenis")), *(SelectChoice(t, label) for t, label in JOURNAL_TYPES.items())]


class JournalFilterForm(DateRangeForm):
    journal_type = SelectField(_l("Jenis"), choices=filter_type_choices, validators=[Optional()])
    account = StringField(_l("Kode akun"), validators=[Optional(), Length(max=20)])
    member = StringField(_l("No. anggota"), validators=[Optional(), Length(max=40)])
    q = StringField(_l("Cari teks"), validators=[Optional(), Length(max=100)])


# --- periods -----------------------------------------------------------------------------------

class MonthForm(FlaskForm):
    year = IntegerField(validators=[InputRequired(), NumberRange(min=1900, max=2999)])
    month = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=12)])


class ReopenMonthForm(MonthForm):
    reason = StringField(_l("Alasan membuka kembali"), validators=[DataRequired(), Length(max=300)])


class HiddenIntegerField(IntegerField, HiddenField):
    """An integer carried in a hidden input (rendered as hidden by bootstrap-flask's render_form)."""

    widget = HiddenInput()


class CloseYearForm(FlaskForm):
    fiscal_year = HiddenIntegerField(validators=[InputRequired(), NumberRange(min=1900, max=2999)])
    confirm = BooleanField(_l("Saya yakin: pendapatan dan beban tahun ini dipindahkan ke SHU tahun berjalan dan semua bulannya ditutup."),
                           validators=[DataRequired(_l("Centang konfirmasi dulu."))])
    submit = SubmitField(_l("Tutup buku tahun ini"))


# --- opening balances -----------------------------------------------------------------------------

class OpeningRowForm(Form):
    account = HiddenField()
    debit = StringField(_l("Debit"), validators=[Length(max=40)])
    credit = StringField(_l("Kredit"), validators=[Length(max=40)])


class OpeningForm(LineRowsMixin, FlaskForm):
    """Saldo awal typed in: one debit/credit row per account without a subledger."""

    date = DateField(_l("Tanggal saldo awal"), validators=[InputRequired()])
    lines = FieldList(FormField(OpeningRowForm))
    submit = SubmitField(_l("Simpan saldo awal"))

    def line_specs(self, decimals: int) -> tuple[list[int], list[LineSpec]] | None:
        """The non-zero rows as LineSpecs (None when an amount is bad; the problem is on its row)."""
        rows: list[int] = []
        specs: list[LineSpec] = []
        ok = True
        for i, row in enumerate(self.lines.entries):
            debit, credit = parse_amount(row.debit, decimals), parse_amount(row.credit, decimals)
            if debit is None or credit is None:
                ok = False
            elif debit or credit:
                rows.append(i)
                specs.append(LineSpec((row.account.data or "").strip(), debit=debit, credit=credit))
        return (rows, specs) if ok else None


class OpeningUploadForm(FlaskForm):
    date = DateField(_l("Tanggal saldo awal"), validators=[InputRequired()])
    file = FileField(_l("Berkas CSV atau XLSX"), validators=[
        FileRequired(_l("Pilih berkas.")), FileAllowed(["csv", "xlsx"], _l("Gunakan berkas .csv atau .xlsx."))])
    dry_run = BooleanField(_l("Periksa saja (dry run) — tidak menyimpan apa pun"))
    submit = SubmitField(_l("Unggah"))
