"""Test fixtures: one migrated database per run — per worker under pytest-xdist — (SQLite, or
PostgreSQL when KOPPONTREN_TEST_DATABASE_URL is set), emptied before every test; builders that go through the
services like a user would.

On PostgreSQL the schema is made by the URL's user (the tables' owner, a superuser here) and the app
connects as ``koppontren_app`` (made here if missing: owner of nothing, no superuser, no BYPASSRLS),
so every request runs under forced row-level security. The tests' own code around the requests —
builders, direct service calls, assertions — runs in app contexts of the suite's, which see every
cooperative (the test harness's unaudited scope, ``harness_sees_every_cooperative``); each request of
the test client starts with no scope at all, as in production."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from flask import appcontext_pushed, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, pool, text
from sqlalchemy.exc import DBAPIError

from koppontren import create_app
from koppontren.extensions import db, limiter
from koppontren.tenancy import rls
from tests.helpers import Builder, fresh_postgres_database

PG_URL = os.environ.get("KOPPONTREN_TEST_DATABASE_URL")
#: The ledger's "today" in the tests (it refuses entries dated after today): the suite's worked
#: examples post whole fiscal years, up to 2027, and close them. Packages that pin their own today
#: (shop, savings, wallet, SHU) pin the ledger's to the same day; the date rules' own tests set it
#: where they need it (``ledger_today``).
LEDGER_TODAY = date(2027, 12, 31)


def _normalise(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


#: The app's role (a cluster-wide name: made once, by whichever worker comes first).
_CREATE_APP_ROLE = f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{rls.APP_ROLE}') THEN
    CREATE ROLE {rls.APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$
"""


def _reset_postgres(url: str) -> None:
    """An empty public schema, and the app's role (see the module's docstring)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text(_CREATE_APP_ROLE))
    engine.dispose()


def app_role_url(owner_url: str) -> str:
    """The same database, as the app's role (CI and the test machine trust local connections)."""
    return make_url(owner_url).set(username=rls.APP_ROLE, password=None).render_as_string(hide_password=False)


def _worker_database(url: str) -> str:
    """Under pytest-xdist every worker gets its own PostgreSQL database, ``<name>_<worker>`` (made
    afresh beside the one named by KOPPONTREN_TEST_DATABASE_URL): the workers empty their database
    before every test and must not empty each other's. Without xdist: the named database itself."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    return fresh_postgres_database(url, worker)


@pytest.fixture(autouse=True)
def ledger_today(monkeypatch):
    """Pin the ledger's today to LEDGER_TODAY; returns a function that pins it to another day."""
    from koppontren.ledger import posting

    def pin(day: date) -> date:
        monkeypatch.setattr(posting, "today", lambda: day)
        return day

    pin(LEDGER_TODAY)
    return pin


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """The test database, as its owner. SQLite: a file in the session's (under xdist: the worker's)
    temporary folder."""
    if PG_URL:
        url = _worker_database(_normalise(PG_URL))
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context — its own ``g`` and database session, and no
    row-level security scope until the request finds its cooperative — as in production, even while
    the test holds an app context of its own. The test's open transaction is committed first, so the
    request sees the test's data and SQLite's write lock is free."""

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
        with self.application.app_context():
            rls.set_scope(rls.NOTHING)
            return super().open(*args, **kwargs)


#: The scope of the suite's own app contexts (not of the requests: IsolatedClient clears it).
TEST_HARNESS = rls.Scope(bypass="tests: builders and assertions around the requests")


def harness_sees_every_cooperative(sender, **extra) -> None:
    rls.set_scope(TEST_HARNESS)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    settings = {"SQLALCHEMY_DATABASE_URI": database_url}
    if database_url.startswith("postgresql"):
        settings = {"SQLALCHEMY_DATABASE_URI": app_role_url(database_url), "MIGRATE_DATABASE_URI": database_url}
    app = create_app("testing", WTF_CSRF_ENABLED=False, **settings)
    app.test_client_class = IsolatedClient
    app.instance_path = str(instance)
    appcontext_pushed.connect(harness_sees_every_cooperative, app)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        shutil.copyfile(path, str(path) + ".template")
    return app


def _sqlite_path(app) -> Path | None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    return Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite") else None


#: PostgreSQL: every table emptied in one round trip. DELETE, not TRUNCATE: a TRUNCATE of the ~30 tables
#: makes new files for each table, index and TOAST table and syncs them at commit — ~0.3–1 s, most of a
#: short test's time. ``session_replication_role = replica`` (for this transaction only; needs the
#: superuser the suite runs as) keeps the append-only row triggers and the foreign keys from firing, so
#: the triggers still refuse every other DELETE; the sequences that were used go back to 1, as RESTART
#: IDENTITY did.
_DELETE_ALL = """
DO $$
DECLARE t text; s text;
BEGIN
  SET LOCAL session_replication_role = replica;
  FOREACH t IN ARRAY string_to_array('{tables}', ',') LOOP
    EXECUTE format('DELETE FROM %I', t);
  END LOOP;
  FOR s IN SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL LOOP
    PERFORM setval(quote_ident(s), 1, false);
  END LOOP;
END $$
"""
#: ... and every so many tests a TRUNCATE after all, which throws the dead rows away (the server may run
#: without autovacuum, and dead rows would slowly make every scan of the suite longer).
TRUNCATE_EVERY = int(os.environ.get("KOPPONTREN_TEST_TRUNCATE_EVERY", "100"))  # 1: always TRUNCATE (to compare)
_resets = {"count": 0, "delete": True}


_owner_engines: dict[str, object] = {}


def _owner_engine(app):
    """PostgreSQL: the tables' owner empties them (the app's role may not, and sees only one
    cooperative's rows)."""
    url = app.config.get("MIGRATE_DATABASE_URI") or app.config["SQLALCHEMY_DATABASE_URI"]
    if url not in _owner_engines:
        _owner_engines[url] = create_engine(url, poolclass=pool.NullPool)
    return _owner_engines[url]


def empty_database(app) -> None:
    """Back to the freshly migrated state: copy the template file (SQLite) or empty every table
    (PostgreSQL: see _DELETE_ALL; TRUNCATE … RESTART IDENTITY if the owner may not skip triggers)."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        path = _sqlite_path(app)
        if path is not None:
            for suffix in ("-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            shutil.copyfile(str(path) + ".template", path)
            return
        owner = _owner_engine(app)
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        _resets["count"] += 1
        if _resets["delete"] and _resets["count"] % TRUNCATE_EVERY:
            try:
                with owner.begin() as conn:
                    conn.execute(text(_DELETE_ALL.replace("{tables}", ",".join(tables))))
                return
            except DBAPIError:  # not a superuser: the slow way from now on
                _resets["delete"] = False
        with owner.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(autouse=True)
def _clean(request):
    """Every test that uses the app starts from an empty, freshly migrated database."""
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        empty_database(app)
        limiter.reset()
        app.config["WTF_CSRF_ENABLED"] = False
    yield


@pytest.fixture
def no_harness_scope(app):
    """App contexts pushed during the test start with no row-level security scope, as the app's own
    do in production (a command, a job): without the suite's view of every cooperative."""
    appcontext_pushed.disconnect(harness_sees_every_cooperative, app)
    yield
    appcontext_pushed.connect(harness_sees_every_cooperative, app)


@pytest.fixture
def harness_scope() -> rls.Scope:
    """The suite's own view of every cooperative (to read around a test of the scopes)."""
    return TEST_HARNESS


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def build(app_ctx) -> Builder:
    return Builder()


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")
