"""The connection pool: instead of ``pool_pre_ping`` (a round trip before every request), a
connection is pinged only after it sat idle longer than DATABASE_PING_AFTER_IDLE seconds, and one
that fails the ping is replaced before the request sees it."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from koppontren import create_app
from koppontren.extensions import db


@pytest.fixture
def pings(database_url):
    """An app on the test database with its own engine, and a counter of the pings it sends."""
    made = []

    def make(idle: float):
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, DATABASE_PING_AFTER_IDLE=idle)
        with app.app_context():
            engine = db.engine
        count = [0]
        original = engine.dialect.do_ping

        def counting(dbapi_connection):
            count[0] += 1
            return original(dbapi_connection)

        engine.dialect.do_ping = counting
        made.append((engine, original))
        return engine, count

    yield make
    for engine, original in made:
        engine.dialect.do_ping = original
        engine.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_the_pool_does_not_ping_before_every_checkout():
    from config import Config

    assert "pool_pre_ping" not in Config.SQLALCHEMY_ENGINE_OPTIONS and Config.SQLALCHEMY_ENGINE_OPTIONS["pool_recycle"] > 0


def test_a_connection_used_moments_ago_goes_out_without_a_ping(pings, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite files are never pinged")
    engine, count = pings(60.0)
    first = _backend_pid(engine)
    assert _backend_pid(engine) == first and count[0] == 0


def test_an_idle_connection_is_pinged_and_a_dead_one_replaced_before_use(pings, is_postgres, database_url):
    if not is_postgres:
        pytest.skip("SQLite files are never pinged")
    engine, count = pings(0.0)
    dead = _backend_pid(engine)
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dead})
    admin.dispose()
    time.sleep(0.05)
    assert _backend_pid(engine) != dead and count[0] >= 1  # the request never saw the dead connection


def test_sqlite_engines_get_no_ping(pings, is_postgres):
    if is_postgres:
        pytest.skip("SQLite only")
    engine, count = pings(0.0)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert count[0] == 0
