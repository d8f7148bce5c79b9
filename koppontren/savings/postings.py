"""The journal lines of each savings document, computed from the document alone.

Every function here takes plain values — amounts in integer sen, member ids, the accounts to use
(a code, an id or an Account: whatever ``LineSpec`` takes) — and returns a tuple of ``LineSpec``
(or a plan holding them). Nothing here reads or writes the database: the services load and check,
call these, post the lines through ``ledger.posting`` and store the documents. The table tests in
``tests/savings/test_postings.py`` pin every case to the rupiah.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from koppontren.ledger.posting import LineSpec
from koppontren.money import from_sen

#: what LineSpec accepts as an account: a code, an id or an Account
AccountRef = object


@dataclass(frozen=True)
class Balances:
    """A member's balances in sen, on each account's normal side (what the member is owed, or owes)."""

    pokok: int = 0
    wajib: int = 0
    sukarela: int = 0
    exit_payable: int = 0  # 2131 Utang kepada Anggota Keluar
    shu_payable: int = 0  # 2121 Utang SHU Anggota
    receivable: int = 0  # 1121 Piutang Usaha – Anggota (credit purchases)
    loan: int = 0  # 1131 Piutang Pinjaman Anggota
    term: int = 0  # 2112 Simpanan Berjangka Anggota

    @property
    def savings_total(self) -> int:
        return self.pokok + self.wajib + self.sukarela

    @property
    def receivables_total(self) -> int:
        return self.receivable + self.loan

    def of(self, kind: str) -> int:
        return getattr(self, kind)


# --- deposits and withdrawals ---------------------------------------------------------------------

def deposit_lines(*, amount_sen: int, member_id: int, cash_account: AccountRef, savings_account: AccountRef) -> tuple[LineSpec, ...]:
    """A deposit of any simpanan (pokok, wajib months, sukarela): ``Dr Kas/Bank / Cr simpanan (member)``."""
    amount = from_sen(amount_sen)
    return (LineSpec(cash_account, debit=amount),
            LineSpec(savings_account, credit=amount, member_id=member_id))


def withdrawal_lines(*, amount_sen: int, member_id: int, cash_account: AccountRef, voluntary_account: AccountRef) -> tuple[LineSpec, ...]:
    """A withdrawal of simpanan sukarela: ``Dr 2111 (member) / Cr Kas/Bank``."""
    amount = from_sen(amount_sen)
    return (LineSpec(voluntary_account, debit=amount, member_id=member_id),
            LineSpec(cash_account, credit=amount))


def sukarela_credit_lines(*, amount_sen: int, member_id: int, from_account: AccountRef,
                          voluntary_account: AccountRef) -> tuple[LineSpec, ...]:
    """Money moved into a member's sukarela from another member account (SHU paid into savings):
    ``Dr from_account (member) / Cr 2111 (member)``."""
    amount = from_sen(amount_sen)
    return (LineSpec(from_account, debit=amount, member_id=member_id),
            LineSpec(voluntary_account, credit=amount, member_id=member_id))


@dataclass(frozen=True)
class WajibItem:
    """One member's wajib in a bulk collection: sen, and the memo of their line (number and name)."""

    member_id: int
    amount_sen: int
    memo: str


def bulk_wajib_lines(items: Iterable[WajibItem], *, cash_account: AccountRef, wajib_account: AccountRef) -> tuple[LineSpec, ...]:
    """One month's wajib of many members as one entry: ``Dr Kas/Bank`` the total ``/ Cr 3102`` one
    line per member (memo: the member, at most 200 characters)."""
    items = list(items)
    credits = tuple(LineSpec(wajib_account, credit=from_sen(i.amount_sen), member_id=i.member_id, memo=i.memo[:200]) for i in items)
    return (LineSpec(cash_account, debit=from_sen(sum(i.amount_sen for i in items))), *credits)


# --- the exit settlement ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ExitAccounts:
    """The accounts of an exit, by role: pokok 3101, wajib 3102, sukarela 2111, exit payable 2131,
    SHU payable 2121, receivable 1121, loan 1131 — and the cash or bank account that pays."""

    principal: AccountRef
    mandatory: AccountRef
    voluntary: AccountRef
    exit_payable: AccountRef
    shu_payable: AccountRef
    receivable: AccountRef
    loan: AccountRef
    cash: AccountRef


#: ExitAccounts field -> the role of its account in the chart (all but ``cash``)
EXIT_ROLES = {"principal": "savings_principal", "mandatory": "savings_mandatory", "voluntary": "savings_voluntary",
              "exit_payable": "exit_payable", "shu_payable": "shu_payable", "receivable": "receivable_member",
              "loan": "loan_member"}


@dataclass(frozen=True)
class ExitFigures:
    """What a leaving member's balances come to (sen), before any line is written (RULES.md §2).

    Receivables and loans the member owes (positive balances) are netted against what the
    cooperative owes them; overpaid ones (negative balances) are owed to the member. The netting
    takes from the payable (pokok, wajib, earlier exit payable, unpaid SHU, overpayments) first and
    then from sukarela; the rest of the payable is paid in cash, the rest of sukarela by a normal
    withdrawal."""

    owed_receivable: int
    owed_loan: int
    overpaid: int
    payable: int  # exit payable after the reclassification: earlier 2131 + pokok + wajib
    from_sukarela: int  # sukarela used for netting
    cash_out: int  # paid in cash/bank by the settlement entry
    sukarela_rest: int  # sukarela left to withdraw after the settlement

    @property
    def to_net(self) -> int:
        return self.owed_receivable + self.owed_loan


def exit_figures(b: Balances) -> ExitFigures:
    owed_receivable, owed_loan = max(b.receivable, 0), max(b.loan, 0)
    overpaid = max(-b.receivable, 0) + max(-b.loan, 0)
    to_net = owed_receivable + owed_loan
    payable = b.exit_payable + b.pokok + b.wajib
    from_payable = min(to_net, payable + b.shu_payable + overpaid)
    from_sukarela = to_net - from_payable
    return ExitFigures(owed_receivable, owed_loan, overpaid, payable, from_sukarela,
                       payable + b.shu_payable + overpaid - from_payable, b.sukarela - from_sukarela)


def exit_available(b: Balances) -> int:
    """Everything receivables may be netted against: savings, unpaid SHU, exit payable, overpayments."""
    return b.pokok + b.wajib + b.shu_payable + b.sukarela + b.exit_payable + exit_figures(b).overpaid


def exit_reclassification_lines(b: Balances, member_id: int, accounts: ExitAccounts) -> tuple[LineSpec, ...]:
    """On the exit date pokok and wajib become a debt to the member: ``Dr 3101, Dr 3102 / Cr 2131``.
    Empty when the member has neither."""
    if b.pokok + b.wajib <= 0:
        return ()
    lines = [LineSpec(account, debit=from_sen(sen), member_id=member_id)
             for account, sen in ((accounts.principal, b.pokok), (accounts.mandatory, b.wajib)) if sen]
    lines.append(LineSpec(accounts.exit_payable, credit=from_sen(b.pokok + b.wajib), member_id=member_id))
    return tuple(lines)


def _member_line(account: AccountRef, member_id: int, *, debit: int = 0, credit: int = 0) -> LineSpec:
    return LineSpec(account, debit=from_sen(debit), credit=from_sen(credit), member_id=member_id)


def exit_settlement_lines(b: Balances, member_id: int, accounts: ExitAccounts) -> tuple[LineSpec, ...]:
    """The settlement: ``Dr 2131`` (the payable), ``Dr 2121`` (unpaid SHU), ``Dr 2111`` (sukarela
    used for netting), ``Dr 1121/1131`` (overpaid receivables) ``/ Cr 1121, Cr 1131`` (netted)
    ``, Cr Kas`` (the rest). Empty when there is nothing on one of the two sides."""
    f = exit_figures(b)
    owed_to_member = ((accounts.exit_payable, f.payable), (accounts.shu_payable, b.shu_payable), (accounts.voluntary, f.from_sukarela),
                      (accounts.receivable, max(-b.receivable, 0)), (accounts.loan, max(-b.loan, 0)))
    debits = [_member_line(account, member_id, debit=sen) for account, sen in owed_to_member if sen]
    credits = [_member_line(account, member_id, credit=sen)
               for account, sen in ((accounts.receivable, f.owed_receivable), (accounts.loan, f.owed_loan)) if sen]
    if f.cash_out:
        credits.append(LineSpec(accounts.cash, credit=from_sen(f.cash_out)))
    if not debits or not credits:
        return ()
    return (*debits, *credits)
