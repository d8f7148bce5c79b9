"""Recording audit events. Callers add the event to their own unit of work: it commits with the
action it describes, or not at all."""

from __future__ import annotations

from flask import g, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
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
    "coop.officers_changed": _l("Pengurus dan pengawas diubah"),
    "entry.posted": _l("Jurnal diposting"),
    "entry.reversed": _l("Jurnal dibalik"),
    "entry.bulk_posted": _l("Jurnal diposting massal"),
    "shop.bulk_sales": _l("Penjualan massal dicatat"),
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


#: reserved detail keys (never an action's own parameter): the API token an action came through
TOKEN_KEY = "_token"  # noqa: S105 - a key name, not a secret
TOKEN_ID_KEY = "_token_id"  # noqa: S105 - a key name, not a secret


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
    the row with its own statement in its own transaction (posting does, to skip the unit of work).

    Who acted comes from the request: the person logged in (a page) or the token's user (the API,
    whose token's name and id go into ``detail`` under ``_token``/``_token_id``); ``actor_id``
    defaults to them and ``login`` to their login when the caller names no other account (a login
    attempt, the user a role is granted to). Outside a request — the command line — nothing is
    filled: such rows have no ``ip_address``, which is how the log tells them apart ("CLI")."""
    values = {k: v for k, v in detail.items() if v is not None}
    ip_address = None
    if has_request_context():
        ip_address = request.remote_addr or ""  # never None in a request: None marks the command line
        user = current_user if getattr(current_user, "is_authenticated", False) else None
        if user is not None:
            if actor_id is None:
                actor_id = user.id
            if login is None and actor_id == user.id:
                login = user.login
        token = g.get("api_token")
        if token is not None:
            values[TOKEN_KEY], values[TOKEN_ID_KEY] = token[1], token[0]
    return {
        "action": action,
        "cooperative_id": cooperative_id,
        "actor_id": actor_id,
        "login": login,
        "ip_address": ip_address,
        "detail": values,
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
