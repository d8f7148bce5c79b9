"""Read-only queries the wallet's pages and imports need beyond ``services`` (never writes).

Every query is scoped to the cooperative first.
"""

from __future__ import annotations

from sqlalchemy import func, select

from koppontren.auth import services as auth
from koppontren.extensions import db
from koppontren.members import services as members
from koppontren.tenancy.models import Cooperative
from koppontren.wallet.models import Santri, WalletTransaction


def existing_nis(coop: Cooperative) -> set[str]:
    """Every NIS of the cooperative's santri."""
    return set(db.session.scalars(select(Santri.nis).where(Santri.cooperative_id == coop.id)))


def linked_member_numbers(coop: Cooperative) -> set[str]:
    """The numbers of the members already linked to a santri."""
    ids = set(db.session.scalars(select(Santri.member_id).where(Santri.cooperative_id == coop.id, Santri.member_id.is_not(None))))
    return {m.number for m in members.members_by_ids(coop, ids).values()}


def santri_by_nis(coop: Cooperative, nis: set[str]) -> dict[str, Santri]:
    """nis -> santri, for the NIS given (unknown ones are left out)."""
    wanted = [n for n in nis if n]
    if not wanted:
        return {}
    found: dict[str, Santri] = {}
    for start in range(0, len(wanted), 500):
        found.update({s.nis: s for s in db.session.scalars(select(Santri).where(
            Santri.cooperative_id == coop.id, Santri.nis.in_(wanted[start:start + 500])))})
    return found


def used_bank_references(coop: Cooperative, references: set[str]) -> set[str]:
    """The references among ``references`` already recorded on a bank top-up (a statement imported twice)."""
    wanted = [r for r in references if r]
    used: set[str] = set()
    for start in range(0, len(wanted), 500):
        used.update(db.session.scalars(select(WalletTransaction.reference).where(
            WalletTransaction.cooperative_id == coop.id, WalletTransaction.kind == "topup", WalletTransaction.method == "bank",
            WalletTransaction.reference.in_(wanted[start:start + 500]))))
    return used


def total_balance(coop: Cooperative) -> int:
    """Σ of every wallet's balance (sen)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Santri.balance), 0)).where(Santri.cooperative_id == coop.id)) or 0)


def user_names(ids) -> dict[int, str]:
    """user id -> name, for the "recorded by" column."""
    return {i: u.name for i in ids if (u := auth.user_by_id(i)) is not None}
