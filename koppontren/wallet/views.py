"""The treasurer's pages of the santri wallet (``/<coop>/wallet/...``): the santri list and search,
one santri's wallet (balance, limits, spending, transactions, wali, card), create and edit, top-up
and refund, limits, the wallet settings, cards (issue, reissue, block, the printable sheet), the
reconciliation and the daily report per cashier.

Views parse, call one wallet service and render; a refusal (WalletError) is shown on the form in
Indonesian and nothing is written. Every santri id in a URL is looked up in the current
cooperative (another cooperative's answers 404).
"""

from __future__ import annotations

import re
import secrets

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from koppontren import money
from koppontren.auth import services as auth
from koppontren.auth.permissions import permission_required
from koppontren.clock import today
from koppontren.errors import DomainError
from koppontren.members import services as members
from koppontren.membership.portal_forms import SlipForm
from koppontren.site.formhelpers import amount_of, show_domain_error
from koppontren.tenancy.current import coop_blueprint
from koppontren.tenancy.scoping import current_coop
from koppontren.wallet import cards, documents, limits, queries
from koppontren.wallet import services as wallet
from koppontren.wallet.errors import WalletError
from koppontren.wallet.forms import (
    ActionForm,
    DayForm,
    LimitsForm,
    MoneyForm,
    SantriForm,
    TransitForm,
    WaliForm,
    WalletSettingsForm,
)

coop_bp = coop_blueprint("wallet", __name__)

PER_PAGE = 50
#: a page holding a one-time password stays out of the browser's disk cache
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: the most cards one sheet request prints (a whole pesantren's in one go)
MAX_PRINT_TOKENS = 5000


@coop_bp.app_context_processor
def _labels():
    return {"wallet_kind_label": lambda kind: wallet.KIND_LABELS.get(kind, kind),
            "wallet_method_label": lambda method: wallet.METHOD_LABELS.get(method, method),
            "wallet_window_label": lambda window: limits.WINDOW_LABELS.get(window, window)}


def santri_or_404(santri_id: int):
    """The santri of the current cooperative, or 404 (also for another cooperative's id)."""
    santri = wallet.get_santri(current_coop(), santri_id)
    if santri is None:
        abort(404)
    return santri


def _amount_text(coop, sen: int | None) -> str:
    return "" if sen is None else money.format_number(money.from_sen(sen), coop.currency_decimals)


def _limit_of(field, coop):
    """A typed limit (Decimal), None when blank; problems land on the field."""
    return amount_of(field, coop.currency_decimals, required=False, blank=None)


# --- the santri list and one santri ----------------------------------------------------------------

@coop_bp.get("/wallet/santri")
@permission_required("wallet.view")
def santri_list():
    coop = current_coop()
    q = (request.args.get("q") or "").strip()[:100]
    kelas = (request.args.get("kelas") or "").strip()[:40] or None
    status = request.args.get("status", "active")
    active = {"active": True, "closed": False}.get(status)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = wallet.list_santri(coop, text=q or None, active=active, kelas=kelas, page=page, per_page=PER_PAGE)
    active_cards = cards.active_cards(coop, [s.id for s in rows])
    return render_template("wallet/santri_list.html", rows=rows, total=total, q=q, kelas=kelas or "", status=status, page=page,
                           pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), active_cards=active_cards,
                           total_balance=queries.total_balance(coop))


@coop_bp.get("/wallet/santri/<int:santri_id>")
@permission_required("wallet.view")
def santri_detail(santri_id: int):
    coop = current_coop()
    santri = santri_or_404(santri_id)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    txs, total = wallet.transactions(coop, santri, page=page, per_page=PER_PAGE)
    return render_template(
        "wallet/santri.html", santri=santri, spending=wallet.spending(coop, santri), txs=txs, total=total, page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), items=wallet.purchase_items(coop, txs), walis=wallet.walis_of(coop, santri),
        card=cards.active_card(coop, santri), card_history=cards.cards_of(coop, santri), member=wallet.member_of(coop, santri),
        cashiers=queries.user_names({t.user_id for t in txs if t.user_id}), wali_form=WaliForm(), action_form=ActionForm(),
        limits_form=_limits_form(coop, santri), settings=limits.get_settings(coop))


def _santri_data(form: SantriForm, *, new: bool = False) -> wallet.SantriData:
    """The typed santri; a new wallet is always open (the form shows "active" only when editing)."""
    return wallet.SantriData(nis=form.nis.data or "", name=form.name.data or "", kelas=form.kelas.data or None,
                             asrama=form.asrama.data or None, member_number=form.member_number.data or None,
                             active=True if new else bool(form.active.data))


@coop_bp.route("/wallet/santri/new", methods=["GET", "POST"])
@permission_required("wallet.manage")
def new_santri():
    coop = current_coop()
    form = SantriForm()
    if form.validate_on_submit():
        try:
            santri = wallet.create_santri(coop, _santri_data(form, new=True), actor=current_user)
        except WalletError as err:
            show_domain_error(form, err)
        else:
            flash(_("Santri %(n)s (NIS %(nis)s) terdaftar. Buat kartunya dan hubungkan walinya di halaman ini.", n=santri.name,
                    nis=santri.nis), "success")
            return redirect(url_for("wallet.santri_detail", santri_id=santri.id))
    elif request.method == "POST":
        flash(_("Periksa isian Anda."), "danger")
    return render_template("wallet/santri_form.html", form=form, santri=None), 200 if request.method == "GET" else 422


@coop_bp.route("/wallet/santri/<int:santri_id>/edit", methods=["GET", "POST"])
@permission_required("wallet.manage")
def edit_santri(santri_id: int):
    coop = current_coop()
    santri = santri_or_404(santri_id)
    form = SantriForm(obj=santri)
    if request.method == "GET":
        member = members.get_member(coop, santri.member_id) if santri.member_id else None
        form.member_number.data = member.number if member else ""
    if form.validate_on_submit():
        try:
            wallet.update_santri(coop, santri, _santri_data(form), actor=current_user)
        except WalletError as err:
            show_domain_error(form, err)
        else:
            flash(_("Data santri disimpan."), "success")
            return redirect(url_for("wallet.santri_detail", santri_id=santri.id))
    elif request.method == "POST":
        flash(_("Periksa isian Anda."), "danger")
    status = 200 if request.method == "GET" else 422
    return render_template("wallet/santri_form.html", form=form, santri=santri), status


# --- money in and out ------------------------------------------------------------------------------

def _money_page(santri_id: int, kind: str):
    coop = current_coop()
    santri = santri_or_404(santri_id)
    form = MoneyForm()
    if request.method == "GET":
        form.date.data = today()
        form.method.data = "bank" if kind == "topup" else "cash"
        form.idempotency_key.data = secrets.token_urlsafe(16)
        if kind == "refund":
            form.amount.data = _amount_text(coop, santri.balance) if santri.balance else ""
    status = 200
    if request.method == "POST":
        amount = amount_of(form.amount, coop.currency_decimals) if form.validate_on_submit() else None
        if amount is not None:
            service = wallet.topup if kind == "topup" else wallet.refund
            try:
                tx = service(coop, santri, amount=amount, method=form.method.data, day=form.date.data, reference=form.reference.data,
                             actor=current_user, idempotency_key=form.idempotency_key.data or None)
            except DomainError as err:  # a WalletError, or the form's key already used for other content
                show_domain_error(form, err)
            else:
                message = (_("Isi saldo %(a)s untuk %(n)s tercatat (bukti %(v)s). Saldo sekarang %(b)s.") if kind == "topup"
                           else _("Penarikan saldo %(a)s dari %(n)s tercatat (bukti %(v)s). Saldo sekarang %(b)s."))
                flash(message % {"a": limits.format_amount(coop, tx.amount), "n": santri.name, "v": tx.voucher,
                                 "b": limits.format_amount(coop, tx.balance_after)}, "success")
                return redirect(url_for("wallet.santri_detail", santri_id=santri.id))
        else:
            flash(next(iter(e for f in form for e in f.errors), _("Periksa isian Anda.")), "danger")
        status = 422
    return render_template("wallet/money.html", form=form, santri=santri, kind=kind, spending=wallet.spending(coop, santri)), status


@coop_bp.route("/wallet/santri/<int:santri_id>/topup", methods=["GET", "POST"])
@permission_required("wallet.manage")
def topup(santri_id: int):
    return _money_page(santri_id, "topup")


@coop_bp.route("/wallet/santri/<int:santri_id>/refund", methods=["GET", "POST"])
@permission_required("wallet.manage")
def refund(santri_id: int):
    return _money_page(santri_id, "refund")


# --- limits ----------------------------------------------------------------------------------------

def _limits_form(coop, santri, formdata=None) -> LimitsForm:
    form = LimitsForm(formdata=formdata)
    if formdata is None:
        form.daily.data = _amount_text(coop, santri.limit_daily)
        form.weekly.data = _amount_text(coop, santri.limit_weekly)
        form.monthly.data = _amount_text(coop, santri.limit_monthly)
    return form


@coop_bp.route("/wallet/santri/<int:santri_id>/limits", methods=["GET", "POST"])
@permission_required("wallet.manage")
def santri_limits(santri_id: int):
    """The treasurer's limits for one santri; a blank field means the cooperative's default."""
    coop = current_coop()
    santri = santri_or_404(santri_id)
    if request.method == "GET":
        form = _limits_form(coop, santri)
        return render_template("wallet/limits.html", form=form, santri=santri, spending=wallet.spending(coop, santri),
                               settings=limits.get_settings(coop))
    form = LimitsForm()
    if form.validate_on_submit():
        values = {w: _limit_of(getattr(form, w), coop) for w in limits.WINDOWS}
        if not any(getattr(form, w).errors for w in limits.WINDOWS):
            try:
                wallet.set_limits(coop, santri, actor=current_user, **values)
            except WalletError as err:
                show_domain_error(form, err)
            else:
                flash(_("Batas belanja %(n)s disimpan.", n=santri.name), "success")
                return redirect(url_for("wallet.santri_detail", santri_id=santri.id))
        else:
            flash(next(iter(e for f in form for e in f.errors), _("Periksa isian Anda.")), "danger")
    else:
        flash(next(iter(e for f in form for e in f.errors), _("Periksa isian Anda.")), "danger")
    return render_template("wallet/limits.html", form=form, santri=santri, spending=wallet.spending(coop, santri),
                           settings=limits.get_settings(coop)), 422


# --- wali ------------------------------------------------------------------------------------------

@coop_bp.post("/wallet/santri/<int:santri_id>/wali")
@permission_required("wallet.manage")
def link_wali(santri_id: int):
    """An existing login becomes the santri's wali; with a name, a new wali account is made and its
    one-time password shown once on a slip (like the member portal's login slips)."""
    coop = current_coop()
    santri = santri_or_404(santri_id)
    form = WaliForm()
    if not form.validate_on_submit():
        flash(_("Isi nama pengguna wali (paling banyak 80 karakter)."), "danger")
        return redirect(url_for("wallet.santri_detail", santri_id=santri.id))
    login = auth.normalise_login(form.login.data)
    name = " ".join((form.name.data or "").split())
    existing = auth.get_user_by_login(login) if login else None
    try:
        if existing is not None and not name:
            wallet.link_wali(coop, santri, existing, actor=current_user)
            flash(_("%(u)s sekarang wali %(n)s.", u=existing.name, n=santri.name), "success")
            return redirect(url_for("wallet.santri_detail", santri_id=santri.id))
        if not name:
            flash(_("Login %(l)s belum ada: isi nama wali untuk membuat akun baru.", l=login), "danger")
            return redirect(url_for("wallet.santri_detail", santri_id=santri.id))
        user, password = wallet.create_wali(coop, santri, login=login, name=name, actor=current_user)
    except WalletError as err:
        flash(str(err.message), "danger")
        return redirect(url_for("wallet.santri_detail", santri_id=santri.id))
    html = render_template("wallet/wali_slip.html", santri=santri, user=user, password=password,
                           slip_form=SlipForm(formdata=None, login=user.login, password=password),
                           portal_url=url_for("wallet_portal.home", _external=True), login_url=url_for("auth.login", _external=True))
    return Response(html, headers=NO_STORE)


@coop_bp.post("/wallet/santri/<int:santri_id>/wali/slip.pdf")
@permission_required("wallet.manage")
def wali_slip_pdf(santri_id: int):
    """The wali's login slip as PDF, posted back from the slip page: only while the password is
    still that wali's unused one-time password (nothing stores it; a stale one is refused)."""
    from koppontren import pdf

    coop = current_coop()
    santri = santri_or_404(santri_id)
    form = SlipForm()
    login = auth.normalise_login(form.login.data or "")
    wali = next((u for u in wallet.walis_of(coop, santri) if u.login == login), None)
    if not form.validate_on_submit() or wali is None or not wali.must_change_password \
            or not auth.password_matches(wali, form.password.data):
        flash(_("Slip hanya bisa dicetak dari halaman slip, sebelum wali mengganti kata sandi sementaranya."), "danger")
        return redirect(url_for("wallet.santri_detail", santri_id=santri.id))
    body = pdf.render_pdf("wallet/wali_slip.html", coop=coop, santri=santri, wali=wali, login=wali.login, password=form.password.data,
                          url=url_for("auth.login", _external=True))
    return Response(body, mimetype="application/pdf",
                    headers={**NO_STORE, "Content-Disposition": f'attachment; filename="login-wali-{santri.nis.replace("/", "-")}.pdf"'})


@coop_bp.post("/wallet/santri/<int:santri_id>/wali/<int:user_id>/unlink")
@permission_required("wallet.manage")
def unlink_wali(santri_id: int, user_id: int):
    coop = current_coop()
    santri = santri_or_404(santri_id)
    user = next((u for u in wallet.walis_of(coop, santri) if u.id == user_id), None)
    if user is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        wallet.unlink_wali(coop, santri, user, actor=current_user)
    except WalletError as err:
        flash(str(err.message), "danger")
    else:
        flash(_("%(u)s bukan lagi wali %(n)s.", u=user.name, n=santri.name), "success")
    return redirect(url_for("wallet.santri_detail", santri_id=santri.id))


# --- cards ---------------------------------------------------------------------------------------
#
# The database keeps only each card's token hash (cards.py): a card sheet is printed from the page a
# card issue shows, which carries the new clear tokens to the PDF request; reprinting means reissuing.

def _card_face(santri, token: str) -> documents.CardFace:
    return documents.CardFace(name=santri.name, nis=santri.nis, token=token, kelas=santri.kelas or "", asrama=santri.asrama or "")


def _pdf_response(body: bytes, filename: str) -> Response:
    return Response(body, mimetype="application/pdf", headers={**NO_STORE, "Content-Disposition": f'inline; filename="{filename}"'})


def _issued_page(new_cards: dict, names: dict, *, back: str, filename: str):
    """The page after cards were issued: who got one, and the button that prints them — the only
    moment their tokens are known (kept out of every cache)."""
    rows = [(names[santri_id], card.token) for santri_id, card in new_cards.items()]
    rows.sort(key=lambda r: (r[0].kelas or "", r[0].name.casefold(), r[0].nis))
    html = render_template("wallet/cards_issued.html", rows=rows, tokens="\n".join(t for _s, t in rows), back=back,
                           filename=filename, form=ActionForm())
    return Response(html, headers=NO_STORE)


@coop_bp.post("/wallet/santri/<int:santri_id>/card")
@permission_required("wallet.manage")
def issue_card(santri_id: int):
    """A first card, or a new one in place of a lost card (the old token stops working at once);
    the answer is the page that prints it."""
    coop = current_coop()
    santri = santri_or_404(santri_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        if cards.active_card(coop, santri) is None:
            card = cards.issue_card(coop, santri, actor=current_user)
            flash(_("Kartu %(n)s dibuat. Cetak kartunya sekarang: setelah halaman ini ditutup, kartu hanya bisa dicetak "
                    "dengan menggantinya.", n=santri.name), "success")
        else:
            card = cards.reissue_card(coop, santri, actor=current_user)
            flash(_("Kartu baru %(n)s dibuat; kartu lama tidak berlaku lagi. Cetak kartu barunya sekarang: setelah halaman ini "
                    "ditutup, kartu hanya bisa dicetak dengan menggantinya.", n=santri.name), "success")
    except WalletError as err:
        flash(str(err.message), "danger")
        return redirect(url_for("wallet.santri_detail", santri_id=santri.id))
    return _issued_page({santri.id: card}, {santri.id: santri}, back=url_for("wallet.santri_detail", santri_id=santri.id),
                        filename=f"kartu-{santri.nis.replace('/', '-')}.pdf")


@coop_bp.post("/wallet/santri/<int:santri_id>/card/block")
@permission_required("wallet.manage")
def block_card(santri_id: int):
    coop = current_coop()
    santri = santri_or_404(santri_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        blocked = cards.block_card(coop, santri, actor=current_user)
    except WalletError as err:
        flash(str(err.message), "danger")
    else:
        flash(_("Kartu %(n)s diblokir: tidak bisa dipakai membayar lagi.", n=santri.name) if blocked
              else _("%(n)s tidak punya kartu aktif.", n=santri.name), "success" if blocked else "warning")
    return redirect(url_for("wallet.santri_detail", santri_id=santri.id))


@coop_bp.post("/wallet/cards/print")
@permission_required("wallet.manage")
def print_cards():
    """The card sheet PDF of the cards a card issue just showed (their tokens come back from that
    page): every token must still be an active card of this cooperative, or nothing is printed."""
    coop = current_coop()
    if not ActionForm().validate_on_submit():
        abort(400)
    raw = request.form.get("tokens") or ""
    found = cards.printable(coop, raw.split()) if len(raw) <= MAX_PRINT_TOKENS * 70 else None
    if found is None or len(found) > MAX_PRINT_TOKENS:
        flash(_("Kartu hanya bisa dicetak dari halaman yang muncul saat kartu dibuat atau diganti, selama kartu itu masih "
                "berlaku. Untuk mencetak ulang, ganti kartunya."), "danger")
        return redirect(url_for("wallet.cards_page"))
    filename = (request.form.get("filename") or "").strip()
    if not re.fullmatch(r"kartu-[A-Za-z0-9._-]{1,60}\.pdf", filename):
        filename = "kartu-santri.pdf"
    return _pdf_response(documents.card_sheet_pdf(coop, [_card_face(santri, token) for santri, token in found]), filename)


def _active_santri(coop, kelas: str) -> list:
    """Every active santri (of a class), by name: the list service pages by 500."""
    rows, page = [], 1
    while True:
        found, total = wallet.list_santri(coop, active=True, kelas=kelas or None, page=page, per_page=500)
        rows += found
        if not found or len(rows) >= total:
            return rows
        page += 1


@coop_bp.get("/wallet/cards")
@permission_required("wallet.manage")
def cards_page():
    """The cards of a class (or of everyone): make the missing ones, or replace them all to reprint."""
    coop = current_coop()
    kelas = (request.args.get("kelas") or "").strip()[:40]
    rows = _active_santri(coop, kelas)
    have = cards.active_cards(coop, [s.id for s in rows])
    return render_template("wallet/cards.html", rows=rows, have=have, kelas=kelas, form=ActionForm(),
                           per_page=documents.CARDS_PER_PAGE)


def _class_filename(kelas: str) -> str:
    suffix = re.sub(r"[^A-Za-z0-9._-]+", "-", kelas).strip("-")[:40]
    return f"kartu-santri{'-' + suffix if suffix else ''}.pdf"


@coop_bp.post("/wallet/cards/issue")
@permission_required("wallet.manage")
def issue_missing_cards():
    """Cards for every active santri (of a class) who has none; the answer prints them."""
    coop = current_coop()
    kelas = (request.form.get("kelas") or "").strip()[:40]
    if not ActionForm().validate_on_submit():
        abort(400)
    rows = _active_santri(coop, kelas)
    have = cards.active_cards(coop, [s.id for s in rows])
    missing = [s.id for s in rows if s.id not in have]
    if not missing:
        flash(_("Semua santri ini sudah punya kartu aktif."), "warning")
        return redirect(url_for("wallet.cards_page", kelas=kelas))
    try:
        made = cards.issue_cards(coop, missing, actor=current_user)
    except WalletError as err:
        flash(str(err.message), "danger")
        return redirect(url_for("wallet.cards_page", kelas=kelas))
    flash(_("%(n)s kartu baru dibuat. Cetak sekarang: setelah halaman ini ditutup, kartu hanya bisa dicetak dengan "
            "menggantinya.", n=len(made)), "success")
    return _issued_page(made, {s.id: s for s in rows}, back=url_for("wallet.cards_page", kelas=kelas), filename=_class_filename(kelas))


@coop_bp.post("/wallet/cards/reissue")
@permission_required("wallet.manage")
def reissue_class_cards():
    """New cards for every active santri (of a class), the old ones blocked: how a class's cards are
    reprinted. Needs the confirmation box ticked."""
    coop = current_coop()
    kelas = (request.form.get("kelas") or "").strip()[:40]
    if not ActionForm().validate_on_submit():
        abort(400)
    if request.form.get("confirm") != "1":
        flash(_("Centang konfirmasi dulu: semua kartu lama santri ini tidak berlaku lagi."), "danger")
        return redirect(url_for("wallet.cards_page", kelas=kelas))
    rows = _active_santri(coop, kelas)
    if not rows:
        flash(_("Tidak ada santri aktif."), "warning")
        return redirect(url_for("wallet.cards_page", kelas=kelas))
    try:
        made = cards.reissue_cards(coop, [s.id for s in rows], actor=current_user)
    except WalletError as err:
        flash(str(err.message), "danger")
        return redirect(url_for("wallet.cards_page", kelas=kelas))
    flash(_("%(n)s kartu baru dibuat; kartu lama mereka tidak berlaku lagi. Cetak sekarang: setelah halaman ini ditutup, kartu "
            "hanya bisa dicetak dengan menggantinya.", n=len(made)), "success")
    return _issued_page(made, {s.id: s for s in rows}, back=url_for("wallet.cards_page", kelas=kelas), filename=_class_filename(kelas))


# --- settings --------------------------------------------------------------------------------------

@coop_bp.route("/wallet/settings", methods=["GET", "POST"])
@permission_required("wallet.manage")
def settings_page():
    coop = current_coop()
    current = limits.get_settings(coop)
    form = WalletSettingsForm()
    if request.method == "GET":
        form.limit_daily.data = _amount_text(coop, current.limits.daily)
        form.limit_weekly.data = _amount_text(coop, current.limits.weekly)
        form.limit_monthly.data = _amount_text(coop, current.limits.monthly)
        form.exempt_categories.data = "\n".join(current.exempt_categories)
        return render_template("wallet/settings.html", form=form, settings=current)
    if form.validate_on_submit():
        values = {f"limit_{w}": _limit_of(getattr(form, f"limit_{w}"), coop) for w in limits.WINDOWS}
        if not any(getattr(form, f"limit_{w}").errors for w in limits.WINDOWS):
            try:
                limits.update_settings(coop, exempt_categories=form.exempt_categories.data or "", actor=current_user, **values)
            except WalletError as err:
                show_domain_error(form, err)
                return render_template("wallet/settings.html", form=form, settings=current), 422
            flash(_("Pengaturan dompet santri disimpan."), "success")
            return redirect(url_for("wallet.settings_page"))
    flash(next(iter(e for f in form for e in f.errors), _("Periksa isian Anda.")), "danger")
    return render_template("wallet/settings.html", form=form, settings=current), 422


# --- reports ---------------------------------------------------------------------------------------

@coop_bp.get("/wallet/reconciliation")
@permission_required("ledger.view")
def reconciliation():
    """Σ wallet balances = 2113 = bank 1112 ± the transfers in transit the treasurer recorded."""
    coop = current_coop()
    form = TransitForm(formdata=None, date=today())
    return render_template("wallet/reconciliation.html", figures=wallet.reconciliation(coop), form=form, action_form=ActionForm())


@coop_bp.post("/wallet/reconciliation/transit")
@permission_required("wallet.manage")
def record_transit():
    coop = current_coop()
    form = TransitForm()
    amount = amount_of(form.amount, coop.currency_decimals) if form.validate_on_submit() else None
    if amount is not None:
        try:
            wallet.record_in_transit(coop, day=form.date.data, amount=amount if form.direction.data == "to_bank" else -amount,
                                   description=form.description.data, actor=current_user)
        except WalletError as err:
            show_domain_error(form, err)
        else:
            flash(_("Dana dalam perjalanan dicatat."), "success")
            return redirect(url_for("wallet.reconciliation"))
    else:
        flash(next(iter(e for f in form for e in f.errors), _("Periksa isian Anda.")), "danger")
    return render_template("wallet/reconciliation.html", figures=wallet.reconciliation(coop), form=form, action_form=ActionForm()), 422


@coop_bp.post("/wallet/reconciliation/transit/<int:transit_id>/clear")
@permission_required("wallet.manage")
def clear_transit(transit_id: int):
    coop = current_coop()
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        wallet.clear_in_transit(coop, transit_id, actor=current_user)
    except WalletError as err:
        if err.code == "not_found":
            abort(404)
        flash(str(err.message), "danger")
    else:
        flash(_("Dana dalam perjalanan ditandai selesai."), "success")
    return redirect(url_for("wallet.reconciliation"))


@coop_bp.get("/wallet/daily")
@permission_required("wallet.view")
def daily_report():
    """One day's wallet movements per cashier: purchases (count, total), returns, top-ups, refunds."""
    coop = current_coop()
    form = DayForm(request.args)
    day = form.day.data if form.validate() and form.day.data else today()
    form.day.data = day
    return render_template("wallet/daily.html", form=form, report=wallet.daily_report(coop, day), day=day)
