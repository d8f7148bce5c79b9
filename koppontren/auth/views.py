"""Login, logout, password change; and the cooperative's user and role management page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from koppontren.auth import services
from koppontren.auth.forms import ROLE_LABELS, AddUserForm, ChangePasswordForm, LoginForm, RoleForm
from koppontren.auth.permissions import login_only, permission_required, public
from koppontren.extensions import limiter, login_manager
from koppontren.site.formhelpers import show_domain_error
from koppontren.site.safety import safe_next
from koppontren.tenancy.current import coop_blueprint
from koppontren.tenancy.scoping import current_coop

bp = Blueprint("auth", __name__)
coop_bp = coop_blueprint("users", __name__)

#: Pages a user who must change their password may still open: the change itself, leaving, the
#: language switch (to read the page at all) and the health check — and static files (``static``,
#: ``bootstrap.static``), without which the change-password page has no styles.
OPEN_WHILE_PASSWORD_MUST_CHANGE = frozenset({"auth.change_password", "auth.logout", "site.set_language", "site.healthz"})


def _open_while_password_must_change(endpoint: str | None) -> bool:
    return endpoint in OPEN_WHILE_PASSWORD_MUST_CHANGE or endpoint == "static" or (endpoint or "").endswith(".static")


@bp.before_app_request
def _require_password_change():
    """A one-time password (chosen by the treasurer, printed on a slip) opens nothing but the
    change-password page until the person has picked their own."""
    if (current_user.is_authenticated and current_user.must_change_password
            and not _open_while_password_must_change(request.endpoint)):
        return redirect(url_for("auth.change_password", next=safe_next(request.full_path.rstrip("?"))
                                if request.method == "GET" else None))
    return None


@login_manager.user_loader
def load_user(user_id: str):
    """The session's user. On a cooperative's page (the URL's slug is known by now) the cooperative
    and the user's roles in it come in the same query, left on ``g.coop_prefetch`` (for this request
    only) for the tenancy check (tenancy.current), which still decides."""
    from koppontren.auth.models import User
    from koppontren.extensions import db

    if not user_id.isdigit():
        return None
    slug = g.get("coop_slug")
    if slug:
        user, coop, roles = services.user_with_roles_in(int(user_id), slug)
        g.coop_prefetch = (request._get_current_object(), int(user_id), slug, coop, roles)
        return user
    return db.session.get(User, int(user_id))


def _login_limit() -> str:
    return current_app.config["LOGIN_FAILURE_LIMIT"]


def _account_key() -> str:
    return "account:" + services.normalise_login(request.form.get("login", ""))[:80]


def _failed(response) -> bool:
    """Only failed attempts count towards the throttle; a successful login redirects (302)."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed, scope="login-account")
@limiter.limit(_login_limit, key_func=get_remote_address, methods=["POST"], deduct_when=_failed, scope="login-address")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("site.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data)
        if user is not None:
            login_user(user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password", next=safe_next(form.next.data)))
            return redirect(safe_next(form.next.data) or url_for("site.index"))
        flash(_("Nama login atau kata sandi salah."), "danger")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_only
def logout():
    services.record_logout(current_user)
    logout_user()
    flash(_("Anda telah keluar."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_only
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except services.AuthError as err:
            show_domain_error(form, err)
        else:
            flash(_("Kata sandi sudah diganti."), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("site.index"))
    return render_template("auth/change_password.html", form=form)


@coop_bp.route("/users", methods=["GET", "POST"])
@permission_required("users.manage")
def users():
    """List the cooperative's users with their roles; add a user with a first role."""
    coop = current_coop()
    form = AddUserForm()
    if form.validate_on_submit():
        try:
            services.add_user_to_coop(
                coop, login=form.login.data, name=form.name.data, password=form.password.data,
                role=form.role.data, actor=current_user,
            )
        except services.AuthError as err:
            show_domain_error(form, err)
        else:
            flash(_("Pengguna %(login)s ditambahkan.", login=services.normalise_login(form.login.data)), "success")
            return redirect(url_for("users.users"))
    return render_template("auth/users.html", form=form, users=services.users_of(coop),
                           role_labels=ROLE_LABELS, role_form=RoleForm())


@coop_bp.post("/users/<int:user_id>/roles")
@permission_required("users.manage")
def change_role(user_id: int):
    """Grant or revoke one role of a user of this cooperative (404 for anyone else's user)."""
    coop = current_coop()
    user = services.user_in_coop_or_none(coop, user_id)
    if user is None:
        abort(404)
    form = RoleForm()
    if not form.validate_on_submit() or form.action.data not in ("grant", "revoke"):
        abort(400)
    try:
        if form.action.data == "grant":
            services.grant_role(coop, user, form.role.data, actor=current_user)
            flash(_("Peran ditambahkan."), "success")
        else:
            services.revoke_role(coop, user, form.role.data, actor=current_user)
            flash(_("Peran dicabut."), "success")
    except services.AuthError as err:
        flash(str(err.message), "danger")
    return redirect(url_for("users.users"))
