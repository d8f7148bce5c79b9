"""Report names (the API's ``/reports/{name}``) and their builders, with the period each expects.

``REPORTS[name].build(coop, period, comparative=…, **extra)``; ``general-ledger`` needs
``account=`` (an Account of the cooperative). ``as_of`` reports (Neraca, lists) read only
``period.date_to``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from koppontren.statements import builders, lists, notes


@dataclass(frozen=True)
class Report:
    name: str
    label: object  # lazy, the menu's text
    build: Callable
    as_of: bool = False  # a position at a date rather than a period
    comparative: bool = False  # has a prior-year column
    needs_account: bool = False
    paged: bool = False  # long on screen: the page shows one page of it
    statement: bool = False  # one of the five statements of Permenkop 2/2024 Pasal 8


REPORTS: dict[str, Report] = {r.name: r for r in (
    Report("balance-sheet", _l("Laporan posisi keuangan (neraca)"), builders.balance_sheet, as_of=True, comparative=True, statement=True),
    Report("income-statement", _l("Laporan perhitungan hasil usaha"), builders.income_statement, comparative=True, statement=True),
    Report("equity-changes", _l("Laporan perubahan ekuitas"), builders.equity_changes, comparative=True, statement=True),
    Report("cash-flow", _l("Laporan arus kas"), builders.cash_flow, comparative=True, statement=True),
    Report("notes", _l("Catatan atas laporan keuangan"), notes.notes, statement=True),
    Report("trial-balance", _l("Neraca saldo"), builders.trial_balance),
    Report("general-ledger", _l("Buku besar"), builders.general_ledger, needs_account=True, paged=True),
    Report("journal", _l("Jurnal umum"), builders.journal, paged=True),
    Report("member-savings", _l("Daftar simpanan anggota"), lists.member_savings, as_of=True),
    Report("member-receivables", _l("Daftar piutang anggota"), lists.member_receivables, as_of=True),
    Report("arrears", _l("Daftar tunggakan simpanan wajib"), lists.arrears, as_of=True),
)}

#: The RAT pack's order: the five statements, then the lists.
RAT_PACK = ("balance-sheet", "income-statement", "equity-changes", "cash-flow", "notes", "member-savings",
            "member-receivables", "arrears")


def get(name: str) -> Report | None:
    return REPORTS.get(name)


def build(name: str, coop, period, *, comparative: bool = False, **extra):
    """Build report ``name``; raises KeyError for an unknown name."""
    report = REPORTS[name]
    kwargs = dict(extra)
    if report.comparative:
        kwargs["comparative"] = comparative
    return report.build(coop, period, **kwargs)
