"""Login, logout, password change; and the cooperative's user and role management page."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from koppontren.auth import services, tokens
from koppontren.auth.forms import ROLE_LABELS, AddUserForm, ChangePasswordForm, ConfirmPasswordForm, LoginForm, RoleForm, TokenForm, UserActionForm
from koppontren.auth.permissions import can, login_only, permission_required, public
from koppontren.extensions import limiter, login_manager
from koppontren.site.formhelpers import show_domain_error
from koppontren.site.safety import safe_next
from koppontren.tenancy import rls
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
    if request.blueprint == "api":  # the API knows no session: its bearer token is checked by the API itself
        return None
    if (current_user.is_authenticated and current_user.must_change_password
            and not _open_while_password_must_change(request.endpoint)):
        return redirect(url_for("auth.change_password", next=safe_next(request.full_path.rstrip("?"))
                                if request.method == "GET" else None))
    return None


@bp.before_app_request
def _end_old_sessions():
    """A browser session lasts at most ``SESSION_MAX_HOURS`` after its login, however busy; the
    idle limit is the signed cookie's own age (site/security.py). A session whose user no longer
    loads — logged out elsewhere, password changed or reset, deactivated, last role removed
    (``load_user``) — has ended too. Either way: the login page (a public page just opens, as for
    any visitor). Sessions only: an API token authenticates each request by itself."""
    if request.blueprint == "api" or "_user_id" not in session:
        return None
    if current_user.is_authenticated:
        logged_in = session.get("login_at")
        max_age = int(current_app.config.get("SESSION_MAX_HOURS", 12)) * 3600
        if isinstance(logged_in, int) and 0 <= time.time() - logged_in <= max_age:
            return None
        logout_user()
    _clear_session()
    endpoint = request.endpoint or ""
    view = current_app.view_functions.get(endpoint)
    if endpoint == "static" or endpoint.endswith(".static") or getattr(view, "required_permission", None) == "public":
        return None
    flash(_("Sesi Anda sudah berakhir. Silakan masuk lagi."), "warning")
    return redirect(url_for("auth.login", next=safe_next(request.full_path.rstrip("?")) if request.method == "GET" else None))


def _clear_session() -> None:
    """Forget everything of the session but the language chosen on the login page."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _start_session(user) -> None:
    """Log in with a fresh session (no data carried over from before the login) that expires and
    carries the user's session generation (``load_user`` checks it)."""
    _clear_session()
    login_user(user)
    session.permanent = True
    now = int(time.time())
    session["login_at"] = now
    session["auth_at"] = now
    session["epoch"] = user.session_epoch


@login_manager.user_loader
def load_user(user_id: str):
    """The session's user — none when the account is deactivated or the session is of an earlier
    generation than the user's ``session_epoch`` (every session ended). On a cooperative's page
    (the URL's slug is known by now) the cooperative and the user's roles in it come in the same
    query, left on ``g.coop_prefetch`` (for this request only) for the tenancy check
    (tenancy.current), which still decides."""
    from koppontren.auth.models import User
    from koppontren.extensions import db

    if not user_id.isdigit():
        return None
    rls.identify_user(int(user_id))  # the signed session names them: their own roles may be read
    slug = g.get("coop_slug")
    if slug:
        user, coop, roles = services.user_with_roles_in(int(user_id), slug)
        g.coop_prefetch = (request._get_current_object(), int(user_id), slug, coop, roles)
    else:
        user = db.session.get(User, int(user_id))
    if user is None or not user.is_active_account or session.get("epoch") != user.session_epoch:
        return None  # a session of an earlier generation: ended (logout, password change, …)
    return user


def _login_limit() -> str:
    return current_app.config["LOGIN_FAILURE_LIMIT"]


def _failed(response) -> bool:
    """Only failed attempts count towards the throttle; a successful login redirects (302)."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, key_func=get_remote_address, methods=["POST"], deduct_when=_failed, scope="login-address")
def login():
    """The login form. Wrong, unknown, deactivated and delayed logins get one message, with 200;
    each (login, address) waits longer after each failure (services.authenticate), and one address
    gets 429 only past ``LOGIN_FAILURE_LIMIT`` failures a minute. No limit per login alone: a
    guesser must not be able to keep the owner out."""
    if current_user.is_authenticated:
        return redirect(url_for("site.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data, address=get_remote_address())
        if user is not None:
            _start_session(user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password", next=safe_next(form.next.data)))
            return redirect(safe_next(form.next.data) or url_for("site.index"))
        flash(_("Nama login atau kata sandi salah."), "danger")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_only
def logout():
    """Log out — every session of the person ends, on every device (services.record_logout)."""
    services.record_logout(current_user._get_current_object())
    logout_user()
    _clear_session()
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
            # every session ended with the change (a copied cookie too); this browser goes on in a new one
            _start_session(current_user._get_current_object())
            flash(_("Kata sandi sudah diganti."), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("site.index"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account/confirm", methods=["GET", "POST"])
@login_only
@limiter.limit(_login_limit, methods=["POST"], deduct_when=lambda r: r.status_code != 302, scope="confirm-password")
def confirm_password():
    """Type the password again before a sensitive action (auth.permissions.recent_password_required)."""
    form = ConfirmPasswordForm()
    if form.validate_on_submit():
        try:
            confirmed = services.confirm_password(current_user, form.password.data, address=get_remote_address())
        except services.AuthError as err:
            form.password.errors.append(str(err.message))
            return render_template("auth/confirm_password.html", form=form)
        if confirmed:
            session["auth_at"] = int(time.time())
            return redirect(safe_next(request.args.get("next")) or url_for("site.index"))
        form.password.errors.append(_("Kata sandi salah."))
    return render_template("auth/confirm_password.html", form=form)


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
    users = services.users_of(coop)
    return render_template("auth/users.html", form=form, users=users, role_labels=ROLE_LABELS, role_form=RoleForm(),
                           action_form=UserActionForm(), delays=services.login_delays([u.login for u, _roles in users]))


def _user_of_coop_or_404(user_id: int):
    user = services.user_in_coop_or_none(current_coop(), user_id)
    if user is None:
        abort(404)
    if not UserActionForm().validate_on_submit():
        abort(400)
    return user


@coop_bp.post("/users/<int:user_id>/unlock")
@permission_required("users.manage")
def unlock_user(user_id: int):
    """Clear the login delays that wrong passwords put on the user's login (from every address)."""
    user = _user_of_coop_or_404(user_id)
    services.unlock_user(user, actor=current_user, cooperative_id=current_coop().id)
    flash(_("Akun %(login)s dapat dipakai masuk lagi.", login=user.login), "success")
    return redirect(url_for("users.users"))


@coop_bp.post("/users/<int:user_id>/active")
@permission_required("users.manage")
def set_user_active(user_id: int):
    """Deactivate a user (sessions end, API tokens revoked for good) or activate them again."""
    user = _user_of_coop_or_404(user_id)
    active = request.form.get("active")
    if active not in ("0", "1"):
        abort(400)
    try:
        services.set_active(user, active == "1", actor=current_user, coop=current_coop())
    except services.AuthError as err:
        flash(str(err.message), "danger")
    else:
        if active == "1":
            flash(_("Akun %(login)s aktif lagi.", login=user.login), "success")
        else:
            flash(_("Akun %(login)s dinonaktifkan: semua sesinya berakhir dan token API-nya dicabut.", login=user.login),
                  "success")
    return redirect(url_for("users.users"))


@coop_bp.post("/users/<int:user_id>/reset-password")
@permission_required("users.manage")
def reset_password(user_id: int):
    """Give the user a one-time password, shown once here; they must choose their own at the next login."""
    user = _user_of_coop_or_404(user_id)
    if user.id == current_user.id:
        flash(_("Ganti kata sandi Anda sendiri lewat halaman Ganti kata sandi."), "warning")
        return redirect(url_for("users.users"))
    try:
        password = services.reset_password(current_coop(), user, actor=current_user)
    except services.AuthError as err:
        flash(str(err.message), "danger")
        return redirect(url_for("users.users"))
    response = current_app.make_response(render_template("auth/password_reset.html", user=user, password=password))
    response.headers["Cache-Control"] = "no-store"
    return response


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


@coop_bp.route("/tokens", methods=["GET", "POST"])
@permission_required("api.tokens")
def api_tokens():
    """The user's own API tokens in this cooperative: make one (shown once), revoke one. An admin
    (``api.tokens.manage``) sees and revokes every token of the cooperative, with its user."""
    coop = current_coop()
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        try:
            _row, new_token = tokens.create_token(coop, current_user, form.name.data, actor=current_user)
        except services.AuthError as err:
            show_domain_error(form, err)
        else:
            flash(_("Token dibuat. Salin sekarang: token ini hanya ditampilkan sekali."), "success")
            form = TokenForm(formdata=None)
    if can("api.tokens.manage"):
        listed = tokens.all_tokens(coop)
    else:
        listed = [(token, current_user) for token in tokens.tokens_of(coop, current_user)]
    return render_template("auth/tokens.html", form=form, new_token=new_token, tokens=listed,
                           all_users=can("api.tokens.manage"))


@coop_bp.post("/tokens/<int:token_id>/revoke")
@permission_required("api.tokens")
def revoke_api_token(token_id: int):
    """Revoke one of the user's own tokens — an admin any token of the cooperative (CSRFProtect
    guards the POST; someone else's token, for others, and another cooperative's are 404)."""
    coop = current_coop()
    owner = None if can("api.tokens.manage") else current_user
    try:
        token = tokens.revoke_token(coop, owner, token_id, actor=current_user)
    except services.AuthError:
        abort(404)
    flash(_("Token %(p)s… dicabut.", p=token.prefix), "success")
    return redirect(url_for("users.api_tokens"))
