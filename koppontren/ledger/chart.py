"""The chart of accounts: seeding a new cooperative, lookup by role, and the treasurer's changes.

Code depends on account *roles* (RULES.md §1), never on literal codes: ``account_for(coop, "cash")``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from koppontren.audit.services import record
from koppontren.extensions import db
from koppontren.ledger import subledgers
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.models import Account, JournalLine
from koppontren.operations import command
from koppontren.tenancy.models import Cooperative

TEMPLATE = Path(__file__).parent / "data" / "chart-of-accounts.csv"
CASH_FLOW_CATEGORIES = ("cash", "operating", "investing", "financing", "noncash")
CODE_RE = re.compile(r"^\d{1,12}$")
#: Roles of the cash accounts (RULES-2 conventions): money a cooperative holds, in hand or at a bank.
#: ``cash_transit`` (1105 Kas dalam Perjalanan) holds money between two of the others on its way.
CASH_ROLES = ("cash", "petty_cash", "till", "bank", "bank_santri", "cash_transit")


def reserved_by(account: Account):
    """The label of the module that keeps ``account`` to itself (subledgers.reserve_roles), or None:
    anyone with ledger.post may use it. Forms use it to leave such accounts out."""
    reserved = subledgers.reserved(account.role)
    return reserved.label if reserved is not None else None


def template_rows(path: Path = TEMPLATE) -> list[dict[str, str]]:
    """The default chart (``chart-of-accounts.csv``: code, parent, names, type, normal balance, …)."""
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def seed_chart(coop: Cooperative, path: Path = TEMPLATE) -> int:
    """Give a new cooperative the default chart; idempotent (does nothing if it has accounts)."""
    if db.session.scalar(select(exists().where(Account.cooperative_id == coop.id))):
        return 0
    by_code: dict[str, Account] = {}
    for row in template_rows(path):  # parents come before children in the file
        parent = by_code.get(row["parent"]) if row["parent"] else None
        account = Account(
            cooperative_id=coop.id, code=row["code"], parent_id=parent.id if parent else None,
            name_id=row["name_id"], name_en=row["name_en"], type=row["type"],
            normal_balance=row["normal_balance"], postable=row["postable"] == "yes",
            role=row["role"] or None, subledger=row["subledger"] or None,
            statement_section=row["statement_section"] or None, cash_flow=row["cash_flow"] or None, active=True,
        )
        db.session.add(account)
        db.session.flush()
        by_code[account.code] = account
    return len(by_code)


def account_for(coop: Cooperative | int, role: str) -> Account:
    """The account that plays ``role`` in the cooperative. Raises LedgerError("unknown_account")."""
    coop_id = coop if isinstance(coop, int) else coop.id
    account = db.session.scalar(select(Account).where(Account.cooperative_id == coop_id, Account.role == role))
    if account is None:
        raise LedgerError("unknown_account", _l("Tidak ada akun dengan peran %(role)s.", role=role))
    return account


def accounts_by_role(coop: Cooperative | int, roles) -> dict[str, Account]:
    """role -> account for several roles in one query (a sale needs half a dozen). Raises
    LedgerError("unknown_account") if one is missing."""
    coop_id = coop if isinstance(coop, int) else coop.id
    roles = set(roles)
    found = {a.role: a for a in db.session.scalars(select(Account).where(Account.cooperative_id == coop_id, Account.role.in_(roles)))}
    missing = sorted(roles - set(found))
    if missing:
        raise LedgerError("unknown_account", _l("Tidak ada akun dengan peran %(role)s.", role=", ".join(missing)))
    return found


def cash_accounts(coop: Cooperative | int, *, roles=CASH_ROLES, active_only: bool = True) -> list[Account]:
    """The postable accounts with one of the cash ``roles``, by code."""
    coop_id = coop if isinstance(coop, int) else coop.id
    stmt = select(Account).where(Account.cooperative_id == coop_id, Account.postable.is_(True), Account.role.in_(tuple(roles)))
    if active_only:
        stmt = stmt.where(Account.active.is_(True))
    return list(db.session.scalars(stmt.order_by(Account.code)))


def account_by_code(coop: Cooperative | int, code: str) -> Account | None:
    coop_id = coop if isinstance(coop, int) else coop.id
    return db.session.scalar(select(Account).where(Account.cooperative_id == coop_id, Account.code == str(code).strip()))


def accounts(coop: Cooperative, *, postable_only: bool = False, active_only: bool = False) -> list[Account]:
    stmt = select(Account).where(Account.cooperative_id == coop.id)
    if postable_only:
        stmt = stmt.where(Account.postable.is_(True))
    if active_only:
        stmt = stmt.where(Account.active.is_(True))
    return list(db.session.scalars(stmt.order_by(Account.code)))


def has_lines(account: Account) -> bool:
    return bool(db.session.scalar(select(exists().where(
        JournalLine.cooperative_id == account.cooperative_id, JournalLine.account_id == account.id))))


@command("ledger.add_account")
def add_account(
    coop: Cooperative, *, parent_code: str, code: str, name_id: str, name_en: str | None = None,
    subledger: str | None = None, cash_flow: str | None = None, actor=None,
) -> Account:
    """Add a postable sub-account under a header. Type, normal balance and statement section come
    from the header; the code must extend the header's code. Audited."""
    parent = account_by_code(coop, parent_code)
    if parent is None or parent.postable:
        raise LedgerError("unknown_account", _l("Akun induk harus akun kelompok (header)."), {"parent_code": _l("Bukan header.")})
    code = (code or "").strip()
    if not CODE_RE.match(code) or not code.startswith(parent.code) or len(code) <= len(parent.code):
        raise LedgerError("invalid_code", _l("Kode akun harus angka yang diawali kode induknya (%(parent)s).", parent=parent.code),
                          {"code": _l("Kode tidak sah.")})
    if account_by_code(coop, code) is not None:
        raise LedgerError("duplicate_code", _l("Kode akun %(code)s sudah ada.", code=code), {"code": _l("Sudah ada.")})
    name_id = (name_id or "").strip()
    if not name_id:
        raise LedgerError("invalid_description", _l("Nama akun wajib diisi."), {"name_id": _l("Wajib diisi.")})
    if subledger not in (None, "", "member", "party"):
        raise LedgerError("invalid_line", _l("Buku pembantu tidak dikenal."), {"subledger": _l("Tidak dikenal.")})
    if cash_flow not in (None, "", *CASH_FLOW_CATEGORIES):
        raise LedgerError("invalid_line", _l("Kategori arus kas tidak dikenal."), {"cash_flow": _l("Tidak dikenal.")})
    if not (cash_flow or parent.cash_flow):
        raise LedgerError("invalid_line", _l("Pilih kategori arus kas akun ini (kas, operasi, investasi, pendanaan, nonkas)."),
                          {"cash_flow": _l("Wajib dipilih.")})
    account = Account(
        cooperative_id=coop.id, code=code, parent_id=parent.id, name_id=name_id,
        name_en=(name_en or "").strip() or name_id, type=parent.type, normal_balance=parent.normal_balance,
        postable=True, role=None, subledger=subledger or None, statement_section=parent.statement_section,
        cash_flow=cash_flow or parent.cash_flow, active=True,
    )
    db.session.add(account)
    db.session.flush()
    record("account.created", cooperative_id=coop.id, actor_id=getattr(actor, "id", None), code=code, name=name_id)
    return account


@command("ledger.rename_account")
def rename_account(account: Account, *, name_id: str, name_en: str | None = None, actor=None) -> Account:
    name_id = (name_id or "").strip()
    if not name_id:
        raise LedgerError("invalid_description", _l("Nama akun wajib diisi."), {"name_id": _l("Wajib diisi.")})
    old = account.name_id
    account.name_id = name_id
    account.name_en = (name_en or "").strip() or account.name_en
    record("account.renamed", cooperative_id=account.cooperative_id, actor_id=getattr(actor, "id", None),
           code=account.code, old=old, new=name_id)
    return account


@command("ledger.set_account_active")
def set_active(account: Account, active: bool, *, actor=None) -> Account:
    """Deactivate (no new postings; history stays) or reactivate an account. Accounts the modules post
    to by role, and accounts that still have a balance, stay active (raises ``account_in_use``)."""
    if not active and account.active:
        if account.role:
            raise LedgerError("account_in_use", _l("Akun %(code)s dipakai modul (peran %(role)s); tidak bisa dinonaktifkan.",
                                                   code=account.code, role=account.role))
        net = db.session.scalar(select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0)).where(
            JournalLine.cooperative_id == account.cooperative_id, JournalLine.account_id == account.id))
        if net:
            raise LedgerError("account_in_use", _l("Akun %(code)s masih bersaldo; kosongkan dulu saldonya.", code=account.code))
    if account.active != active:
        account.active = active
        record("account.activated" if active else "account.deactivated", cooperative_id=account.cooperative_id,
               actor_id=getattr(actor, "id", None), code=account.code)
        return account


@command("ledger.delete_account")
def delete_account(account: Account, *, actor=None) -> None:
    """Only an unused sub-account a treasurer added may be deleted; anything with lines, children or a
    role stays (deactivate it instead)."""
    children = db.session.scalar(select(exists().where(
        Account.cooperative_id == account.cooperative_id, Account.parent_id == account.id)))
    if account.role or children or has_lines(account):
        raise LedgerError("account_has_lines", _l("Akun ini sudah dipakai atau bagian dari bagan baku; nonaktifkan saja."))
    record("account.deleted", cooperative_id=account.cooperative_id, actor_id=getattr(actor, "id", None), code=account.code)
    db.session.delete(account)
