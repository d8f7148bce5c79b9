"""The cash-transfer page (mutasi kas, ``/<slug>/cash-transfers``): the form, a confirmation of what
will be posted, the transfers still in transit with their "arrived" action, and the list.

Views only parse the form, call one ``cashbank.services`` function and render; refusals (CashBankError,
and the ledger's LedgerError such as ``period_closed`` or ``insufficient_funds``) are shown next to
the fields they name and write nothing.
"""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from koppontren.auth.permissions import can, permission_required
from koppontren.cashbank import services
from koppontren.cashbank.forms import ArrivalForm, TransferForm
from koppontren.clock import today
from koppontren.errors import DomainError
from koppontren.ledger import chart
from koppontren.site.formats import idr_sen
from koppontren.site.formhelpers import amount_of, show_domain_error
from koppontren.tenancy.current import coop_blueprint
from koppontren.tenancy.models import Cooperative
from koppontren.tenancy.scoping import current_coop

coop_bp = coop_blueprint("cashbank", __name__)
PER_PAGE = 50


def _with_accounts(coop: Cooperative, form: TransferForm) -> TransferForm:
    choices = [("", _("— pilih akun —"))]
    for row in services.end_accounts(coop):
        a = row.account
        choices.append((a.code, f"{a.code} — {a.name_id} ({_('saldo')} {idr_sen(row.balance)})"))
    form.from_account.choices = choices
    form.to_account.choices = list(choices)
    return form


def _new_form(coop: Cooperative) -> TransferForm:
    form = _with_accounts(coop, TransferForm(formdata=None))
    form.date.data = today()
    form.idempotency_key.data = secrets.token_urlsafe(24)
    return form


def _page(coop: Cooperative, form: TransferForm | None, page: int = 1):
    transfers, total = services.list_transfers(coop, page, PER_PAGE)
    pending = services.open_transfers(coop)
    shown = transfers + pending
    arrivals = {t.id: ArrivalForm(formdata=None, date=max(today(), t.transfer_date), idempotency_key=secrets.token_urlsafe(24))
                for t in pending}
    return render_template(
        "cashbank/transfers.html", form=form, transfers=transfers, total=total, page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), pending=pending, arrivals=arrivals,
        accounts=services.accounts_by_id(coop, [i for t in shown for i in (t.from_account_id, t.to_account_id)]),
        reversed_ids=services.reversed_transfers(coop, shown), today=today(),
    )


@coop_bp.get("/cash-transfers")
@permission_required("ledger.view")
def transfers():
    coop = current_coop()
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)
    return _page(coop, _new_form(coop) if can("ledger.post") else None, page)


@coop_bp.post("/cash-transfers")
@permission_required("ledger.post")
def new_transfer():
    """Two steps: "Periksa" checks and shows the entries; "Posting mutasi" (with the same hidden
    idempotency key) posts them — once, however often it is sent."""
    coop = current_coop()
    form = _with_accounts(coop, TransferForm())
    valid = form.validate()
    value = amount_of(form.amount, coop.currency_decimals)
    fee = amount_of(form.fee, coop.currency_decimals, required=False, blank=None)
    if not valid or value is None or form.fee.errors:
        flash(_("Mutasi kas belum disimpan: periksa isian yang ditandai."), "danger")
        return _page(coop, form)
    if not form.idempotency_key.data:
        form.idempotency_key.data = secrets.token_urlsafe(24)
    request_args = {"date": form.date.data, "from_account": form.from_account.data, "to_account": form.to_account.data,
                    "amount": value, "description": form.description.data, "fee": fee, "arrival_date": form.arrival_date.data}
    if form.confirmed.data != "1":
        try:
            checked = services.check_transfer(coop, **request_args)
        except DomainError as err:
            show_domain_error(form, err)
            return _page(coop, form)
        names = {a.code: a for a in chart.accounts(coop)}
        return render_template("cashbank/confirm.html", form=form, checked=checked, names=names, today=today())
    try:
        transfer = services.transfer_cash(coop, **request_args, actor=current_user, idempotency_key=form.idempotency_key.data)
    except DomainError as err:
        show_domain_error(form, err)
        if err.code == "idempotency_conflict":  # the key belongs to earlier work: this is a new transfer
            form.idempotency_key.data = secrets.token_urlsafe(24)
        return _page(coop, form)
    if transfer.was_replayed:
        flash(_("Mutasi ini sudah tercatat sebagai %(number)s; kiriman ganda tidak dicatat lagi.", number=transfer.number), "info")
    elif transfer.in_transit:
        flash(_("Mutasi kas %(number)s diposting; uangnya dicatat di Kas dalam Perjalanan sampai tiba.", number=transfer.number),
              "success")
    else:
        flash(_("Mutasi kas %(number)s diposting.", number=transfer.number), "success")
    return redirect(url_for("cashbank.transfers"))


@coop_bp.post("/cash-transfers/<path:number>/arrive")
@permission_required("ledger.post")
def arrive(number: str):
    """Uang sudah tiba: post ``Dr destination / Cr 1105`` on the date given."""
    coop = current_coop()
    if services.get_transfer(coop, number) is None:
        abort(404)
    form = ArrivalForm()
    if not form.validate():
        flash(next((str(e) for errors in form.errors.values() for e in errors), _("Isian tidak sah.")), "danger")
        return redirect(url_for("cashbank.transfers"))
    try:
        transfer = services.arrive(coop, number, date=form.date.data, actor=current_user,
                                   idempotency_key=form.idempotency_key.data or None)
    except DomainError as err:
        flash(str(err.message), "danger")
    else:
        if transfer.was_replayed:
            flash(_("Kedatangan %(number)s sudah tercatat (%(arrival)s).", number=transfer.number, arrival=transfer.arrival_number), "info")
        else:
            flash(_("Mutasi %(number)s tiba: %(arrival)s diposting.", number=transfer.number, arrival=transfer.arrival_number), "success")
    return redirect(url_for("cashbank.transfers"))
