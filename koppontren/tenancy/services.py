"""Creating and configuring cooperatives."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from koppontren.audit.services import record
from koppontren.clock import today
from koppontren.extensions import db
from koppontren.operations import command
from koppontren.tenancy import lifecycle
from koppontren.tenancy.errors import TenancyError
from koppontren.tenancy.models import Cooperative, first_day_of_current_fiscal_year

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
def create_cooperative(slug: str, name: str, *, actor=None, **profile) -> Cooperative:
    """Create a cooperative; the packages hooked on ``tenancy.lifecycle`` set it up (the ledger: the
    default chart of accounts). Raises TenancyError(code="invalid_slug" | "slug_taken" | "invalid_field")."""
    slug = validate_slug(slug)
    data = _clean_profile({"name": name, **profile})
    coop = Cooperative(slug=slug, **data)
    coop.fiscal_year_start_month = coop.fiscal_year_start_month or 1
    coop.currency_decimals = coop.currency_decimals or 0
    coop.locale = coop.locale or "id"
    coop.books_start = coop.books_start or first_day_of_current_fiscal_year(coop.fiscal_year_start_month)
    db.session.add(coop)
    db.session.flush()
    lifecycle.created(coop)
    record("coop.created", cooperative_id=coop.id, actor_id=actor.id if actor else None, slug=slug, name=coop.name)
    return coop


@command("tenancy.update_cooperative")
def update_cooperative(coop: Cooperative, *, actor, **fields) -> Cooperative:
    """Change a cooperative's profile and settings (not its slug). Audited with the changed fields.

    The books start moves only while the guards on ``tenancy.lifecycle`` allow it (the ledger's: no
    entry dated before the new date, no opening balance posted, not into a closed fiscal year;
    raises TenancyError(code="books_start_locked"))."""
    data = _clean_profile(fields)
    if data.get("books_start") is None:
        data.pop("books_start", None)
    changed = {}
    for key, value in data.items():
        if getattr(coop, key) != value:
            if key == "books_start":
                lifecycle.books_start_moving(coop, value)
            changed[key] = value.isoformat() if isinstance(value, date) else value
            setattr(coop, key, value)
    if changed:
        record("coop.updated", cooperative_id=coop.id, actor_id=actor.id, changed=changed)
    return coop


def get_by_slug(slug: str) -> Cooperative | None:
    return db.session.scalar(select(Cooperative).where(Cooperative.slug == slug))
