"""Accounts, passwords, roles and login — each function one unit of work, audited."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from koppontren import clock
from koppontren.audit.services import ACTION_LABELS, record
from koppontren.auth.models import ApiToken, LoginDelay, Role, RoleAssignment, User
from koppontren.errors import DomainError
from koppontren.extensions import db
from koppontren.tenancy import rls
from koppontren.tenancy.models import Cooperative, utcnow


class AuthError(DomainError):
    """A refused account action (codes: invalid_login, login_taken, weak_password, wrong_password,
    invalid_role, role_exists, last_admin, not_found, other_cooperatives, operator, own_account,
    login_delayed)."""


ACTION_LABELS.update({
    "login.delayed": _l("Masuk ditolak: tunggu setelah gagal"),
    "user.deactivated": _l("Pengguna dinonaktifkan"),
    "user.activated": _l("Pengguna diaktifkan lagi"),
})


#: Letters and digits that cannot be mistaken for each other on a printed slip (no 0/o, 1/l/i).
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 - an alphabet, not a password
PASSWORD_LENGTH = 10  # 31**10 ≈ 2**49; the login delay allows ~100 guesses a day per address


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
    be able to manage it). The person's API tokens in ``coop`` are revoked for good (a token acts
    with its user's current roles, and granting the role again must not revive one); when it was
    their last role there, every session of theirs ends too.
    Raises AuthError(code="not_found" | "last_admin")."""
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
    db.session.flush()
    # the person's tokens were made while they held the role: none of them gets it back with a new grant
    revoke_tokens_of(user, coop, actor=actor, why="role_revoked")
    if not roles_of(user, coop):
        end_sessions(user)
    record("role.revoked", cooperative_id=coop.id, actor_id=actor.id, login=user.login, role=role.value)
    if commit:
        db.session.commit()


#: the delay after the first failure of a (login, address); it doubles with each further one …
FIRST_DELAY = timedelta(seconds=1)
#: … up to this
MAX_DELAY = timedelta(minutes=15)
#: a (login, address) without a failure for this long starts afresh (its row is deleted)
FORGET_DELAYS_AFTER = timedelta(days=1)


def delay_after(failures: int) -> timedelta:
    """How long a (login, address) waits after its ``failures``-th consecutive failure:
    1 s, 2 s, 4 s, … doubling, at most 15 minutes."""
    if failures <= 0:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** min(failures - 1, 30), MAX_DELAY)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without their time zone; they were stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _delay_row(login: str, address: str) -> LoginDelay:
    """The (login, address) row, made if missing and locked for this transaction, so that attempts
    of one pair run one after another: a burst of parallel guesses can't all slip in before the
    first failure sets the delay. (SQLite: a request that writes holds the database's write lock
    from its first statement, which serialises them just the same.)"""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    made = db.session.execute(insert(LoginDelay).values(login=login, address=address, failures=0)
                              .on_conflict_do_nothing().returning(LoginDelay.login)).first()
    if made is not None:  # a new pair: the moment to forget the ones that went quiet
        db.session.execute(delete(LoginDelay).where(LoginDelay.last_failure_at < clock.now() - FORGET_DELAYS_AFTER))
    return db.session.scalars(
        select(LoginDelay).where(LoginDelay.login == login, LoginDelay.address == address)
        .with_for_update().execution_options(populate_existing=True)
    ).one()


def _waiting(row: LoginDelay, now: datetime) -> bool:
    not_before = _aware(row.not_before)
    return not_before is not None and now < not_before


def _count_failure(row: LoginDelay, now: datetime) -> None:
    row.failures += 1
    row.last_failure_at = now
    row.not_before = now + delay_after(row.failures)


def _address(address: str | None) -> str:
    return (address or "-")[:64]


def authenticate(login: str, password: str, *, address: str | None = None) -> User | None:
    """Check a login attempt from ``address``; records ``login``, ``login.failed`` or
    ``login.delayed`` and commits.

    Every failure of a (login, address) makes that pair wait before its next attempt (``delay_after``:
    1 s doubling to 15 minutes); an attempt while it waits is refused without looking at the
    password. A guesser only slows themselves down: the owner, at another address, logs in as
    usual. Unknown, deactivated and waiting logins fail exactly like a wrong password (None: the
    caller shows one message), and unknown logins cost one hash verification too, so neither the
    answer nor its timing tells whether an account exists. A good login resets its pair's count.
    """
    login = normalise_login(login)[:80]
    now = clock.now()
    row = _delay_row(login, _address(address)) if login else None
    if row is not None and _waiting(row, now):
        record("login.delayed", login=login)
        db.session.commit()
        return None
    user = get_user_by_login(login) if login else None
    hasher, dummy = _hasher_and_dummy()
    ok = False
    try:
        ok = hasher.verify(user.password_hash if user else dummy, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if user is None or not ok or not user.is_active_account:
        record("login.failed", actor_id=user.id if user else None, login=login or None)
        if row is not None:
            _count_failure(row, now)
        db.session.commit()
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.delete(row)
    record("login", actor_id=user.id, login=user.login)
    db.session.commit()
    return user


def login_delays(logins: list[str]) -> dict[str, tuple[int, datetime | None]]:
    """For the users page: per login with failures, the most failures from one address and until
    when the latest delay runs (None when every delay has run out)."""
    if not logins:
        return {}
    rows = db.session.execute(
        select(LoginDelay.login, func.max(LoginDelay.failures), func.max(LoginDelay.not_before))
        .where(LoginDelay.login.in_(logins), LoginDelay.failures > 0)
        .group_by(LoginDelay.login)
    ).all()
    now = clock.now()
    out = {}
    for login, failures, until in rows:
        until = _aware(until)
        out[login] = (failures, until if until is not None and until > now else None)
    return out


def _clear_delays(user: User) -> int:
    """Delete every login delay of ``user`` (before touching the user's row: a login locks its delay
    row first, then the user's — the same order everywhere keeps PostgreSQL free of deadlocks)."""
    return db.session.execute(delete(LoginDelay).where(LoginDelay.login == user.login)).rowcount


def unlock_user(user: User, *, actor: User | None, cooperative_id: int | None = None) -> bool:
    """An admin (or the operator) clears every login delay of ``user``: the next attempt, from any
    address, is checked at once and failures count afresh. Returns whether there was any."""
    cleared = _clear_delays(user)
    if cleared:
        record("user.unlocked", cooperative_id=cooperative_id, actor_id=actor.id if actor else None,
               login=user.login, user_id=user.id)
    db.session.commit()
    return bool(cleared)


def end_sessions(user: User) -> None:
    """End every browser session of ``user`` at once (the caller commits): a session is worth only
    as long as it carries the user's current ``session_epoch`` (checked as each request loads its user)."""
    db.session.execute(update(User).where(User.id == user.id).values(session_epoch=User.session_epoch + 1)
                       .execution_options(synchronize_session=False))
    db.session.expire(user, ["session_epoch"])


def revoke_tokens_of(user: User, coop: Cooperative | None = None, *, actor: User | None, why: str) -> int:
    """Revoke for good every active API token of ``user`` (in ``coop`` only, when given); the
    caller commits. A role granted again later does not bring a revoked token back."""
    query = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if coop is not None:
        query = query.where(ApiToken.cooperative_id == coop.id)
    found = list(db.session.scalars(query))
    now = clock.now()
    for token in found:
        token.revoked_at = now
        record("api_token.revoked", cooperative_id=token.cooperative_id, actor_id=actor.id if actor else None,
               token=token.prefix, user=user.login, why=why)
    return len(found)


def _roles_elsewhere(user: User, coop: Cooperative) -> bool:
    """A question across cooperatives, asked from inside one: through the audited bypass (tenancy.rls)."""
    with rls.bypass("auth: does the account open another cooperative"):
        return db.session.scalar(
            select(RoleAssignment.id).where(RoleAssignment.user_id == user.id, RoleAssignment.cooperative_id != coop.id)
            .limit(1)
        ) is not None


def roles_everywhere(user: User) -> frozenset[Role]:
    """Every role ``user`` holds, in any cooperative: a question across cooperatives, asked from
    inside one, through the audited bypass (tenancy.rls)."""
    with rls.bypass("auth: every role of the account"):
        return frozenset(Role(r) for r in db.session.scalars(select(RoleAssignment.role).where(RoleAssignment.user_id == user.id)))


def _only_this_coops(coop: Cooperative, user: User, *, what: str) -> None:
    """An admin of one cooperative must not be able to take over or shut out an account that also
    opens another cooperative (or the platform): those belong to the platform operator."""
    if user.is_operator:
        if what == "reset":
            raise AuthError("operator", _l("Akun operator platform hanya dapat direset oleh operator."))
        raise AuthError("operator", _l("Akun operator platform hanya dapat dinonaktifkan oleh operator."))
    if _roles_elsewhere(user, coop):
        if what == "reset":
            raise AuthError("other_cooperatives", _l("Pengguna ini juga terdaftar di koperasi lain; kata sandinya hanya "
                                                     "dapat direset oleh operator platform."))
        raise AuthError("other_cooperatives", _l("Pengguna ini juga terdaftar di koperasi lain; akunnya hanya dapat "
                                                 "dinonaktifkan oleh operator platform."))


def reset_password(coop: Cooperative, user: User, *, actor: User) -> str:
    """The admin's "reset password": a new one-time password (returned to be shown once, never
    stored in clear) that the person must replace at the next login. Every session of the person
    ends and every API token of theirs is revoked for good; the login delays are cleared.

    Only for accounts that belong to this cooperative alone: an admin of one cooperative must not
    be able to take over an account that also opens another cooperative (or the platform) —
    those are reset by the platform operator (``koppontren user reset-password``).
    Raises AuthError(code="operator" | "other_cooperatives")."""
    _only_this_coops(coop, user, what="reset")
    _clear_delays(user)
    password = one_time_password()
    set_one_time_password(user, password, commit=False)
    revoke_tokens_of(user, actor=actor, why="password_reset")
    record("user.password_reset", cooperative_id=coop.id, actor_id=actor.id, login=user.login, user_id=user.id)
    db.session.commit()
    return password


def operator_reset_password(user: User) -> str:
    """The platform operator's reset from the command line (any account); as the admin's reset."""
    _clear_delays(user)
    password = one_time_password()
    set_one_time_password(user, password, commit=False)
    revoke_tokens_of(user, actor=None, why="password_reset")
    record("user.password_reset", actor_id=None, login=user.login, user_id=user.id, by="operator")
    db.session.commit()
    return password


def set_active(user: User, active: bool, *, actor: User | None, coop: Cooperative | None = None) -> None:
    """Deactivate an account (it can't log in; every session ends, every API token is revoked for
    good) or activate it again (old sessions and tokens stay dead). An admin (``coop`` given) may
    do it only to an account of their cooperative alone, never to their own; the operator
    (``koppontren user deactivate``) to any. Raises AuthError(code="own_account" | "operator" |
    "other_cooperatives")."""
    if coop is not None:
        if actor is not None and actor.id == user.id:
            raise AuthError("own_account", _l("Anda tidak dapat menonaktifkan akun Anda sendiri."))
        _only_this_coops(coop, user, what="deactivate")
    if user.is_active_account == active:
        return
    user.is_active_account = active
    if not active:
        end_sessions(user)
        revoke_tokens_of(user, actor=actor, why="deactivated")
    record("user.activated" if active else "user.deactivated", cooperative_id=coop.id if coop else None,
           actor_id=actor.id if actor else None, login=user.login, user_id=user.id)
    db.session.commit()


def record_logout(user: User) -> None:
    """Logging out ends every session of the person, on every device: a copy of the cookie (saved,
    stolen, left in another browser) is worthless from now on."""
    end_sessions(user)
    record("logout", actor_id=user.id, login=user.login)
    db.session.commit()


def password_matches(user: User, password: str) -> bool:
    """Whether ``password`` is the user's current password (no audit row: not a login)."""
    try:
        return _hasher().verify(user.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def confirm_password(user: User, password: str, *, address: str | None = None) -> bool:
    """The person re-typed their password before a sensitive action. A wrong one counts towards the
    login delay of (login, address) like a failed login, and while that delay runs the password is
    not even checked (a stolen session must not become a password oracle).

    Raises AuthError(code="login_delayed") while waiting (the person is known here: saying so leaks nothing)."""
    now = clock.now()
    row = _delay_row(user.login, _address(address))
    if _waiting(row, now):
        record("login.delayed", actor_id=user.id, login=user.login, where="confirm")
        db.session.commit()
        raise AuthError("login_delayed", _l("Terlalu banyak kata sandi salah. Tunggu sebentar lalu coba lagi."),
                        {"password": _l("Tunggu sebentar.")})
    if password_matches(user, password):
        db.session.delete(row)
        record("password.confirmed", actor_id=user.id, login=user.login)
        db.session.commit()
        return True
    record("login.failed", actor_id=user.id, login=user.login, where="confirm")
    _count_failure(row, now)
    db.session.commit()
    return False


def change_password(user: User, current: str, new: str) -> None:
    """The person picks a new password; this also ends a ``must_change_password`` obligation, so
    the new one must differ from the current (one-time) one. Every session of the person ends (the
    caller starts a fresh one for the browser that made the change).

    Raises AuthError(code="wrong_password" | "weak_password")."""
    if not password_matches(user, current):
        raise AuthError("wrong_password", _l("Kata sandi saat ini salah."), {"current_password": _l("Salah.")})
    check_password_strength(new, user.login)
    if new == current:
        raise AuthError("weak_password", _l("Kata sandi baru harus berbeda dari kata sandi saat ini."),
                        {"new_password": _l("Sama dengan yang lama.")})
    user.password_hash = hash_password(new)
    user.must_change_password = False
    end_sessions(user)
    record("password.changed", actor_id=user.id, login=user.login)
    db.session.commit()


def set_one_time_password(user: User, password: str, *, commit: bool = True) -> None:
    """Replace the user's password with one someone else chose (a reset): the person must change it
    at the next login, and every session of theirs ends now. The caller audits the reset in its
    own words."""
    check_password_strength(password, user.login)
    user.password_hash = hash_password(password)
    user.must_change_password = True
    end_sessions(user)
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
