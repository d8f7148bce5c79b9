"""``koppontren check``: prove the ledger is whole.

For one cooperative: every entry balances and has ≥ 2 lines, each line carries its entry's date, the
trial balance nets to zero, voucher
sequences have no gaps or duplicates, the hash chain is intact (each entry's stored hash equals the
hash recomputed from its rows, and links to the previous one), and each subledger control account
equals the sum of its subledger. Domain packages add their own checks (e.g. inventory = stock
valuation) through their wiring (``wiring.integrity_check``, which calls :func:`register_check`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger.models import Account, JournalEntry, JournalLine
from koppontren.ledger.posting import CASH_ROLES, GENESIS_HASH, entry_hash
from koppontren.tenancy.models import Cooperative


class Problem(str):
    """One finding: the English text (what ``koppontren check`` prints, and scripts read) and, as
    ``message``, the same in the reader's language for the integrity page."""

    message: object

    def __new__(cls, english: str, message: object = None) -> Problem:
        problem = super().__new__(cls, english)
        problem.message = english if message is None else message
        return problem


@dataclass
class CheckResult:
    name: str  # the English name: stable, the CLI's
    ok: bool
    problems: list[str] = field(default_factory=list)
    label: object = None  # the name in the reader's language (the page, the API)

    def __post_init__(self) -> None:
        if self.label is None:
            self.label = self.name


@dataclass
class CoopReport:
    coop: Cooperative
    results: list[CheckResult]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


_EXTRA_CHECKS: list[tuple[str, Callable[[Cooperative], list[str]]]] = []
#: the English name of each check → its label in Bahasa Indonesia (English via the catalog)
LABELS: dict[str, object] = {
    "entries balance": _l("Setiap jurnal seimbang"),
    "lines carry their entry's date": _l("Setiap baris jurnal bertanggal sama dengan jurnalnya"),
    "trial balance nets to zero": _l("Neraca saldo berjumlah nol"),
    "voucher numbers gapless": _l("Nomor bukti berurutan tanpa celah"),
    "hash chain intact": _l("Rantai hash utuh"),
    "subledgers equal their control accounts": _l("Buku pembantu sama dengan akun kendalinya"),
    "cash and bank never below zero at any day's end": _l("Kas dan bank tidak pernah di bawah nol pada akhir hari"),
    "cash day balances equal the journal": _l("Saldo harian kas sama dengan jurnal"),
}
SUBLEDGER_WORDS = {"member": _l("anggota"), "party": _l("pihak")}


def register_check(name: str, fn: Callable[[Cooperative], list[str]], label: object = None) -> None:
    """Add a check (returns a list of problems — ``Problem`` for a message in the reader's language —;
    empty when fine) run for every cooperative, after the core checks. ``name`` is English (the CLI
    prints it), ``label`` the Indonesian name the integrity page shows (``_l("…")``). A domain calls
    it from its ``wiring.register``; the same name again replaces the check in its place."""
    for i, (existing, _) in enumerate(_EXTRA_CHECKS):
        if existing == name:
            _EXTRA_CHECKS[i] = (name, fn)
            break
    else:
        _EXTRA_CHECKS.append((name, fn))
    if label is not None:
        LABELS[name] = label


def check_names() -> list[str]:
    """Every check ``koppontren check`` runs, in order: the core ones, then the registered ones."""
    return [name for name, _ in [*CORE_CHECKS, *_EXTRA_CHECKS]]


def _balanced(coop: Cooperative) -> list[str]:
    sums = (
        select(JournalLine.entry_id, func.sum(JournalLine.debit).label("d"), func.sum(JournalLine.credit).label("c"),
               func.count().label("n"))
        .where(JournalLine.cooperative_id == coop.id).group_by(JournalLine.entry_id).subquery()
    )
    rows = db.session.execute(
        select(JournalEntry.number, sums.c.d, sums.c.c, sums.c.n, JournalEntry.total)
        .outerjoin(sums, sums.c.entry_id == JournalEntry.id)
        .where(JournalEntry.cooperative_id == coop.id)
        .where((sums.c.d.is_(None)) | (sums.c.d != sums.c.c) | (sums.c.n < 2) | (sums.c.d != JournalEntry.total))
        .order_by(JournalEntry.id)
    ).all()
    return [Problem(f"{number}: debit {d or 0} ≠ credit {c or 0} sen or {n or 0} lines (recorded total {t})",
                    _l("%(number)s: debit %(debit)s ≠ kredit %(credit)s sen atau %(lines)s baris (total tercatat %(total)s)",
                       number=number, debit=d or 0, credit=c or 0, lines=n or 0, total=t))
            for number, d, c, n, t in rows]


def _line_dates(coop: Cooperative) -> list[str]:
    """Each line carries its entry's date (posting writes it): balances as of a day, the general
    ledger and the cash flow read the lines' date, while the hash covers the entry's."""
    rows = db.session.execute(
        select(JournalEntry.number, JournalLine.line_no, JournalLine.entry_date, JournalEntry.entry_date)
        .join(JournalEntry, (JournalEntry.cooperative_id == JournalLine.cooperative_id) & (JournalEntry.id == JournalLine.entry_id))
        .where(JournalLine.cooperative_id == coop.id, JournalLine.entry_date != JournalEntry.entry_date)
        .order_by(JournalEntry.id, JournalLine.line_no)
    ).all()
    return [Problem(f"{number}: line {line_no} dated {line_day}, its entry {entry_day}",
                    _l("%(number)s: baris %(line)s bertanggal %(line_day)s, jurnalnya %(entry_day)s",
                       number=number, line=line_no, line_day=line_day, entry_day=entry_day))
            for number, line_no, line_day, entry_day in rows]


def _trial_balance_zero(coop: Cooperative) -> list[str]:
    net = db.session.scalar(select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0))
                            .where(JournalLine.cooperative_id == coop.id))
    return [] if int(net) == 0 else [Problem(f"trial balance is off by {int(net)} sen (debits − credits)",
                                             _l("neraca saldo selisih %(sen)s sen (debit − kredit)", sen=int(net)))]


def _sequences(coop: Cooperative) -> list[str]:
    rows = db.session.execute(
        select(JournalEntry.journal_type, JournalEntry.fiscal_year, func.count(), func.count(func.distinct(JournalEntry.sequence)),
               func.min(JournalEntry.sequence), func.max(JournalEntry.sequence))
        .where(JournalEntry.cooperative_id == coop.id)
        .group_by(JournalEntry.journal_type, JournalEntry.fiscal_year)
    ).all()
    problems = []
    for jt, fy, n, distinct, lo, hi in rows:
        if n != distinct or lo != 1 or hi != n:
            present = set(db.session.scalars(select(JournalEntry.sequence).where(
                JournalEntry.cooperative_id == coop.id, JournalEntry.journal_type == jt, JournalEntry.fiscal_year == fy)))
            missing = sorted(set(range(1, hi + 1)) - present)[:10]
            english = f"{jt}/{fy}: {n} entries numbered {lo}…{hi}; missing {missing}" + (" (duplicates)" if n != distinct else "")
            message = (_l("%(series)s: %(count)s jurnal bernomor %(low)s…%(high)s; hilang %(missing)s (ada nomor ganda)",
                          series=f"{jt}/{fy}", count=n, low=lo, high=hi, missing=missing) if n != distinct else
                       _l("%(series)s: %(count)s jurnal bernomor %(low)s…%(high)s; hilang %(missing)s",
                          series=f"{jt}/{fy}", count=n, low=lo, high=hi, missing=missing))
            problems.append(Problem(english, message))
    return problems


def _hash_chain(coop: Cooperative, batch: int = 2000) -> list[str]:
    """Recompute every entry's hash from its stored rows, in posting order, in batches."""
    problems: list[str] = []
    prev = GENESIS_HASH
    last_id = 0
    while True:
        entries = list(db.session.scalars(
            select(JournalEntry).where(JournalEntry.cooperative_id == coop.id, JournalEntry.id > last_id)
            .order_by(JournalEntry.id).limit(batch).execution_options(populate_existing=True)))
        if not entries:
            break
        ids = [e.id for e in entries]
        lines: dict[int, list[tuple]] = {}
        for row in db.session.execute(
            select(JournalLine.entry_id, JournalLine.line_no, JournalLine.account_id, JournalLine.debit, JournalLine.credit,
                   JournalLine.member_id, JournalLine.party_id, JournalLine.memo)
            .where(JournalLine.cooperative_id == coop.id, JournalLine.entry_id.in_(ids))
        ):
            lines.setdefault(row[0], []).append(tuple(row[1:]))
        for e in entries:
            if e.prev_hash != prev:
                problems.append(Problem(f"{e.number}: chain broken (previous hash does not match the entry before it)",
                                        _l("%(number)s: rantai terputus (hash sebelumnya tidak cocok dengan jurnal sebelumnya)",
                                           number=e.number)))
            if entry_hash(e, lines.get(e.id, [])) != e.entry_hash:
                problems.append(Problem(f"{e.number}: content changed after posting (hash mismatch)",
                                        _l("%(number)s: isi diubah setelah diposting (hash tidak cocok)", number=e.number)))
            prev = e.entry_hash
        last_id = ids[-1]
        for e in entries:  # keep memory flat on a million-line ledger
            db.session.expunge(e)
    return problems


def _subledgers(coop: Cooperative) -> list[str]:
    """Control account = Σ subledger: every line on a member/party account names its record."""
    rows = db.session.execute(
        select(Account.code, Account.subledger, func.count())
        .join(JournalLine, (JournalLine.cooperative_id == Account.cooperative_id) & (JournalLine.account_id == Account.id))
        .where(Account.cooperative_id == coop.id, Account.subledger.in_(("member", "party")),
               ((Account.subledger == "member") & JournalLine.member_id.is_(None))
               | ((Account.subledger == "party") & JournalLine.party_id.is_(None)))
        .group_by(Account.code, Account.subledger)
    ).all()
    return [Problem(f"account {code}: {n} line(s) without a {kind}, so the control account ≠ Σ {kind} subledger",
                    _l("akun %(code)s: %(count)s baris tanpa %(kind)s, jadi akun kendali ≠ Σ buku pembantu %(kind)s",
                       code=code, count=n, kind=SUBLEDGER_WORDS.get(kind, kind)))
            for code, kind, n in rows]


def _cash_never_negative(coop: Cooperative) -> list[str]:
    """RULES-2 §8.1: no cash or bank account (but one allowed an overdraft) ends any day below zero.
    Names, per account, the first such day and how many days there are."""
    problems = []
    accounts = db.session.execute(
        select(Account.id, Account.code, Account.name_id)
        .where(Account.cooperative_id == coop.id, Account.role.in_(CASH_ROLES), Account.allow_overdraft.is_(False))
        .order_by(Account.code)
    ).all()
    for account_id, code, name in accounts:
        balance, first, days = 0, None, 0
        for day, net in db.session.execute(
            select(JournalLine.entry_date, func.sum(JournalLine.debit) - func.sum(JournalLine.credit))
            .where(JournalLine.cooperative_id == coop.id, JournalLine.account_id == account_id)
            .group_by(JournalLine.entry_date).order_by(JournalLine.entry_date)
        ):
            balance += int(net or 0)
            if balance < 0:
                days += 1
                if first is None:
                    first = (day, balance)
        if first is not None:
            english = (f"{code} {name}: below zero at the end of {first[0].isoformat()} ({first[1]} sen)"
                       + (f" and on {days - 1} later day(s)" if days > 1 else ""))
            message = _l("%(code)s %(name)s: di bawah nol pada akhir hari %(day)s (%(sen)s sen), dan %(more)s hari sesudahnya",
                         code=code, name=name, day=first[0].strftime("%d/%m/%Y"), sen=first[1], more=days - 1)
            problems.append(Problem(english, message))
    return problems


def _cash_days(coop: Cooperative) -> list[str]:
    """The cash accounts' day rows (``cash_day``, which the no-negative-cash rule reads) equal their lines."""
    from koppontren.ledger.models import CashDay

    from_lines = {
        (code, day): int(net) for code, day, net in db.session.execute(
            select(Account.code, JournalLine.entry_date, func.sum(JournalLine.debit) - func.sum(JournalLine.credit))
            .join(Account, (Account.cooperative_id == JournalLine.cooperative_id) & (Account.id == JournalLine.account_id))
            .where(JournalLine.cooperative_id == coop.id, Account.role.in_(CASH_ROLES))
            .group_by(Account.code, JournalLine.entry_date))
        if net
    }
    kept = {
        (code, day): int(net) for code, day, net in db.session.execute(
            select(Account.code, CashDay.day, CashDay.net)
            .join(Account, (Account.cooperative_id == CashDay.cooperative_id) & (Account.id == CashDay.account_id))
            .where(CashDay.cooperative_id == coop.id))
        if net
    }
    problems = []
    for code, day in sorted(set(from_lines) | set(kept))[:1000]:
        lines, rows = from_lines.get((code, day), 0), kept.get((code, day), 0)
        if lines != rows:
            problems.append(Problem(f"{code} on {day.isoformat()}: lines net {lines} sen, day row {rows} sen",
                                    _l("%(code)s pada %(day)s: baris jurnal %(lines)s sen, saldo harian %(rows)s sen",
                                       code=code, day=day.strftime("%d/%m/%Y"), lines=lines, rows=rows)))
            if len(problems) == 10:
                break
    return problems


CORE_CHECKS: list[tuple[str, Callable[[Cooperative], list[str]]]] = [
    ("entries balance", _balanced),
    ("lines carry their entry's date", _line_dates),
    ("trial balance nets to zero", _trial_balance_zero),
    ("voucher numbers gapless", _sequences),
    ("hash chain intact", _hash_chain),
    ("subledgers equal their control accounts", _subledgers),
    ("cash and bank never below zero at any day's end", _cash_never_negative),
    ("cash day balances equal the journal", _cash_days),
]


def check_cooperative(coop: Cooperative) -> CoopReport:
    results = []
    for name, fn in [*CORE_CHECKS, *_EXTRA_CHECKS]:
        problems = fn(coop)
        results.append(CheckResult(name, not problems, problems, LABELS.get(name, name)))
    return CoopReport(coop, results)
