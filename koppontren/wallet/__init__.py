"""Santri wallets (issue 9): cashless pocket money at the cooperative shop, booked as 2113 Dana
Titipan Santri backed by bank 1112 (RULES.md §2). Services in ``services``; the shop pays through
``payments`` and ``reconcile`` adds the ``koppontren check`` item, both plugged in by ``wiring``."""
