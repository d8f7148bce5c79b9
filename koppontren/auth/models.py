"""Users and their roles in cooperatives."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from koppontren.extensions import db
from koppontren.tenancy.models import CoopScoped, utcnow


class Role(enum.StrEnum):
    """Roles inside one cooperative (DESIGN.md §3 "Roles")."""

    ADMIN = "admin"  # pengurus
    TREASURER = "treasurer"  # bendahara
    CASHIER = "cashier"  # kasir
    AUDITOR = "auditor"  # pengawas / external auditor: reads everything, changes nothing
    MEMBER = "member"  # anggota: own data only
    WALI = "wali"  # wali santri: their santri's wallets only (issue 9)


class User(UserMixin, db.Model):
    """A person who can log in. ``login`` is unique on the whole deployment.

    ``is_operator`` marks a platform operator: manages cooperatives, sees no cooperative's books unless
    also given a role in it. ``locale`` is the person's chosen language (``id`` or ``en``).
    """

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(5), default="id")
    #: set when someone else chose the password (a member's one-time portal password): the person
    #: must pick their own at the next login before anything else
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the generation of the person's browser sessions: a session carries the value it started with
    #: and is worthless once this moves on (logout, a password change or reset, a deactivation, the
    #: loss of the last role in a cooperative all move it: every session of the person ends at once)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    def __repr__(self) -> str:
        return f"<User {self.login}>"


class LoginDelay(db.Model):
    """Failed logins of one login name from one address, and until when that pair must wait.

    After the n-th consecutive failure the pair waits 2**(n-1) seconds (1 s, 2 s, 4 s, … at most
    15 minutes); an attempt before ``not_before`` is refused without looking at the password. A
    guesser slows down only themselves: the person typing the right password from another address
    is not held up. Unknown logins get rows too, so they behave exactly like known ones. A good
    login deletes its row; ``koppontren user unlock`` and the admin's unlock delete every row of
    the login. Kept in the database so that every worker sees the same delays.
    """

    __tablename__ = "login_delay"
    __table_args__ = (Index("ix_login_delay_last_failure_at", "last_failure_at"),)

    login: Mapped[str] = mapped_column(String(80), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RoleAssignment(CoopScoped, db.Model):
    """A user's role in one cooperative; a user may hold several roles in the same cooperative."""

    __tablename__ = "role_assignment"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "user_id", "role"),
        CheckConstraint("role IN ('admin', 'treasurer', 'cashier', 'auditor', 'member', 'wali')", name="role"),
        Index("ix_role_assignment_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(CoopScoped, db.Model):
    """A bearer token for the JSON API, made by one user for one cooperative (issue 8).

    Only ``token_hash`` (SHA-256 of the token's random part, 256 bits) is stored: the token is shown
    once. ``prefix`` (its first characters) lets a person tell their tokens apart. The token
    acts with its user's roles in its cooperative *as they are at each request*: take a role away
    and the token loses it too. ``revoked_at`` set: refused.
    """

    __tablename__ = "api_token"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "token_hash"),
        Index("ix_api_token_cooperative_id_user_id", "cooperative_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def active(self) -> bool:
        return self.revoked_at is None
