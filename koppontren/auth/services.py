"""Accounts, passwords, roles and login — each function one unit of work, audited."""

from __future__ import annotations

import re
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from koppontren.audit.services import record
from koppontren.auth.models import Role, RoleAssignment, User
from koppontren.errors import DomainError
from koppontren.extensions import db
from koppontren.tenancy.models import Cooperative, utcnow


class AuthError(DomainError):
    """A refused account action (codes: invalid_login, login_taken, weak_password, wrong_password,
    invalid_role, role_exists, last_admin, not_found, account_locked, other_cooperatives, operator)."""


#: Letters and digits that cannot be mistaken for each other on a printed slip (no 0/o, 1/l/i).
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 - an alphabet, not a password
PASSWORD_LENGTH = 10  # 31**10 ≈ 2**49; the login throttle allows 5 guesses a minute


def one_time_password() -> str:
    """A random password someone can type from paper on a phone: lower case, no look-alikes."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")


@lru_cache(maxsize=4)
def _hasher_for(params: tuple[tuple[str, int], ...]) -> tuple[PasswordHasher, str]:
    """An argon2id hasher and a real hash of a throw-away password, verified when a login is unknown
    so that both paths cost the same."""
    hasher = PasswordHasher(**dict(params))
    return hasher, hasher.hash("koppontren-timing-equaliser")


def _hasher() -> PasswordHasher:
    return _hasher_and_dummy()[0]


def _hasher_and_dummy() -> tuple[PasswordHasher, str]:
    """argon2id with the library's recommended parameters, unless PASSWORD_HASH_PARAMS says otherwise
    (the test configuration makes hashing cheap; hashes made with other parameters still verify and
    are upgraded at the next login)."""
    params = current_app.config.get("PASSWORD_HASH_PARAMS") if has_app_context() else None
    return _hasher_for(tuple(sorted((params or {}).items())))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _min_length() -> int:
    return current_app.config.get("PASSWORD_MIN_LENGTH", 8) if has_app_context() else 8


def check_password_strength(password: str, login: str | None = None) -> None:
    if len(password or "") < _min_length():
        raise AuthError(
            "weak_password",
            _l("Kata sandi minimal %(n)s karakter.", n=_min_length()),
            {"password": _l("Terlalu pendek.")},
        )
    if login and password.lower() == login.lower():
        raise AuthError("weak_password", _l("Kata sandi tidak boleh sama dengan nama login."), {"password": _l("Sama dengan login.")})


def normalise_login(login: str) -> str:
    return (login or "").strip().lower()


def user_by_id(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def user_with_roles_in(user_id: int, slug: str) -> tuple[User | None, Cooperative | None, frozenset[Role]]:
    """The user, the cooperative with this ``slug`` (None if there is none) and the user's roles in
    it, in one query: every page of a cooperative needs all three."""
    rows = db.session.execute(
        select(User, Cooperative, RoleAssignment.role)
        .select_from(User)
        .outerjoin(Cooperative, Cooperative.slug == slug)
        .outerjoin(RoleAssignment, (RoleAssignment.cooperative_id == Cooperative.id) & (RoleAssignment.user_id == User.id))
        .where(User.id == user_id)
    ).all()
    if not rows:
        return None, None, frozenset()
    return rows[0][0], rows[0][1], frozenset(Role(r) for _, _, r in rows if r is not None)


def get_user_by_login(login: str) -> User | None:
    return db.session.scalar(select(User).where(User.login == normalise_login(login)))


def create_user(
    login: str, name: str, password: str, *, is_operator: bool = False, locale: str = "id",
    must_change_password: bool = False, actor: User | None = None, commit: bool = True,
) -> User:
    """Create an account. ``must_change_password`` for a password someone else chose (a member's
    one-time portal password): the person must pick their own at the first login.

    Raises AuthError(code="invalid_login" | "login_taken" | "weak_password")."""
    login = normalise_login(login)
    if not LOGIN_RE.match(login):
        raise AuthError(
            "invalid_login",
            _l("Login harus 3–80 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung."),
            {"login": _l("Tidak sah.")},
        )
    if get_user_by_login(login) is not None:
        raise AuthError("login_taken", _l("Login '%(login)s' sudah dipakai.", login=login), {"login": _l("Sudah dipakai.")})
    name = (name or "").strip() or login
    check_password_strength(password, login)
    user = User(login=login, name=name, password_hash=hash_password(password), is_operator=is_operator,
                locale=locale if locale in ("id", "en") else "id", is_active_account=True,
                must_change_password=must_change_password)
    db.session.add(user)
    db.session.flush()
    record("user.created", actor_id=actor.id if actor else None, login=login, user_id=user.id, operator=is_operator or None)
    if commit:
        db.session.commit()
    return user


def roles_of(user: User, coop: Cooperative) -> frozenset[Role]:
    rows = db.session.scalars(
        select(RoleAssignment.role).where(RoleAssignment.cooperative_id == coop.id, RoleAssignment.user_id == user.id)
    ).all()
    return frozenset(Role(r) for r in rows)


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise AuthError("invalid_role", _l("Peran '%(role)s' tidak dikenal.", role=value), {"role": _l("Tidak dikenal.")}) from None


def grant_role(coop: Cooperative, user: User, role: Role | str, *, actor: User | None = None, commit: bool = True) -> RoleAssignment:
    """Give ``user`` a role in ``coop``. Raises AuthError(code="invalid_role" | "role_exists")."""
    role = _role(role)
    if role in roles_of(user, coop):
        raise AuthError("role_exists", _l("%(login)s sudah berperan %(role)s.", login=user.login, role=role.value), {"role": _l("Sudah ada.")})
    assignment = RoleAssignment(cooperative_id=coop.id, user_id=user.id, role=role.value)
    db.session.add(assignment)
    db.session.flush()
    record("role.granted", cooperative_id=coop.id, actor_id=actor.id if actor else None, login=user.login, role=role.value)
    if commit:
        db.session.commit()
    return assignment


def revoke_role(coop: Cooperative, user: User, role: Role | str, *, actor: User, commit: bool = True) -> None:
    """Take a role away. The last admin of a cooperative cannot lose the admin role (somebody must
    be able to manage it). Raises AuthError(code="not_found" | "last_admin")."""
    role = _role(role)
    assignment = db.session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.cooperative_id == coop.id, RoleAssignment.user_id == user.id, RoleAssignment.role == role.value
        )
    )
    if assignment is None:
        raise AuthError("not_found", _l("Peran tidak ditemukan."))
    if role is Role.ADMIN:
        admins = db.session.scalars(
            select(RoleAssignment.user_id).where(RoleAssignment.cooperative_id == coop.id, RoleAssignment.role == Role.ADMIN.value)
        ).all()
        if len(admins) <= 1:
            raise AuthError("last_admin", _l("Admin terakhir koperasi tidak dapat dicabut perannya."))
    db.session.delete(assignment)
    record("role.revoked", cooperative_id=coop.id, actor_id=actor.id, login=user.login, role=role.value)
    if commit:
        db.session.commit()


def _lockout_after() -> int:
    return int(current_app.config.get("LOCKOUT_AFTER", 10)) if has_app_context() else 10


def authenticate(login: str, password: str) -> User | None:
    """Check a login attempt; records ``login`` or ``login.failed`` and commits the audit row.

    Unknown logins cost one hash verification too, so timing does not reveal which accounts exist.
    A wrong password for an existing account counts towards its lockout (``LOCKOUT_AFTER``
    consecutive failures; the throttle allows only a few a minute, so a guesser locks the account
    long before guessing it). A locked account is refused even with the right password:
    AuthError(code="account_locked") until an admin unlocks it.
    """
    login = normalise_login(login)
    user = get_user_by_login(login) if login else None
    hasher, dummy = _hasher_and_dummy()
    ok = False
    try:
        ok = hasher.verify(user.password_hash if user else dummy, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if user is not None and user.locked_at is not None:
        record("login.locked", actor_id=user.id, login=user.login)
        db.session.commit()
        raise AuthError("account_locked", _l("Akun ini terkunci karena terlalu banyak percobaan masuk yang gagal. "
                                             "Minta pengurus (admin) koperasi membukanya."))
    if user is None or not ok or not user.is_active_account:
        record("login.failed", actor_id=user.id if user else None, login=login[:80] or None)
        if user is not None and not ok:
            _count_failure(user)
        db.session.commit()
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    user.failed_logins = 0
    record("login", actor_id=user.id, login=user.login)
    db.session.commit()
    return user


def _count_failure(user: User) -> None:
    """One more consecutive failure, counted in the database (two guessers at once both count);
    locks the account when the count reaches the limit."""
    limit = _lockout_after()
    db.session.execute(update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1))
    db.session.refresh(user, ["failed_logins"])
    if limit and user.failed_logins >= limit and user.locked_at is None:
        user.locked_at = utcnow()
        record("user.locked", actor_id=None, login=user.login, user_id=user.id, failures=user.failed_logins)


def unlock_user(user: User, *, actor: User, cooperative_id: int | None = None) -> None:
    """An admin (or the operator) opens a locked account again; the failure count starts afresh."""
    if user.locked_at is None and not user.failed_logins:
        return
    user.locked_at = None
    user.failed_logins = 0
    record("user.unlocked", cooperative_id=cooperative_id, actor_id=actor.id if actor else None,
           login=user.login, user_id=user.id)
    db.session.commit()


def _roles_elsewhere(user: User, coop: Cooperative) -> bool:
    return db.session.scalar(
        select(RoleAssignment.id).where(RoleAssignment.user_id == user.id, RoleAssignment.cooperative_id != coop.id).limit(1)
    ) is not None


def reset_password(coop: Cooperative, user: User, *, actor: User) -> str:
    """The admin's "reset password": a new one-time password (returned to be shown once, never
    stored in clear) that the person must replace at the next login; also unlocks the account.

    Only for accounts that belong to this cooperative alone: an admin of one cooperative must not
    be able to take over an account that also opens another cooperative (or the platform) —
    those are reset by the platform operator (``koppontren user reset-password``).
    Raises AuthError(code="operator" | "other_cooperatives")."""
    if user.is_operator:
        raise AuthError("operator", _l("Akun operator platform hanya dapat direset oleh operator."))
    if _roles_elsewhere(user, coop):
        raise AuthError("other_cooperatives", _l("Pengguna ini juga terdaftar di koperasi lain; kata sandinya hanya "
                                                 "dapat direset oleh operator platform."))
    password = one_time_password()
    set_one_time_password(user, password, commit=False)
    user.locked_at = None
    user.failed_logins = 0
    record("user.password_reset", cooperative_id=coop.id, actor_id=actor.id, login=user.login, user_id=user.id)
    db.session.commit()
    return password


def operator_reset_password(user: User) -> str:
    """The platform operator's reset from the command line (any account)."""
    password = one_time_password()
    set_one_time_password(user, password, commit=False)
    user.locked_at = None
    user.failed_logins = 0
    record("user.password_reset", actor_id=None, login=user.login, user_id=user.id, by="operator")
    db.session.commit()
    return password


def record_logout(user: User) -> None:
    record("logout", actor_id=user.id, login=user.login)
    db.session.commit()


def password_matches(user: User, password: str) -> bool:
    """Whether ``password`` is the user's current password (no audit row: not a login)."""
    try:
        return _hasher().verify(user.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def confirm_password(user: User, password: str) -> bool:
    """The person re-typed their password before a sensitive action; a wrong one counts towards
    the lockout like a failed login (a stolen session must not become a password oracle)."""
    if password_matches(user, password):
        record("password.confirmed", actor_id=user.id, login=user.login)
        db.session.commit()
        return True
    record("login.failed", actor_id=user.id, login=user.login, where="confirm")
    _count_failure(user)
    db.session.commit()
    return False


def change_password(user: User, current: str, new: str) -> None:
    """The person picks a new password; this also ends a ``must_change_password`` obligation, so
    the new one must differ from the current (one-time) one.

    Raises AuthError(code="wrong_password" | "weak_password")."""
    if not password_matches(user, current):
        raise AuthError("wrong_password", _l("Kata sandi saat ini salah."), {"current_password": _l("Salah.")})
    check_password_strength(new, user.login)
    if new == current:
        raise AuthError("weak_password", _l("Kata sandi baru harus berbeda dari kata sandi saat ini."),
                        {"new_password": _l("Sama dengan yang lama.")})
    user.password_hash = hash_password(new)
    user.must_change_password = False
    record("password.changed", actor_id=user.id, login=user.login)
    db.session.commit()


def set_one_time_password(user: User, password: str, *, commit: bool = True) -> None:
    """Replace the user's password with one someone else chose (a reset): the person must change it
    at the next login. The caller audits the reset in its own words."""
    check_password_strength(password, user.login)
    user.password_hash = hash_password(password)
    user.must_change_password = True
    if commit:
        db.session.commit()


def set_locale(user: User, locale: str) -> None:
    if locale not in ("id", "en"):
        raise AuthError("invalid_locale", _l("Bahasa tidak dikenal."))
    user.locale = locale
    db.session.commit()


def cooperatives_of(user: User) -> list[tuple[Cooperative, frozenset[Role]]]:
    """The cooperatives where ``user`` holds a role, with those roles, by name."""
    rows = db.session.execute(
        select(Cooperative, RoleAssignment.role)
        .join(RoleAssignment, RoleAssignment.cooperative_id == Cooperative.id)
        .where(RoleAssignment.user_id == user.id)
        .order_by(Cooperative.name)
    ).all()
    out: dict[int, tuple[Cooperative, set[Role]]] = {}
    for coop, role in rows:
        out.setdefault(coop.id, (coop, set()))[1].add(Role(role))
    return [(coop, frozenset(roles)) for coop, roles in out.values()]


def users_of(coop: Cooperative) -> list[tuple[User, frozenset[Role]]]:
    """Every user with a role in ``coop``, with their roles, by name."""
    rows = db.session.execute(
        select(User, RoleAssignment.role)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.cooperative_id == coop.id)
        .order_by(User.name)
    ).all()
    out: dict[int, tuple[User, set[Role]]] = {}
    for user, role in rows:
        out.setdefault(user.id, (user, set()))[1].add(Role(role))
    return [(user, frozenset(roles)) for user, roles in out.values()]


def user_in_coop_or_none(coop: Cooperative, user_id: int) -> User | None:
    """A user only if they hold a role in ``coop`` — ids from a request are checked against the tenant."""
    return db.session.scalar(
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.cooperative_id == coop.id, User.id == user_id)
        .limit(1)
    )


def add_user_to_coop(
    coop: Cooperative, *, login: str, name: str, password: str, role: Role | str, actor: User
) -> User:
    """The admin's "add user" action: a new account with a first role in this cooperative."""
    try:
        # the admin chose this first password: the person replaces it at the first login
        user = create_user(login, name, password, must_change_password=True, actor=actor, commit=False)
        grant_role(coop, user, role, actor=actor, commit=False)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return user
