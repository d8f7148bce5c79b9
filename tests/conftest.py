"""Test fixtures: one migrated database per run (SQLite, or PostgreSQL when
KOPPONTREN_TEST_DATABASE_URL is set), emptied before every test; builders that go through the
services like a user would."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from koppontren import create_app
from koppontren.extensions import db, limiter
from tests.helpers import Builder

PG_URL = os.environ.get("KOPPONTREN_TEST_DATABASE_URL")


def _normalise(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if PG_URL:
        url = _normalise(PG_URL)
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context — its own ``g`` and database session — as in
    production, even while the test holds an app context of its own. The test's open transaction is
    committed first, so the request sees the test's data and SQLite's write lock is free."""

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, WTF_CSRF_ENABLED=False)
    app.test_client_class = IsolatedClient
    app.instance_path = str(instance)
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


def empty_database(app) -> None:
    """Back to the freshly migrated state: copy the template file (SQLite) or TRUNCATE (PostgreSQL).

    Row triggers (append-only tables) refuse DELETE, which is the point, so neither path deletes rows.
    """
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        path = _sqlite_path(app)
        if path is not None:
            for suffix in ("-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            shutil.copyfile(str(path) + ".template", path)
            return
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
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
