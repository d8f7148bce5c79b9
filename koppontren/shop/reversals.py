"""The shop's answer when someone reverses one of its journal entries in the ledger.

A shop entry is only half of a shop transaction: the stock moves, the sale or purchase row, the
payment or the cashier's close live beside it. Reversing the entry alone would leave the inventory
account below the stock the shelves still hold (and a sale that can still be returned, refunding
twice). So the ledger refuses, and the message says what undoes each kind of transaction properly.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from koppontren.ledger.errors import LedgerError


def guard_reversal(coop, entry) -> None:
    if entry.source == "shop":
        raise LedgerError(
            "shop_entry", _l("Jurnal %(n)s dibuat oleh Toko dan tidak dapat dibalik langsung: batalkan lewat retur penjualan, "
                             "retur pembelian, stock opname atau pembayaran koreksi di menu Toko.", n=entry.number))
