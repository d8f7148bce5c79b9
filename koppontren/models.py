"""Imports every model module so the metadata (and Alembic autogenerate) sees every table."""

from koppontren.audit.models import AuditEvent  # noqa: F401
from koppontren.auth.models import ApiToken, LoginDelay, RoleAssignment, User  # noqa: F401
from koppontren.cashbank.models import CashTransfer  # noqa: F401
from koppontren.ledger.models import Account, JournalEntry, JournalLine, LedgerHead, Period, VoucherCounter  # noqa: F401
from koppontren.members.models import Member, MemberSettings  # noqa: F401
from koppontren.operations.models import OperationKey  # noqa: F401
from koppontren.savings.models import SavingsSettings, SavingsTransaction, WajibMonth, WajibRate  # noqa: F401
from koppontren.shop.models import (  # noqa: F401
    CashierClose,
    CreditLimit,
    Party,
    Product,
    Purchase,
    PurchaseLine,
    Sale,
    SaleLine,
    ShopPayment,
    StockMove,
)
from koppontren.shu.models import ShuPayout, ShuRules, ShuRun, ShuShare  # noqa: F401
from koppontren.tenancy.models import Cooperative  # noqa: F401
from koppontren.wallet.models import (  # noqa: F401
    Santri,
    SantriWali,
    WalletCard,
    WalletSettings,
    WalletTransaction,
    WalletTransit,
)
