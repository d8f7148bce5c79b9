"""Recording audit events. Callers add the event to their own unit of work: it commits with the
action it describes, or not at all."""

from __future__ import annotations

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from koppontren.audit.models import AuditEvent
from koppontren.extensions import db

#: How each action reads in the audit log pages; the stored ``action`` code never changes.
ACTION_LABELS = {
    "login": _l("Masuk"),
    "login.failed": _l("Gagal masuk"),
    "logout": _l("Keluar"),
    "password.changed": _l("Ganti kata sandi"),
    "password.confirmed": _l("Kata sandi dikonfirmasi ulang"),
    "login.locked": _l("Masuk ditolak: akun terkunci"),
    "user.locked": _l("Akun terkunci"),
    "user.unlocked": _l("Kunci akun dibuka"),
    "user.password_reset": _l("Kata sandi direset"),
    "user.created": _l("Pengguna dibuat"),
    "role.granted": _l("Peran diberikan"),
    "role.revoked": _l("Peran dicabut"),
    "coop.created": _l("Koperasi dibuat"),
    "coop.updated": _l("Pengaturan koperasi diubah"),
    "entry.posted": _l("Jurnal diposting"),
    "entry.reversed": _l("Jurnal dibalik"),
    "period.closed": _l("Periode ditutup"),
    "period.reopened": _l("Periode dibuka kembali"),
    "year.closed": _l("Tutup buku tahunan"),
    "account.created": _l("Akun ditambahkan"),
    "account.renamed": _l("Akun diganti nama"),
    "account.activated": _l("Akun diaktifkan"),
    "account.deactivated": _l("Akun dinonaktifkan"),
    "account.deleted": _l("Akun dihapus"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def record(
    action: str,
    *,
    cooperative_id: int | None = None,
    actor_id: int | None = None,
    login: str | None = None,
    **detail: object,
) -> AuditEvent:
    """Add an audit event to the current session (the caller commits)."""
    event = AuditEvent(**event_values(action, cooperative_id=cooperative_id, actor_id=actor_id, login=login, **detail))
    db.session.add(event)
    return event


def event_values(
    action: str,
    *,
    cooperative_id: int | None = None,
    actor_id: int | None = None,
    login: str | None = None,
    **detail: object,
) -> dict[str, object]:
    """The columns of an audit event (all but ``id`` and ``created_at``), for a writer that inserts
    the row with its own statement in its own transaction (posting does, to skip the unit of work)."""
    return {
        "action": action,
        "cooperative_id": cooperative_id,
        "actor_id": actor_id,
        "login": login,
        "ip_address": request.remote_addr if has_request_context() else None,
        "detail": {k: v for k, v in detail.items() if v is not None},
    }


def recent(coop, limit: int = 50, offset: int = 0) -> list[AuditEvent]:
    """The cooperative's latest audit events, newest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.cooperative_id == coop.id)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def count(coop) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.cooperative_id == coop.id))
