"""Portal logins of members: the treasurer creates an account with the ``member`` role linked to the
member record, hands over a one-time password on a printed slip, and resets it when a santri forgets.

The one-time password is returned to the caller once and never stored in clear: only its hash is
kept, and the account must change it at the first login (``User.must_change_password``).
Refusals raise MemberError and write nothing.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from koppontren.audit.services import ACTION_LABELS, record
from koppontren.auth import services as auth
from koppontren.auth.models import Role, User
from koppontren.extensions import db
from koppontren.members import services as members
from koppontren.members.models import Member
from koppontren.members.services import MemberError
from koppontren.tenancy.models import Cooperative

ACTION_LABELS.update({"member.login_reset": _l("Kata sandi portal anggota direset")})

def default_login(coop: Cooperative, member: Member) -> str:
    """``<cooperative slug>.<member number>`` in lower case, e.g. ``alhikmah.a-0001``: unique on
    the deployment because slugs and member numbers are; characters a login may not hold become ``-``."""
    text = re.sub(r"[^a-z0-9._-]", "-", f"{coop.slug}.{member.number}".lower())
    return text[:80]


def _check_member(coop: Cooperative, member: Member) -> Member:
    """The member's row, locked, so two treasurers clicking at once cannot create two logins."""
    locked = members.lock_member(coop, member.id) if member.cooperative_id == coop.id else None
    if locked is None:
        raise MemberError("not_found", _l("Anggota tidak ditemukan."))
    return locked


def create_member_login(coop: Cooperative, member: Member, *, login: str | None = None, actor) -> tuple[User, str]:
    """Create the member's portal account (role ``member`` in ``coop``, linked by ``member.user_id``)
    with a one-time password; returns (user, password) — the only time the password exists in clear.

    Raises MemberError(code="not_found" | "has_login" | "not_active" | "invalid_login" | "login_taken").
    """
    try:
        locked = _check_member(coop, member)
        if locked.user_id is not None:
            raise MemberError("has_login", _l("Anggota %(n)s sudah punya login portal.", n=locked.number))
        if not locked.is_active:
            raise MemberError("not_active", _l("Anggota %(n)s tidak aktif: tidak bisa dibuatkan login portal.", n=locked.number))
        login = auth.normalise_login(login) or default_login(coop, locked)
        password = auth.one_time_password()
        try:
            user = auth.create_user(login, locked.name, password, locale="id", must_change_password=True, actor=actor,
                                    commit=False)
            auth.grant_role(coop, user, Role.MEMBER, actor=actor, commit=False)
        except auth.AuthError as err:
            raise MemberError(err.code, err.message, err.fields) from None
        locked.user_id = user.id
        record("member.login_created", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), number=locked.number,
               login=user.login)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return user, password


def reset_member_password(coop: Cooperative, member: Member, actor) -> tuple[User, str]:
    """Give the member's portal account a new one-time password (to be changed at the next login);
    returns (user, password).

    Only an account that is nothing but a member's is reset here: a treasurer must not be able to
    take over a colleague's staff account by resetting it as a "member login".
    Raises MemberError(code="not_found" | "no_login" | "not_member_only").
    """
    try:
        locked = _check_member(coop, member)
        user = auth.user_by_id(locked.user_id) if locked.user_id is not None else None
        if user is None:
            raise MemberError("no_login", _l("Anggota %(n)s belum punya login portal.", n=locked.number))
        if user.is_operator or auth.roles_everywhere(user) - {Role.MEMBER}:
            raise MemberError("not_member_only", _l("Login %(login)s juga dipakai untuk peran lain; kata sandinya diganti oleh pemiliknya "
                                                    "atau oleh admin.", login=user.login))
        password = auth.one_time_password()
        auth.set_one_time_password(user, password, commit=False)
        record("member.login_reset", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), number=locked.number,
               login=user.login)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return user, password


def slip_is_current(coop: Cooperative, member: Member, login: str, password: str) -> bool:
    """Whether ``login``/``password`` are the member's login and still-unused one-time password:
    the printable slip is made only for that, so nobody prints a slip with a wrong or stale password."""
    user = auth.user_by_id(member.user_id) if member.user_id is not None and member.cooperative_id == coop.id else None
    return (user is not None and user.must_change_password and user.login == auth.normalise_login(login)
            and auth.password_matches(user, password))
