"""The audit log table. Rows are only ever inserted; the database refuses UPDATE and DELETE."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from koppontren.extensions import db
from koppontren.tenancy.models import utcnow


class AuditEvent(db.Model):
    """One recorded action.

    ``cooperative_id`` is empty for platform-level events (an operator creating a cooperative, a
    failed login for an unknown account). ``actor_id`` is the user who acted (empty when nobody was
    logged in); ``login`` is the actor's login, or the account the action concerns when the caller
    names one (the name typed at a login attempt, the user a role is granted to). ``detail`` holds
    the action's parameters as JSON — never secrets — and, for an action that came through the API,
    the token's name and id (``_token``, ``_token_id``). ``ip_address`` is empty exactly for actions
    outside a web request: the command line.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_cooperative_id_created_at", "cooperative_id", "created_at"),
        # the log's filters: by who acted, by action (migration 0019)
        Index("ix_audit_event_actor", "cooperative_id", "actor_id", "created_at"),
        Index("ix_audit_event_action", "cooperative_id", "action", "created_at"),
        # no INSERT … RETURNING (the id is taken from the sequence first): on PostgreSQL a platform
        # event (no cooperative) may be appended by any request but read back by none (migration 0021)
        {"implicit_returning": False},
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    cooperative_id: Mapped[int | None] = mapped_column(ForeignKey("cooperative.id", ondelete="RESTRICT"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(60))
    login: Mapped[str | None] = mapped_column(String(80))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
