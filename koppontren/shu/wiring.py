"""An approved SHU's entries are not reversed in the ledger. (Called through :mod:`koppontren.wiring`.)"""

from __future__ import annotations

from koppontren.shu import reversals


def register(wiring) -> None:
    wiring.reversal_guard("shu", reversals.guard_reversal)
