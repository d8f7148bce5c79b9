"""Reading the audit log (issue 18 §10): who acted — a person (login and name), an API token (its
name) or the command line —, the action and its details in the reader's language, filters by user,
action and dates, pages, and the exports (CSV, XLSX) auditors take away.

Who acted is read from what every writer stores (posting and the shop write their audit rows with
their own SQL, so nothing beyond the row's columns and ``detail`` is available): the token's name in
``detail["_token"]``, no ``ip_address`` for the command line, else ``actor_id`` (the person) or the
``login`` typed at a login attempt. A page looks up its actors in one query and its account codes in
one more; the exports read the filtered log in chunks, never all of it at once.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from koppontren import money
from koppontren.audit.models import AuditEvent
from koppontren.audit.services import ACTION_LABELS, TOKEN_ID_KEY, TOKEN_KEY, action_label
from koppontren.auth.forms import ROLE_LABELS
from koppontren.auth.models import Role, RoleAssignment, User
from koppontren.errors import DomainError
from koppontren.extensions import db
from koppontren.ledger import chart
from koppontren.tenancy.models import Cooperative

#: rows read from the database at a time by the exports
CHUNK = 1000
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@")
DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

#: how each detail key reads; a key not listed shows as it is stored
DETAIL_LABELS = {
    "login": _l("Pengguna"),
    "user": _l("Pengguna"),
    "user_id": _l("ID pengguna"),
    "role": _l("Peran"),
    "operator": _l("Operator platform"),
    "by": _l("Oleh"),
    "where": _l("Tempat"),
    "failures": _l("Gagal berturut-turut"),
    "token": _l("Token"),
    "name": _l("Nama"),
    "slug": _l("Alamat (slug)"),
    "changed": _l("Perubahan"),
    "number": _l("Nomor bukti"),
    "total": _l("Total"),
    "amount": _l("Jumlah"),
    "source": _l("Sumber"),
    "reversal": _l("Jurnal pembalik"),
    "entries": _l("Jumlah jurnal"),
    "lines": _l("Jumlah baris jurnal"),
    "code": _l("Kode"),
    "old": _l("Nama lama"),
    "new": _l("Nama baru"),
    "period": _l("Periode"),
    "reason": _l("Alasan"),
    "fiscal_year": _l("Tahun buku"),
    "closing_entry": _l("Jurnal penutup"),
    "member": _l("Anggota"),
    "members": _l("Jumlah anggota"),
    "kind": _l("Jenis"),
    "month": _l("Bulan"),
    "status": _l("Status"),
    "date": _l("Tanggal"),
    "day": _l("Tanggal"),
    "payout": _l("Dibayarkan"),
    "netted": _l("Dikompensasikan"),
    "count": _l("Banyaknya"),
    "first": _l("Pertama"),
    "last": _l("Terakhir"),
    "prefix": _l("Awalan nomor"),
    "digits": _l("Jumlah digit"),
    "fields": _l("Kolom diubah"),
    "pokok": _l("Simpanan pokok"),
    "wajib": _l("Simpanan wajib"),
    "sukarela": _l("Simpanan sukarela"),
    "sukarela_earns_shu": _l("Sukarela ikut SHU"),
    "original": _l("Bukti asal"),
    "difference": _l("Selisih"),
    "party": _l("Pihak"),
    "consignor": _l("Penitip"),
    "units": _l("Jumlah unit"),
    "products": _l("Jumlah produk"),
    "sku": _l("SKU"),
    "commission_bp": _l("Komisi (basis poin)"),
    "cashier": _l("Kasir"),
    "expected": _l("Seharusnya"),
    "counted": _l("Dihitung"),
    "customer": _l("Pelanggan"),
    "sales": _l("Jumlah penjualan"),
    "nis": _l("NIS"),
    "card": _l("Kartu"),
    "item": _l("Pos"),
    "created": _l("Baru"),
    "imported": _l("Diimpor"),
    "method": _l("Cara"),
    "rows": _l("Jumlah baris"),
    "exempt": _l("Kategori dikecualikan"),
    "limit_daily": _l("Batas harian"),
    "limit_weekly": _l("Batas mingguan"),
    "limit_monthly": _l("Batas bulanan"),
    "shu": _l("SHU"),
    "decision": _l("Keputusan"),
    "rules": _l("Aturan"),
}
#: a key that reads otherwise in some actions: (action prefix, key) → label
ACTION_DETAIL_LABELS = {
    ("account.", "code"): _l("Akun"),
    ("member.", "number"): _l("No. anggota"),
    ("shop.party", "code"): _l("Kode pihak"),
    ("api_token.", "token"): _l("Awalan token"),
    ("api_token.", "name"): _l("Nama token"),
}
#: detail keys holding an amount as a decimal string of rupiah
MONEY_KEYS = frozenset({"amount", "total", "shu", "expected", "counted", "payout", "netted", "difference", "pokok", "wajib",
                        "sukarela"})
#: actions whose every detail value is an amount (per category)
MONEY_ACTIONS = frozenset({"shop.credit_limits"})
#: detail keys holding an amount in sen (integers)
SEN_KEYS = frozenset({"limit_daily", "limit_weekly", "limit_monthly"})
METHOD_LABELS = {"cash": _l("Tunai"), "bank": _l("Bank"), "sukarela": _l("Ke simpanan sukarela"), "netting": _l("Kompensasi piutang")}


class AuditLogError(DomainError):
    """A filter that cannot be applied (``validation_error``; ``fields`` names it)."""


# --- filters ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """What the reader asked for: who acted (a user), which action, from and to which day (inclusive,
    the cooperative's time zone)."""

    user: User | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def args(self) -> dict[str, str]:
        """As query parameters (the exports' links carry the page's filters)."""
        out = {}
        if self.user is not None:
            out["user"] = self.user.login
        if self.action:
            out["action"] = self.action
        if self.date_from:
            out["from"] = self.date_from.isoformat()
        if self.date_to:
            out["to"] = self.date_to.isoformat()
        return out


def _filter_day(args: Mapping[str, object], key: str, problems: dict[str, object]) -> date | None:
    """The ``from``/``to`` filter (also ``date_from``/``date_to``) as a date; a wrong one goes in ``problems``."""
    text = str(args.get(key) or args.get(f"date_{key}") or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if DATE_RE.match(text) else None
    except ValueError:
        day = None
    if day is None or not 1900 <= day.year <= 2999:
        problems[key] = _l("Tanggal harus YYYY-MM-DD.")
        return None
    return day


def parse_filters(coop: Cooperative, args: Mapping[str, object]) -> Filters:
    """``user`` (a login), ``action`` (an action code), ``from`` and ``to`` (YYYY-MM-DD), each optional.
    Raises AuditLogError naming every field that is wrong."""
    problems: dict[str, object] = {}
    user = None
    login = str(args.get("user") or args.get("login") or "").strip()
    if login:
        user = user_of(coop, login)
        if user is None:
            problems["user"] = _l("Tidak ada pengguna dengan login ini di koperasi ini.")
    action = str(args.get("action") or "").strip() or None
    if action is not None and action not in ACTION_LABELS:
        problems["action"] = _l("Tindakan tidak dikenal.")
    days = {key: _filter_day(args, key, problems) for key in ("from", "to")}
    if not problems and days["from"] and days["to"] and days["from"] > days["to"]:
        problems["to"] = _l("Tanggal akhir sebelum tanggal awal.")
    if problems:
        raise AuditLogError("validation_error", next(iter(problems.values())), problems)
    return Filters(user, action, days["from"], days["to"])


def user_of(coop: Cooperative, login: str) -> User | None:
    """The user ``login`` (or with that id) if they act in this cooperative: they hold a role there or
    appear in its log (anyone else is as unknown as a login that does not exist)."""
    in_coop = exists().where(RoleAssignment.cooperative_id == coop.id, RoleAssignment.user_id == User.id)
    acted = exists().where(AuditEvent.cooperative_id == coop.id, AuditEvent.actor_id == User.id)
    user = db.session.scalar(select(User).where(User.login == login[:80], in_coop | acted))
    if user is None and login.isascii() and login.isdigit() and len(login) < 12:  # a user's id works too
        user = db.session.scalar(select(User).where(User.id == int(login), in_coop | acted))
    return user


def user_choices(coop: Cooperative) -> list[User]:
    """The cooperative's users, by name (the page's filter)."""
    from koppontren.auth.services import users_of

    return [user for user, _roles in users_of(coop)]


def action_choices() -> list[tuple[str, str]]:
    """(code, label) of every known action, by label in the reader's language."""
    return sorted(((code, str(label)) for code, label in ACTION_LABELS.items()), key=lambda c: c[1].lower())


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta"))


def _start_of(day: date) -> datetime:
    """Midnight of ``day`` where the cooperative is, in UTC (as the log stores its times)."""
    return datetime.combine(day, time(0), _zone()).astimezone(UTC)


def _where(coop: Cooperative, filters: Filters) -> list:
    conditions = [AuditEvent.cooperative_id == coop.id]
    if filters.user is not None:
        conditions.append(AuditEvent.actor_id == filters.user.id)
    if filters.action:
        conditions.append(AuditEvent.action == filters.action)
    if filters.date_from:
        conditions.append(AuditEvent.created_at >= _start_of(filters.date_from))
    if filters.date_to:
        conditions.append(AuditEvent.created_at < _start_of(filters.date_to + timedelta(days=1)))
    return conditions


def count(coop: Cooperative, filters: Filters) -> int:
    return int(db.session.scalar(select(func.count()).select_from(AuditEvent).where(*_where(coop, filters))) or 0)


def events(coop: Cooperative, filters: Filters, *, limit: int, offset: int = 0) -> list[AuditEvent]:
    """One page of the filtered log, newest first."""
    return list(db.session.scalars(
        select(AuditEvent).where(*_where(coop, filters))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit).offset(offset)))


# --- presenting ------------------------------------------------------------------------------------

@dataclass
class Row:
    """One event as the reader sees it."""

    event: AuditEvent
    when: datetime  # aware, UTC
    actor: str  # "ketua (Ahmad Fauzi)", "Token API POS kasir", "CLI"
    actor_kind: str  # person | token | cli | anonymous
    login: str | None  # the actor's login
    name: str | None  # the actor's name
    token: str | None  # the API token's name
    action_label: str
    details: list[tuple[str, str, str]] = field(default_factory=list)  # (key, label, value)

    @property
    def details_text(self) -> str:
        return "; ".join(f"{label}: {value}" for _key, label, value in self.details)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _locale() -> str:
    loc = get_locale()
    return str(loc.language) if loc else "id"


def present(coop: Cooperative, rows: Iterable[AuditEvent]) -> list[Row]:
    """The events with their actors and details in the reader's language: one query for the actors,
    one for the accounts named (only when some event names one)."""
    rows = list(rows)
    actor_ids = {e.actor_id for e in rows if e.actor_id is not None}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))} if actor_ids else {}
    accounts = {}
    if any(e.action.startswith("account.") for e in rows):
        locale = _locale()
        accounts = {a.code: a.name(locale) for a in chart.accounts(coop)}
    ctx = _Context(_locale(), int(coop.currency_decimals or 0), accounts)
    return [_row(e, users.get(e.actor_id), ctx) for e in rows]


@dataclass
class _Context:
    """What presenting a batch needs once: the reader's language, the cooperative's decimals, the
    accounts named; and the labels translated so far (a label is translated once per batch, not per row)."""

    locale: str
    decimals: int
    accounts: dict[str, str]
    labels: dict[tuple[str, str], str] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)

    def label(self, action: str, key: str) -> str:
        found = self.labels.get((action, key))
        if found is None:
            found = self.labels[(action, key)] = _label(action, key)
        return found

    def action(self, action: str) -> str:
        found = self.actions.get(action)
        if found is None:
            found = self.actions[action] = action_label(action)
        return found


def _actor(event: AuditEvent, user: User | None, token: object) -> tuple[str, str]:
    """Who acted, as (kind, the words shown): an API token, the CLI, a person, or an anonymous login."""
    if token is not None:
        return "token", _("Token API %(name)s", name=token)
    if event.ip_address is None:
        return "cli", "CLI"
    if user is not None:
        return "person", f"{user.login} ({user.name})"
    return "anonymous", event.login or "—"


def _row(event: AuditEvent, user: User | None, ctx: _Context) -> Row:
    detail = event.detail if isinstance(event.detail, dict) else {}
    token = detail.get(TOKEN_KEY)
    login = user.login if user is not None else event.login
    kind, actor = _actor(event, user, token)
    details = []
    if event.login and (user is not None or kind == "cli") and event.login != (user.login if user is not None else None):
        details.append(("login", ctx.label("", "login"), event.login))  # the account acted upon
    for key, value in detail.items():
        if key in (TOKEN_KEY, TOKEN_ID_KEY):
            continue
        details.append((key, ctx.label(event.action, key), _value(event.action, key, value, ctx)))
    return Row(event, _aware(event.created_at), actor, kind, login, user.name if user is not None else None,
               str(token) if token is not None else None, ctx.action(event.action), details)


def _label(action: str, key: str) -> str:
    for (prefix, name), label in ACTION_DETAIL_LABELS.items():
        if name == key and action.startswith(prefix):
            return str(label)
    label = DETAIL_LABELS.get(key)
    return str(label) if label is not None else key


def _money(value: object, decimals: int, locale: str, *, sen: bool = False) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = money.from_sen(value) if sen and isinstance(value, int) else Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    if not amount.is_finite() or abs(amount) >= Decimal(10) ** 18:
        return None
    places = decimals if amount == money.quantize(amount, decimals) else 2  # never hide a sen the log recorded
    return money.format_idr(amount, places, locale)


def _money_value(key: str, value: object, ctx: _Context) -> str | None:
    """A detail that holds money, formatted (a dict of amounts item by item); None when it isn't money."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_money(v, ctx.decimals, ctx.locale) or _plain(v)}" for k, v in value.items())
    return _money(value, ctx.decimals, ctx.locale, sen=key in SEN_KEYS)


def _named(action: str, key: str, value: str, ctx: _Context) -> str:
    """A code in a detail shown by its name: an account, a role, a payment method; else as it is."""
    if action.startswith("account.") and key == "code":
        name = ctx.accounts.get(value)
        return f"{value} {name}" if name else value
    if key == "role" and value in Role._value2member_map_:
        return str(ROLE_LABELS.get(Role(value), value))
    if key == "method" and value in METHOD_LABELS:
        return str(METHOD_LABELS[value])
    return value


def _value(action: str, key: str, value: object, ctx: _Context) -> str:
    if key in SEN_KEYS or action in MONEY_ACTIONS or key in MONEY_KEYS:
        text = _money_value(key, value, ctx)
        if text is not None:
            return text
    if isinstance(value, str):
        return _named(action, key, value, ctx)
    if key == "changed" and isinstance(value, dict):
        return ", ".join(f"{ctx.label(action, k)}: {_plain(v)}" for k, v in value.items())
    return _plain(value)


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return _("ya") if value else _("tidak")
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def local_time(row: Row) -> datetime:
    """The event's time where the cooperative is, without its offset (a spreadsheet cell)."""
    return row.when.astimezone(_zone()).replace(tzinfo=None)


def as_json(row: Row) -> dict:
    """An event for the API: codes and raw values next to what the page shows."""
    e = row.event
    return {
        "id": e.id,
        "time": row.when.isoformat().replace("+00:00", "Z"),
        "action": e.action,
        "action_label": row.action_label,
        "actor": row.actor,
        "actor_kind": row.actor_kind,
        "login": row.login,
        "name": row.name,
        "token": row.token,
        "ip_address": e.ip_address,
        "detail": {k: v for k, v in (e.detail or {}).items() if k not in (TOKEN_KEY, TOKEN_ID_KEY)},
        "details": [{"key": k, "label": label, "value": value} for k, label, value in row.details],
    }


# --- exports ---------------------------------------------------------------------------------------

def safe_text(value: str) -> str:
    """A cell a spreadsheet will not evaluate: ``=1+1`` → ``'=1+1`` (also for CSV, which spreadsheets open)."""
    from koppontren.statements.render import safe_text as neutralise

    return neutralise(value)


def stream(coop: Cooperative, filters: Filters, chunk: int = CHUNK) -> Iterator[Row]:
    """Every event the filters select, newest first, read and presented ``chunk`` at a time (each
    chunk is let go of once presented: memory stays flat on a million events)."""
    result = db.session.scalars(
        select(AuditEvent).where(*_where(coop, filters))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).execution_options(yield_per=chunk))
    for part in result.partitions(chunk):
        yield from present(coop, part)
        for e in part:
            db.session.expunge(e)


def headers() -> list[str]:
    return [_("Waktu"), _("Pelaku"), _("Login"), _("Tindakan"), _("Kode tindakan"), _("Rincian"), _("Alamat IP")]


def _cells(row: Row) -> list[str]:
    return [safe_text(text) for text in (row.actor, row.login or "", row.action_label, row.event.action, row.details_text,
                                          row.event.ip_address or "")]


def csv_lines(coop: Cooperative, filters: Filters) -> Iterator[str]:
    """The export as CSV text, line by line (a UTF-8 BOM first, so spreadsheets read the letters)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([safe_text(h) for h in headers()])
    yield "\ufeff" + take()
    for n, row in enumerate(stream(coop, filters), start=1):
        writer.writerow([local_time(row).strftime("%Y-%m-%d %H:%M:%S"), *_cells(row)])
        if n % 200 == 0:
            yield take()
    yield take()


def xlsx_file(coop: Cooperative, filters: Filters):
    """The export as an XLSX workbook in a temporary file (rewound; the caller sends and closes it),
    written row by row (openpyxl's write-only mode)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(safe_text(_("Log audit"))[:31])
    ws.freeze_panes = "A3"
    ws.column_dimensions["A"].width = 19
    ws.column_dimensions["B"].width = 28
    ws.column_dimensions["D"].width = 28
    ws.column_dimensions["F"].width = 80
    title = WriteOnlyCell(ws, value=safe_text(f"{coop.name} — {_('Log audit')}"))
    title.font = Font(bold=True)
    ws.append([title])
    bold = Font(bold=True)
    header = []
    for text in headers():
        cell = WriteOnlyCell(ws, value=safe_text(text))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in stream(coop, filters):
        when = WriteOnlyCell(ws, value=local_time(row))
        when.number_format = "yyyy-mm-dd hh:mm:ss"
        ws.append([when, *_cells(row)])
    out = tempfile.TemporaryFile()
    wb.save(out)
    out.seek(0)
    return out


def filename(coop: Cooperative, filters: Filters, extension: str) -> str:
    parts = [coop.slug, "log-audit"]
    if filters.date_from:
        parts.append(filters.date_from.isoformat())
    if filters.date_to:
        parts.append(filters.date_to.isoformat())
    return "-".join(parts) + "." + extension


def short_time(row: Row) -> str:
    return format_datetime(row.when, "dd/MM/y HH:mm:ss")
