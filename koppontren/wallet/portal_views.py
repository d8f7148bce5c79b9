"""The wali portal (``/<coop>/me/santri``): a wali sees each of their santri's balance, what they
spent today / this week / this month against the limits, and every purchase with its items, time
and place; and may lower the limits (never above the cooperative's). Made for a phone.

Every view finds the santri through the logged-in wali (``services.is_wali_of``): a santri id in
the URL that is not the wali's own answers 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from koppontren import money
from koppontren.auth.permissions import permission_required
from koppontren.site.formhelpers import amount_of, show_domain_error
from koppontren.tenancy.current import coop_blueprint
from koppontren.tenancy.scoping import current_coop
from koppontren.wallet import limits
from koppontren.wallet import services as wallet
from koppontren.wallet.errors import WalletError
from koppontren.wallet.forms import LimitsForm

portal_bp = coop_blueprint("wallet_portal", __name__)

PER_PAGE = 30
RECENT = 5


def own_santri_or_404(santri_id: int):
    """The santri, if the logged-in wali is theirs; 404 otherwise (another wali's, another
    cooperative's and a missing id look the same)."""
    coop = current_coop()
    santri = wallet.get_santri(coop, santri_id)
    if santri is None or not wallet.is_wali_of(coop, current_user, santri):
        abort(404)
    return santri


def _limits_form(coop, santri, formdata=None) -> LimitsForm:
    form = LimitsForm(formdata=formdata)
    if formdata is None:
        for window in limits.WINDOWS:
            value = getattr(santri, f"wali_limit_{window}")
            getattr(form, window).data = "" if value is None else money.format_number(money.from_sen(value), coop.currency_decimals)
    return form


@portal_bp.get("/me/santri")
@permission_required("wallet.portal")
def home():
    coop = current_coop()
    cards = []
    for santri in wallet.santri_of_wali(coop, current_user):
        txs, _total = wallet.transactions(coop, santri, page=1, per_page=RECENT)
        cards.append((santri, wallet.spending(coop, santri), txs, wallet.purchase_items(coop, txs)))
    return render_template("wallet/portal_home.html", cards=cards)


def _render_santri(coop, santri, form: LimitsForm, status: int = 200):
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    txs, total = wallet.transactions(coop, santri, page=page, per_page=PER_PAGE)
    return render_template("wallet/portal_santri.html", santri=santri, spending=wallet.spending(coop, santri), txs=txs,
                           items=wallet.purchase_items(coop, txs), total=total, page=page,
                           pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), form=form, settings=limits.get_settings(coop)), status


@portal_bp.get("/me/santri/<int:santri_id>")
@permission_required("wallet.portal")
def santri(santri_id: int):
    coop = current_coop()
    found = own_santri_or_404(santri_id)
    return _render_santri(coop, found, _limits_form(coop, found))


@portal_bp.post("/me/santri/<int:santri_id>/limits")
@permission_required("wallet.portal")
def set_limits(santri_id: int):
    """The wali's own limits; blank: none of their own (the cooperative's apply). Only lower."""
    coop = current_coop()
    found = own_santri_or_404(santri_id)
    form = LimitsForm()
    if form.validate_on_submit():
        values = {w: amount_of(getattr(form, w), coop.currency_decimals, required=False, blank=None) for w in limits.WINDOWS}
        if not any(getattr(form, w).errors for w in limits.WINDOWS):
            try:
                wallet.set_wali_limits(coop, found, actor=current_user, **values)
            except WalletError as err:
                show_domain_error(form, err)
            else:
                flash(_("Batas belanja %(n)s disimpan.", n=found.name), "success")
                return redirect(url_for("wallet_portal.santri", santri_id=found.id))
            return _render_santri(coop, found, form, 422)
    flash(next(iter(e for f in form for e in f.errors), _("Periksa isian Anda.")), "danger")
    return _render_santri(coop, found, form, 422)
