"""A cooperative's dashboard and settings; the platform operator's cooperative list."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from koppontren.audit import services as audit_services
from koppontren.auth import platform
from koppontren.auth import services as auth_services
from koppontren.auth.models import Role
from koppontren.auth.permissions import can, operator_required, permission_required
from koppontren.shell import audit_log
from koppontren.site.formhelpers import show_domain_error
from koppontren.tenancy import officers as officer_services
from koppontren.tenancy import services
from koppontren.tenancy.current import coop_blueprint
from koppontren.tenancy.forms import OFFICER_ROWS, CoopProfileForm, NewCoopForm, OfficersForm
from koppontren.tenancy.scoping import current_coop

coop_bp = coop_blueprint("tenancy", __name__)
platform_bp = Blueprint("platform", __name__, url_prefix="/platform")

PROFILE_FIELDS = ("name", "pesantren_name", "legal_number", "nik_koperasi", "address",
                  "fiscal_year_start_month", "currency_decimals", "locale", "books_start")


@coop_bp.get("/")
@permission_required("coop.view")
def dashboard():
    coop = current_coop()
    if g.get("roles") == frozenset({Role.WALI}):  # a wali has nothing here but their santri's wallets
        return redirect(url_for("wallet_portal.home"))
    users = auth_services.users_of(coop) if can("users.manage") else None
    events = audit_log.present(coop, audit_services.recent(coop, limit=10)) if can("audit.view") else None
    return render_template("tenancy/dashboard.html", coop=coop, users=users, events=events)


@coop_bp.route("/settings", methods=["GET", "POST"])
@permission_required("coop.settings")
def settings():
    coop = current_coop()
    form = CoopProfileForm(obj=coop)
    if form.validate_on_submit():
        try:
            services.update_cooperative(coop, actor=current_user, **{f: getattr(form, f).data for f in PROFILE_FIELDS})
        except services.TenancyError as err:
            show_domain_error(form, err)
        else:
            flash(_("Pengaturan koperasi disimpan."), "success")
            return redirect(url_for("tenancy.settings"))
    return render_template("tenancy/settings.html", form=form, coop=coop, officers_form=_officers_form(coop))


def _officers_form(coop, form: OfficersForm | None = None) -> OfficersForm:
    """The officers' section, filled with the stored list (plus empty rows) unless it was just posted."""
    if form is not None:
        return form
    stored = officer_services.officers_of(coop)
    rows = [{"role": o.role, "name": o.name, "term_start": o.term_start, "term_end": o.term_end} for o in stored]
    rows += [{"role": "pengawas"}] * max(OFFICER_ROWS - len(rows), 1)
    return OfficersForm(formdata=None, data={"officers": rows, "signing_town": coop.signing_town})


@coop_bp.post("/settings/officers")
@permission_required("coop.settings")
def officers():
    """Replace the officers (pengurus, pengawas, manajer) and the signing town: rows without a name are dropped."""
    coop = current_coop()
    form = OfficersForm()
    if form.validate_on_submit():
        entries = [e.form for e in form.officers if (e.form.name.data or "").strip()]
        given = [officer_services.Officer(e.role.data, e.name.data, e.term_start.data, e.term_end.data) for e in entries]
        try:
            officer_services.replace_officers(coop, given, signing_town=form.signing_town.data, actor=current_user)
        except services.TenancyError as err:
            for name, problem in err.fields.items():
                parts = name.split(".")
                if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) <= len(entries):
                    field = entries[int(parts[1]) - 1][parts[2]]
                    field.errors = [*list(field.errors or []), str(problem)]
            show_domain_error(form, err)
        else:
            flash(_("Pengurus dan pengawas disimpan."), "success")
            return redirect(url_for("tenancy.settings"))
    else:
        flash(_("Periksa isian pengurus."), "danger")
    return render_template("tenancy/settings.html", form=CoopProfileForm(obj=coop), coop=coop,
                           officers_form=_officers_form(coop, form)), 422


@platform_bp.get("/coops")
@operator_required
def coops():
    return render_template("tenancy/platform_coops.html", coops=platform.list_cooperatives())


@platform_bp.route("/coops/new", methods=["GET", "POST"])
@operator_required
def new_coop():
    form = NewCoopForm()
    if form.validate_on_submit():
        try:
            coop, admin = platform.create_cooperative_with_admin(
                form.slug.data, form.name.data,
                admin_login=form.admin_login.data, admin_name=form.admin_name.data,
                admin_password=form.admin_password.data, actor=current_user,
                **{f: getattr(form, f).data for f in PROFILE_FIELDS if f != "name"},
            )
        except (services.TenancyError, auth_services.AuthError) as err:
            # the cooperative's fields first; "login"/"password"/"name" of the admin land on admin_*
            show_domain_error(form, err, ("",) if isinstance(err, services.TenancyError) else ("admin_",))
        else:
            flash(_("Koperasi %(name)s dibuat dengan admin %(login)s.", name=coop.name, login=admin.login), "success")
            return redirect(url_for("platform.coops"))
    return render_template("tenancy/platform_new_coop.html", form=form)
