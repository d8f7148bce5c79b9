"""The ledger's plug-ins: how it checks the member or party a line names, which reversals a domain
refuses and which accounts a domain keeps to itself — without importing the packages that own
those records (``ledger`` imports no domain package).

Nothing registers itself on import: each domain's ``wiring.register(wiring)`` plugs its hooks in,
called once by ``create_app`` through :mod:`koppontren.wiring` (e.g. the members package registers
the ``member`` subledger, the shop ``party``). Registering a name again replaces it, so building a
second app changes nothing. Until a kind is registered, lines that need it are refused with
``subledger_unavailable``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Subledger:
    kind: str
    #: (cooperative_id, id) -> bool: the record exists in that cooperative
    exists: Callable[[int, int], bool]
    #: (cooperative_id, human number/code) -> id or None, for imports and the API
    by_number: Callable[[int, str], int | None]
    #: (cooperative_id, id) -> label shown in ledgers ("A-0042 Siti Aminah")
    label: Callable[[int, int], str] | None = None


_REGISTRY: dict[str, Subledger] = {}


#: Checks a domain module runs before an entry touching its accounts is reversed (before the ledger
#: lock, so a guard may lock its own rows in the same order its module does): fn(coop, entry) raises
#: LedgerError to refuse (e.g. reversing a sukarela deposit that was
#: already withdrawn would leave the member's balance below zero). Keyed by the domain's name, run
#: in the order they were first registered.
_REVERSAL_GUARDS: dict[str, Callable] = {}


def register_reversal_guard(name: str, fn: Callable) -> None:
    _REVERSAL_GUARDS[name] = fn


def reversal_guards() -> list[Callable]:
    return list(_REVERSAL_GUARDS.values())


def reversal_guard_names() -> list[str]:
    return list(_REVERSAL_GUARDS)


def register(kind: str, *, exists, by_number, label=None) -> None:
    _REGISTRY[kind] = Subledger(kind, exists, by_number, label)


def unregister(kind: str) -> None:
    _REGISTRY.pop(kind, None)


def get(kind: str) -> Subledger | None:
    return _REGISTRY.get(kind)


def kinds() -> list[str]:
    return list(_REGISTRY)


@dataclass(frozen=True)
class Reserved:
    """Accounts (by role) a module keeps to itself: ``label`` names the module in refusals;
    ``sources`` are the posting sources it posts with (reversals are always allowed: the module's
    reversal guard decides)."""

    label: object
    sources: frozenset[str]


_RESERVED: dict[str, Reserved] = {}


def reserve_roles(label, roles, sources) -> None:
    """Called by a domain module at start-up: only postings with one of ``sources`` may touch
    accounts of these roles (post_entry refuses the others with ``module_only_account``)."""
    for role in roles:
        _RESERVED[role] = Reserved(label, frozenset(sources))


def reserved(role: str | None) -> Reserved | None:
    return _RESERVED.get(role) if role else None


def reserved_roles() -> dict[str, Reserved]:
    return dict(_RESERVED)
