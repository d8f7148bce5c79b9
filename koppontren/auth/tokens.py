"""API tokens (issue 8): created by a user for one cooperative, shown once, stored hashed, revocable.

A token is ``kpt_<row id>_`` + 43 URL-safe characters (256 random bits). The SHA-256 of the random
part is what the database keeps: with that much entropy a slow password hash buys nothing. The row
id in front makes the lookup one primary-key read (so no key of the table has to start with anything
but cooperative_id), and the hash is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from koppontren.audit.services import ACTION_LABELS, record
from koppontren.auth.models import ApiToken, Role, RoleAssignment, User
from koppontren.auth.services import AuthError
from koppontren.extensions import db
from koppontren.tenancy import rls
from koppontren.tenancy.models import Cooperative

TOKEN_PREFIX = "kpt_"  # noqa: S105 - a marker, not a secret
MAX_TOKEN_LENGTH = 200
#: last_used_at is written at most this often per token (an API client may call many times a second)
TOUCH_EVERY = timedelta(minutes=5)
TOKEN_RE = re.compile(r"^kpt_([0-9]{1,12})_([A-Za-z0-9_-]{43})$")
ACTION_LABELS.update({"api_token.created": _l("Token API dibuat"), "api_token.revoked": _l("Token API dicabut")})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _roles(coop_id: int, user_id: int) -> frozenset[Role]:
    rows = db.session.scalars(select(RoleAssignment.role).where(
        RoleAssignment.cooperative_id == coop_id, RoleAssignment.user_id == user_id))
    return frozenset(Role(r) for r in rows)


def create_token(coop: Cooperative, user: User, name: str | None = None, *, actor: User | None = None) -> tuple[ApiToken, str]:
    """Make a token for ``user`` in ``coop``; returns (the row, the token — never stored, show it once).

    Raises AuthError(code="not_found") when the user holds no role in the cooperative, ``invalid_name``."""
    if not user.is_active_account or not _roles(coop.id, user.id):
        raise AuthError("not_found", _l("Pengguna ini tidak punya peran di koperasi ini."))
    name = " ".join((name or "").split()) or "API"
    if len(name) > 100:
        raise AuthError("invalid_name", _l("Nama token paling banyak 100 karakter."), {"name": _l("Terlalu panjang.")})
    secret = secrets.token_urlsafe(32)
    token = ApiToken(cooperative_id=coop.id, user_id=user.id, name=name, prefix="", token_hash=hash_token(secret))
    db.session.add(token)
    db.session.flush()
    plain = f"{TOKEN_PREFIX}{token.id}_{secret}"
    token.prefix = plain[:16]
    record("api_token.created", cooperative_id=coop.id, actor_id=getattr(actor or user, "id", None), user=user.login,
           token=token.prefix, name=name)
    db.session.commit()
    return token, plain


def tokens_of(coop: Cooperative, user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.cooperative_id == coop.id, ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def all_tokens(coop: Cooperative) -> list[tuple[ApiToken, User]]:
    """Every token of ``coop`` with its user, newest first (the admin's list)."""
    return list(db.session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.cooperative_id == coop.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).tuples())


def revoke_token(coop: Cooperative, user: User | None, token_id: int, *, actor: User | None = None) -> ApiToken:
    """Revoke one of ``user``'s tokens in ``coop`` — any token of ``coop`` when ``user`` is None
    (an admin's revocation). Another cooperative's token, or another user's, is not found.
    Raises AuthError(code="not_found")."""
    query = select(ApiToken).where(ApiToken.cooperative_id == coop.id, ApiToken.id == token_id)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    token = db.session.scalar(query)
    if token is None:
        raise AuthError("not_found", _l("Token tidak ditemukan."))
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        owner = user or db.session.get(User, token.user_id)
        record("api_token.revoked", cooperative_id=coop.id, actor_id=getattr(actor or user, "id", None), token=token.prefix,
               user=owner.login if owner is not None else None)
    db.session.commit()
    return token


def authenticate(plain: str) -> tuple[ApiToken, User, Cooperative, frozenset[Role]] | None:
    """The token's row, user, cooperative and the user's current roles there; None when the token
    is unknown, revoked, its user disabled or without any role in the cooperative."""
    match = TOKEN_RE.match(plain or "") if len(plain or "") <= MAX_TOKEN_LENGTH else None
    if match is None:
        return None
    rls.present_api_token(int(match.group(1)))  # the row may be read: its hash is what decides
    token = db.session.get(ApiToken, int(match.group(1)))
    if token is None or not hmac.compare_digest(token.token_hash, hash_token(match.group(2))) or token.revoked_at is not None:
        return None
    rls.use_cooperative(token.cooperative_id)  # the token's cooperative: the request's from here on
    user = db.session.get(User, token.user_id)
    coop = db.session.get(Cooperative, token.cooperative_id)
    if user is None or coop is None or not user.is_active_account:
        return None
    roles = _roles(coop.id, user.id)
    if not roles:
        return None
    now = datetime.now(UTC)
    last = token.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    if last is None or now - last > TOUCH_EVERY:
        db.session.execute(update(ApiToken).where(ApiToken.cooperative_id == coop.id, ApiToken.id == token.id)
                           .values(last_used_at=now))
        db.session.commit()
    return token, user, coop, roles
