"""The cashiers' daily close page (tutup kasir): the day's sales by payment method, the cash the
till should hand over, the counted cash, and — once closed — the result and its voucher. A
cashier sees and closes only their own day; admins and treasurers pick any cashier."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField, SubmitField
from wtforms.validators import Length, Optional

from koppontren.auth import services as auth
from koppontren.auth.models import Role
from koppontren.auth.permissions import can, permission_required
from koppontren.clock import today
from koppontren.shop import cashier as cashier_close
from koppontren.shop.services import ShopError
from koppontren.shop.views import coop_bp
from koppontren.site.formats import idr_sen
from koppontren.site.formhelpers import amount_of, show_domain_error
from koppontren.site.forms import FlaskForm
from koppontren.tenancy.scoping import current_coop

SELLING_ROLES = frozenset({Role.ADMIN, Role.TREASURER, Role.CASHIER})


class CloseForm(FlaskForm):
    counted_cash = StringField(_l("Uang tunai dihitung (Rp)"), validators=[Optional(), Length(max=30)],
                               description=_l("Uang di laci di luar modal kembalian, yang diserahkan ke Kas Besar."))
    submit = SubmitField(_l("Tutup kasir"))


def _day_of(value: str | None) -> date:
    try:
        day = date.fromisoformat(value) if value else today()
    except ValueError:
        abort(404)
    return min(day, today())


def _cashier_of(coop, may_pick: bool):
    """The cashier whose day is shown: oneself, or (for managers) the one picked; another
    cashier's day is forbidden to a cashier, a user of no role here is unknown."""
    wanted = request.args.get("cashier", type=int)
    if wanted is None or wanted == current_user.id:
        return current_user
    if not may_pick:
        abort(403)
    user = auth.user_in_coop_or_none(coop, wanted)
    if user is None:
        abort(404)
    return user


@coop_bp.route("/shop/close", methods=["GET", "POST"], endpoint="daily_close")
@permission_required("shop.sell")
def daily_close():
    coop = current_coop()
    may_pick = can("shop.manage")
    cashier = _cashier_of(coop, may_pick)
    day = _day_of(request.args.get("date"))
    closed = cashier_close.get_close(coop, cashier.id, day)
    form = CloseForm()
    if form.validate_on_submit():
        counted = amount_of(form.counted_cash, coop.currency_decimals)
        if counted is not None:
            try:
                close = cashier_close.close_day(coop, cashier_id=cashier.id, day=day, counted_cash=counted, actor=current_user)
            except ShopError as err:
                show_domain_error(form, err)
            else:
                if close.difference < 0:
                    flash(_("Kasir ditutup. Kurang %(a)s dicatat sebagai beban lain-lain.", a=idr_sen(-close.difference)), "warning")
                elif close.difference > 0:
                    flash(_("Kasir ditutup. Lebih %(a)s dicatat sebagai pendapatan lain-lain.", a=idr_sen(close.difference)), "warning")
                else:
                    flash(_("Kasir ditutup. Uang tunai cocok."), "success")
                return redirect(url_for("shop.daily_close", cashier=cashier.id, date=day.isoformat()))
        closed = cashier_close.get_close(coop, cashier.id, day)
    users = auth.users_of(coop) if may_pick else [(cashier, frozenset())]
    return render_template("shop/daily_close.html", form=form, cashier=cashier, day=day, closed=closed, may_pick=may_pick,
                           cashiers=[u for u, roles in users if roles & SELLING_ROLES],
                           summary=cashier_close.day_summary(coop, cashier.id, day),
                           recent=cashier_close.recent_closes(coop, None if may_pick else cashier.id),
                           names={u.id: u.name for u, _roles in users})
