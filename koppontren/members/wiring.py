"""The members' register as the ledger's ``member`` subledger: journal lines on member accounts
name a member of the same cooperative. (Called through :mod:`koppontren.wiring`.)"""

from __future__ import annotations

from koppontren.members import services


def register(wiring) -> None:
    wiring.subledger("member", exists=services.member_exists, by_number=services.member_id_by_number,
                     label=services.member_label)
