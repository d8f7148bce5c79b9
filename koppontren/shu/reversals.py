"""SHU entries are not reversed in the ledger: an approved run is frozen (RULES.md §6), and its
allocation and payouts are what the RAT decided and the members received."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from koppontren.ledger.errors import LedgerError


def guard_reversal(coop, entry) -> None:
    if entry.source == "shu":
        raise LedgerError(
            "shu_entry", _l("Jurnal %(n)s adalah pembagian SHU yang sudah disetujui RAT dan tidak dapat dibalik; "
                            "koreksi dengan jurnal umum bila perlu.", n=entry.number))
