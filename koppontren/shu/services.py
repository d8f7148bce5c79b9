"""SHU: the rules of a fiscal year, the run (draft → approved at the RAT → paid), outputs.

Each public function that writes is a command (``koppontren.operations``), one unit of work: check,
compute the journal lines (``shu.postings``), post them through ``ledger.posting`` (the allocation
entry at approval, one entry per member payout), write the SHU rows; the unit commits once and any
refusal raises ShuError and writes nothing. The bases come from the ledger with SQL aggregates
(``ledger.queries``) and are stored on the run's share rows with the rules and the SHU amount, so an
approved run never changes when the members' data or the books do.

The API (``/coops/{coop}/shu/{year}…``) calls ``rules_of``/``save_rules``, ``compute_run``,
``run_as_dict``, ``approve_run`` and ``pay`` directly; ``proposed_distribution`` is what the
statements' notes (Catatan) can print.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from koppontren import money
from koppontren.audit.services import ACTION_LABELS, record
from koppontren.clock import today
from koppontren.extensions import db
from koppontren.ledger import chart, periods, queries
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.fiscal import fiscal_year_bounds, months_of_fiscal_year
from koppontren.ledger.posting import post_entry
from koppontren.members import services as members
from koppontren.operations import command
from koppontren.savings import services as savings
from koppontren.savings.services import SavingsError
from koppontren.shu import postings as shu_postings
from koppontren.shu.compute import Figures, MemberBasis, Result, compute_shu, split_by_source
from koppontren.shu.models import PAYOUT_METHODS, ShuPayout, ShuRules, ShuRun, ShuShare
from koppontren.shu.rules import (
    MEMBER_KINDS,
    Rules,
    ShuError,
    default_rules,
    rules_from_dict,
    validate,
)
from koppontren.tenancy.models import Cooperative, utcnow

ACTION_LABELS.update({
    "shu.rules": _l("Aturan pembagian SHU disimpan"),
    "shu.computed": _l("SHU dihitung (draf)"),
    "shu.approved": _l("Pembagian SHU disahkan RAT"),
    "shu.paid": _l("SHU anggota dibayarkan"),
})

#: roles of the accounts the default rules name (RULES.md §6)
DEFAULT_ROLES = ("reserve", "shu_payable", "fund_board", "fund_employees", "fund_education", "fund_social")
#: business unit -> member revenue roles whose lines are that unit's participation (shop.services.UNIT_ROLES;
#: member sales returns are the shop's)
UNIT_REVENUE_ROLES = {"toko": ("sales_shop_member", "sales_returns_member"), "produk": ("sales_products_member",)}
METHOD_LABELS = {"cash": _l("Tunai"), "sukarela": _l("Ke simpanan sukarela"), "netting": _l("Potong piutang")}
KIND_LABELS = {"reserve": _l("Cadangan"), "jasa_modal": _l("Jasa modal"), "jasa_usaha": _l("Jasa usaha"), "fund": _l("Dana")}
STATUS_LABELS = {"draft": _l("Draf"), "approved": _l("Disahkan RAT"), "paid": _l("Dibayar")}


def _unit(coop: Cooperative) -> int:
    return 10 ** (2 - coop.currency_decimals)


def _check_year(year) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2999:
        raise ShuError("invalid_field", _l("Tahun buku tidak sah."), {"year": _l("Tidak sah.")})
    return year


def _lock_year(coop: Cooperative, year: int, rules: Rules, *, actor) -> tuple[ShuRules, bool]:
    """Take the year's SHU lock: the ``shu_rules`` row of (cooperative, year), made first with
    ``rules`` when there is none (``INSERT … ON CONFLICT DO NOTHING``, then ``SELECT … FOR UPDATE`` on
    the row that now surely exists). Every SHU write of a year takes it before the run's row (order:
    rules row, then run row), so two first computes, a compute and a rules change, or a rules change
    and an approval queue instead of meeting on a unique key. On PostgreSQL a second transaction's
    insert waits for the first to commit and then does nothing; SQLite writers are serialised by
    ``BEGIN IMMEDIATE`` already. Returns the locked row and whether this call created it."""
    data = rules.to_dict()
    values = {"cooperative_id": coop.id, "fiscal_year": year, "components": data["components"],
              "savings_basis": rules.savings_basis, "include_sukarela": rules.include_sukarela,
              "include_departed": rules.include_departed, "updated_by_id": getattr(actor, "id", None), "updated_at": utcnow()}
    dialect_insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = dialect_insert(ShuRules.__table__).values(**values).on_conflict_do_nothing(index_elements=["cooperative_id", "fiscal_year"])
    created = db.session.execute(stmt).rowcount == 1
    row = db.session.scalar(select(ShuRules).where(ShuRules.cooperative_id == coop.id, ShuRules.fiscal_year == year)
                            .with_for_update().execution_options(populate_existing=True))
    return row, created


# --- rules ---------------------------------------------------------------------------------------

def default_rules_for(coop: Cooperative) -> Rules:
    """RULES.md §6 defaults with this cooperative's account codes; include_sukarela from the savings
    setting "sukarela counts for SHU jasa modal"."""
    codes = {role: a.code for role, a in chart.accounts_by_role(coop, DEFAULT_ROLES).items()}
    return default_rules(codes, include_sukarela=savings.get_settings(coop).sukarela_earns_shu)


def _rules_of_row(row: ShuRules) -> Rules:
    return rules_from_dict({"components": row.components, "savings_basis": row.savings_basis,
                            "include_sukarela": row.include_sukarela, "include_departed": row.include_departed})


@dataclass(frozen=True)
class RulesInfo:
    rules: Rules
    origin: str  # "stored" (saved for this year), "copied" (from ``from_year``), "default"
    from_year: int | None = None


def rules_of(coop: Cooperative, year: int) -> RulesInfo:
    """The rules of a fiscal year: as saved for it, else copied forward from the latest earlier year
    that has rules, else the defaults of RULES.md §6."""
    _check_year(year)
    row = db.session.scalar(select(ShuRules).where(ShuRules.cooperative_id == coop.id, ShuRules.fiscal_year == year))
    if row is not None:
        return RulesInfo(_rules_of_row(row), "stored", year)
    prev = db.session.scalar(select(ShuRules).where(ShuRules.cooperative_id == coop.id, ShuRules.fiscal_year < year)
                             .order_by(ShuRules.fiscal_year.desc()).limit(1))
    if prev is not None:
        return RulesInfo(_rules_of_row(prev), "copied", prev.fiscal_year)
    return RulesInfo(default_rules_for(coop), "default")


def check_accounts(coop: Cooperative, rules: Rules) -> None:
    """Each component's account exists, is postable and fits its kind: cadangan an equity account,
    jasa modal/usaha the members' SHU payable (2121, a member subledger), funds a liability or
    equity account without subledger."""
    for n, c in enumerate(rules.components):
        account = chart.account_by_code(coop, c.account)
        where = {f"components.{n}.account": _l("Tidak sah.")}
        if account is None or not account.postable or not account.active:
            raise ShuError("invalid_rules", _l("Komponen %(n)s: akun %(c)s tidak ada atau tidak bisa dipakai.", n=n + 1, c=c.account), where)
        if c.kind in MEMBER_KINDS and account.role != "shu_payable":
            raise ShuError("invalid_rules", _l("Komponen %(n)s: jasa anggota harus ke akun Utang SHU Anggota.", n=n + 1), where)
        if c.kind == "reserve" and account.type != "equity":
            raise ShuError("invalid_rules", _l("Komponen %(n)s: cadangan harus akun ekuitas.", n=n + 1), where)
        if c.kind == "fund" and (account.type not in ("liability", "equity") or account.subledger):
            raise ShuError("invalid_rules", _l("Komponen %(n)s: dana harus akun liabilitas atau ekuitas tanpa buku pembantu.", n=n + 1), where)


def _approved_run(coop: Cooperative, year: int) -> ShuRun | None:
    run = get_run(coop, year)
    return run if run is not None and run.status != "draft" else None


@command("shu.save_rules")
def save_rules(coop: Cooperative, year: int, rules: Rules | dict, *, actor) -> Rules:
    """Store the rules of a fiscal year (refused once its run is approved: ``run_frozen``). Raises
    ShuError ``invalid_rules`` / ``percent_not_100``."""
    _check_year(year)
    if isinstance(rules, dict):
        rules = rules_from_dict(rules)
    validate(rules)
    check_accounts(coop, rules)
    if _approved_run(coop, year) is not None:
        raise ShuError("run_frozen", _l("SHU tahun %(y)s sudah disahkan; aturannya tidak bisa diubah.", y=year))

    row, _created = _lock_year(coop, year, rules, actor=actor)
    run = get_run(coop, year, lock=True)  # an approval committed meanwhile froze the year
    if run is not None and run.status != "draft":
        raise ShuError("run_frozen", _l("SHU tahun %(y)s sudah disahkan; aturannya tidak bisa diubah.", y=year))
    data = rules.to_dict()
    row.components = data["components"]
    row.savings_basis = rules.savings_basis
    row.include_sukarela = rules.include_sukarela
    row.include_departed = rules.include_departed
    row.updated_by_id = getattr(actor, "id", None)
    row.updated_at = utcnow()
    record("shu.rules", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), fiscal_year=year, rules=data)
    return rules


# --- the year's figures and the members' bases ----------------------------------------------------

@dataclass(frozen=True)
class YearFigures:
    first: date
    last: date
    shu: int  # sen: what the closing entries put on 3108
    member_margin: int  # partisipasi neto anggota
    nonmember_margin: int  # laba kotor non-anggota


def year_figures(coop: Cooperative, year: int) -> YearFigures:
    """The closed year's SHU. Raises ShuError ``year_not_closed`` (a month still open) or
    ``shu_not_positive`` (a loss, or nothing)."""
    _check_year(year)
    first, last = fiscal_year_bounds(year, coop.fiscal_year_start_month)
    if not all(m.closed for m in periods.fiscal_year_status(coop, year)):
        raise ShuError("year_not_closed", _l("Tahun buku %(y)s belum ditutup; SHU dihitung setelah tutup buku.", y=year))
    shu_account = chart.account_for(coop, "shu_current")
    shu = queries.journal_type_net(coop, shu_account.id, "PN", last, last)
    if shu <= 0:
        raise ShuError("shu_not_positive", _l("SHU tahun %(y)s tidak positif (%(a)s); tidak ada yang dibagi.", y=year,
                                               a=savings.format_amount(coop, shu)))
    sections = {a.id: a.statement_section for a in chart.accounts(coop) if a.statement_section}
    margins = {"partisipasi_anggota": 0, "beban_pokok_anggota": 0, "pendapatan_non_anggota": 0, "hpp_non_anggota": 0}
    for account_id, (d, c) in queries.activity_totals(coop, first, last, exclude_journal_types=("PN",)).items():
        section = sections.get(account_id)
        if section in margins:
            margins[section] += c - d
    return YearFigures(first, last, shu, margins["partisipasi_anggota"] + margins["beban_pokok_anggota"],
                       margins["pendapatan_non_anggota"] + margins["hpp_non_anggota"])


def member_bases(coop: Cooperative, year: int, rules: Rules) -> list[MemberBasis]:
    """The eligible members with their bases from the ledger (three grouped queries, any number of
    members): savings on pokok + wajib (+ sukarela) at year end or the sum of the 12 month-end
    balances; net participation (credit − debit) on the member participation accounts in the year,
    in total and per business unit."""
    first, last = fiscal_year_bounds(year, coop.fiscal_year_start_month)
    eligible = members.eligible_for_year(coop, first, last, include_departed=rules.include_departed)
    roles = ["savings_principal", "savings_mandatory"] + (["savings_voluntary"] if rules.include_sukarela else [])
    savings_ids = [a.id for a in chart.accounts_by_role(coop, roles).values()]
    if rules.savings_basis == "monthly_average":
        month_ends = [fiscal_year_bounds_month_end(y, m) for y, m in months_of_fiscal_year(year, coop.fiscal_year_start_month)]
        savings_raw = queries.member_net_credits(coop, savings_ids, month_ends=month_ends)
    else:
        savings_raw = queries.member_net_credits(coop, savings_ids, date_to=last)
    participation = [a for a in chart.accounts(coop) if a.statement_section == "partisipasi_anggota" and a.postable]
    unit_of = {a.id: unit for unit, unit_roles in UNIT_REVENUE_ROLES.items() for a in participation if a.role in unit_roles}
    usaha_raw = queries.member_net_credits(coop, [a.id for a in participation], date_from=first, date_to=last)
    empty: dict = {}
    return [MemberBasis(member_id, number, name, sum(savings_raw.get(member_id, empty).values()),
                        _usaha_by_unit(usaha_raw.get(member_id, empty), unit_of))
            for member_id, number, name in eligible]


def _usaha_by_unit(by_account: dict[int, int], unit_of: dict[int, str]) -> dict[str | None, int]:
    """A member's net participation: in total (key None) and per business unit."""
    usaha: dict[str | None, int] = {None: sum(by_account.values())}
    for account_id, net in by_account.items():
        if account_id in unit_of:
            usaha[unit_of[account_id]] = usaha.get(unit_of[account_id], 0) + net
    return usaha


def fiscal_year_bounds_month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


# --- the run --------------------------------------------------------------------------------------

def get_run(coop: Cooperative, year: int, *, lock: bool = False) -> ShuRun | None:
    """The run of a fiscal year; ``lock``: row-locked for the rest of the transaction (PostgreSQL), so
    a recompute, an approval and payouts of one run queue instead of interleaving."""
    if isinstance(year, bool) or not isinstance(year, int):
        return None
    stmt = select(ShuRun).where(ShuRun.cooperative_id == coop.id, ShuRun.fiscal_year == year)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def runs(coop: Cooperative) -> list[ShuRun]:
    return list(db.session.scalars(select(ShuRun).where(ShuRun.cooperative_id == coop.id).order_by(ShuRun.fiscal_year.desc())))


def _pools_json(result: Result) -> list[dict]:
    return [{"index": p.index, **p.component.to_dict(), "base": p.base, "floored": p.floored, "amount": p.amount,
             "basis_total": p.basis_total, "undistributed": p.undistributed} for p in result.pools]


def _share_rows(coop: Cooperative, run_id: int, result: Result) -> list[dict]:
    return [{
        "cooperative_id": coop.id, "run_id": run_id, "member_id": m.basis.member_id, "number": m.basis.number,
        "name": m.basis.name[:200], "savings_basis": m.basis.savings,
        "usaha": {(k or ""): v for k, v in m.basis.usaha.items()},
        "detail": {str(s.pool_index): [s.floor, s.bonus] for s in m.shares},
        "jasa_modal": m.jasa_modal, "jasa_usaha": m.jasa_usaha, "total": m.total,
    } for m in result.members]


@command("shu.compute_run")
def compute_run(coop: Cooperative, year: int, *, actor) -> ShuRun:
    """Compute (or recompute) the draft SHU run of a closed year with the year's rules (saving the
    rules copied forward or defaulted, so the year keeps them). Refused: ``year_not_closed``,
    ``shu_not_positive``, ``percent_not_100``, ``run_frozen`` (already approved).

    Concurrency: the bases and the allocation are read and computed under the year's lock
    (``_lock_year``, then the run's row), so two computes at once — the first of a year too — give
    one run (the later one a recompute of the same figures), a compute racing an approval either
    runs before it or is refused ``run_frozen``, and a rules change racing it is either used whole
    or comes after it."""
    figures = year_figures(coop, year)
    info = rules_of(coop, year)
    validate(info.rules)
    check_accounts(coop, info.rules)
    existing = get_run(coop, year)
    if existing is not None and existing.status != "draft":
        raise ShuError("run_frozen", _l("SHU tahun %(y)s sudah disahkan RAT; tidak bisa dihitung ulang.", y=year))
    unit = _unit(coop)

    rules_row, created = _lock_year(coop, year, info.rules, actor=actor)
    rules = info.rules
    if not created:  # the year's stored rules, as they are now (saved meanwhile by someone else, perhaps)
        rules = _rules_of_row(rules_row)
        if rules != info.rules:
            validate(rules)
            check_accounts(coop, rules)
    run = get_run(coop, year, lock=True)
    if run is not None and run.status != "draft":
        raise ShuError("run_frozen", _l("SHU tahun %(y)s sudah disahkan RAT; tidak bisa dihitung ulang.", y=year))
    shu_member, shu_nonmember = (split_by_source(figures.shu, figures.member_margin, figures.nonmember_margin, unit)
                                 if rules.split_by_source else (figures.shu, 0))
    bases = member_bases(coop, year, rules)
    result = compute_shu(Figures(figures.shu, shu_member, shu_nonmember, unit), bases, rules)
    if run is None:
        run = ShuRun(cooperative_id=coop.id, fiscal_year=year, status="draft")
        db.session.add(run)
    else:
        db.session.execute(delete(ShuShare).where(ShuShare.cooperative_id == coop.id, ShuShare.run_id == run.id))
    run.shu_amount, run.shu_member, run.shu_nonmember = figures.shu, shu_member, shu_nonmember
    run.snapshot = {
        "rules": rules.to_dict(), "first": figures.first.isoformat(), "last": figures.last.isoformat(),
        "member_margin": figures.member_margin, "nonmember_margin": figures.nonmember_margin, "unit": unit,
        "savings_divisor": 12 if rules.savings_basis == "monthly_average" else 1,
        "eligible": len(bases), "computed_on": today().isoformat(),
    }
    run.pools = _pools_json(result)
    run.prepared_by_id = getattr(actor, "id", None)
    run.prepared_at = utcnow()
    db.session.flush()
    rows = _share_rows(coop, run.id, result)
    for start in range(0, len(rows), 5000):  # Core executemany: no ORM bookkeeping per share
        db.session.execute(insert(ShuShare.__table__), rows[start:start + 5000])
    record("shu.computed", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), fiscal_year=year,
           shu=str(money.from_sen(figures.shu)), members=len(rows))
    return run


def shares_of(coop: Cooperative, run: ShuRun, *, limit: int | None = None, offset: int = 0,
              member_id: int | None = None) -> list[ShuShare]:
    """The run's member shares by member number (a page of them with ``limit``/``offset``)."""
    stmt = select(ShuShare).where(ShuShare.cooperative_id == coop.id, ShuShare.run_id == run.id)
    if member_id is not None:
        stmt = stmt.where(ShuShare.member_id == member_id)
    stmt = stmt.order_by(ShuShare.number)
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return list(db.session.scalars(stmt))


def share_count(coop: Cooperative, run: ShuRun) -> int:
    return int(db.session.scalar(select(func.count()).select_from(ShuShare).where(
        ShuShare.cooperative_id == coop.id, ShuShare.run_id == run.id)) or 0)


def stored_result(coop: Cooperative, run: ShuRun) -> Result:
    """Recompute a run from its own snapshot (stored rules, SHU and per-member bases): what an
    auditor does to check a run line by line. Equal to the stored shares for any untouched run."""
    snap = run.snapshot
    rules = rules_from_dict(snap["rules"])
    bases = [MemberBasis(s.member_id, s.number, s.name, s.savings_basis, {(k or None): v for k, v in s.usaha.items()})
             for s in shares_of(coop, run)]
    return compute_shu(Figures(run.shu_amount, run.shu_member, run.shu_nonmember, snap["unit"]), bases, rules, units=None)


def verify_run(coop: Cooperative, run: ShuRun) -> bool:
    """Whether recomputing from the snapshot gives exactly the stored pools and shares."""
    result = stored_result(coop, run)
    stored = {s.member_id: (s.jasa_modal, s.jasa_usaha, s.detail) for s in shares_of(coop, run)}
    again = {m.basis.member_id: (m.jasa_modal, m.jasa_usaha, {str(x.pool_index): [x.floor, x.bonus] for x in m.shares})
             for m in result.members}
    return stored == again and _pools_json(result) == run.pools


def _post(coop: Cooperative, **kw):
    try:
        return post_entry(coop, journal_type="SHU", source="shu", **kw)
    except LedgerError as err:
        raise ShuError(err.code, err.message, err.fields) from None


def _check_day(day, earliest: date, too_early) -> date:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise ShuError("invalid_date", _l("Tanggal tidak sah."), {"date": _l("Tidak sah.")})
    if day > today():
        raise ShuError("future_date", _l("Tanggal tidak boleh setelah hari ini."), {"date": _l("Tidak sah.")})
    if day < earliest:
        raise ShuError("invalid_date", too_early, {"date": _l("Terlalu awal.")})
    return day


def _same_instant(a: datetime | None, b: datetime | None) -> bool:
    """Two timestamps of one row, one perhaps as set in Python (aware) and one as SQLite returns it
    (naive UTC)."""
    if a is None or b is None:
        return a is b
    def naive(t):
        return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t
    return naive(a) == naive(b)


@command("shu.approve_run")
def approve_run(coop: Cooperative, year: int, *, day: date, decision: str, actor) -> ShuRun:
    """Approve the draft run at the RAT: ``day`` is the RAT's date (after the year, not in the
    future, in an open month), ``decision`` the decision (berita acara) number. The approver must not
    be the preparer (``same_user``). Posts ``Dr 3108 / Cr 3105, Cr 2121 per member, Cr 2122…2126``
    and freezes the run. Raises ShuError ``no_run``, ``not_draft``, ``same_user``, ``invalid_date``,
    ``invalid_field``, ``period_closed``."""
    run = get_run(coop, year)
    if run is None:
        raise ShuError("no_run", _l("SHU tahun %(y)s belum dihitung.", y=year))
    if run.status != "draft":
        raise ShuError("not_draft", _l("SHU tahun %(y)s sudah disahkan.", y=year))
    if actor is None or getattr(actor, "id", None) is None or actor.id == run.prepared_by_id:
        raise ShuError("same_user", _l("Pembagian SHU harus disahkan oleh pengguna lain daripada yang menyiapkannya."))
    decision = (decision or "").strip()
    if not decision or len(decision) > 100:
        raise ShuError("invalid_field", _l("Nomor keputusan RAT wajib diisi (paling banyak 100 karakter)."), {"decision": _l("Wajib diisi.")})
    last = date.fromisoformat(run.snapshot["last"])
    day = _check_day(day, last + timedelta(days=1), _l("Tanggal RAT harus setelah akhir tahun buku (%(d)s).", d=last.isoformat()))

    seen_prepared_at = run.prepared_at

    # the run's row lock: a second approval, a recompute and payouts queue here; what was checked
    # above is checked again on the row as it is now
    locked = get_run(coop, year, lock=True)
    if locked is None or locked.status != "draft":
        raise ShuError("not_draft", _l("SHU tahun %(y)s baru saja disahkan oleh pengguna lain.", y=year))
    if not _same_instant(locked.prepared_at, seen_prepared_at):
        raise ShuError("run_changed", _l("SHU tahun %(y)s baru saja dihitung ulang; periksa hasilnya lalu sahkan lagi.", y=year))
    if locked.prepared_by_id == actor.id:
        raise ShuError("same_user", _l("Pembagian SHU harus disahkan oleh pengguna lain daripada yang menyiapkannya."))
    result = stored_result(coop, run)
    # the shares reference their members by foreign key and members are never deleted: the
    # posting need not look each member line's member up again
    members.remember_existing(coop.id, [m.basis.member_id for m in result.members])
    lines = shu_postings.allocation_lines(shu_sen=run.shu_amount, shu_account=chart.account_for(coop, "shu_current"),
                                          credits=result.allocation_lines())
    entry = _post(coop, entry_date=day, lines=lines, actor=actor, reference=decision[:100],
                  description=f"Pembagian SHU tahun buku {year} (keputusan RAT {decision})"[:500],
                  idempotency_key=f"shu-approve-{run.id}")
    run.status = "approved"
    run.entry_id = entry.id
    run.approval_date = day
    run.decision_number = decision
    run.approved_by_id = actor.id
    run.approved_at = utcnow()
    record("shu.approved", cooperative_id=coop.id, actor_id=actor.id, fiscal_year=year, decision=decision,
           number=entry.number, shu=str(money.from_sen(run.shu_amount)))
    return run


def payouts_of(coop: Cooperative, run: ShuRun) -> dict[int, ShuPayout]:
    return {p.member_id: p for p in db.session.scalars(select(ShuPayout).where(ShuPayout.cooperative_id == coop.id,
                                                                               ShuPayout.run_id == run.id))}


def run_status(coop: Cooperative, run: ShuRun) -> str:
    """``draft``, ``approved`` or ``paid`` (approved and every member with a share paid)."""
    if run.status == "draft":
        return "draft"
    unpaid = db.session.scalar(select(func.count()).select_from(ShuShare).where(
        ShuShare.cooperative_id == coop.id, ShuShare.run_id == run.id, ShuShare.total > 0,
        ~select(ShuPayout.id).where(ShuPayout.cooperative_id == coop.id, ShuPayout.run_id == run.id,
                                    ShuPayout.member_id == ShuShare.member_id).exists()))
    return "paid" if not unpaid else "approved"


@command("shu.pay")
def pay(coop: Cooperative, year: int, *, day: date, method: str, member_id: int | None = None, account_id: int | None = None,
        actor, member_number: str | None = None) -> list[ShuPayout]:
    """Pay members' SHU of an approved run: one member (``member_id``) or every unpaid member with a
    share. Each member's payout posts its own entry: cash ``Dr 2121 / Cr Kas`` (or the bank account
    ``account_id``), sukarela ``Dr 2121 / Cr 2111`` (through the savings module), netting
    ``Dr 2121 / Cr 1121`` up to the member's receivable, the rest in cash. ``member_number``: the
    member by number instead of id (the API's ``member``). Idempotent: a member
    already paid is returned as paid, never paid twice. Raises ShuError ``not_approved``,
    ``invalid_field``, ``invalid_date``, ``not_found``, ``nothing_to_pay`` and savings/ledger codes."""
    if method not in PAYOUT_METHODS:
        raise ShuError("invalid_field", _l("Cara pembayaran tidak dikenal."), {"method": _l("Tidak dikenal.")})
    if member_number is not None and member_id is None:  # the API names members by number
        member = members.get_by_number(coop, member_number)
        if member is None:
            raise ShuError("not_found", _l("Anggota %(n)s tidak ditemukan.", n=str(member_number)[:30]), {"member": _l("Tidak dikenal.")})
        member_id = member.id
    run = get_run(coop, year)
    if run is None or run.status == "draft":
        raise ShuError("not_approved", _l("SHU tahun %(y)s belum disahkan RAT; belum bisa dibayar.", y=year))
    day = _check_day(day, run.approval_date, _l("Tanggal pembayaran tidak boleh sebelum tanggal RAT (%(d)s).",
                                                d=run.approval_date.isoformat()))
    cash = _cash_account(coop, account_id)
    try:
        payouts = _pay(coop, run, day=day, method=method, member_id=member_id, cash=cash, actor=actor)
        db.session.flush()  # a payout another user just wrote for the same member is refused here, not at the commit
        return payouts
    except IntegrityError:
        raise ShuError("already_paid", _l("SHU anggota ini sedang atau sudah dibayar oleh pengguna lain; muat ulang halaman.")) from None


def _pay(coop: Cooperative, run: ShuRun, *, day: date, method: str, member_id: int | None, cash, actor) -> list[ShuPayout]:
    get_run(coop, run.fiscal_year, lock=True)  # payouts of one run queue here: a member is never paid twice
    paid = payouts_of(coop, run)
    shares = _shares_to_pay(coop, run, member_id)
    if member_id is not None and shares[0].member_id in paid:
        return [paid[shares[0].member_id]]
    todo = [s for s in shares if s.total > 0 and s.member_id not in paid]
    members.remember_existing(coop.id, [s.member_id for s in todo])  # as in approve_run
    if not todo:
        if member_id is not None:
            raise ShuError("nothing_to_pay", _l("SHU anggota ini nol; tidak ada yang dibayar."))
        return []
    payable = chart.account_for(coop, "shu_payable")
    receivable = chart.account_for(coop, "receivable_member") if method == "netting" else None
    owed = {}
    if receivable is not None:
        owed = {mid: bal.receivable for mid, bal in savings.balances_of_many(coop, [s.member_id for s in todo], as_of=day).items()}
    out = [_pay_one(coop, run, share, day=day, method=method, payable=payable, cash=cash, receivable=receivable,
                    owed=owed.get(share.member_id, 0), actor=actor) for share in todo]
    record("shu.paid", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), fiscal_year=run.fiscal_year, method=method,
           members=len(out), amount=str(money.from_sen(sum(p.amount for p in out))))
    return out


def _shares_to_pay(coop: Cooperative, run: ShuRun, member_id: int | None) -> list[ShuShare]:
    """The run's shares by member number: all, or the one member's (``not_found`` when they have none)."""
    stmt = select(ShuShare).where(ShuShare.cooperative_id == coop.id, ShuShare.run_id == run.id)
    if member_id is not None:
        if isinstance(member_id, bool) or not isinstance(member_id, int):
            raise ShuError("not_found", _l("Anggota tidak ditemukan."))
        stmt = stmt.where(ShuShare.member_id == member_id)
    shares = list(db.session.scalars(stmt.order_by(ShuShare.number)))
    if member_id is not None and not shares:
        raise ShuError("not_found", _l("Anggota ini tidak punya SHU tahun %(y)s.", y=run.fiscal_year))
    return shares


def _cash_account(coop: Cooperative, account_id: int | None):
    if account_id is None:
        return chart.account_for(coop, "cash")
    for account in savings.payment_accounts(coop):
        if account.id == account_id:
            return account
    raise ShuError("invalid_field", _l("Akun kas/bank tidak sah."), {"account": _l("Tidak sah.")})


def _pay_one(coop, run, share: ShuShare, *, day, method, payable, cash, receivable, owed: int, actor) -> ShuPayout:
    text = f"SHU tahun buku {run.fiscal_year} {share.number} {share.name}"
    netted = 0
    if method == "sukarela":
        try:
            tx = savings.credit_sukarela_from(coop, share.member_id, amount_sen=share.total, day=day, from_account=payable,
                                              description=f"Pembayaran {text} ke simpanan sukarela", actor=actor, journal_type="SHU")
        except SavingsError as err:
            raise ShuError(err.code, _l("%(n)s: %(m)s", n=share.number, m=err.message), err.fields) from None
        entry_id = tx.entry_id
    else:
        planned = shu_postings.payout(method=method, total_sen=share.total, member_id=share.member_id, payable_account=payable,
                                      cash_account=cash, receivable_account=receivable, owed_sen=owed)
        netted = planned.netted
        label = {"cash": "tunai", "netting": "potong piutang"}[method]
        entry = _post(coop, entry_date=day, lines=planned.lines, actor=actor, description=f"Pembayaran {text} ({label})"[:500],
                      idempotency_key=f"shu-pay-{run.id}-{share.member_id}")
        entry_id = entry.id
    payout = ShuPayout(cooperative_id=coop.id, run_id=run.id, member_id=share.member_id, method=method, pay_date=day,
                       amount=share.total, netted=netted, entry_id=entry_id, created_by_id=getattr(actor, "id", None))
    db.session.add(payout)
    return payout


# --- outputs ---------------------------------------------------------------------------------------

def _dec(sen: int) -> str:
    """Sen as the API's decimal string (``"1240000"``, ``"12.50"``)."""
    value = money.from_sen(sen)
    return str(value.quantize(Decimal(1))) if sen % 100 == 0 else str(value)


def run_as_dict(coop: Cooperative, run: ShuRun, *, member_id: int | None = None) -> dict:
    """A run as JSON-ready data (``GET /coops/{coop}/shu/{year}``): amounts as decimal strings, dates
    YYYY-MM-DD; ``member_id`` limits the members to one (the member portal / a member's token)."""
    snap = run.snapshot
    divisor = snap.get("savings_divisor", 1)
    paid = payouts_of(coop, run)
    shares = shares_of(coop, run)
    if member_id is not None:
        shares = [s for s in shares if s.member_id == member_id]
    return {
        "year": run.fiscal_year, "status": run_status(coop, run),
        "shu": _dec(run.shu_amount), "shu_member": _dec(run.shu_member), "shu_nonmember": _dec(run.shu_nonmember),
        "rules": snap["rules"], "period": {"from": snap["first"], "to": snap["last"]},
        "prepared_at": run.prepared_at.date().isoformat() if run.prepared_at else None,
        "approval": None if run.status == "draft" else {
            "date": run.approval_date.isoformat(), "decision": run.decision_number,
            "entry": queries.get_entry(coop, run.entry_id).number if run.entry_id else None},
        "pools": [{"name": p["name"], "kind": p["kind"], "percent": p["percent"], "account": p["account"],
                   "source": p["source"], "unit": p.get("unit"), "amount": _dec(p["amount"]),
                   "basis_total": _dec(p["basis_total"] // divisor if p["kind"] == "jasa_modal" and divisor > 1 else p["basis_total"])
                   if p["kind"] in MEMBER_KINDS else None}
                  for p in run.pools],
        "members": [{
            "member": s.number, "name": s.name,
            "savings_basis": _money_fraction(s.savings_basis, divisor),
            "usaha_basis": _dec(s.usaha.get("", 0)),
            "usaha_by_unit": {k: _dec(v) for k, v in s.usaha.items() if k},
            "jasa_modal": _dec(s.jasa_modal), "jasa_usaha": _dec(s.jasa_usaha), "total": _dec(s.total),
            "payout": None if s.member_id not in paid else {
                "method": paid[s.member_id].method, "date": paid[s.member_id].pay_date.isoformat(),
                "amount": _dec(paid[s.member_id].amount), "netted": _dec(paid[s.member_id].netted)},
        } for s in shares],
    }


def _money_fraction(sen_sum: int, divisor: int) -> str:
    """A monthly-average basis (Σ of 12 month-end balances / 12) as a decimal string to the sen."""
    value = (Decimal(sen_sum) / divisor / 100).quantize(Decimal("0.01"))
    return str(value.quantize(Decimal(1))) if value == value.to_integral_value() else str(value)


@dataclass(frozen=True)
class PoolLine:
    name: str
    kind: str
    percent: str
    account: str
    source: str
    unit: str | None
    amount: int  # sen


@dataclass(frozen=True)
class Distribution:
    """The proposed (or approved) distribution of a year's SHU for the RAT and the statements'
    notes: the pools and the totals. Amounts in sen."""

    year: int
    status: str
    shu: int
    shu_member: int
    shu_nonmember: int
    pools: list[PoolLine]
    members_total: int
    member_count: int
    approval_date: date | None
    decision_number: str | None


def proposed_distribution(coop: Cooperative, year: int) -> Distribution | None:
    """The year's SHU distribution (None until computed) — for the Catatan atas Laporan Keuangan."""
    run = get_run(coop, year)
    if run is None:
        return None
    count, total = db.session.execute(select(func.count(), func.coalesce(func.sum(ShuShare.total), 0)).where(
        ShuShare.cooperative_id == coop.id, ShuShare.run_id == run.id, ShuShare.total > 0)).one()
    return Distribution(run.fiscal_year, run_status(coop, run), run.shu_amount, run.shu_member, run.shu_nonmember,
                        [PoolLine(p["name"], p["kind"], p["percent"], p["account"], p["source"], p.get("unit"), p["amount"])
                         for p in run.pools], int(total), int(count), run.approval_date, run.decision_number)


@dataclass(frozen=True)
class MemberYear:
    year: int
    status: str
    share: ShuShare
    payout: ShuPayout | None


def member_history(coop: Cooperative, member_id: int) -> list[MemberYear]:
    """A member's SHU of each year (newest first) — for the member portal. Drafts are left out: a
    member sees the SHU once the RAT approved it."""
    rows = db.session.execute(
        select(ShuRun, ShuShare).join(ShuShare, (ShuShare.cooperative_id == ShuRun.cooperative_id) & (ShuShare.run_id == ShuRun.id))
        .where(ShuRun.cooperative_id == coop.id, ShuShare.member_id == member_id, ShuRun.status == "approved")
        .order_by(ShuRun.fiscal_year.desc())).all()
    out = []
    for run, share in rows:
        payout = db.session.scalar(select(ShuPayout).where(ShuPayout.cooperative_id == coop.id, ShuPayout.run_id == run.id,
                                                           ShuPayout.member_id == member_id))
        out.append(MemberYear(run.fiscal_year, "paid" if payout else "approved", share, payout))
    return out
