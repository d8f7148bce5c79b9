"""The members' register pages: list with search and filters, registration, the member page
(balances, arrears, movements, receivables, transactions) and editing."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from koppontren.auth.permissions import can, permission_required
from koppontren.clock import today
from koppontren.members import services
from koppontren.members.forms import MemberFilterForm, MemberForm
from koppontren.members.pages import member_or_404
from koppontren.members.services import MemberError
from koppontren.savings import services as savings
from koppontren.site.formhelpers import show_domain_error
from koppontren.tenancy.current import coop_blueprint
from koppontren.tenancy.scoping import current_coop

coop_bp = coop_blueprint("members", __name__)
PER_PAGE = 50


@coop_bp.app_context_processor
def _labels():
    return {
        "category_label": lambda c: str(services.CATEGORY_LABELS.get(c, c or "")),
        "status_label": lambda s: str(services.STATUS_LABELS.get(s, s or "")),
        "gender_label": lambda g: str(services.GENDER_LABELS[g]) if g in services.GENDER_LABELS else "",
    }


@coop_bp.get("/members")
@permission_required("members.view")
def register():
    coop = current_coop()
    filters = MemberFilterForm(request.args)
    filters.validate()
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)
    rows, total = services.search(coop, text=filters.q.data, category=filters.category.data or None,
                                  status=filters.status.data or None, page=page, per_page=PER_PAGE, nik_substring=can("members.nik"))
    balances = savings.balances_of_many(coop, [m.id for m in rows]) if rows else {}
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("members/list.html", members=rows, total=total, filters=filters, page=page,
                           pages=max(1, -(-total // PER_PAGE)), args=args, balances=balances,
                           counts=services.count_by_status(coop))


@coop_bp.route("/members/new", methods=["GET", "POST"])
@permission_required("members.manage")
def new_member():
    coop = current_coop()
    form = MemberForm()
    if request.method == "GET":
        form.join_date.data = today()
    if form.validate_on_submit():
        try:
            member = services.register_member(coop, form.data_object(), actor=current_user)
        except MemberError as err:
            show_domain_error(form, err)
        else:
            flash(_("Anggota %(n)s %(name)s terdaftar.", n=member.number, name=member.name), "success")
            return redirect(url_for("members.member", member_id=member.id))
    return render_template("members/form.html", form=form, member=None, next_number=services.next_number_preview(coop))


@coop_bp.get("/members/<int:member_id>")
@permission_required("members.view")
def member(member_id: int):
    coop = current_coop()
    m = member_or_404(member_id)
    return render_template(
        "members/member.html", member=m, balances=savings.balances(coop, m.id), arrears=savings.arrears(coop, m),
        movements=savings.latest_movements(coop, m.id), receivables=savings.receivable_movements(coop, m.id),
        transactions=savings.transactions_of(coop, m.id), settings=savings.get_settings(coop),
        show_nik=can("members.nik"), mask_nik=services.mask_nik, today=today(), member_login=services.login_of(m),
    )


@coop_bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@permission_required("members.manage")
def edit_member(member_id: int):
    coop = current_coop()
    m = member_or_404(member_id)
    form = MemberForm(obj=m)
    if request.method == "GET" and m.nik and not can("members.nik"):
        form.nik.data = ""
    if form.validate_on_submit():
        data = form.data_object()
        if not can("members.nik") and not (data.nik or "").strip():
            data.nik = m.nik  # a masked NIK left blank keeps the stored one
        try:
            services.update_member(coop, m, data, actor=current_user)
        except MemberError as err:
            show_domain_error(form, err)
        else:
            flash(_("Data anggota %(n)s disimpan.", n=m.number), "success")
            return redirect(url_for("members.member", member_id=m.id))
    return render_template("members/form.html", form=form, member=m, next_number=None)
