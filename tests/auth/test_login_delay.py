"""A lockout an attacker can't use (issue 18 §5): each failure of a (login, address) makes that pair
wait — 1 s, doubling to at most 15 minutes — and an attempt while it waits is refused without
looking at the password; a good login after the wait resets the count. One address gets 429 only
past 30 failures a minute. Unknown, delayed and deactivated logins get the same page, message and
200 as a wrong password: nothing tells a guesser which logins exist, and the owner, at another
address, logs in while a guesser hammers their login."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from koppontren import PROJECT_ROOT, create_app
from koppontren.audit.models import AuditEvent
from koppontren.auth import services as auth
from koppontren.auth.models import LoginDelay
from koppontren.extensions import db, limiter
from tests.conftest import IsolatedClient
from tests.helpers import PASSWORD, login

MESSAGE = "Nama login atau kata sandi salah."


def _from(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _login_from(client, address: str, login_name: str, password: str = PASSWORD):
    return client.post("/login", data={"login": login_name, "password": password}, **_from(address))


def _row(login_name: str, address: str = "127.0.0.1") -> LoginDelay | None:
    db.session.expire_all()
    return db.session.get(LoginDelay, (login_name, address))


def _delayed_events(login_name: str) -> int:
    return len(db.session.scalars(select(AuditEvent.id).where(AuditEvent.action == "login.delayed",
                                                              AuditEvent.login == login_name)).all())


@pytest.fixture
def coop(build):
    coop = build.coop()
    build.user("ketua", coop, "admin")
    return coop


def test_the_delay_starts_at_one_second_and_doubles_to_at_most_fifteen_minutes():
    assert [auth.delay_after(n).total_seconds() for n in range(1, 13)] == [
        1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert auth.delay_after(10_000) == timedelta(minutes=15)
    assert auth.delay_after(0) == timedelta(0)


def test_each_failure_doubles_the_wait_and_a_waiting_attempt_is_not_even_checked(client, coop, frozen_clock):
    expected = 1
    for failures in range(1, 12):
        response = login(client, "ketua", "salah-sandi")
        assert response.status_code == 200 and MESSAGE in response.get_data(as_text=True)
        row = _row("ketua")
        assert row.failures == failures
        assert auth._aware(row.not_before) == frozen_clock.now() + timedelta(seconds=expected)
        frozen_clock.advance(expected - 0.5)
        # the right password half a second early: refused like a wrong one, and the wait does not grow
        early = login(client, "ketua")
        assert early.status_code == 200 and MESSAGE in early.get_data(as_text=True)
        assert _row("ketua").failures == failures
        frozen_clock.advance(0.5)
        expected = min(expected * 2, 900)
    assert expected == 900 and _delayed_events("ketua") == 11
    assert login(client, "ketua").status_code == 302  # the wait ran out: the right password logs in …
    assert _row("ketua") is None  # … and the count starts afresh
    client.post("/logout")
    assert login(client, "ketua", "salah-sandi").status_code == 200
    assert _row("ketua").failures == 1


def test_unknown_delayed_and_deactivated_logins_get_the_same_page_as_a_wrong_password(client, build, coop, frozen_clock):
    retired = build.user("pensiun", coop, "cashier")
    auth.set_active(retired, False, actor=None)

    def page(login_name: str, password: str) -> str:
        response = login(client, login_name, password)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert MESSAGE in body
        # the CSRF token carries a timestamp in whole seconds of the wall clock: not part of the page's answer
        body = re.sub(r"[\w-]{20,}\.[\w-]{6}\.[\w-]{20,}", "TOKEN", body)
        assert "TOKEN" in body
        return body.replace(login_name, "LOGIN")

    wrong = page("ketua", "salah-sandi")
    assert page("ketua", PASSWORD) == wrong  # delayed: the right password, not checked
    assert page("tidak.ada", "salah-sandi") == wrong  # unknown
    assert page("tidak.ada", "salah-sandi") == wrong  # unknown and delayed
    assert page("pensiun", PASSWORD) == wrong  # deactivated, with its right password
    frozen_clock.advance(1)
    assert page("pensiun", PASSWORD) == wrong
    assert "terkunci" not in wrong and "Tunggu" not in wrong
    # the unknown login was delayed just like a real one
    assert _row("tidak.ada").failures == 1 and _delayed_events("tidak.ada") == 1


def test_a_guesser_delays_only_their_own_address_never_the_owner(client, coop, frozen_clock):
    for _ in range(25):
        assert _login_from(client, "203.0.113.9", "ketua", "tebakan").status_code == 200
    assert _row("ketua", "203.0.113.9").failures == 1  # one checked guess; the other 24 waited
    assert _login_from(client, "203.0.113.9", "ketua").status_code == 200  # even the right password waits there
    owner = _login_from(client, "198.51.100.20", "ketua")
    assert owner.status_code == 302  # the owner, elsewhere, logs in at once


def test_the_address_throttle_answers_429_only_past_30_failures_a_minute(client, coop):
    logins = ["ketua"] + [f"tebakan{i}" for i in range(29)]
    statuses = [_login_from(client, "203.0.113.9", name, "salah-sandi").status_code for name in logins]
    assert statuses == [200] * 30
    refused = _login_from(client, "203.0.113.9", "ketua")
    assert refused.status_code == 429 and "Terlalu banyak percobaan" in refused.get_data(as_text=True)
    # another address is not throttled, and a successful login never counts
    for _ in range(35):
        assert _login_from(client, "198.51.100.20", "ketua").status_code == 302
        client.post("/logout", **_from("198.51.100.20"))


def test_confirming_the_password_shares_the_delay(client, coop, frozen_clock):
    """A stolen session must not become a password oracle: wrong confirmations delay the pair too."""
    assert login(client, "ketua").status_code == 302
    assert "Kata sandi salah." in client.post("/account/confirm", data={"password": "salah"}).get_data(as_text=True)
    waiting = client.post("/account/confirm", data={"password": PASSWORD})
    assert "Tunggu sebentar" in waiting.get_data(as_text=True)
    assert _row("ketua").failures == 1
    frozen_clock.advance(1)
    assert client.post("/account/confirm", data={"password": PASSWORD}).status_code == 302
    assert _row("ketua") is None


def _worker(database_url: str, tmp_path, **settings):
    """Another app on the suite's database, as a second worker process would be."""
    other = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, WTF_CSRF_ENABLED=False, **settings)
    other.instance_path = str(tmp_path)
    other.test_client_class = IsolatedClient
    return other


def _dispose(*apps) -> None:
    for each in apps:
        with each.app_context():
            db.engine.dispose()


def test_the_delay_is_kept_in_the_database_for_every_worker(app, database_url, tmp_path, coop, frozen_clock):
    """A second app on the same database (another worker) sees the first one's delay at once."""
    other = _worker(database_url, tmp_path)
    try:
        assert login(app.test_client(), "ketua", "salah-sandi").status_code == 200
        refused = login(other.test_client(), "ketua")
        assert refused.status_code == 200 and MESSAGE in refused.get_data(as_text=True)
        frozen_clock.advance(1)
        assert login(other.test_client(), "ketua").status_code == 302
    finally:
        limiter.init_app(app)  # the singleton limiter belongs to the suite's app again
        _dispose(other)


def test_old_quiet_delays_are_forgotten(app_ctx, coop, frozen_clock):
    assert auth.authenticate("ketua", "salah", address="10.1.1.1") is None
    frozen_clock.advance(2 * 24 * 3600)
    assert auth.authenticate("ketua", "salah", address="10.2.2.2") is None  # a new pair: sweeps the quiet ones
    assert _row("ketua", "10.1.1.1") is None and _row("ketua", "10.2.2.2").failures == 1


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url("redis://127.0.0.1:6379", socket_connect_timeout=0.5).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis at 127.0.0.1:6379")
def test_the_throttle_counts_across_workers_with_a_shared_storage(app, database_url, tmp_path, coop):
    """Two workers (two apps, each with its own connection to Redis): the 31st failure from one
    address is refused by the second though the first saw the other 30."""
    prefix = f"kt_auth_test_{uuid.uuid4().hex}"
    settings = {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379", "RATELIMIT_KEY_PREFIX": prefix}
    first = second = None
    try:
        first = _worker(database_url, tmp_path, **settings)
        statuses = [_login_from(first.test_client(), "203.0.113.9", f"tebakan{i}", "salah").status_code for i in range(30)]
        assert statuses == [200] * 30
        second = _worker(database_url, tmp_path, **settings)  # a new worker: a new limiter storage, the same Redis
        assert _login_from(second.test_client(), "203.0.113.9", "ketua").status_code == 429
        assert _login_from(second.test_client(), "198.51.100.20", "ketua").status_code == 302
    finally:
        import redis

        client = redis.Redis.from_url("redis://127.0.0.1:6379")
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        limiter.init_app(app)
        _dispose(*(a for a in (first, second) if a is not None))


def _config_value(env: dict, expression: str) -> str:
    base = {k: v for k, v in __import__("os").environ.items() if not k.startswith("KOPPONTREN_")}
    result = subprocess.run([sys.executable, "-c", f"import config; print({expression})"], cwd=PROJECT_ROOT,
                            env={**base, **env}, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def test_production_reads_the_limiter_storage_and_falls_back_to_redis():
    expr = "config.ProductionConfig.RATELIMIT_STORAGE_URI"
    assert _config_value({"KOPPONTREN_RATELIMIT_STORAGE_URL": "redis://a:6379/1", "KOPPONTREN_REDIS_URL": "redis://b:6379"},
                         expr) == "redis://a:6379/1"
    assert _config_value({"KOPPONTREN_REDIS_URL": "redis://b:6379"}, expr) == "redis://b:6379"
    assert _config_value({}, expr) == "memory://"
    assert _config_value({}, "config.ProductionConfig.LOGIN_FAILURE_LIMIT") == "30 per minute"


def test_production_warns_at_start_when_limits_count_per_process(app, tmp_path, caplog, monkeypatch):
    monkeypatch.setenv("KOPPONTREN_INSTANCE_PATH", str(tmp_path))
    settings = {"SECRET_KEY": "p" * 40, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}"}
    try:
        with caplog.at_level("WARNING"):
            create_app("production", RATELIMIT_STORAGE_URI="memory://", **settings)
        assert any(re.search(r"KOPPONTREN_RATELIMIT_STORAGE_URL", r.getMessage()) for r in caplog.records)
        caplog.clear()
        with caplog.at_level("WARNING"):
            create_app("production", RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379", **settings)
        assert not any("KOPPONTREN_RATELIMIT_STORAGE_URL" in r.getMessage() for r in caplog.records)
    finally:
        limiter.init_app(app)


def test_behind_a_trusted_proxy_the_clients_address_counts(app, database_url, tmp_path, coop, frozen_clock):
    """With KOPPONTREN_TRUSTED_PROXIES=1 a guesser and the owner behind the same nginx are told
    apart by X-Forwarded-For; without it the forwarded header is ignored (anyone could forge it)."""
    proxied = _worker(database_url, tmp_path, TRUSTED_PROXIES=1)
    try:
        client = proxied.test_client()
        nginx = {"REMOTE_ADDR": "127.0.0.1"}
        guess = client.post("/login", data={"login": "ketua", "password": "salah"}, environ_base=nginx,
                            headers={"X-Forwarded-For": "203.0.113.9"})
        assert guess.status_code == 200 and _row("ketua", "203.0.113.9").failures == 1
        owner = client.post("/login", data={"login": "ketua", "password": PASSWORD}, environ_base=nginx,
                            headers={"X-Forwarded-For": "198.51.100.20"})
        assert owner.status_code == 302
    finally:
        limiter.init_app(app)
        _dispose(proxied)
    forged = app.test_client().post("/login", data={"login": "ketua", "password": "salah"},
                                    headers={"X-Forwarded-For": "192.0.2.1"})
    assert forged.status_code == 200 and _row("ketua", "127.0.0.1").failures == 1 and _row("ketua", "192.0.2.1") is None


def test_a_burst_of_parallel_guesses_gets_one_checked(app, coop, frozen_clock):
    """Six guesses of one (login, address) at the same moment: the pair's row is locked while one is
    checked, the others then find its delay — one failure counted, five refused unchecked."""
    from tests.ledger.test_concurrency import _run_threads

    db.session.commit()
    results: list[object] = []
    errors = _run_threads(app, 6, lambda i: results.append(auth.authenticate("ketua", f"tebakan-{i}", address="10.9.9.9")))
    assert errors == [] and results == [None] * 6
    assert _row("ketua", "10.9.9.9").failures == 1
    assert _delayed_events("ketua") == 5
