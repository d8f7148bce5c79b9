"""The RAT's lists: members' savings (pokok, wajib, sukarela per member), receivables per member and
arrears of simpanan wajib. They reuse the savings and members services' queries (one grouped query
over the member subledger; arrears from the wajib months), never a loop over journal lines."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from koppontren.members import services as members
from koppontren.members.services import CATEGORY_LABELS
from koppontren.savings import services as savings
from koppontren.statements.builders import SIGN_MANAGEMENT, as_of_phrase
from koppontren.statements.model import Column, ReportPeriod, Row, Section, Statement
from koppontren.tenancy.models import Cooperative


def _people(coop: Cooperative, ids) -> list:
    """Active members and anyone else with a balance, by member number."""
    people = {m.id: m for m in members.active_members(coop)}
    missing = [i for i in ids if i not in people]
    people.update(members.members_by_ids(coop, missing))
    return sorted(people.values(), key=lambda m: m.number)


def member_savings(coop: Cooperative, period: ReportPeriod, comparative: bool = False) -> Statement:
    """Daftar simpanan anggota as of ``period.date_to``: pokok, wajib, sukarela and their sum per
    member, with totals (equal to the balances of 3101, 3102 and 2111 — the subledger check)."""
    bal = savings.balances_of_many(coop, as_of=period.date_to)
    cols = [Column("number", str(_l("No. anggota"))), Column("name", str(_l("Nama"))), Column("status", str(_l("Status"))),
            Column("pokok", str(_l("Pokok")), "amount"), Column("wajib", str(_l("Wajib")), "amount"),
            Column("sukarela", str(_l("Sukarela")), "amount"), Column("total", str(_l("Jumlah")), "amount")]
    rows = []
    t = [0, 0, 0]
    for m in _people(coop, [i for i, b in bal.items() if b.savings_total]):
        b = bal.get(m.id, savings.Balances())
        vals = [b.pokok, b.wajib, b.sukarela]
        t = [x + y for x, y in zip(t, vals, strict=True)]
        rows.append(Row([m.number, m.name, str(members.STATUS_LABELS.get(m.status, m.status)), *vals, sum(vals)], key=f"member:{m.number}"))
    rows.append(Row(["", str(_l("JUMLAH")), "", *t, sum(t)], kind="total", key="total"))
    return Statement(
        name="member-savings", title=str(_l("DAFTAR SIMPANAN ANGGOTA")), subtitle=as_of_phrase(period.date_to), period=period,
        totals={"pokok": t[0], "wajib": t[1], "sukarela": t[2], "total": sum(t)}, signatures=SIGN_MANAGEMENT,
        sections=[Section("member_savings", str(_l("Simpanan per anggota")), cols, rows)], meta={"members": len(rows) - 1},
    )


def member_receivables(coop: Cooperative, period: ReportPeriod, comparative: bool = False) -> Statement:
    """Daftar piutang anggota as of ``period.date_to``: piutang usaha (credit purchases) and
    pinjaman per member with a balance."""
    bal = savings.balances_of_many(coop, as_of=period.date_to)
    cols = [Column("number", str(_l("No. anggota"))), Column("name", str(_l("Nama"))),
            Column("receivable", str(_l("Piutang usaha")), "amount"), Column("loan", str(_l("Piutang pinjaman")), "amount"),
            Column("total", str(_l("Jumlah")), "amount")]
    rows = []
    t = [0, 0]
    ids = [i for i, b in bal.items() if b.receivable or b.loan]
    for m in sorted(members.members_by_ids(coop, ids).values(), key=lambda m: m.number):
        b = bal[m.id]
        t = [t[0] + b.receivable, t[1] + b.loan]
        rows.append(Row([m.number, m.name, b.receivable, b.loan, b.receivables_total], key=f"member:{m.number}"))
    rows.append(Row(["", str(_l("JUMLAH")), *t, sum(t)], kind="total", key="total"))
    return Statement(
        name="member-receivables", title=str(_l("DAFTAR PIUTANG ANGGOTA")), subtitle=as_of_phrase(period.date_to), period=period,
        totals={"receivable": t[0], "loan": t[1], "total": sum(t)}, signatures=SIGN_MANAGEMENT,
        sections=[Section("member_receivables", str(_l("Piutang per anggota")), cols, rows)],
    )


def arrears(coop: Cooperative, period: ReportPeriod, comparative: bool = False) -> Statement:
    """Daftar tunggakan simpanan wajib as of ``period.date_to`` (savings.arrears_report): months
    unpaid since joining, the monthly amount and the sum. Arrears are never booked (RULES.md §2)."""
    report = savings.arrears_report(coop, period.date_to)
    cols = [Column("number", str(_l("No. anggota"))), Column("name", str(_l("Nama"))), Column("category", str(_l("Kategori"))),
            Column("months", str(_l("Bulan tertunggak")), "number"), Column("monthly", str(_l("Wajib per bulan")), "amount"),
            Column("amount", str(_l("Jumlah tunggakan")), "amount")]
    rows = []
    total = months = 0
    for m, a in sorted(report, key=lambda r: r[0].number):
        rows.append(Row([m.number, m.name, str(CATEGORY_LABELS.get(m.category, m.category)), a.count, a.monthly, a.amount],
                        key=f"member:{m.number}"))
        total += a.amount
        months += a.count
    rows.append(Row(["", str(_l("JUMLAH")), "", months, None, total], kind="total", key="total"))
    return Statement(
        name="arrears", title=str(_l("DAFTAR TUNGGAKAN SIMPANAN WAJIB")), subtitle=as_of_phrase(period.date_to), period=period,
        totals={"amount": total}, signatures=SIGN_MANAGEMENT, meta={"months": months, "members": len(rows) - 1},
        sections=[Section("arrears", str(_l("Tunggakan per anggota")), cols, rows)],
    )
