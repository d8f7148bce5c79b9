"""The shop's hooks: suppliers and customers as the ``party`` subledger, the refusal to reverse a
shop entry alone, and the check that inventory equals the stock values. (Called through
:mod:`koppontren.wiring`.)"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from koppontren.extensions import db
from koppontren.shop import reversals, services
from koppontren.shop.models import Party


def party_exists(coop_id: int, party_id: int) -> bool:
    return db.session.scalar(select(Party.id).where(Party.cooperative_id == coop_id, Party.id == party_id)) is not None


def party_id_by_code(coop_id: int, code: str) -> int | None:
    return db.session.scalar(select(Party.id).where(Party.cooperative_id == coop_id, Party.code == (code or "").strip()))


def party_label(coop_id: int, party_id: int) -> str:
    row = db.session.execute(select(Party.code, Party.name).where(Party.cooperative_id == coop_id, Party.id == party_id)).first()
    return f"{row.code} {row.name}" if row else str(party_id)


def register(wiring) -> None:
    wiring.subledger("party", exists=party_exists, by_number=party_id_by_code, label=party_label)
    wiring.reversal_guard("shop", reversals.guard_reversal)
    wiring.integrity_check("inventory equals stock values", services.inventory_check, _l("Persediaan sama dengan nilai stok"))
