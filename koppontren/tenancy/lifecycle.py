"""What other packages do when a cooperative is created or its books start moves, without the
tenancy package importing them (it sits below every domain package).

The ledger plugs in here through its ``wiring.register``: a new cooperative gets its chart of
accounts and the start of its hash chain, and the books start moves only while the ledger allows
it. Hooks are keyed by the registering package's name (registering it again replaces it) and run
in the order they were first registered, inside the caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from koppontren.tenancy.models import Cooperative

#: fn(coop) after the new cooperative's row is flushed (it has an id), before its creation is audited
_CREATED: dict[str, Callable[[Cooperative], None]] = {}
#: fn(coop, new_books_start) before the books start moves; raises TenancyError to refuse
_BOOKS_START_GUARDS: dict[str, Callable[[Cooperative, date], None]] = {}


def on_created(name: str, fn: Callable[[Cooperative], None]) -> None:
    _CREATED[name] = fn


def on_books_start_move(name: str, fn: Callable[[Cooperative, date], None]) -> None:
    _BOOKS_START_GUARDS[name] = fn


def created(coop: Cooperative) -> None:
    for fn in _CREATED.values():
        fn(coop)


def books_start_moving(coop: Cooperative, new: date) -> None:
    for guard in _BOOKS_START_GUARDS.values():
        guard(coop, new)


def created_hook_names() -> list[str]:
    return list(_CREATED)


def books_start_guard_names() -> list[str]:
    return list(_BOOKS_START_GUARDS)
