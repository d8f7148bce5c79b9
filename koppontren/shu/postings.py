"""The journal lines of the SHU documents — the allocation approved at the RAT and each member's
payout — computed from the document alone.

Plain values in (amounts in integer sen, the accounts as codes, ids or Accounts), a tuple of
``LineSpec`` out; nothing here touches the database. ``shu.services`` loads and locks the run,
checks, calls these, posts through ``ledger.posting`` and writes the payout rows. A payout into
simpanan sukarela is the savings module's document (``savings.postings.sukarela_credit_lines``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from koppontren.ledger.posting import LineSpec
from koppontren.money import from_sen

#: what LineSpec accepts as an account: a code, an id or an Account
AccountRef = object


@dataclass(frozen=True)
class AllocationLine:
    """A credit line of the allocation entry (the debit is ``Result.figures.shu`` on 3108)."""

    account: str
    amount: int
    member_id: int | None = None


def allocation_lines(*, shu_sen: int, shu_account: AccountRef, credits: Iterable[AllocationLine]) -> tuple[LineSpec, ...]:
    """The allocation entry: ``Dr 3108`` the year's SHU ``/ Cr 3105, Cr 2121 per member, Cr 2122…2126``
    (``credits``: ``Result.allocation_lines()``, whose sum is the SHU)."""
    return (LineSpec(shu_account, debit=from_sen(shu_sen)),
            *(LineSpec(c.account, credit=from_sen(c.amount), member_id=c.member_id) for c in credits))


@dataclass(frozen=True)
class Payout:
    """A member's payout in cash or netted: the lines, and the sen netted against the receivable."""

    lines: tuple[LineSpec, ...]
    netted: int


def payout(*, method: str, total_sen: int, member_id: int, payable_account: AccountRef, cash_account: AccountRef,
           receivable_account: AccountRef | None = None, owed_sen: int = 0) -> Payout:
    """One member's SHU paid out (``method`` ``cash`` or ``netting``): ``Dr 2121 (member)`` the share
    ``/ Cr 1121 (member)`` what the member owes on receivables, up to the share (netting only),
    ``Cr Kas/Bank`` the rest."""
    if method not in ("cash", "netting"):
        raise ValueError(f"a payout in cash or netted, not {method!r}")
    netted = min(max(owed_sen, 0), total_sen) if method == "netting" else 0
    lines = [LineSpec(payable_account, debit=from_sen(total_sen), member_id=member_id)]
    if netted:
        lines.append(LineSpec(receivable_account, credit=from_sen(netted), member_id=member_id))
    if total_sen - netted:
        lines.append(LineSpec(cash_account, credit=from_sen(total_sen - netted)))
    return Payout(tuple(lines), netted)
