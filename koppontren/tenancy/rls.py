"""Row-level security on PostgreSQL: which cooperative's rows the database shows this transaction.

The scoping helpers (tenancy.scoping) are the first lock; this is the second. Every tenant table
has forced row-level security (migration 0021): the app's role (``koppontren_app``, owner of
nothing) sees and writes only the rows of the cooperative named by the transaction's
``app.cooperative_id`` — unset, none at all (a forgotten filter fails closed). The setting is made
with ``set_config(…, true)`` (``SET LOCAL``) at the start of every transaction of the app's engine
(``apply_on_begin``, hooked in create_app), from the *scope* of the current app context:

- a cooperative's page or API call: :func:`use_cooperative`, called where the request's cooperative
  is resolved (tenancy.current, the API's authentication), for the rest of the request;
- before that, what the request needs to find its cooperative: :func:`identify_user` (the session's
  user may read their own role assignments) and :func:`present_api_token` (the API token the
  request presents may be read, to compare its hash);
- work that spans cooperatives — the operator's pages, the command line, background jobs,
  backups, the data generator — runs inside :func:`bypass`, which names its reason and records an
  ``rls.bypass`` audit event first.

A change of scope also applies at once to the session's open transaction. Nothing happens on
SQLite, which has no row-level security.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from flask import g, has_app_context
from sqlalchemy import insert, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, PendingRollbackError

from koppontren.audit.models import AuditEvent
from koppontren.audit.services import event_values
from koppontren.extensions import db

#: The role the app connects as on PostgreSQL (README: how to create it). Not the tables' owner, not
#: a superuser, no BYPASSRLS: any of those would see every cooperative's rows.
APP_ROLE = "koppontren_app"
#: The settings the policies read, and the names of the policies every tenant table must carry.
SETTINGS = ("app.cooperative_id", "app.user_id", "app.api_token_id", "app.rls_bypass")
TENANT_POLICIES = ("koppontren_tenant", "koppontren_bypass")
BYPASS_ACTION = "rls.bypass"

_G_KEY = "rls_scope"


@dataclass(frozen=True)
class Scope:
    """What the database shows the current app context: one cooperative's rows (``cooperative_id``),
    a person's own role assignments (``user_id``), one presented API token (``api_token_id``), or —
    ``bypass`` holding its reason — every row."""

    cooperative_id: int | None = None
    user_id: int | None = None
    api_token_id: int | None = None
    bypass: str | None = None

    def settings(self) -> tuple[str, str, str, str]:
        """The values of SETTINGS, in order ('' for unset)."""
        return (
            "" if self.cooperative_id is None else str(int(self.cooperative_id)),
            "" if self.user_id is None else str(int(self.user_id)),
            "" if self.api_token_id is None else str(int(self.api_token_id)),
            "on" if self.bypass else "",
        )


NOTHING = Scope()
_SET_ALL = "SELECT " + ", ".join(f"set_config('{name}', %s, true)" for name in SETTINGS)
_PARAMS = tuple(f"v{i}" for i in range(len(SETTINGS)))
_SET_ALL_BOUND = text("SELECT " + ", ".join(f"set_config('{name}', :{p}, true)" for name, p in zip(SETTINGS, _PARAMS, strict=True)))
_IN_FAILED_TRANSACTION = "25P02"


def current() -> Scope:
    """The scope of the current app context; outside one: nothing (no rows)."""
    if not has_app_context():
        return NOTHING
    return g.get(_G_KEY, NOTHING)


def set_scope(scope: Scope) -> Scope:
    """Make ``scope`` the current one — for this app context's next transactions and the session's
    open one — and return the previous. The only way in that records nothing: app code uses
    :func:`use_cooperative`, :func:`identify_user`, :func:`present_api_token` or :func:`bypass`
    (the test suite's own fixtures, which build and check data around the requests, use it too)."""
    previous = current()
    setattr(g, _G_KEY, scope)
    if scope != previous and db.session.registry.has() and db.session().in_transaction() \
            and db.engine.dialect.name == "postgresql":
        try:
            db.session.execute(_SET_ALL_BOUND, dict(zip(_PARAMS, scope.settings(), strict=True)))
        except PendingRollbackError:
            pass  # a failed transaction runs nothing more: the next one begins with the new scope
        except DBAPIError as err:
            if getattr(err.orig, "sqlstate", None) != _IN_FAILED_TRANSACTION:
                raise
    return previous


def use_cooperative(cooperative_id: int) -> None:
    """From now on in this request (or app context) the database shows ``cooperative_id``'s rows."""
    set_scope(replace(current(), cooperative_id=cooperative_id))


def identify_user(user_id: int) -> None:
    """The session's user (its signed cookie names them) may read their own role assignments — in
    every cooperative: the list of their cooperatives, the roles behind a cooperative's page."""
    set_scope(replace(current(), user_id=user_id))


def present_api_token(token_id: int) -> None:
    """The API token a request presents may be read (its hash is then compared by the app)."""
    set_scope(replace(current(), api_token_id=token_id))


@contextmanager
def bypass(reason: str) -> Iterator[None]:
    """Every cooperative's rows, for the work inside the block: an operator's page, a command,
    a job, a backup. Records an ``rls.bypass`` audit event with ``reason`` first, in its own
    transaction (kept whatever becomes of the work), where there is row-level security to
    bypass (PostgreSQL). Nested bypasses record only the outermost."""
    previous = current()
    if previous.bypass:
        yield
        return
    if db.engine.dialect.name == "postgresql":
        _record_bypass(reason, previous)
    set_scope(replace(previous, bypass=reason))
    try:
        yield
    finally:
        set_scope(previous)


def _record_bypass(reason: str, scope: Scope) -> None:
    values = event_values(BYPASS_ACTION, reason=reason, within=scope.cooperative_id)
    with db.engine.begin() as conn:  # a platform event: no cooperative, appended by anyone
        conn.execute(insert(AuditEvent).values(**values))


def apply_on_begin(conn: Connection) -> None:
    """Engine ``begin`` hook: the current scope's settings for the transaction starting on ``conn``
    (PostgreSQL only). Nothing to send when the scope is empty: ``SET LOCAL`` values end with their
    transaction, so a pooled connection starts every transaction with none."""
    if conn.dialect.name != "postgresql":
        return
    scope = current()
    if scope == NOTHING:
        return
    # straight to the driver, as SQLite's BEGIN: this runs before every transaction of the request
    conn.connection.driver_connection.execute(_SET_ALL, scope.settings())


def copy_rows(cursor, table: str, columns: tuple[str, ...] | list[str], rows) -> None:
    """PostgreSQL's COPY … FROM into ``table`` for a role bound by row-level security, which COPY
    refuses: the rows are copied into a temporary table of just these columns, then inserted with
    one ``INSERT … SELECT``, whose rows the policies check like any insert's. ``cursor`` is a
    psycopg cursor of the transaction (the bulk writers of the ledger and the shop)."""
    names = ", ".join(columns)
    staging = f"copy_{table}"
    cursor.execute(f"CREATE TEMPORARY TABLE {staging} AS SELECT {names} FROM {table} WITH NO DATA")  # noqa: S608 - our own names
    with cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging}")  # noqa: S608 - our own names
    cursor.execute(f"DROP TABLE {staging}")
