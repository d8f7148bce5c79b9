"""The journal lines of each wallet document, computed from the document alone.

Plain values in (amounts in integer sen, the accounts as codes, ids or Accounts, the memo naming
the santri), a tuple of ``LineSpec`` out; nothing here touches the database. The wallet's services
load and lock the santri, check, call these, post through ``ledger.posting`` and write the
WalletTransaction rows. The santri-wallet account 2113 carries the santri in the memo: the wallet
keeps its own subledger (the santri's balance), not the ledger's member subledger.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from koppontren.ledger.posting import LineSpec
from koppontren.money import from_sen

#: what LineSpec accepts as an account: a code, an id or an Account
AccountRef = object


def santri_memo(nis: str, name: str, reference: str | None = None) -> str:
    """How a line on 2113 names its santri: ``NIS name`` (and ``(reference)`` of a bank statement row)."""
    return f"{nis} {name}" + (f" ({reference})" if reference else "")


def topup_lines(*, amount_sen: int, memo: str, method_account: AccountRef, wallet_account: AccountRef) -> tuple[LineSpec, ...]:
    """Money in for a santri: ``Dr Kas`` (cash, in transit to 1112) or ``Dr 1112`` (bank) ``/ Cr 2113``."""
    amount = from_sen(amount_sen)
    return (LineSpec(method_account, debit=amount),
            LineSpec(wallet_account, credit=amount, memo=memo))


def refund_lines(*, amount_sen: int, memo: str, method_account: AccountRef, wallet_account: AccountRef) -> tuple[LineSpec, ...]:
    """Money back out of a wallet: ``Dr 2113 / Cr Kas`` or ``Cr 1112``."""
    amount = from_sen(amount_sen)
    return (LineSpec(wallet_account, debit=amount, memo=memo),
            LineSpec(method_account, credit=amount))


@dataclass(frozen=True)
class TopupItem:
    """One row of a bulk top-up in an entry: sen, and the memo naming the santri (and the reference)."""

    amount_sen: int
    memo: str


def bulk_topup_lines(items: Iterable[TopupItem], *, method_account: AccountRef, wallet_account: AccountRef) -> tuple[LineSpec, ...]:
    """One entry for the rows of one date and method: ``Dr 1112`` (or Kas) the total ``/ Cr 2113`` one
    line per row."""
    items = list(items)
    credits = tuple(LineSpec(wallet_account, credit=from_sen(i.amount_sen), memo=i.memo) for i in items)
    return (LineSpec(method_account, debit=from_sen(sum(i.amount_sen for i in items))), *credits)


def purchase_line(*, amount_sen: int, memo: str, wallet_account: AccountRef) -> LineSpec:
    """The wallet's line of a shop sale paid by card: ``Dr 2113`` (the sale's entry has the rest)."""
    return LineSpec(wallet_account, debit=from_sen(amount_sen), memo=memo)


def return_line(*, amount_sen: int, memo: str, wallet_account: AccountRef) -> LineSpec:
    """The wallet's line of a return of a sale paid by card: ``Cr 2113``."""
    return LineSpec(wallet_account, credit=from_sen(amount_sen), memo=memo)
