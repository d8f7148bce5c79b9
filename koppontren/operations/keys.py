"""One way to replay: a state-changing service declared with :func:`command` runs in the unit of
work, and when it is given an ``idempotency_key`` the key is claimed in the one operation-key table
in that same unit. The same key with the same arguments returns the first result; the same key with
other arguments is a conflict. Web forms (a hidden key per rendered form), the POS, the CLI and the
API all reach services this way, so a replay is recognised the same whichever door it came through.

Claiming is an ``INSERT … ON CONFLICT DO NOTHING`` inside the unit: on PostgreSQL a twin request
with the same key waits on the first one's row until it commits (then replays it) or rolls back
(then runs itself); on SQLite writers are serialised by ``BEGIN IMMEDIATE`` anyway.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import inspect
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from koppontren.errors import DomainError
from koppontren.extensions import db
from koppontren.operations.models import OperationKey
from koppontren.operations.unit import unit_of_work
from koppontren.tenancy.models import utcnow

F = TypeVar("F", bound=Callable[..., Any])

MAX_KEY = 200
#: arguments that say who and how, not what: never part of the fingerprint
NOT_CONTENT = frozenset({"coop", "actor", "idempotency_key"})


class OperationConflict(DomainError):  # noqa: N818 - named for what it is, like the other domain refusals
    """The key was already used for another operation or other content (HTTP 409)."""

    def __init__(self) -> None:
        super().__init__("idempotency_conflict", _l("Kunci ini sudah dipakai untuk permintaan lain."),
                         {"idempotency_key": _l("Sudah dipakai.")})


# --- the content of a call, canonically ---------------------------------------------------------

def canonical(value: Any) -> Any:
    """A JSON-able form of a service argument that is equal exactly when the content is: amounts by
    value (``Decimal("1000.00")`` is ``1000``), rows by table and id, dates in ISO form, a float
    apart from the Decimal of the same value. Raises TypeError for a value it can't compare safely
    (rather than guessing)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return "D" + format(value.normalize(), "f") if value.is_finite() else "D" + str(value)
    if isinstance(value, float):  # never money (the service refuses it), but its refusal is replayed like any other
        return "F" + repr(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return canonical(value.value)
    if isinstance(value, db.Model):
        return {"row": value.__table__.name, "id": db.inspect(value).identity[0] if db.inspect(value).identity else None}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, bytes):
        return "B" + hashlib.sha256(value).hexdigest()
    raise TypeError(f"can't fingerprint a {type(value).__name__}")


def fingerprint(operation: str, arguments: dict[str, Any]) -> str:
    """SHA-256 of the operation's name and its content arguments."""
    text = json.dumps([operation, canonical(arguments)], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# --- what a command returned, as a reference ----------------------------------------------------

def _table_classes() -> dict[str, type]:
    return {m.local_table.name: m.class_ for m in db.Model.registry.mappers}


def dump_result(value: Any) -> str | None:
    """A reference to the result that reloads it later: rows by table and id, sequences of them,
    plain values as they are."""
    def ref(v: Any) -> Any:
        if v is None or isinstance(v, (bool, int, str)):
            return {"v": v}
        if isinstance(v, Decimal):
            return {"d": str(v)}
        if isinstance(v, db.Model):
            identity = db.inspect(v).identity
            if identity is None:
                db.session.flush()
                identity = db.inspect(v).identity
            return {"t": v.__table__.name, "id": identity[0]}
        if isinstance(v, (list, tuple)):
            return {"seq": [ref(x) for x in v], "tuple": isinstance(v, tuple)}
        raise TypeError(f"a command's result must be rows or plain values, not {type(v).__name__}")
    return json.dumps(ref(value), separators=(",", ":"))


def load_result(text: str | None) -> Any:
    """The result a reference names, loaded again; rows carry ``was_replayed = True``."""
    if text is None:
        return None
    classes = _table_classes()

    def load(r: dict) -> Any:
        if "v" in r:
            return r["v"]
        if "d" in r:
            return Decimal(r["d"])
        if "seq" in r:
            items = [load(x) for x in r["seq"]]
            return tuple(items) if r["tuple"] else items
        row = db.session.get(classes[r["t"]], r["id"])
        if row is not None:
            row.was_replayed = True
        return row
    return load(json.loads(text))


def _mark_first(value: Any) -> None:
    if isinstance(value, db.Model):
        value.was_replayed = False
    elif isinstance(value, (list, tuple)):
        for v in value:
            _mark_first(v)


# --- claiming a key -----------------------------------------------------------------------------

def _coop_id(coop: Any) -> int:
    return coop if isinstance(coop, int) else db.inspect(coop).identity[0]


def claim(coop_id: int, key: str, operation: str, digest: str) -> OperationKey | None:
    """Claim ``key`` for this operation inside the current unit of work. Returns None when the key is
    new (it is now this unit's), or the row that already holds it (committed by an earlier unit)."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (insert(OperationKey.__table__)
            .values(cooperative_id=coop_id, key=key, operation=operation, request_hash=digest, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["cooperative_id", "key"])
            .returning(OperationKey.__table__.c.id))
    if db.session.execute(stmt).scalar() is not None:
        return None
    return db.session.scalar(select(OperationKey).where(OperationKey.cooperative_id == coop_id, OperationKey.key == key))


def _replay(row: OperationKey, operation: str, digest: str) -> Any:
    if row.operation != operation or row.request_hash != digest:
        raise OperationConflict()
    return load_result(row.result_ref)


def command(operation: str, *, exclude: frozenset[str] | set[str] = frozenset()) -> Callable[[F], F]:
    """Declare a state-changing service: ``fn(coop, …, idempotency_key=None, …)`` runs in the unit of
    work, and with a key it runs at most once per (cooperative, key) — see the module's docstring.

    ``exclude`` names further arguments that are not content (a progress callback, say). The result
    must be a row, a sequence of rows or a plain value (see :func:`dump_result`); the first run's
    rows carry ``was_replayed = False``, a replay's ``True``.
    """
    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)
        skip = NOT_CONTENT | set(exclude)

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            key = (bound.arguments.get("idempotency_key") or "").strip()[:MAX_KEY]
            with unit_of_work():
                if not key:
                    return fn(*args, **kwargs)
                bound.apply_defaults()
                coop_id = _coop_id(bound.arguments["coop"])
                digest = fingerprint(operation, {k: v for k, v in bound.arguments.items() if k not in skip})
                if (held := claim(coop_id, key, operation, digest)) is not None:
                    return _replay(held, operation, digest)
                result = fn(*args, **kwargs)
                db.session.execute(update(OperationKey).where(
                    OperationKey.cooperative_id == coop_id, OperationKey.key == key).values(result_ref=dump_result(result)))
                _mark_first(result)
                return result

        run.operation = operation  # type: ignore[attr-defined]
        return run  # type: ignore[return-value]
    return decorate
