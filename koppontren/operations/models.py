"""The one table of operation keys: every repeated request — a form submitted twice, a POS or API
retry, a CLI rerun — is recognised here, whichever door it came through."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from koppontren.extensions import db
from koppontren.tenancy.models import CoopScoped, utcnow


class OperationKey(CoopScoped, db.Model):
    """One key of one cooperative and what it was used for.

    * ``operation`` — the command's name (``savings.deposit``) or, for a whole API request,
      ``api:<METHOD> <path>``;
    * ``request_hash`` — SHA-256 of the request's content (the command's arguments, or the API's
      method, path and canonical body): the same key with other content is a conflict;
    * ``result_ref`` — what the first run produced, as a reference to reload it
      (``{"t": "savings_transaction", "id": 12}``); commands write it in the unit of work that did the work,
      so a committed key always has its result;
    * ``status`` / ``body`` — for API requests, the first response (``status`` NULL while it runs).
    """

    __tablename__ = "operation_key"
    __table_args__ = (UniqueConstraint("cooperative_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    operation: Mapped[str] = mapped_column(String(120))
    request_hash: Mapped[str] = mapped_column(String(64))
    result_ref: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
