"""The santri wallet's hooks: it keeps 2113 to itself (and the shop, which charges it), pays at the
shop as ``payment="wallet"``, refuses reversing its entries alone, and adds the ``koppontren check``
item Σ wallet balances = 2113. (Called through :mod:`koppontren.wiring`.)"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from koppontren.wallet import payments, reconcile


def register(wiring) -> None:
    wiring.reserve_roles(_l("dompet santri"), ("santri_wallet",), sources=("wallet", "shop"))
    wiring.payment_method("wallet", payments.WalletPayment())
    wiring.reversal_guard("wallet", payments.guard_reversal)
    wiring.integrity_check("santri wallets equal 2113", reconcile.wallets_check, _l("Dompet santri sama dengan akun 2113"))
