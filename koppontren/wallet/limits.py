"""Spending limits: the cooperative's defaults and exempt categories, a santri's effective limits,
what they spent today / this ISO week (from Monday) / this calendar month, and the check a charge
must pass.

Effective limit of each window = the lowest of the santri's own limit set by the treasurer (or the
cooperative's default when none) and the limit a wali set (if any). Only products whose category is
not exempt count toward limits (``limited`` amounts); a return gives its limited part back on the
day of its purchase.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from koppontren import money
from koppontren.audit.services import ACTION_LABELS, record
from koppontren.clock import today
from koppontren.extensions import db
from koppontren.operations import command
from koppontren.tenancy.models import Cooperative
from koppontren.wallet.errors import WalletError
from koppontren.wallet.models import DEFAULT_EXEMPT, Santri, WalletSettings, WalletTransaction

WINDOWS = ("daily", "weekly", "monthly")
WINDOW_LABELS = {"daily": _l("harian"), "weekly": _l("mingguan"), "monthly": _l("bulanan")}
MAX_CATEGORIES = 50
ACTION_LABELS.update({"wallet.settings": _l("Pengaturan dompet santri diubah")})


def format_amount(coop: Cooperative, sen: int) -> str:
    """``Rp15.000`` / ``IDR 15,000`` in the reader's language."""
    locale = get_locale()
    return money.format_idr(money.from_sen(sen), coop.currency_decimals, locale.language if locale else "id")


def normalise_category(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


@dataclass(frozen=True)
class Limits:
    """Limits in sen per window; None = no limit."""

    daily: int | None = None
    weekly: int | None = None
    monthly: int | None = None

    def of(self, window: str) -> int | None:
        return getattr(self, window)

    def as_dict(self) -> dict[str, int | None]:
        return {w: self.of(w) for w in WINDOWS}


def _lowest(*values: int | None) -> int | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


@dataclass(frozen=True)
class Settings:
    """The cooperative's wallet settings: default limits (sen, None = none) and the exempt categories
    (as written; compared case-insensitively, trimmed)."""

    limits: Limits
    exempt_categories: tuple[str, ...]

    def is_exempt(self, category: str | None) -> bool:
        key = normalise_category(category)
        return bool(key) and key in {normalise_category(c) for c in self.exempt_categories}


def get_settings(coop: Cooperative) -> Settings:
    row = db.session.scalar(select(WalletSettings).where(WalletSettings.cooperative_id == coop.id))
    if row is None:
        return Settings(Limits(), DEFAULT_EXEMPT)
    exempt = tuple(c for c in (row.exempt_categories or "").split("\n") if c.strip())
    return Settings(Limits(row.limit_daily, row.limit_weekly, row.limit_monthly), exempt)


def limit_sen(coop: Cooperative, value, field_name: str) -> int | None:
    """A limit typed as Decimal rupiah (None: no limit) → sen. Raises WalletError(``invalid_amount``)."""
    if value is None:
        return None
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int):
        raise WalletError("invalid_amount", _l("Batas tidak sah."), {field_name: _l("Tidak sah.")})
    value = Decimal(value)
    if not value.is_finite() or value < 0 or value > money.MAX_AMOUNT \
            or value != value.quantize(Decimal(1).scaleb(-coop.currency_decimals)):
        raise WalletError("invalid_amount", _l("Batas tidak sah."), {field_name: _l("Tidak sah.")})
    return money.to_sen(value)


@command("wallet.settings")
def update_settings(coop: Cooperative, *, limit_daily: Decimal | None, limit_weekly: Decimal | None, limit_monthly: Decimal | None,
                    exempt_categories: list[str] | tuple[str, ...] | str, actor=None) -> Settings:
    """Change the default limits (Decimal rupiah, None = no limit) and the exempt categories (a list,
    or text with one category per line or comma-separated)."""
    values = {"limit_daily": limit_sen(coop, limit_daily, "limit_daily"), "limit_weekly": limit_sen(coop, limit_weekly, "limit_weekly"),
              "limit_monthly": limit_sen(coop, limit_monthly, "limit_monthly")}
    if isinstance(exempt_categories, str):
        exempt_categories = exempt_categories.replace(",", "\n").split("\n")
    cleaned: list[str] = []
    for c in exempt_categories or ():
        text = " ".join(str(c).split())[:60]
        if text and normalise_category(text) not in {normalise_category(x) for x in cleaned}:
            cleaned.append(text)
    if len(cleaned) > MAX_CATEGORIES:
        raise WalletError("invalid_field", _l("Paling banyak %(n)s kategori.", n=MAX_CATEGORIES), {"exempt_categories": _l("Terlalu banyak.")})
    row = db.session.scalar(select(WalletSettings).where(WalletSettings.cooperative_id == coop.id))
    if row is None:
        row = WalletSettings(cooperative_id=coop.id)
        db.session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    row.exempt_categories = "\n".join(cleaned)
    record("wallet.settings", cooperative_id=coop.id, actor_id=getattr(actor, "id", None),
           **{k: v for k, v in values.items()}, exempt=cleaned)
    return get_settings(coop)


def base_limits(coop: Cooperative, santri: Santri, settings: Settings | None = None) -> Limits:
    """The treasurer's limits of the santri, each window falling back to the cooperative's default."""
    settings = settings or get_settings(coop)
    own = Limits(santri.limit_daily, santri.limit_weekly, santri.limit_monthly)
    return Limits(*(own.of(w) if own.of(w) is not None else settings.limits.of(w) for w in WINDOWS))


def wali_limits(santri: Santri) -> Limits:
    return Limits(santri.wali_limit_daily, santri.wali_limit_weekly, santri.wali_limit_monthly)


def effective_limits(coop: Cooperative, santri: Santri, settings: Settings | None = None) -> Limits:
    base, wali = base_limits(coop, santri, settings), wali_limits(santri)
    return Limits(*(_lowest(base.of(w), wali.of(w)) for w in WINDOWS))


def window_starts(day: date) -> dict[str, date]:
    """First day of each window containing ``day``: the day, its ISO week's Monday, its month's 1st."""
    return {"daily": day, "weekly": day - timedelta(days=day.weekday()), "monthly": day.replace(day=1)}


def window_ends(day: date) -> dict[str, date]:
    """Last day of each window containing ``day``: the day, its ISO week's Sunday, its month's last day."""
    next_month = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return {"daily": day, "weekly": day + timedelta(days=6 - day.weekday()), "monthly": next_month - timedelta(days=1)}


def spent(coop: Cooperative, santri_id: int, day: date | None = None) -> dict[str, int]:
    """window -> limited spending (sen) in the whole window containing ``day``: purchases' limited
    parts less returns' (on their purchase's day). The whole window, not just up to ``day``: a sale
    dated in the past must not get a fresh weekly or monthly allowance by ignoring later spending."""
    day = day or today()
    starts, ends = window_starts(day), window_ends(day)
    first, last = min(starts.values()), max(ends.values())
    signed = case((WalletTransaction.kind == "purchase", WalletTransaction.limited_amount),
                  (WalletTransaction.kind == "return", -WalletTransaction.limited_amount), else_=0)
    rows = db.session.execute(
        select(WalletTransaction.limit_day, func.coalesce(func.sum(signed), 0))
        .where(WalletTransaction.cooperative_id == coop.id, WalletTransaction.santri_id == santri_id,
               WalletTransaction.kind.in_(("purchase", "return")),
               WalletTransaction.limit_day >= first, WalletTransaction.limit_day <= last)
        .group_by(WalletTransaction.limit_day)).all()
    out = dict.fromkeys(WINDOWS, 0)
    for limit_day, total in rows:
        for window, start in starts.items():
            if start <= limit_day <= ends[window]:
                out[window] += int(total)
    return {w: max(v, 0) for w, v in out.items()}


@dataclass(frozen=True)
class Spending:
    """What the POS, the pages and the API show of a wallet on ``day`` (sen)."""

    day: date
    balance: int
    spent: dict[str, int]  # window -> limited spending so far
    limits: Limits  # effective
    base: Limits  # the treasurer's / cooperative's
    wali: Limits  # the wali's

    def remaining(self, window: str) -> int | None:
        limit = self.limits.of(window)
        return None if limit is None else max(limit - self.spent[window], 0)

    @property
    def spent_today(self) -> int:
        return self.spent["daily"]

    @property
    def spent_week(self) -> int:
        return self.spent["weekly"]

    @property
    def spent_month(self) -> int:
        return self.spent["monthly"]

    @property
    def remaining_today(self) -> int | None:
        """What may still be spent today on limited products by the limits (None: no limit)."""
        return _lowest(*(self.remaining(w) for w in WINDOWS))

    @property
    def available_today(self) -> int:
        """What may still be spent today on limited products: the limits' remainder, and the balance."""
        return _lowest(self.balance, self.remaining_today)


def spending(coop: Cooperative, santri: Santri, day: date | None = None, settings: Settings | None = None) -> Spending:
    day = day or today()
    settings = settings or get_settings(coop)
    return Spending(day, santri.balance, spent(coop, santri.id, day), effective_limits(coop, santri, settings),
                    base_limits(coop, santri, settings), wali_limits(santri))


def check_charge(coop: Cooperative, santri: Santri, total: int, limited: int, day: date, settings: Settings | None = None) -> Spending:
    """Refuse a charge of ``total`` sen (``limited`` of it on non-exempt products) that would take the
    balance below zero or the limited spending past a limit. The santri's row must be locked.
    Raises WalletError(``insufficient_balance`` | ``limit_exceeded``); the message says what is left."""
    s = spending(coop, santri, day, settings)
    if total > s.balance:
        raise WalletError("insufficient_balance",
                          _l("Saldo dompet %(n)s %(b)s, kurang dari belanja %(t)s.", n=santri.name, b=format_amount(coop, s.balance),
                             t=format_amount(coop, total)),
                          {"card": _l("Saldo tidak cukup: %(b)s.", b=format_amount(coop, s.balance))})
    if limited > 0:
        for window in WINDOWS:
            left = s.remaining(window)
            if left is not None and limited > left:
                today_left = s.available_today
                raise WalletError("limit_exceeded",
                                  _l("Batas belanja %(w)s %(n)s terlampaui: sisa %(l)s, belanja terbatas %(t)s. Sisa hari ini %(d)s.",
                                     w=WINDOW_LABELS[window], n=santri.name, l=format_amount(coop, left), t=format_amount(coop, limited),
                                     d=format_amount(coop, today_left)),
                                  {"card": _l("Sisa hari ini %(d)s.", d=format_amount(coop, today_left)), "limit": str(window)})
    return s
