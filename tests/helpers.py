"""Shared test helpers: builders that use the real services, and a login helper."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from koppontren.auth import services as auth
from koppontren.auth.models import Role, User
from koppontren.extensions import db
from koppontren.tenancy import services as tenancy
from koppontren.tenancy.models import Cooperative

PASSWORD = "rahasia-123"


class Builder:
    """Creates cooperatives and users through the services, like an operator or admin would."""

    def coop(self, slug: str = "alhikmah", name: str | None = None, **profile) -> Cooperative:
        # the tests post dated history freely: their books start long before it (the default, the current
        # fiscal year's first day, is tested where the rule is)
        profile.setdefault("books_start", date(2000, 1, 1))
        return tenancy.create_cooperative(slug, name or f"Koperasi Pondok Pesantren {slug.title()}", **profile)

    def fund(self, coop: Cooperative, amount: int = 50_000_000, day: date = date(2026, 1, 2), role: str = "cash"):
        """Money in a cash account before the test spends it (a cash or bank account never ends a day
        below zero): the members' participation capital paid in on ``day``."""
        from decimal import Decimal

        from koppontren.ledger.chart import account_for
        from koppontren.ledger.posting import LineSpec, post_entry

        return post_entry(coop, entry_date=day, description="Saldo awal kas: modal penyertaan", journal_type="SA", lines=[
            LineSpec(account_for(coop, role), debit=Decimal(amount)),
            LineSpec(account_for(coop, "participation_capital"), credit=Decimal(amount))])

    def overdraft(self, coop: Cooperative, *codes: str) -> None:
        """Let cash accounts end a day below zero (RULES-2 §8.1's overdraft setting), for tests of other
        rules that pay from an unfunded Kas Besar and read its negative balance back."""
        from sqlalchemy import update

        from koppontren.extensions import db
        from koppontren.ledger.models import Account

        db.session.execute(update(Account).where(Account.cooperative_id == coop.id, Account.code.in_(codes or ("1101",)))
                           .values(allow_overdraft=True))
        db.session.commit()

    def user(self, login: str, coop: Cooperative | None = None, *roles: Role | str, operator: bool = False,
             name: str | None = None, password: str = PASSWORD) -> User:
        user = auth.get_user_by_login(login) or auth.create_user(
            login, name or login.replace(".", " ").title(), password, is_operator=operator
        )
        for role in roles:
            auth.grant_role(coop, user, role)
        return user


def login(client, login_name: str, password: str = PASSWORD, follow: bool = False):
    return client.post("/login", data={"login": login_name, "password": password}, follow_redirects=follow)


def refused_by_database(statement: str, params: dict | None = None) -> str:
    """Run raw SQL (statements separated by ";\\n") past the ORM on its own connection, expect the
    database to refuse it, and return its lower-cased message."""
    db.session.commit()  # the test's own session must not hold SQLite's write lock
    with pytest.raises(DBAPIError) as err:
        with db.engine.begin() as conn:
            for stmt in statement.split(";\n"):
                conn.execute(text(stmt), params or {})
    return str(err.value.orig).lower()


@contextmanager
def scratch_database(database_url: str, folder, name: str):
    """A second, empty database of the suite's kind (a SQLite file in ``folder``, or PostgreSQL
    ``<test db>_<name>``, dropped afterwards), for tests that need one beside the suite's own."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{folder / f'{name}.db'}"
        return
    scratch = fresh_postgres_database(database_url, name)
    try:
        yield scratch
    finally:
        _drop_postgres_database(database_url, f"{make_url(database_url).database}_{name}")


def fresh_postgres_database(database_url: str, suffix: str) -> str:
    """An empty PostgreSQL database ``<database>_<suffix>`` beside the one of ``database_url``
    (dropped first if it exists); returns its URL."""
    url = make_url(database_url)
    database = f"{url.database}_{suffix}"
    _drop_postgres_database(database_url, database, create=True)
    return url.set(database=database).render_as_string(hide_password=False)


def _drop_postgres_database(database_url: str, database: str, create: bool = False) -> None:
    admin = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            if create:
                conn.execute(text(f'CREATE DATABASE "{database}"'))
    finally:
        admin.dispose()
