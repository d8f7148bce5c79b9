"""The ledger's own hooks: a new cooperative's books are opened, and its books start is guarded.
(Called through :mod:`koppontren.wiring`; ``wiring`` is a :class:`koppontren.wiring.Wiring`.)"""

from __future__ import annotations

from koppontren.ledger import books


def register(wiring) -> None:
    wiring.on_cooperative_created("ledger", books.open_books)
    wiring.books_start_guard("ledger", books.check_books_start_move)
