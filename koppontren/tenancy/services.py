"""Creating and configuring cooperatives."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from koppontren.audit.services import record
from koppontren.auth import services as auth_services
from koppontren.auth.models import Role, RoleAssignment, User
from koppontren.clock import today
from koppontren.errors import DomainError
from koppontren.extensions import db
from koppontren.ledger.chart import seed_chart
from koppontren.ledger.posting import latest_closed_fiscal_year, lock_ledger, start_chain
from koppontren.ledger.queries import first_entry_date
from koppontren.operations import command
from koppontren.tenancy.models import Cooperative, first_day_of_current_fiscal_year


class TenancyError(DomainError):
    """A refused change to a cooperative (codes: invalid_slug, slug_taken, invalid_field)."""


SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
#: First URL segments the application uses itself; a cooperative may not take them.
RESERVED_SLUGS = frozenset(
    {"login", "logout", "account", "language", "platform", "healthz", "static", "api", "bootstrap",
     "admin", "auth", "favicon.ico", "robots.txt", "new", "coops", "demo-operator"}
)
EDITABLE_FIELDS = (
    "name", "legal_number", "nik_koperasi", "address", "pesantren_name",
    "fiscal_year_start_month", "currency_decimals", "locale", "books_start",
)


def validate_slug(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        raise TenancyError(
            "invalid_slug",
            _l("Kode koperasi harus 1–40 huruf kecil, angka atau tanda hubung, dan bukan kata yang dipakai sistem."),
            {"slug": _l("Kode tidak sah.")},
        )
    if db.session.scalar(select(Cooperative.id).where(Cooperative.slug == slug)) is not None:
        raise TenancyError(
            "slug_taken", _l("Kode koperasi '%(slug)s' sudah dipakai.", slug=slug), {"slug": _l("Sudah dipakai.")}
        )
    return slug


def _clean_profile(fields: dict) -> dict:
    cleaned = {}
    for key, value in fields.items():
        if key not in EDITABLE_FIELDS:
            raise TenancyError("invalid_field", _l("Kolom %(field)s tidak dikenal.", field=key), {key: _l("Tidak dikenal.")})
        if isinstance(value, str):
            value = value.strip() or None
        cleaned[key] = value
    if "name" in cleaned and not cleaned["name"]:
        raise TenancyError("invalid_field", _l("Nama koperasi wajib diisi."), {"name": _l("Wajib diisi.")})
    month = cleaned.get("fiscal_year_start_month")
    if month is not None and (not isinstance(month, int) or not 1 <= month <= 12):
        raise TenancyError(
            "invalid_field", _l("Bulan awal tahun buku harus 1 sampai 12."),
            {"fiscal_year_start_month": _l("Harus 1–12.")},
        )
    decimals = cleaned.get("currency_decimals")
    if decimals is not None and decimals not in (0, 1, 2):
        raise TenancyError(
            "invalid_field", _l("Jumlah desimal mata uang harus 0, 1 atau 2."), {"currency_decimals": _l("Harus 0–2.")}
        )
    books_start = cleaned.get("books_start")
    if books_start is not None:
        if isinstance(books_start, str):
            try:
                books_start = cleaned["books_start"] = date.fromisoformat(books_start)
            except ValueError:
                books_start = None
        if not isinstance(books_start, date) or books_start.year < 1900:
            raise TenancyError("invalid_field", _l("Awal pembukuan harus tanggal yang sah (YYYY-MM-DD)."), {"books_start": _l("Tidak sah.")})
        if books_start > today():
            raise TenancyError("invalid_field", _l("Awal pembukuan tidak boleh sesudah hari ini."), {"books_start": _l("Sesudah hari ini.")})
    locale = cleaned.get("locale")
    if locale is not None and locale not in ("id", "en"):
        raise TenancyError("invalid_field", _l("Bahasa harus id atau en."), {"locale": _l("Harus id atau en.")})
    return cleaned


@command("tenancy.create_cooperative")
def create_cooperative(slug: str, name: str, *, actor: User | None = None, **profile) -> Cooperative:
    """Create a cooperative with the default chart of accounts. Raises TenancyError(code="invalid_slug" | "slug_taken" | "invalid_field")."""
    slug = validate_slug(slug)
    data = _clean_profile({"name": name, **profile})
    coop = Cooperative(slug=slug, **data)
    coop.fiscal_year_start_month = coop.fiscal_year_start_month or 1
    coop.currency_decimals = coop.currency_decimals or 0
    coop.locale = coop.locale or "id"
    coop.books_start = coop.books_start or first_day_of_current_fiscal_year(coop.fiscal_year_start_month)
    db.session.add(coop)
    db.session.flush()
    seed_chart(coop)
    start_chain(coop)
    record("coop.created", cooperative_id=coop.id, actor_id=actor.id if actor else None, slug=slug, name=coop.name)
    return coop


@command("tenancy.create_cooperative_with_admin")
def create_cooperative_with_admin(
    slug: str, name: str, *, admin_login: str, admin_name: str, admin_password: str,
    actor: User | None = None, **profile,
) -> tuple[Cooperative, User]:
    """The operator's "new cooperative" action: the cooperative and its first admin, in one unit of work."""
    coop = create_cooperative(slug, name, actor=actor, **profile)
    admin = auth_services.create_user(admin_login, admin_name, admin_password, actor=actor)
    auth_services.grant_role(coop, admin, Role.ADMIN, actor=actor)
    return coop, admin


@command("tenancy.update_cooperative")
def update_cooperative(coop: Cooperative, *, actor: User, **fields) -> Cooperative:
    """Change a cooperative's profile and settings (not its slug). Audited with the changed fields.

    The books start moves only while no entry is dated before the new date, no opening balance is
    posted, and not into a closed fiscal year (raises TenancyError(code="books_start_locked"))."""
    data = _clean_profile(fields)
    if data.get("books_start") is None:
        data.pop("books_start", None)
    changed = {}
    for key, value in data.items():
        if getattr(coop, key) != value:
            if key == "books_start":
                _check_books_start_move(coop, value)
            changed[key] = value.isoformat() if isinstance(value, date) else value
            setattr(coop, key, value)
    if changed:
        record("coop.updated", cooperative_id=coop.id, actor_id=actor.id, changed=changed)
    return coop


def _check_books_start_move(coop: Cooperative, new: date) -> None:
    lock_ledger(coop.id)  # no posting slips in between the look and the change
    earlier = first_entry_date(coop)
    if earlier is not None and earlier < new:
        raise TenancyError("books_start_locked", _l("Awal pembukuan tidak bisa dipindah ke %(d)s: sudah ada jurnal bertanggal %(e)s.",
                                                    d=new.strftime("%d/%m/%Y"), e=earlier.strftime("%d/%m/%Y")),
                           {"books_start": _l("Sudah ada jurnal sebelumnya.")})
    if first_entry_date(coop, "SA") is not None:
        raise TenancyError("books_start_locked", _l("Awal pembukuan tidak bisa dipindah: saldo awal sudah dibukukan pada tanggal itu."),
                           {"books_start": _l("Saldo awal sudah dibukukan.")})
    closed = latest_closed_fiscal_year(coop.id, coop.fiscal_year_start_month)
    if closed is not None:
        from koppontren.ledger.fiscal import fiscal_year_of

        if fiscal_year_of(new, coop.fiscal_year_start_month) <= closed:
            raise TenancyError("books_start_locked", _l("Awal pembukuan tidak bisa dipindah ke tahun buku yang sudah ditutup."),
                               {"books_start": _l("Tahun buku tertutup.")})


def list_cooperatives() -> list[tuple[Cooperative, int]]:
    """Every cooperative with its number of users — what a platform operator may see (no books)."""
    users = (
        select(RoleAssignment.cooperative_id, func.count(func.distinct(RoleAssignment.user_id)).label("n"))
        .group_by(RoleAssignment.cooperative_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Cooperative, func.coalesce(users.c.n, 0))
        .outerjoin(users, users.c.cooperative_id == Cooperative.id)
        .order_by(Cooperative.name)
    ).all()
    return [(coop, n) for coop, n in rows]


def get_by_slug(slug: str) -> Cooperative | None:
    return db.session.scalar(select(Cooperative).where(Cooperative.slug == slug))
