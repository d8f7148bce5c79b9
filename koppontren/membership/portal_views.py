"""The member portal (``/<coop>/me``: a member's own balances, movements, arrears, purchases on
credit, passbook and kwitansi) and the treasurer's actions that hand out portal logins.

Every portal view finds the member through the logged-in account (``Member.user_id``) and scopes
every query to that member's id; a member id or transaction id in a URL is never trusted — another
member's kwitansi answers 404. The one-time password of a new or reset login is shown once, in the
response to the POST that made it, and is never stored in clear; the slip PDF is printed from that
page by posting it back, and only while it is still the account's unused one-time password.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from koppontren.auth.permissions import permission_required
from koppontren.clock import today
from koppontren.members import services as members
from koppontren.members.models import Member
from koppontren.members.pages import member_or_404
from koppontren.members.services import MemberError
from koppontren.membership import portal
from koppontren.membership.portal_forms import CreateLoginForm, SlipForm
from koppontren.membership.views import coop_bp
from koppontren.savings import services as savings
from koppontren.savings.views import _kwitansi_response, passbook_filters, passbook_pdf
from koppontren.shu import documents as shu_documents
from koppontren.shu import services as shu
from koppontren.tenancy.current import coop_blueprint
from koppontren.tenancy.scoping import current_coop

portal_bp = coop_blueprint("portal", __name__)

#: The slip holds a live password: keep it out of the browser's disk cache and history snapshots.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@coop_bp.app_context_processor
def _portal_helpers():
    """The login the member page proposes when the treasurer leaves the field blank."""
    return {"portal_default_login": lambda member: portal.default_login(current_coop(), member)}


# --- the treasurer hands out logins --------------------------------------------------------------

def _slip_page(member: Member, login: str, password: str, *, reset: bool) -> Response:
    form = SlipForm(formdata=None, login=login, password=password)
    html = render_template("members/login_slip.html", member=member, login=login, password=password, form=form, reset=reset,
                           portal_url=url_for("portal.home", _external=True))
    return Response(html, headers=NO_STORE)


@coop_bp.post("/members/<int:member_id>/login")
@permission_required("members.manage")
def create_login(member_id: int):
    m = member_or_404(member_id)
    form = CreateLoginForm()
    if not form.validate_on_submit():
        flash(_("Login portal tidak sah (paling banyak 80 karakter)."), "danger")
        return redirect(url_for("members.member", member_id=m.id))
    try:
        user, password = portal.create_member_login(current_coop(), m, login=form.login.data, actor=current_user)
    except MemberError as err:
        flash(str(err.message), "danger")
        return redirect(url_for("members.member", member_id=m.id))
    return _slip_page(m, user.login, password, reset=False)


@coop_bp.post("/members/<int:member_id>/login/reset")
@permission_required("members.manage")
def reset_login(member_id: int):
    m = member_or_404(member_id)
    try:
        user, password = portal.reset_member_password(current_coop(), m, actor=current_user)
    except MemberError as err:
        flash(str(err.message), "danger")
        return redirect(url_for("members.member", member_id=m.id))
    return _slip_page(m, user.login, password, reset=True)


@coop_bp.post("/members/<int:member_id>/login/slip.pdf")
@permission_required("members.manage")
def login_slip_pdf(member_id: int):
    from koppontren import pdf

    coop = current_coop()
    m = member_or_404(member_id)
    form = SlipForm()
    if not form.validate_on_submit() or not portal.slip_is_current(coop, m, form.login.data, form.password.data):
        flash(_("Slip hanya bisa dicetak dari halaman slip, sebelum anggota mengganti kata sandi sementaranya. "
                "Buat kata sandi baru dengan tombol reset."), "danger")
        return redirect(url_for("members.member", member_id=m.id))
    body = pdf.render_pdf("login_slip.html", coop=coop, member=m, login=form.login.data, password=form.password.data,
                          url=url_for("portal.home", _external=True))
    return Response(body, mimetype="application/pdf",
                    headers={**NO_STORE, "Content-Disposition": f'attachment; filename="login-{m.number.replace("/", "-")}.pdf"'})


# --- the member's own pages ----------------------------------------------------------------------

def own_member() -> Member | None:
    """The member record linked to the logged-in account in this cooperative, if any."""
    return members.get_by_user(current_coop(), current_user.id)


def _unlinked() -> str:
    return render_template("members/portal_unlinked.html")


@portal_bp.get("/me")
@permission_required("portal.view")
def home():
    coop = current_coop()
    member = own_member()
    if member is None:
        return _unlinked()
    transactions = {tx.entry_id: (tx, cancelled) for tx, cancelled in savings.transactions_of(coop, member.id)}
    return render_template(
        "members/portal_home.html", member=member, balances=savings.balances(coop, member.id), arrears=savings.arrears(coop, member),
        movements=savings.latest_movements(coop, member.id, limit=20), receivables=savings.receivable_movements(coop, member.id),
        transactions=transactions, today=today(), shu_years=shu.member_history(coop, member.id),
    )


@portal_bp.get("/me/passbook")
@permission_required("portal.view")
def passbook():
    coop = current_coop()
    member = own_member()
    if member is None:
        return _unlinked()
    form, kind, date_from, date_to = passbook_filters(coop)
    book = savings.passbook(coop, member, kind, date_from, date_to)
    if request.args.get("format") == "pdf":
        return passbook_pdf(coop, member, book)
    return render_template("savings/passbook.html", member=member, form=form, book=book, kind=kind, portal=True,
                           pdf_url=url_for("portal.passbook", kind=kind, date_from=date_from.isoformat(),
                                           date_to=date_to.isoformat(), format="pdf"))


@portal_bp.get("/me/kwitansi/<int:tx_id>.pdf")
@permission_required("portal.view")
def kwitansi(tx_id: int):
    coop = current_coop()
    member = own_member()
    tx = savings.get_transaction(coop, tx_id)
    if member is None or tx is None or tx.member_id != member.id:
        abort(404)
    return _kwitansi_response(coop, tx)


@portal_bp.get("/me/shu/<int:year>/slip.pdf")
@permission_required("portal.view")
def shu_slip(year: int):
    """The member's own SHU slip of an approved year (a draft, or another member's, answers 404)."""
    coop = current_coop()
    member = own_member()
    run = shu.get_run(coop, year) if 1900 <= year <= 2999 else None
    if member is None or run is None or run.status == "draft" or not any(y.year == year for y in shu.member_history(coop, member.id)):
        abort(404)
    return Response(shu_documents.slips_pdf(coop, run, [member.id]), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="slip-shu-{year}.pdf"'})
