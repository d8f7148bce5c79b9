"""What the printed documents show: the kwitansi of a savings transaction and the passbook
(mutasi), as plain values for the PDF templates in ``reports/``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from koppontren import money
from koppontren.auth import services as auth_services
from koppontren.members import services as members
from koppontren.savings import services
from koppontren.savings.models import SavingsTransaction
from koppontren.tenancy.models import Cooperative


@dataclass(frozen=True)
class Receipt:
    number: str
    date: object
    member_number: str
    member_name: str
    kind_label: str
    direction: str  # "deposit" | "withdrawal"
    amount_sen: int
    description: str
    months: list[str]
    account_name: str
    cashier_name: str
    cancelled: bool


def kwitansi_context(coop: Cooperative, tx: SavingsTransaction) -> dict:
    member = members.get_member(coop, tx.member_id)
    cashier = auth_services.user_by_id(tx.created_by_id) if tx.created_by_id else None
    receipt = Receipt(
        number=tx.voucher, date=tx.tx_date, member_number=member.number, member_name=member.name,
        kind_label=str(services.KIND_LABELS[tx.kind]), direction=tx.direction, amount_sen=tx.amount,
        description=tx.description, months=[services.month_label(m) for m in services.tx_months(tx)], account_name=tx.account_name,
        cashier_name=cashier.name if cashier else "", cancelled=services.is_cancelled(coop, tx),
    )
    return {"coop": coop, "receipt": receipt, "terbilang": money.terbilang(money.from_sen(tx.amount))}


def passbook_context(coop: Cooperative, member, book: services.Passbook) -> dict:
    return {
        "coop": coop, "member": _MemberView(member.number, member.name, str(members.CATEGORY_LABELS[member.category]), member.join_date),
        "kind_label": str(services.KIND_LABELS[book.kind]), "date_from": book.date_from, "date_to": book.date_to,
        "opening_sen": book.opening_sen, "rows": book.rows, "closing_sen": book.closing_sen,
        "total_debit_sen": book.total_debit_sen, "total_credit_sen": book.total_credit_sen, "printed_at": datetime.now(UTC),
    }


@dataclass(frozen=True)
class _MemberView:
    number: str
    name: str
    category_label: str
    join_date: object
