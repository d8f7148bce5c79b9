"""The savings pages: deposit, withdrawal, exit, passbook (mutasi), kwitansi, settings, arrears
report and the bulk wajib collection. Views parse the form, call one savings service and render;
a refusal (SavingsError) is shown on the form and nothing is written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from koppontren import money
from koppontren.auth.permissions import permission_required
from koppontren.clock import today
from koppontren.members import services as members
from koppontren.members.forms import choices
from koppontren.members.pages import member_or_404
from koppontren.savings import services
from koppontren.savings.forms import (
    ArrearsForm,
    BulkWajibForm,
    DepositForm,
    ExitForm,
    PassbookForm,
    SettingsForm,
    WithdrawForm,
)
from koppontren.savings.services import SavingsError, month_label
from koppontren.site.formhelpers import amount_of, show_domain_error
from koppontren.tenancy.current import coop_blueprint
from koppontren.tenancy.scoping import current_coop

coop_bp = coop_blueprint("savings", __name__)


@coop_bp.app_context_processor
def _labels():
    return {"kind_label": lambda k: str(services.KIND_LABELS.get(k, k)), "month_label": month_label}


def _account_choices(coop):
    return choices((a.id, f"{a.code} — {a.name_id}") for a in services.payment_accounts(coop))


def _flash_error(form, err: SavingsError) -> None:
    show_domain_error(form, err)


# --- deposit, withdrawal ---------------------------------------------------------------------------

@coop_bp.route("/members/<int:member_id>/deposit", methods=["GET", "POST"])
@permission_required("savings.record")
def deposit(member_id: int):
    coop = current_coop()
    member = member_or_404(member_id)
    settings = services.get_settings(coop)
    form = DepositForm()
    form.account.choices = _account_choices(coop)
    candidates = services.next_wajib_months(coop, member, 24) if member.status == "aktif" else []
    form.months.choices = choices((services.month_key(m), month_label(m)) for m in candidates)
    if request.method == "GET":
        form.kind.data = request.args.get("kind") if request.args.get("kind") in ("pokok", "wajib", "sukarela") else (
            "pokok" if services.balances(coop, member.id).pokok == 0 else "wajib")
        form.date.data = today()
        form.account.data = settings.default_account_id
    if form.validate_on_submit():
        try:
            values = _deposit_values(coop, member, settings, form)
            if values is not None:
                tx = services.deposit(coop, member, form.kind.data, amount=values[0], months=values[1], day=form.date.data,
                                      account_id=form.account.data, actor=current_user, note=form.note.data)
                flash(_("Setoran tercatat dengan nomor bukti %(n)s.", n=tx.voucher), "success")
                return redirect(url_for("savings.transaction", tx_id=tx.id))
        except SavingsError as err:
            _flash_error(form, err)
    return render_template("savings/deposit.html", member=member, form=form, settings=settings,
                           arrears=services.arrears(coop, member), balances=services.balances(coop, member.id))


def _deposit_values(coop, member, settings, form):
    """(amount, months) the deposit form asks for, or None when the amount is not valid (the form
    shows why). Wajib: the months ticked, or the next ``month_count`` unpaid ones; pokok: an amount
    only when one is typed. Raises SavingsError for a month that is not one."""
    if form.kind.data == "wajib":
        if form.months.data:
            return None, [services.parse_month(m) for m in form.months.data]
        rate = settings.wajib_rate(member.category)
        return None, (services.next_wajib_months(coop, member, form.month_count.data or 1) if rate else None)
    if form.kind.data == "sukarela" or (form.amount.data or "").strip():
        amount = amount_of(form.amount, coop.currency_decimals)
        return None if amount is None else (amount, None)
    return None, None


@coop_bp.route("/members/<int:member_id>/withdraw", methods=["GET", "POST"])
@permission_required("savings.record")
def withdraw(member_id: int):
    coop = current_coop()
    member = member_or_404(member_id)
    form = WithdrawForm()
    form.account.choices = _account_choices(coop)
    if request.method == "GET":
        form.date.data = today()
        form.account.data = services.get_settings(coop).default_account_id
    if form.validate_on_submit():
        amount = amount_of(form.amount, coop.currency_decimals)
        if amount is not None:
            try:
                tx = services.withdraw(coop, member, "sukarela", amount=amount, day=form.date.data, account_id=form.account.data,
                                       actor=current_user, note=form.note.data)
            except SavingsError as err:
                _flash_error(form, err)
            else:
                flash(_("Penarikan tercatat dengan nomor bukti %(n)s.", n=tx.voucher), "success")
                return redirect(url_for("savings.transaction", tx_id=tx.id))
    return render_template("savings/withdraw.html", member=member, form=form, balances=services.balances(coop, member.id))


# --- transactions and kwitansi -------------------------------------------------------------------

def _transaction_or_404(tx_id: int):
    tx = services.get_transaction(current_coop(), tx_id)
    if tx is None:
        abort(404)
    return tx


@coop_bp.get("/savings/transactions/<int:tx_id>")
@permission_required("members.view")
def transaction(tx_id: int):
    coop = current_coop()
    tx = _transaction_or_404(tx_id)
    member = members.get_member(coop, tx.member_id)
    return render_template("savings/transaction.html", tx=tx, member=member, months=services.tx_months(tx),
                           cancelled=services.is_cancelled(coop, tx))


@coop_bp.get("/savings/transactions/<int:tx_id>/kwitansi.pdf")
@permission_required("members.view")
def kwitansi(tx_id: int):
    coop = current_coop()
    tx = _transaction_or_404(tx_id)
    return _kwitansi_response(coop, tx)


def _kwitansi_response(coop, tx) -> Response:
    from koppontren import pdf
    from koppontren.savings import documents

    body = pdf.render_pdf("kwitansi.html", **documents.kwitansi_context(coop, tx))
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="kwitansi-{tx.voucher.replace("/", "-")}.pdf"'})


# --- passbook ------------------------------------------------------------------------------------

def passbook_filters(coop) -> tuple[PassbookForm, str, date, date]:
    form = PassbookForm(request.args)
    form.validate()
    kind = form.kind.data if form.kind.data in ("pokok", "wajib", "sukarela") else "sukarela"
    date_to = form.date_to.data or today()
    date_from = form.date_from.data or date(date_to.year, 1, 1)
    if date_from > date_to:
        date_from = date_to
    return form, kind, date_from, date_to


@coop_bp.get("/members/<int:member_id>/passbook")
@permission_required("members.view")
def passbook(member_id: int):
    coop = current_coop()
    member = member_or_404(member_id)
    form, kind, date_from, date_to = passbook_filters(coop)
    book = services.passbook(coop, member, kind, date_from, date_to)
    if request.args.get("format") == "pdf":
        return passbook_pdf(coop, member, book)
    return render_template("savings/passbook.html", member=member, form=form, book=book, kind=kind,
                           pdf_url=url_for("savings.passbook", member_id=member.id, kind=kind, date_from=date_from.isoformat(),
                                           date_to=date_to.isoformat(), format="pdf"))


def passbook_pdf(coop, member, book) -> Response:
    from koppontren import pdf
    from koppontren.savings import documents

    body = pdf.render_pdf("passbook.html", **documents.passbook_context(coop, member, book))
    name = f"mutasi-{member.number}-{book.kind}-{book.date_from.isoformat()}-{book.date_to.isoformat()}.pdf"
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


# --- exit ----------------------------------------------------------------------------------------

@coop_bp.route("/members/<int:member_id>/exit", methods=["GET", "POST"])
@permission_required("savings.exit")
def exit_member(member_id: int):
    coop = current_coop()
    member = member_or_404(member_id)
    form = ExitForm()
    form.account.choices = _account_choices(coop)
    if request.method == "GET":
        form.effective_date.data = today()
        form.account.data = services.get_settings(coop).default_account_id
    if member.status == "aktif" and form.validate_on_submit():
        try:
            result = services.exit_member(coop, member, effective_date=form.effective_date.data, status=form.status.data,
                                          reason=form.reason.data, net_receivables=form.net_receivables.data,
                                          settlement_date=form.settlement_date.data, account_id=form.account.data, actor=current_user)
        except SavingsError as err:
            _flash_error(form, err)
        else:
            numbers = [e.number for e in (result.reclassification, result.settlement) if e is not None]
            if result.sukarela is not None:
                numbers.append(result.sukarela.voucher)
            flash(_("Anggota %(n)s keluar. Jurnal: %(list)s. Dibayarkan %(a)s.", n=member.number, list=", ".join(numbers) or "—",
                    a=services.format_amount(coop, result.payout + (result.sukarela.amount if result.sukarela else 0))), "success")
            return redirect(url_for("members.member", member_id=member.id))
    return render_template("savings/exit.html", member=member, form=form, balances=services.balances(coop, member.id))


# --- settings ------------------------------------------------------------------------------------

@coop_bp.route("/savings/settings", methods=["GET", "POST"])
@permission_required("savings.settings")
def settings_page():
    coop = current_coop()
    settings = services.get_settings(coop)
    numbering = members.numbering_values(coop)
    form = SettingsForm()
    form.default_account.choices = _account_choices(coop)
    decimals = coop.currency_decimals
    if request.method == "GET":
        form.pokok_amount.data = money.format_number(money.from_sen(settings.pokok_amount), decimals)
        for category, field in form.wajib_fields():
            field.data = money.format_number(money.from_sen(settings.wajib_rate(category)), decimals)
        form.sukarela_earns_shu.data = settings.sukarela_earns_shu
        form.default_account.data = settings.default_account_id
        form.number_prefix.data, form.number_digits.data = numbering
    if form.validate_on_submit():
        pokok = amount_of(form.pokok_amount, decimals)
        rates = {c: amount_of(f, decimals, required=False, blank=Decimal(0)) for c, f in form.wajib_fields()}
        if pokok is not None and all(v is not None for v in rates.values()):
            try:
                services.update_settings(coop, pokok_amount=pokok, wajib_rates=rates, sukarela_earns_shu=form.sukarela_earns_shu.data,
                                         default_account_id=form.default_account.data, actor=current_user,
                                         numbering=(form.number_prefix.data or "", form.number_digits.data))
            except (SavingsError, members.MemberError) as err:
                _flash_error(form, err)
            else:
                flash(_("Pengaturan simpanan disimpan."), "success")
                return redirect(url_for("savings.settings_page"))
    return render_template("savings/settings.html", form=form, next_number=members.next_number_preview(coop))


# --- arrears -------------------------------------------------------------------------------------

@coop_bp.get("/savings/arrears")
@permission_required("members.view")
def arrears_report():
    coop = current_coop()
    form = ArrearsForm(request.args)
    form.validate()
    as_of = form.as_of.data or today()
    rows = services.arrears_report(coop, as_of, form.category.data or None)
    if request.args.get("format") == "csv":
        return _arrears_csv(rows, as_of)
    return render_template("savings/arrears.html", form=form, rows=rows, as_of=as_of,
                           total=sum(a.amount for _, a in rows), months=sum(a.count for _, a in rows))


def _arrears_csv(rows, as_of: date) -> Response:
    import csv
    import io

    from koppontren.members.services import CATEGORY_LABELS

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("No. anggota"), _("Nama"), _("Kategori"), _("Bulan tertunggak"), _("Jumlah bulan"), _("Per bulan"), _("Jumlah")])
    for member, a in rows:
        writer.writerow([_safe(member.number), _safe(member.name), str(CATEGORY_LABELS[member.category]),
                         " ".join(services.month_key(m) for m in a.months), a.count, str(money.from_sen(a.monthly)),
                         str(money.from_sen(a.amount))])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="tunggakan-wajib-{as_of.isoformat()}.csv"'})


def _safe(text: str) -> str:
    """Spreadsheet cells starting with = + - @ are neutralised (formula injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# --- bulk wajib ----------------------------------------------------------------------------------

@coop_bp.route("/savings/wajib-bulk", methods=["GET", "POST"])
@permission_required("savings.record")
def bulk_wajib():
    coop = current_coop()
    form = BulkWajibForm()
    form.account.choices = _account_choices(coop)
    month_text = request.values.get("month") or services.month_key((today().year, today().month))
    try:
        month = services.parse_month(month_text)
    except SavingsError:
        month = (today().year, today().month)
        form.month.errors = [_("Tulis bulan sebagai 2026-11.")]
    candidates = services.bulk_candidates(coop, month)
    if request.method == "GET":
        form.month.data = services.month_key(month)
        form.date.data = today()
        form.account.data = services.get_settings(coop).default_account_id
        form.members.data = [m.id for m, _rate in candidates]
    problems = []
    if request.method == "POST" and request.form.get("action") != "refresh" and form.validate_on_submit():
        try:
            entry, txs = services.collect_wajib_bulk(coop, month=month, member_ids=form.members.data or [], day=form.date.data,
                                                    account_id=form.account.data, actor=current_user, note=form.note.data)
        except services.BulkRefusedError as err:
            problems = err.problems
            flash(str(err.message), "danger")
        except SavingsError as err:
            _flash_error(form, err)
        else:
            flash(_("Setoran wajib %(m)s untuk %(n)s anggota tercatat dengan nomor bukti %(v)s.", m=month_label(month), n=len(txs),
                    v=entry.number), "success")
            return redirect(url_for("savings.bulk_wajib", month=services.month_key(month)))
    selected = set(form.members.data or [])
    return render_template("savings/bulk_wajib.html", form=form, candidates=candidates, month=month, problems=problems,
                           selected=selected, total=sum(rate for m, rate in candidates if m.id in selected))
