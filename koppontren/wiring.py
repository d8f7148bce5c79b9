"""Explicit wiring: where every domain package plugs its rules into the ledger, the shop and a
cooperative's life cycle — in one visible call per package, made once by ``create_app``.

Nothing registers itself on import. Each package listed in :data:`DOMAINS` has a module
``wiring`` with ``register(wiring: Wiring)``, which names each of its hooks::

    def register(wiring) -> None:
        wiring.reversal_guard("shop", reversals.guard_reversal)
        wiring.integrity_check("inventory equals stock values", services.inventory_check, _l("…"))

:func:`registry` lists what is plugged in, by name (``tests/test_wiring.py`` asserts all of it).
A package that joins (loans, assets, …) adds its ``wiring`` module to :data:`DOMAINS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from koppontren.auth import wiring as auth_wiring
from koppontren.ledger import integrity, subledgers
from koppontren.ledger import wiring as ledger_wiring
from koppontren.members import wiring as members_wiring
from koppontren.savings import wiring as savings_wiring
from koppontren.shop import payments
from koppontren.shop import wiring as shop_wiring
from koppontren.shu import wiring as shu_wiring
from koppontren.tenancy import current, lifecycle
from koppontren.tenancy.models import Cooperative
from koppontren.wallet import wiring as wallet_wiring

#: every package with hooks, in the order they are wired (reversal guards and checks run in it)
DOMAINS = (auth_wiring, ledger_wiring, members_wiring, savings_wiring, shop_wiring, shu_wiring, wallet_wiring)


class Wiring:
    """What a package may plug in. Each call names its hook; the same name again replaces it."""

    def subledger(self, kind: str, *, exists: Callable[[int, int], bool], by_number: Callable[[int, str], int | None],
                  label: Callable[[int, int], str] | None = None) -> None:
        """Journal lines may name a record of ``kind`` (``ledger.subledgers``)."""
        subledgers.register(kind, exists=exists, by_number=by_number, label=label)

    def reversal_guard(self, name: str, fn: Callable) -> None:
        """``fn(coop, entry)`` runs before an entry is reversed and raises LedgerError to refuse."""
        subledgers.register_reversal_guard(name, fn)

    def reserve_roles(self, label: object, roles: Iterable[str], *, sources: Iterable[str]) -> None:
        """Accounts of these roles take only postings with one of ``sources`` (``module_only_account``)."""
        subledgers.reserve_roles(label, tuple(roles), tuple(sources))

    def integrity_check(self, name: str, fn: Callable[[Cooperative], list], label: object) -> None:
        """A ``koppontren check`` item after the ledger's own (``ledger.integrity``)."""
        integrity.register_check(name, fn, label)

    def payment_method(self, name: str, method: payments.PaymentMethod) -> None:
        """The shop accepts ``payment=name`` and lets ``method`` charge and settle it (``shop.payments``)."""
        payments.register(name, method)

    def on_cooperative_created(self, name: str, fn: Callable[[Cooperative], None]) -> None:
        """``fn(coop)`` sets up a new cooperative in its creation's unit of work (``tenancy.lifecycle``)."""
        lifecycle.on_created(name, fn)

    def books_start_guard(self, name: str, fn: Callable[[Cooperative, date], None]) -> None:
        """``fn(coop, new_date)`` raises TenancyError to refuse moving the books start."""
        lifecycle.on_books_start_move(name, fn)

    def coop_page_roles(self, name: str, fn: Callable) -> None:
        """``fn(coop, roles)`` loads the user's roles behind every cooperative page, 404 without one
        (``tenancy.current``; one only: registering another replaces it)."""
        current.set_role_loader(name, fn)


def wire() -> None:
    """Plug every package's hooks in (idempotent: a second app changes nothing)."""
    wiring = Wiring()
    for domain in DOMAINS:
        domain.register(wiring)


def registry() -> dict[str, object]:
    """Everything plugged in, by name, in the order it runs."""
    return {
        "subledgers": subledgers.kinds(),
        "reversal_guards": subledgers.reversal_guard_names(),
        "reserved_roles": {role: (str(r.label), sorted(r.sources)) for role, r in subledgers.reserved_roles().items()},
        "integrity_checks": integrity.check_names(),
        "payment_methods": list(payments.names()),
        "cooperative_created": lifecycle.created_hook_names(),
        "books_start_guards": lifecycle.books_start_guard_names(),
        "coop_page_roles": current.role_loader_name(),
    }
