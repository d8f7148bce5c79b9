"""Savings keep the simpanan accounts to themselves (and the member import, which posts opening
savings), and refuse a reversal that would overdraw a member. (Called through :mod:`koppontren.wiring`.)"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from koppontren.savings import services


def register(wiring) -> None:
    wiring.reserve_roles(_l("simpanan"), ("savings_principal", "savings_mandatory", "savings_voluntary", "exit_payable"),
                         sources=("savings", "member_import"))
    wiring.reversal_guard("savings", services.guard_reversal)
