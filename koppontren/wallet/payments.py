"""Paying at the shop with a santri's card: the wallet's side of ``shop.payments`` (payment
``"wallet"``). Registered at import (create_app imports this module).

A sale: the card names the santri (refused alike when unknown, blocked, another cooperative's or
closed); the santri's member, when linked and active, makes it a member sale. The santri's row is
locked (after the member, before the products), the balance and the limits are checked on the
total and its limited part (products whose category is not exempt), the entry debits 2113, and
after posting the balance moves with a conditional UPDATE and a ``purchase`` transaction is written.
A return credits 2113 and the balance back (``return``), its limited part on the purchase's day.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger import chart
from koppontren.ledger.errors import LedgerError
from koppontren.shop.payments import Charge
from koppontren.wallet import cards, limits, postings
from koppontren.wallet import services as wallet
from koppontren.wallet.errors import WalletError
from koppontren.wallet.models import Santri, WalletTransaction

INTERNAL = frozenset({"santri"})


def _place(actor) -> str:
    name = getattr(actor, "name", None)
    return f"Koperasi — kasir {name}"[:200] if name else "Koperasi"


class _SalePayer:
    def __init__(self, coop, santri: Santri, token: str, actor):
        self.coop, self.santri, self.token, self.actor = coop, santri, token, actor
        member = wallet.member_of(coop, santri)
        self.member_id = member.id if member is not None else None
        self.label = f"santri {santri.nis} {santri.name}"
        self._total = self._limited = 0
        self._day: date | None = None

    def lock(self) -> None:
        locked = cards.lock_by_token(self.coop, self.token)
        if locked.id != self.santri.id:
            raise cards.refused()
        member = wallet.member_of(self.coop, locked)
        if (member.id if member is not None else None) != self.member_id:  # relinked meanwhile: ask again
            raise WalletError("conflict", _l("Data santri berubah; ulangi transaksi."))
        self.santri = locked

    def charge(self, total_sen: int, items, day: date) -> Charge:
        settings = limits.get_settings(self.coop)
        limited = sum(amount for category, amount in items if not settings.is_exempt(category))
        limits.check_charge(self.coop, self.santri, total_sen, limited, day, settings)
        self._total, self._limited, self._day = total_sen, limited, day
        return Charge(postings.purchase_line(amount_sen=total_sen, memo=postings.santri_memo(self.santri.nis, self.santri.name)[:200],
                                             wallet_account=chart.account_for(self.coop, "santri_wallet")), INTERNAL)

    def settle(self, entry, sale_id: int) -> None:
        wallet.add_transaction(self.coop, self.santri, kind="purchase", amount=self._total, day=self._day, method="wallet", entry=entry,
                               actor=self.actor, sale_id=sale_id, limited=self._limited, place=_place(self.actor))


class _ReturnPayer:
    def __init__(self, coop, sale, purchase: WalletTransaction, actor):
        self.coop, self.sale, self.purchase, self.actor = coop, sale, purchase, actor
        self.member_id = sale.member_id
        self.santri: Santri | None = None
        self.label = ""
        self._total = self._limited = 0
        self._day: date | None = None

    def lock(self) -> None:
        self.santri = wallet.lock_santri(self.coop, self.purchase.santri_id)
        self.label = f"santri {self.santri.nis} {self.santri.name}"

    def charge(self, total_sen: int, items, day: date) -> Charge:
        if self.santri is None:
            self.lock()
        settings = limits.get_settings(self.coop)
        limited = sum(amount for category, amount in items if not settings.is_exempt(category))
        given_back = int(db.session.scalar(select(func.coalesce(func.sum(WalletTransaction.limited_amount), 0)).where(
            WalletTransaction.cooperative_id == self.coop.id, WalletTransaction.kind == "return",
            WalletTransaction.santri_id == self.purchase.santri_id,
            WalletTransaction.sale_id.in_(_returns_of(self.coop, self.sale.id)))) or 0)
        self._limited = max(0, min(limited, self.purchase.limited_amount - given_back, total_sen))
        self._total, self._day = total_sen, day
        return Charge(postings.return_line(amount_sen=total_sen, memo=postings.santri_memo(self.santri.nis, self.santri.name)[:200],
                                           wallet_account=chart.account_for(self.coop, "santri_wallet")), INTERNAL)

    def settle(self, entry, sale_id: int) -> None:
        wallet.add_transaction(self.coop, self.santri, kind="return", amount=self._total, day=self._day, method="wallet", entry=entry,
                               actor=self.actor, sale_id=sale_id, limited=self._limited, limit_day=self.purchase.day,
                               place=_place(self.actor))


def _returns_of(coop, sale_id: int):
    """Sale ids of the returns of a sale (as a subquery over the wallet's own rows: return
    transactions carry their return sale; the purchase's sale is the original)."""
    from koppontren.shop import services as shop

    return shop.return_ids_of(coop, sale_id)


class WalletPayment:
    def payer(self, coop, *, card: str | None, actor, day: date) -> _SalePayer:
        if card is None:
            raise WalletError("invalid_field", _l("Pindai kartu santri."), {"card": _l("Wajib diisi.")})
        santri = cards.find_by_token(coop, card)
        return _SalePayer(coop, santri, card.strip(), actor)

    def returner(self, coop, sale, *, actor, day: date) -> _ReturnPayer:
        purchase = db.session.scalar(select(WalletTransaction).where(
            WalletTransaction.cooperative_id == coop.id, WalletTransaction.sale_id == sale.id, WalletTransaction.kind == "purchase"))
        if purchase is None:
            raise WalletError("return_unknown", _l("Pembayaran dompet penjualan %(n)s tidak ditemukan.", n=sale.voucher))
        return _ReturnPayer(coop, sale, purchase, actor)


    def paid_by(self, coop, sale, *, card: str | None) -> bool:
        purchase = db.session.scalar(select(WalletTransaction.santri_id).where(
            WalletTransaction.cooperative_id == coop.id, WalletTransaction.sale_id == sale.id, WalletTransaction.kind == "purchase"))
        if purchase is None or not card:
            return False
        try:
            return cards.find_by_token(coop, card).id == purchase
        except WalletError:
            return False

    def payer_after(self, coop, sale) -> tuple[str, int] | None:
        tx = wallet.transaction_of_sale(coop, sale.id)
        santri = wallet.get_santri(coop, tx.santri_id) if tx else None
        return (santri.name, tx.balance_after) if santri else None



def guard_reversal(coop, entry) -> None:
    """A wallet entry is half of a wallet movement (the balance and the transaction beside it):
    undo a top-up with a refund, a refund with a top-up."""
    if entry.source == "wallet":
        raise LedgerError("wallet_entry", _l("Jurnal %(n)s dibuat oleh Dompet Santri dan tidak dapat dibalik langsung: catat penarikan "
                                             "atau isi saldo koreksi di menu Dompet Santri.", n=entry.number))
