"""What the API keeps of its own: the first response to each Idempotency-Key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from koppontren.extensions import db
from koppontren.tenancy.models import CoopScoped, utcnow


class IdempotentResponse(CoopScoped, db.Model):
    """One ``Idempotency-Key`` of one cooperative: the request's fingerprint (SHA-256 of method,
    path and canonical body) and, once the request has succeeded, its status and JSON body.

    The row is inserted (and committed) *before* the request runs: the unique key makes a second
    request with the same key wait for the first instead of running too. ``status`` stays NULL while
    the first request runs; a refused request deletes its row, so a corrected retry may use the key.
    """

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("cooperative_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
