"""Members paying off what they bought on credit (pelunasan piutang anggota, 1121), and non-member
customers paying off theirs (piutang usaha non-anggota, 1122, naming the customer: the party
subledger).

A payment is one unit of work: the member's row is locked first, so two cashiers taking the same
member's money cannot both pass the "no more than owed" check; the entry ``Dr Kas/Bank / Cr 1121``
names the member on the receivable line (the control account stays equal to its subledger), and
a ShopPayment and an audit row are written with it. A customer's payment is the same with the
customer's (party) row locked and ``Dr Kas/Bank / Cr 1122``. Refusals raise ShopError and write nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from koppontren import money
from koppontren.audit.services import ACTION_LABELS, record
from koppontren.auth import services as auth_services
from koppontren.extensions import db
from koppontren.ledger import chart, queries
from koppontren.members import services as members
from koppontren.shop import postings, services
from koppontren.shop.models import Party, ShopPayment
from koppontren.tenancy.models import Cooperative

ACTION_LABELS.update({"shop.receivable_payment": _l("Pelunasan piutang anggota dicatat"),
                      "shop.customer_receivable_payment": _l("Pelunasan piutang pelanggan dicatat")})
RECEIVABLE_KINDS = ("member_receivable", "customer_receivable")


def owed_by(coop: Cooperative, member_id: int) -> int:
    """What the member owes the shop now (sen, 1121 debit balance of their subledger)."""
    receivable = chart.account_for(coop, "receivable_member").id
    return queries.member_balances(coop, [receivable], [member_id]).get(member_id, {}).get(receivable, 0)


def owed_by_customer(coop: Cooperative, party_id: int) -> int:
    """What a customer owes the shop now (sen, 1122 debit balance of their party subledger)."""
    receivable = chart.account_for(coop, "receivable_nonmember").id
    return queries.party_balances(coop, [receivable], [party_id]).get(party_id, {}).get(receivable, 0)


@services.shop_command("shop.receivable_payment")
def pay_receivable(coop: Cooperative, member_id: int, *, amount: Decimal, day: date | None = None, account_id: int | None = None,
                   actor=None, idempotency_key: str | None = None) -> ShopPayment:
    """Record a member's payment of their shop receivable into the till (default), Kas Besar or a
    bank account. The same ``idempotency_key`` again (a retry, a double submit) returns the first
    payment, whatever is owed now. Raises ShopError(``invalid_amount`` | ``not_found`` |
    ``exceeds_receivable`` | ``invalid_account`` | ``invalid_date`` | ledger codes such as
    ``period_closed``), OperationConflict (``idempotency_conflict``)."""
    sen = _payment_amount(coop, amount)
    entry_day = services._day(day)
    member = members.lock_member(coop, member_id) if isinstance(member_id, int) and not isinstance(member_id, bool) else None
    if member is None:
        raise services._error("not_found", _l("Anggota tidak ditemukan."), "member")
    _refuse_above(coop, sen, owed_by(coop, member.id), member.number)
    receivable = postings.Settlement(chart.account_for(coop, "receivable_member"), member_id=member.id)
    return _record_payment(coop, "member_receivable", sen, entry_day, account_id, receivable, actor=actor, idempotency_key=idempotency_key,
                           description=f"Pelunasan piutang {member.number} {member.name}", audit={"member": member.number})


@services.shop_command("shop.customer_receivable_payment")
def pay_customer_receivable(coop: Cooperative, party_id: int, *, amount: Decimal, day: date | None = None,
                            account_id: int | None = None, actor=None, idempotency_key: str | None = None) -> ShopPayment:
    """Record a non-member customer's payment of what they bought on credit: ``Dr Kas/Bank / Cr
    1122`` naming the customer, into the till (default), Kas Besar or a bank account; refused above
    what the customer owes now, like ``pay_receivable``. Raises ShopError(``invalid_amount`` |
    ``not_found`` (not a customer of this cooperative) | ``exceeds_receivable`` | ``invalid_account`` |
    ``invalid_date`` | ledger codes such as ``period_closed``), OperationConflict (``idempotency_conflict``)."""
    sen = _payment_amount(coop, amount)
    entry_day = services._day(day)
    party = services.lock_party(coop, party_id)
    if party is None or party.kind != "customer":
        raise services._error("not_found", _l("Pelanggan tidak ditemukan."), "customer")
    _refuse_above(coop, sen, owed_by_customer(coop, party.id), party.code)
    receivable = postings.Settlement(chart.account_for(coop, "receivable_nonmember"), party_id=party.id)
    return _record_payment(coop, "customer_receivable", sen, entry_day, account_id, receivable, actor=actor,
                           idempotency_key=idempotency_key, description=f"Pelunasan piutang {party.code} {party.name}",
                           audit={"customer": party.code})


def _payment_amount(coop: Cooperative, amount) -> int:
    if isinstance(amount, Decimal | int) and not isinstance(amount, bool) and Decimal(amount).is_finite() and amount <= 0:
        raise services._error("invalid_amount", _l("Jumlah pelunasan harus lebih dari nol."), "amount")
    return services._sen(coop, amount, "amount", allow_zero=False)


def _refuse_above(coop: Cooperative, sen: int, owed: int, who: str) -> None:
    if sen > owed:
        owed_text = money.format_idr(money.from_sen(max(owed, 0)), coop.currency_decimals)
        raise services._error("exceeds_receivable", _l("Pelunasan melebihi piutang %(n)s: yang terutang %(o)s.", n=who, o=owed_text),
                              "amount")


def _record_payment(coop: Cooperative, kind: str, sen: int, day: date, account_id: int | None, receivable: postings.Settlement, *,
                    actor, idempotency_key: str | None, description: str, audit: dict) -> ShopPayment:
    """``Dr`` the till (or the account chosen) ``/ Cr`` the receivable, and the ShopPayment that says so."""
    account = services._pay_account(coop, "cash", account_id, "till")
    entry = services._post(coop, entry_date=day, description=description[:500], journal_type="KM", actor=actor,
                           idempotency_key=(idempotency_key or "").strip()[:200] or None,
                           lines=list(postings.settlement_lines(sen, debit=postings.Settlement(account), credit=receivable)))
    payment = ShopPayment(cooperative_id=coop.id, kind=kind, member_id=receivable.member_id, party_id=receivable.party_id,
                          payment_date=day, amount=sen, account_name=account.name_id, entry_id=entry.id, voucher=entry.number,
                          created_by_id=getattr(actor, "id", None))
    db.session.add(payment)
    db.session.flush()
    action = "shop.receivable_payment" if kind == "member_receivable" else "shop.customer_receivable_payment"
    record(action, cooperative_id=coop.id, actor_id=getattr(actor, "id", None), number=entry.number, amount=str(money.from_sen(sen)),
           **audit)
    return payment


@dataclass(frozen=True)
class Receivable:
    """A member with a receivable balance: ``owed`` (sen; negative if they paid in advance)."""

    member_id: int
    number: str
    name: str
    category: str
    owed: int


def members_with_receivables(coop: Cooperative) -> list[Receivable]:
    """Every member whose 1121 subledger balance is not zero, by member number."""
    receivable = chart.account_for(coop, "receivable_member").id
    balances = {mid: b.get(receivable, 0) for mid, b in queries.member_balances(coop, [receivable]).items()}
    found = members.members_by_ids(coop, [mid for mid, owed in balances.items() if owed])
    rows = [Receivable(m.id, m.number, m.name, m.category, balances[m.id]) for m in found.values()]
    return sorted(rows, key=lambda r: r.number)


@dataclass(frozen=True)
class CustomerReceivable:
    """A non-member customer with a 1122 balance: ``owed`` (sen; negative if they paid in advance)."""

    party_id: int
    code: str
    name: str
    owed: int


def customers_with_receivables(coop: Cooperative) -> list[CustomerReceivable]:
    """Every customer whose 1122 subledger balance is not zero, by code."""
    receivable = chart.account_for(coop, "receivable_nonmember").id
    balances = {pid: b.get(receivable, 0) for pid, b in queries.party_balances(coop, [receivable]).items()}
    ids = [pid for pid, owed in balances.items() if owed]
    found = db.session.scalars(select(Party).where(Party.cooperative_id == coop.id, Party.id.in_(ids))) if ids else []
    return sorted((CustomerReceivable(p.id, p.code, p.name, balances[p.id]) for p in found), key=lambda r: r.code)


def payments_of(coop: Cooperative, member_id: int | None = None, limit: int = 20, *, customers: bool = False) -> list[ShopPayment]:
    """The latest receivable payments (of one member, or of every member — and of every customer
    too with ``customers``), newest first."""
    kinds = RECEIVABLE_KINDS if customers and member_id is None else ("member_receivable",)
    stmt = select(ShopPayment).where(ShopPayment.cooperative_id == coop.id, ShopPayment.kind.in_(kinds))
    if member_id is not None:
        stmt = stmt.where(ShopPayment.member_id == member_id)
    return list(db.session.scalars(stmt.order_by(ShopPayment.id.desc()).limit(limit)))


def payment_accounts(coop: Cooperative) -> list:
    """The cash and bank accounts a payment may go into (not the santri-deposit bank, whose money
    belongs to the santri wallets); the till is the default."""
    return [a for a in chart.accounts(coop, postable_only=True, active_only=True)
            if a.cash_flow == "cash" and a.role not in ("bank_santri", "cash_transit")]


def get_payment(coop: Cooperative, payment_id: int) -> ShopPayment | None:
    return db.session.scalar(select(ShopPayment).where(ShopPayment.cooperative_id == coop.id, ShopPayment.id == payment_id,
                                                       ShopPayment.kind.in_(RECEIVABLE_KINDS)))


@dataclass(frozen=True)
class _Kwitansi:
    number: str
    date: date
    member_number: str
    member_name: str
    kind_label: str
    direction: str
    amount_sen: int
    description: str
    months: list
    account_name: str
    cashier_name: str


def kwitansi_context(coop: Cooperative, payment: ShopPayment) -> dict:
    """The values reports/kwitansi.html prints for a receivable payment: it names the member, or the
    customer (name and code) for a non-member's payment."""
    number_label = None
    if payment.kind == "customer_receivable":
        party = services.get_party(coop, payment.party_id)
        number, name = party.code, party.name
        number_label = str(_l("Kode pelanggan %(code)s", code=party.code))
    else:
        member = members.get_member(coop, payment.member_id)
        number, name = member.number, member.name
    cashier = auth_services.user_in_coop_or_none(coop, payment.created_by_id) if payment.created_by_id else None
    receipt = _Kwitansi(number=payment.voucher, date=payment.payment_date, member_number=number, member_name=name,
                        kind_label=str(_l("Pelunasan piutang toko")), direction="deposit", amount_sen=payment.amount,
                        description="", months=[], account_name=payment.account_name, cashier_name=cashier.name if cashier else "")
    return {"coop": coop, "receipt": receipt, "terbilang": money.terbilang(money.from_sen(payment.amount)),
            "subtitle": str(_l("Bukti Pembayaran Piutang")), "number_label": number_label}
