"""What each role may do, and the decorators every view uses to say what it needs.

Permissions are named actions; roles are sets of them. A view declares one permission; the
decorator answers 403 when the user's roles in the current cooperative don't grant it. Loading the
roles answers 404 when the user has no role at all in that cooperative (tenant isolation).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps

from flask import abort, g, request
from flask_login import current_user, login_required
from sqlalchemy import select

from koppontren.auth.models import Role, RoleAssignment
from koppontren.extensions import db
from koppontren.tenancy import rls

ALL_ROLES = frozenset(Role)

#: permission -> roles that hold it. Modules add their own permissions here as they arrive.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "coop.view": ALL_ROLES,
    "coop.settings": frozenset({Role.ADMIN}),
    "users.manage": frozenset({Role.ADMIN}),
    "audit.view": frozenset({Role.ADMIN, Role.AUDITOR}),
    # the ledger: auditors read everything and change nothing; cashiers post only through their modules
    "ledger.view": frozenset({Role.ADMIN, Role.TREASURER, Role.AUDITOR}),
    "ledger.post": frozenset({Role.ADMIN, Role.TREASURER}),
    "ledger.chart": frozenset({Role.ADMIN, Role.TREASURER}),
    "periods.manage": frozenset({Role.ADMIN}),
    # members and savings: cashiers record savings at the counter; only admins see a full NIK
    "members.view": frozenset({Role.ADMIN, Role.TREASURER, Role.CASHIER, Role.AUDITOR}),
    "members.manage": frozenset({Role.ADMIN, Role.TREASURER}),
    "members.nik": frozenset({Role.ADMIN}),
    "savings.record": frozenset({Role.ADMIN, Role.TREASURER, Role.CASHIER}),
    "savings.settings": frozenset({Role.ADMIN, Role.TREASURER}),
    "savings.exit": frozenset({Role.ADMIN, Role.TREASURER}),
    # the shop: cashiers sell; treasurers keep the catalogue, buy and count; auditors read
    "shop.view": frozenset({Role.ADMIN, Role.TREASURER, Role.CASHIER, Role.AUDITOR}),
    "shop.sell": frozenset({Role.ADMIN, Role.TREASURER, Role.CASHIER}),
    "shop.manage": frozenset({Role.ADMIN, Role.TREASURER}),
    # statements and reports: what the RAT approves and the auditors download; auditors change nothing
    "reports.view": frozenset({Role.ADMIN, Role.TREASURER, Role.AUDITOR}),
    # API tokens (issue 8): each person makes their own, acting with their own roles
    "api.tokens": frozenset({Role.ADMIN, Role.TREASURER, Role.CASHIER, Role.AUDITOR}),
    # ... and the admin sees and revokes every token of the cooperative
    "api.tokens.manage": frozenset({Role.ADMIN}),
    # SHU: treasurers prepare (rules, compute, payouts); approval needs a user other than the preparer
    "shu.view": frozenset({Role.ADMIN, Role.TREASURER, Role.AUDITOR}),
    "shu.prepare": frozenset({Role.ADMIN, Role.TREASURER}),
    "shu.approve": frozenset({Role.ADMIN, Role.TREASURER}),
    # the member portal: a member sees only their own record
    "portal.view": frozenset({Role.MEMBER}),
    # santri wallets (issue 9): cashiers see balances at the counter and sell with shop.sell; the
    # treasurer keeps santri, cards, top-ups, refunds and limits; a wali sees only their own santri
    "wallet.view": frozenset({Role.ADMIN, Role.TREASURER, Role.CASHIER, Role.AUDITOR}),
    "wallet.manage": frozenset({Role.ADMIN, Role.TREASURER}),
    "wallet.portal": frozenset({Role.WALI}),
}


def load_roles(coop, roles: frozenset[Role] | None = None) -> frozenset[Role]:
    """The current user's roles in ``coop`` (``roles`` when the caller read them already, in this
    request, for this user and cooperative), stored on ``g``; 404 when there are none."""
    if roles is None:
        rows = db.session.scalars(
            select(RoleAssignment.role).where(
                RoleAssignment.cooperative_id == coop.id, RoleAssignment.user_id == current_user.id
            )
        ).all()
        roles = frozenset(Role(r) for r in rows)
    if not roles:
        abort(404)
    g.roles = roles
    return roles


def can(permission: str) -> bool:
    """Whether the current user may do ``permission`` in the current cooperative (for templates)."""
    roles = g.get("roles") or frozenset()
    return bool(roles & PERMISSIONS[permission])


def permission_required(permission: str) -> Callable:
    """Guard a cooperative view: 403 unless one of the user's roles grants ``permission``."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorator


def operator_required(view: Callable) -> Callable:
    """Guard a platform page: login required, 403 unless the user is a platform operator. The page
    works across cooperatives: it runs inside the audited row-level security bypass (tenancy.rls)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_operator:
            abort(403)
        with rls.bypass(f"operator {request.endpoint}"):
            return view(*args, **kwargs)

    wrapped.required_permission = "platform.operator"  # type: ignore[attr-defined]
    return wrapped


def login_only(view: Callable) -> Callable:
    """Guard a personal page (own password, own language): any logged-in user."""
    wrapped = login_required(view)
    wrapped.required_permission = "login"  # type: ignore[attr-defined]
    return wrapped


def public(view: Callable) -> Callable:
    """Mark a page that anyone may open (login form, health check)."""
    view.required_permission = "public"  # type: ignore[attr-defined]
    return view


def password_confirmed_recently() -> bool:
    """Whether the person typed their password (login or confirmation) within ``REAUTH_MINUTES``."""
    from flask import current_app, session

    entered = session.get("auth_at")
    limit = int(current_app.config.get("REAUTH_MINUTES", 10)) * 60
    return isinstance(entered, int) and 0 <= time.time() - entered <= limit


def recent_password_required(view: Callable) -> Callable:
    """Guard a sensitive action (reopening a period, approving SHU): the password must have been
    typed within ``REAUTH_MINUTES``, so a session left open on a shared office laptop can't do it.

    Otherwise the person is sent to the confirmation page and then back to the page they came from
    (a POST can't be replayed after a redirect: they submit it again, now confirmed). Put it below
    the permission decorator, so a user without the permission still gets 403, not the password page.
    """
    from flask import flash, redirect, request, url_for
    from flask_babel import gettext as _

    from koppontren.site.safety import safe_next

    @wraps(view)
    def wrapped(*args, **kwargs):
        if password_confirmed_recently():
            return view(*args, **kwargs)
        if request.method in ("GET", "HEAD"):
            back = request.full_path.rstrip("?")
        else:
            referrer = request.referrer or ""
            host = request.host_url.rstrip("/")
            back = referrer[len(host):] if referrer.startswith(host + "/") else None
        flash(_("Untuk tindakan ini, masukkan lagi kata sandi Anda."), "warning")
        return redirect(url_for("auth.confirm_password", next=safe_next(back)))

    wrapped.required_permission = getattr(view, "required_permission", None)  # type: ignore[attr-defined]
    return wrapped
