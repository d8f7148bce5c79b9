"""The ledger pages: chart of accounts, general ledger, manual journal, journal list and detail,
trial balance, periods and the year-end close, opening balances.

Views only parse input, call one ledger service and render; every rule is checked by the services,
whose refusals (LedgerError) are shown as messages and write nothing.
"""

from __future__ import annotations

import secrets
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from koppontren import money
from koppontren.auth import services as auth_services
from koppontren.auth.permissions import can, permission_required, recent_password_required
from koppontren.clock import today
from koppontren.imports.pages import Done, add_template_routes, handle_upload
from koppontren.ledger import chart, opening, periods, posting, queries, subledgers
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.fiscal import fiscal_year_bounds, fiscal_year_of
from koppontren.ledger.forms import (
    AccountActiveForm,
    AddAccountForm,
    AsOfForm,
    CloseYearForm,
    DateRangeForm,
    JournalFilterForm,
    JournalForm,
    MonthForm,
    OpeningForm,
    OpeningUploadForm,
    RenameAccountForm,
    ReopenMonthForm,
    ReverseForm,
)
from koppontren.ledger.models import Account, JournalEntry
from koppontren.site.formhelpers import show_domain_error
from koppontren.tenancy.current import coop_blueprint
from koppontren.tenancy.models import Cooperative
from koppontren.tenancy.scoping import current_coop

coop_bp = coop_blueprint("ledger", __name__)
PER_PAGE = 50
#: Accounts a person cannot fill in by hand: their module keeps the subledger (stock, santri wallets),
#: and supplier/customer lines need the party register, which has no page yet.
MODULE_SUBLEDGERS = ("product", "santri", "party")


# --- helpers ------------------------------------------------------------------------------------

def _account_or_404(coop: Cooperative, code: str) -> Account:
    account = chart.account_by_code(coop, code)
    if account is None:
        abort(404)
    return account


def _entry_or_404(coop: Cooperative, entry_id: int) -> JournalEntry:
    entry = queries.get_entry(coop, entry_id)
    if entry is None:
        abort(404)
    return entry


def _member_ledger():
    """The member subledger, or None while the members module is not there (no member fields then)."""
    return subledgers.get("member")


def _member_labels(coop: Cooperative, member_ids) -> dict[int, str]:
    plugin = _member_ledger()
    if plugin is None:
        return {}
    return {i: (plugin.label(coop.id, i) if plugin.label else str(i)) for i in set(member_ids) if i is not None}


def _locale() -> str:
    loc = get_locale()
    return loc.language if loc else "id"


def _fiscal_year_start(coop: Cooperative, day: date) -> date:
    return fiscal_year_bounds(fiscal_year_of(day, coop.fiscal_year_start_month), coop.fiscal_year_start_month)[0]


def _first_error(form) -> str:
    for errors in form.errors.values():
        for error in errors:
            if not isinstance(error, dict | list):
                return str(error)
    return _("Isian tidak sah.")


def _hand_postable(coop: Cooperative) -> list[Account]:
    """Active postable accounts a manual journal may use."""
    member_ok = _member_ledger() is not None
    return [a for a in chart.accounts(coop, postable_only=True, active_only=True)
            if a.subledger not in MODULE_SUBLEDGERS and (a.subledger != "member" or member_ok) and chart.reserved_by(a) is None]


def _refuse_module_accounts(coop: Cooperative, form: JournalForm, rows: list[int], specs) -> bool:
    """Put an error on each row naming an account its module keeps to itself; True if there was one."""
    refused = False
    for row_index, spec in zip(rows, specs, strict=True):
        account = chart.account_by_code(coop, str(spec.account))
        module = chart.reserved_by(account) if account is not None else None
        if module is not None:
            field = form.lines.entries[row_index].account
            field.errors = [*list(field.errors or []), _("Akun %(code)s hanya diisi lewat modul %(module)s.", code=account.code, module=module)]
            refused = True
    return refused


def _as_of(form: AsOfForm) -> date:
    return (form.as_of.data if form.validate() else None) or today()


# --- chart of accounts -----------------------------------------------------------------------------

def _add_account_form(coop: Cooperative) -> AddAccountForm:
    form = AddAccountForm()
    form.parent_code.choices = [(a.code, f"{a.code} — {a.name(_locale())}") for a in chart.accounts(coop) if not a.postable]
    return form


def _render_accounts(coop: Cooperative, filters: AsOfForm, form: AddAccountForm | None):
    as_of = _as_of(filters)
    return render_template("ledger/accounts.html", rows=queries.chart_tree(coop, as_of), as_of=as_of,
                           filters=filters, form=form)


@coop_bp.get("/ledger/accounts")
@permission_required("ledger.view")
def accounts():
    """The chart as a tree with balances as of a date; the add-account form for chart keepers."""
    coop = current_coop()
    form = _add_account_form(coop) if can("ledger.chart") else None
    return _render_accounts(coop, AsOfForm(request.args), form)


@coop_bp.post("/ledger/accounts/new")
@permission_required("ledger.chart")
def add_account():
    coop = current_coop()
    form = _add_account_form(coop)
    if form.validate_on_submit():
        try:
            account = chart.add_account(
                coop, parent_code=form.parent_code.data, code=form.code.data, name_id=form.name_id.data,
                name_en=form.name_en.data, subledger=form.subledger.data or None, cash_flow=form.cash_flow.data or None,
                actor=current_user,
            )
        except LedgerError as err:
            show_domain_error(form, err)
        else:
            flash(_("Akun %(code)s %(name)s ditambahkan.", code=account.code, name=account.name_id), "success")
            return redirect(url_for("ledger.account_ledger", code=account.code))
    else:
        flash(_("Akun belum ditambahkan: periksa isian yang ditandai."), "danger")
    return _render_accounts(coop, AsOfForm(), form)


@coop_bp.get("/ledger/accounts/<code>")
@permission_required("ledger.view")
def account_ledger(code: str):
    """Buku besar of one account between two dates (default: start of the fiscal year → today)."""
    coop = current_coop()
    account = _account_or_404(coop, code)
    filters = DateRangeForm(request.args)
    day = today()
    date_from, date_to = _fiscal_year_start(coop, day), day
    if filters.validate():
        date_from = filters.date_from.data or date_from
        date_to = filters.date_to.data or max(date_to, date_from)
    if date_to < date_from:
        date_to = date_from
    ledger = queries.account_ledger(coop, account, date_from, date_to)
    rename_form = active_form = None
    if can("ledger.chart"):
        rename_form = RenameAccountForm(name_id=account.name_id, name_en=account.name_en)
        active_form = AccountActiveForm(active="0" if account.active else "1")
    return render_template(
        "ledger/account_ledger.html", account=account, ledger=ledger, filters=filters, date_from=date_from, date_to=date_to,
        members=_member_labels(coop, (ln.line.member_id for ln in ledger.lines)), rename_form=rename_form, active_form=active_form,
    )


@coop_bp.post("/ledger/accounts/<code>/rename")
@permission_required("ledger.chart")
def rename_account(code: str):
    coop = current_coop()
    account = _account_or_404(coop, code)
    form = RenameAccountForm()
    if form.validate_on_submit():
        try:
            chart.rename_account(account, name_id=form.name_id.data, name_en=form.name_en.data, actor=current_user)
        except LedgerError as err:
            flash(str(err.message), "danger")
        else:
            flash(_("Nama akun %(code)s diganti.", code=account.code), "success")
    else:
        flash(_first_error(form), "danger")
    return redirect(url_for("ledger.account_ledger", code=account.code))


@coop_bp.post("/ledger/accounts/<code>/active")
@permission_required("ledger.chart")
def set_account_active(code: str):
    coop = current_coop()
    account = _account_or_404(coop, code)
    form = AccountActiveForm()
    if not form.validate_on_submit() or form.active.data not in ("0", "1"):
        abort(400)
    try:
        chart.set_active(account, form.active.data == "1", actor=current_user)
    except LedgerError as err:
        flash(str(err.message), "danger")
    else:
        flash(_("Akun %(code)s diaktifkan kembali.", code=account.code) if account.active
              else _("Akun %(code)s dinonaktifkan: tidak bisa dipakai untuk jurnal baru; riwayatnya tetap.", code=account.code),
              "success")
    return redirect(url_for("ledger.account_ledger", code=account.code))


# --- journal ---------------------------------------------------------------------------------------

@coop_bp.route("/ledger/journal/new", methods=["GET", "POST"])
@permission_required("ledger.post")
def new_journal():
    """Jurnal umum: any number of lines; a hidden idempotency key makes a double submit post once."""
    coop = current_coop()
    member_ledger = _member_ledger()
    form = JournalForm()
    if request.method == "GET":
        form.date.data = today()
        form.idempotency_key.data = secrets.token_urlsafe(24)
    elif form.add_line.data:  # without JavaScript, "Tambah baris" comes back with one more row
        form.lines.append_entry()
    elif form.is_submitted():
        valid = form.validate()
        parsed = form.line_specs(coop.currency_decimals,
                                 (lambda number: member_ledger.by_number(coop.id, number)) if member_ledger else None)
        if valid and parsed is not None and not _refuse_module_accounts(coop, form, *parsed):
            rows, specs = parsed
            try:
                entry = posting.post_entry(
                    coop, entry_date=form.date.data, description=form.description.data, lines=specs,
                    journal_type=form.journal_type.data, reference=form.reference.data,
                    idempotency_key=form.idempotency_key.data, actor=current_user,
                )
            except LedgerError as err:
                form.show_error(err, rows)
                if err.code == "idempotency_conflict":  # the key belongs to an earlier entry: this is new work
                    form.idempotency_key.data = secrets.token_urlsafe(24)
            else:
                if entry.was_replayed:
                    flash(_("Jurnal ini sudah tercatat sebagai %(number)s; kiriman ganda tidak dicatat lagi.", number=entry.number), "info")
                else:
                    flash(_("Jurnal %(number)s diposting.", number=entry.number), "success")
                return redirect(url_for("ledger.entry", entry_id=entry.id))
        else:
            flash(_("Jurnal belum disimpan: periksa isian yang ditandai."), "danger")
    return render_template("ledger/journal_new.html", form=form, accounts=_hand_postable(coop),
                           member_field=member_ledger is not None)


@coop_bp.get("/ledger/journal")
@permission_required("ledger.view")
def journal():
    """Journal list with filters, newest first, 50 a page."""
    coop = current_coop()
    member_ledger = _member_ledger()
    filters = JournalFilterForm(request.args)
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)  # a huge number would overflow SQLite
    entries, total = [], 0
    if filters.validate():
        account_id = member_id = None
        if filters.account.data:
            account = chart.account_by_code(coop, filters.account.data)
            if account is None:
                filters.account.errors.append(_("Akun %(code)s tidak ada.", code=filters.account.data))
            else:
                account_id = account.id
        if member_ledger is not None and filters.member.data:
            member_id = member_ledger.by_number(coop.id, filters.member.data.strip())
            if member_id is None:
                filters.member.errors.append(_("Anggota %(n)s tidak ada.", n=filters.member.data))
        if not filters.account.errors and not filters.member.errors:
            entries, total = queries.search_entries(coop, queries.JournalFilter(
                date_from=filters.date_from.data, date_to=filters.date_to.data, journal_type=filters.journal_type.data or None,
                account_id=account_id, member_id=member_id, text=filters.q.data or None), page, PER_PAGE)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("ledger/journal_list.html", entries=entries, total=total, page=page,
                           pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), filters=filters, args=args,
                           member_filter=member_ledger is not None, types=posting.JOURNAL_TYPES)


@coop_bp.get("/ledger/journal/<int:entry_id>")
@permission_required("ledger.view")
def entry(entry_id: int):
    coop = current_coop()
    entry = _entry_or_404(coop, entry_id)
    reverse_form = None
    if can("ledger.post") and entry.reversed_by_id is None and entry.reverses_id is None:
        reverse_form = ReverseForm(date=max(today(), entry.entry_date))
    creator = auth_services.user_in_coop_or_none(coop, entry.created_by_id) if entry.created_by_id else None
    return render_template(
        "ledger/entry.html", entry=entry, type_label=posting.JOURNAL_TYPES.get(entry.journal_type, entry.journal_type),
        reversal=queries.get_entry(coop, entry.reversed_by_id) if entry.reversed_by_id else None,
        original=queries.get_entry(coop, entry.reverses_id) if entry.reverses_id else None,
        creator=creator, members=_member_labels(coop, (ln.member_id for ln in entry.lines)), reverse_form=reverse_form,
    )


@coop_bp.post("/ledger/journal/<int:entry_id>/reverse")
@permission_required("ledger.post")
def reverse_entry(entry_id: int):
    """Balik jurnal: post the mirror entry on the chosen date and link the two."""
    coop = current_coop()
    entry = _entry_or_404(coop, entry_id)
    form = ReverseForm()
    if form.validate_on_submit():
        try:
            reversal = posting.reverse(coop, entry, entry_date=form.date.data, actor=current_user)
        except LedgerError as err:
            flash(str(err.message), "danger")
        else:
            flash(_("Jurnal %(number)s dibalik dengan %(reversal)s.", number=entry.number, reversal=reversal.number), "success")
            return redirect(url_for("ledger.entry", entry_id=reversal.id))
    else:
        flash(_first_error(form), "danger")
    return redirect(url_for("ledger.entry", entry_id=entry.id))


# --- trial balance and periods ---------------------------------------------------------------------

@coop_bp.get("/ledger/trial-balance")
@permission_required("ledger.view")
def trial_balance():
    """Neraca saldo: each account's balance in the debit or credit column; the two totals are equal."""
    coop = current_coop()
    filters = AsOfForm(request.args)
    as_of = _as_of(filters)
    rows = [r for r in queries.trial_balance(coop, as_of) if r.net_debit]
    total_debit = sum(r.net_debit for r in rows if r.net_debit > 0)
    total_credit = sum(-r.net_debit for r in rows if r.net_debit < 0)
    return render_template("ledger/trial_balance.html", rows=rows, as_of=as_of, filters=filters,
                           total_debit=total_debit, total_credit=total_credit)


@coop_bp.get("/ledger/periods")
@permission_required("ledger.view")
def periods_page():
    """The twelve months of a fiscal year with their state; closing and reopening for administrators."""
    coop = current_coop()
    current_year = fiscal_year_of(today(), coop.fiscal_year_start_month)
    year = request.args.get("year", type=int) or current_year
    if not 1900 <= year <= 2998:
        year = current_year
    first, last = fiscal_year_bounds(year, coop.fiscal_year_start_month)
    closing_entries, _total = queries.search_entries(
        coop, queries.JournalFilter(date_from=first, date_to=last, journal_type="PN"), 1, 20)
    return render_template(
        "ledger/periods.html", year=year, first=first, last=last, months=periods.fiscal_year_status(coop, year),
        closing_entries=closing_entries, close_year_form=CloseYearForm(fiscal_year=year) if can("periods.manage") else None,
    )


def _back_to_periods(year: int, month: int = 0):
    coop = current_coop()
    fiscal_year = fiscal_year_of(date(year, month, 1), coop.fiscal_year_start_month) if month else year
    return redirect(url_for("ledger.periods_page", year=fiscal_year))


@coop_bp.post("/ledger/periods/close")
@permission_required("periods.manage")
def close_month():
    coop = current_coop()
    form = MonthForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        periods.close_month(coop, form.year.data, form.month.data, actor=current_user)
    except LedgerError as err:
        flash(str(err.message), "danger")
    else:
        flash(_("Periode %(m)02d/%(y)s ditutup: jurnal bertanggal di bulan itu ditolak.", m=form.month.data, y=form.year.data), "success")
    return _back_to_periods(form.year.data, form.month.data)


@coop_bp.post("/ledger/periods/reopen")
@permission_required("periods.manage")
@recent_password_required
def reopen_month():
    coop = current_coop()
    form = ReopenMonthForm()
    if not form.validate_on_submit():
        if form.year.errors or form.month.errors:
            abort(400)
        flash(_("Tuliskan alasan membuka kembali periode."), "danger")
        return _back_to_periods(form.year.data, form.month.data)
    try:
        periods.reopen_month(coop, form.year.data, form.month.data, actor=current_user, reason=form.reason.data)
    except LedgerError as err:
        flash(str(err.message), "danger")
    else:
        flash(_("Periode %(m)02d/%(y)s dibuka kembali.", m=form.month.data, y=form.year.data), "success")
    return _back_to_periods(form.year.data, form.month.data)


@coop_bp.post("/ledger/periods/close-year")
@permission_required("periods.manage")
def close_year():
    """Tutup buku: the closing entry moves revenue and expense into SHU tahun berjalan; months close."""
    coop = current_coop()
    form = CloseYearForm()
    if not form.validate_on_submit():
        if form.fiscal_year.errors:
            abort(400)
        flash(_first_error(form), "danger")
        return _back_to_periods(form.fiscal_year.data)
    try:
        entry = periods.close_year(coop, form.fiscal_year.data, actor=current_user)
    except LedgerError as err:
        flash(str(err.message), "danger")
    else:
        if entry is not None:
            flash(_("Tahun buku %(y)s ditutup dengan jurnal penutup %(number)s.", y=form.fiscal_year.data, number=entry.number), "success")
        else:
            flash(_("Tahun buku %(y)s ditutup; tidak ada saldo pendapatan atau beban yang perlu dipindahkan.", y=form.fiscal_year.data), "success")
    return _back_to_periods(form.fiscal_year.data)


# --- opening balances ------------------------------------------------------------------------------

def _opening_accounts(coop: Cooperative) -> list[Account]:
    """The accounts of the typed-in opening form: active, postable, no subledger."""
    return [a for a in chart.accounts(coop, postable_only=True, active_only=True) if not a.subledger]


def _plan_rows(coop: Cooperative, plan: opening.OpeningPlan) -> list[dict]:
    members = _member_labels(coop, (spec.member_id for spec in plan.lines))
    return [{"account": spec.account, "member": members.get(spec.member_id, ""),
             "debit": money.to_sen(spec.debit), "credit": money.to_sen(spec.credit)} for spec in plan.lines]


def _post_typed_opening(coop: Cooperative, manual: OpeningForm):
    """Post the opening balances typed into the form: the redirect to the entry, or None with the
    problems put on the form."""
    valid = manual.validate()
    parsed = manual.line_specs(coop.currency_decimals)
    if not valid or parsed is None:
        flash(_("Saldo awal belum disimpan: periksa isian yang ditandai."), "danger")
        return None
    rows, specs = parsed
    try:
        entry = opening.post_opening(coop, opening.OpeningPlan(lines=specs), entry_date=manual.date.data, actor=current_user)
    except LedgerError as err:
        manual.show_error(err, rows)
        return None
    flash(_("Saldo awal disimpan sebagai %(number)s.", number=entry.number), "success")
    return redirect(url_for("ledger.entry", entry_id=entry.id))


@coop_bp.route("/ledger/opening", methods=["GET", "POST"])
@permission_required("ledger.post")
def opening_balances():
    """Saldo awal, entered once: typed in per account, or uploaded (CSV/XLSX) with an optional dry run."""
    coop = current_coop()
    existing = opening.existing_opening(coop)
    if existing is not None:
        return render_template("ledger/opening.html", existing=existing)
    accounts = _opening_accounts(coop)
    submitted = request.form.get("form_name") if request.method == "POST" else None
    # two forms on one page: only the submitted one reads the request, the other shows its defaults
    manual = OpeningForm(prefix="manual") if submitted == "manual" else OpeningForm(prefix="manual", formdata=None)
    upload = OpeningUploadForm(prefix="upload") if submitted == "upload" else OpeningUploadForm(prefix="upload", formdata=None)
    default_day = coop.books_start  # the opening balance is dated on the books start
    if submitted != "manual":
        manual.date.data = default_day
        for account in accounts:
            manual.lines.append_entry({"account": account.code})
    if submitted != "upload":
        upload.date.data = default_day
    if submitted == "manual" and (posted := _post_typed_opening(coop, manual)) is not None:
        return posted
    answer = handle_upload(
        upload, lambda data, filename, dry_run: opening.import_opening(coop, data, filename, entry_date=upload.date.data, actor=current_user,
                                                                     dry_run=dry_run),
        checked=lambda plan: _("Berkas lolos pemeriksaan: %(n)s baris siap diposting. Belum ada yang disimpan.", n=len(plan.lines)),
        done=lambda entry: Done(_("Saldo awal dari berkas disimpan sebagai %(number)s.", number=entry.number),
                                location=url_for("ledger.entry", entry_id=entry.id)),
        result_key="opening_import_result", submitted=submitted == "upload")
    if answer.response is not None:
        return answer.response
    plan = answer.plan and {"rows": _plan_rows(coop, answer.plan), "total_debit": money.to_sen(answer.plan.total_debit),
                            "total_credit": money.to_sen(answer.plan.total_credit)}
    return render_template("ledger/opening.html", existing=None, manual=manual, upload=upload, answer=answer, plan=plan,
                           spec=opening.SPEC, max_rows=opening.MAX_ROWS, accounts={a.code: a for a in accounts}), answer.status


add_template_routes(coop_bp, "/ledger/opening/template", opening.SPEC, opening.template_rows, permission="ledger.post",
                    endpoints={"csv": "opening_template", "xlsx": "opening_template_xlsx"})
