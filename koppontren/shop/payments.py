"""Payment methods other modules plug into the shop (the santri wallet, issue 9), without the shop
importing them — like the ledger's reversal guards. A package plugs a :class:`PaymentMethod` in
under its payment name through its wiring (``koppontren/wiring.py``), e.g. the wallet's::

    wiring.payment_method("wallet", WalletPayment())

``record_sale`` with that ``payment`` then asks the method for a :class:`Payer` (from the buyer's
``card``), locks it after the member, lets it check the total and give the entry's money line, and
after posting lets it settle (move its own balance, write its own records) in the same unit of
work. A return of such a sale asks ``returner`` for the payer to credit back.

Lock order of a sale: member, payer (e.g. the santri's row), products, ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from koppontren.ledger.posting import LineSpec


@dataclass(frozen=True)
class Charge:
    """The money line of the sale's entry (``Dr`` for a sale, ``Cr`` for a return) and the internal
    subledgers the posting must allow for it."""

    line: LineSpec
    internal_subledgers: frozenset[str] = frozenset()


class Payer(Protocol):
    #: the member the sale is for (member prices and accounts), or None
    member_id: int | None
    #: who pays, for the entry's description ("santri 1001 Ahmad")
    label: str

    def lock(self) -> None:
        """Lock what the payment changes (called after the member is locked, before the products)."""

    def charge(self, total_sen: int, items: list[tuple[str | None, int]], day: date) -> Charge:
        """Check the payment of ``total_sen`` (``items``: each line's product category and total) and
        return its money line. Raises a DomainError to refuse (nothing is written then)."""

    def settle(self, entry, sale_id: int) -> None:
        """After the entry is posted (not for a replay): move the balance and record, without committing."""


class PaymentMethod(Protocol):
    def payer(self, coop, *, card: str | None, actor, day: date) -> Payer:
        """The payer of a new sale. Raises a DomainError for a refused card."""

    def returner(self, coop, sale, *, actor, day: date) -> Payer:
        """The payer a return of ``sale`` (paid with this method) credits back."""

    def payer_after(self, coop, sale) -> tuple[str, int] | None:
        """(payer's name, balance left in sen) after ``sale``, for the till's "paid from …" line."""


_METHODS: dict[str, PaymentMethod] = {}


def register(name: str, method: PaymentMethod) -> None:
    _METHODS[name] = method


def get(name: str) -> PaymentMethod | None:
    return _METHODS.get(name)


def names() -> tuple[str, ...]:
    return tuple(_METHODS)
