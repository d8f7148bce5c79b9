"""Login delays and the admin's unlock, admin password reset with a forced change, session lifetime,
and the password confirmation before sensitive actions (issue: reliability and security §5; the
account lock became a per-(login, address) delay in issue 18 §5 — tests/auth/test_login_delay.py)."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from koppontren.audit.models import AuditEvent
from koppontren.auth import services as auth
from koppontren.auth.models import LoginDelay, User
from koppontren.extensions import db
from tests.helpers import PASSWORD, login


def _user(login_name: str) -> User:
    db.session.expire_all()
    return auth.get_user_by_login(login_name)


def _actions(login_name: str) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.login == login_name).order_by(AuditEvent.id)))


def _delays(login_name: str) -> list[LoginDelay]:
    db.session.expire_all()
    return list(db.session.scalars(select(LoginDelay).where(LoginDelay.login == login_name)))


def test_wrong_passwords_delay_the_login_from_that_address_but_never_lock_it(client, build, frozen_clock):
    build.user("kasir.ani", build.coop(), "cashier")
    for _ in range(12):  # the old rule locked the account after 10
        assert login(client, "kasir.ani", "salah-sandi").status_code == 200
        frozen_clock.advance(15 * 60)
    assert login(client, "kasir.ani").status_code == 302
    assert _delays("kasir.ani") == []  # the good login started the count afresh
    assert "login.delayed" not in _actions("kasir.ani")


def test_a_good_login_resets_the_count(client, build, frozen_clock):
    build.user("kasir.ani", build.coop(), "cashier")
    login(client, "kasir.ani", "salah-sandi")
    frozen_clock.advance(1)
    login(client, "kasir.ani", "salah-sandi")
    assert _delays("kasir.ani")[0].failures == 2
    frozen_clock.advance(2)
    assert login(client, "kasir.ani").status_code == 302
    assert _delays("kasir.ani") == []


def test_the_admin_clears_the_delays_of_a_user_of_the_cooperative(client, build, frozen_clock):
    coop = build.coop()
    build.user("ketua", coop, "admin")
    build.user("kasir.ani", coop, "cashier")
    for attempt in range(10):
        frozen_clock.advance(600 if attempt else 0)  # each attempt after the previous delay ran out
        login(client, "kasir.ani", "salah-sandi")
    user_id = _user("kasir.ani").id
    assert login(client, "ketua").status_code == 302
    page = client.get("/alhikmah/users").get_data(as_text=True)
    assert "10× gagal masuk, ditunda sampai" in page and f"/alhikmah/users/{user_id}/unlock" in page
    assert client.post(f"/alhikmah/users/{user_id}/unlock").status_code == 302
    assert _delays("kasir.ani") == []
    assert 'id="delay-kasir.ani"' not in client.get("/alhikmah/users").get_data(as_text=True)
    client.post("/logout")
    assert login(client, "kasir.ani").status_code == 302  # at once, though the delay had 10 minutes to run
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.unlocked"))
    assert event.cooperative_id == coop.id and event.login == "kasir.ani"


@pytest.mark.parametrize("role", ["treasurer", "cashier", "auditor", "member"])
def test_only_admins_unlock_or_reset(client, build, role):
    coop = build.coop()
    build.user("orang", coop, role)
    target = build.user("kasir.ani", coop, "cashier")
    login(client, "orang")
    assert client.post(f"/alhikmah/users/{target.id}/unlock").status_code == 403
    assert client.post(f"/alhikmah/users/{target.id}/reset-password").status_code == 403


def test_an_admin_of_another_cooperative_gets_404(client, build):
    build.user("ketua.lain", build.coop("annur"), "admin")
    target = build.user("kasir.ani", build.coop("alhikmah"), "cashier")
    login(client, "ketua.lain")
    assert client.post(f"/annur/users/{target.id}/reset-password").status_code == 404
    assert client.post(f"/annur/users/{target.id}/unlock").status_code == 404
    assert client.post(f"/alhikmah/users/{target.id}/reset-password").status_code == 404
    assert auth.password_matches(_user("kasir.ani"), PASSWORD)


def test_reset_shows_a_one_time_password_once_and_forces_a_change(client, build):
    coop = build.coop()
    build.user("ketua", coop, "admin")
    target = build.user("kasir.ani", coop, "cashier")
    login(client, "ketua")
    response = client.post(f"/alhikmah/users/{target.id}/reset-password")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = re.search(r'id="reset-password">([a-z0-9]+)<', response.get_data(as_text=True)).group(1)
    assert not auth.password_matches(_user("kasir.ani"), PASSWORD)
    assert _user("kasir.ani").must_change_password
    stored = [e for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.password_reset"))]
    assert len(stored) == 1 and password not in str(stored[0].detail)
    client.post("/logout")
    assert login(client, "kasir.ani", password).headers["Location"].startswith("/account/password")
    assert client.get("/alhikmah/").status_code == 302  # nothing opens before the change


def test_reset_is_refused_for_an_account_that_also_opens_another_cooperative(client, build):
    coop = build.coop()
    build.user("ketua", coop, "admin")
    target = build.user("bendahara.dua", coop, "cashier")
    build.user("bendahara.dua", build.coop("annur"), "admin")
    login(client, "ketua")
    page = client.post(f"/alhikmah/users/{target.id}/reset-password", follow_redirects=True).get_data(as_text=True)
    assert "operator platform" in page
    assert auth.password_matches(_user("bendahara.dua"), PASSWORD)


def test_a_user_added_on_the_users_page_must_choose_their_own_password(client, build):
    build.user("ketua", build.coop(), "admin")
    login(client, "ketua")
    client.post("/alhikmah/users", data={"login": "kasir.baru", "name": "Kasir Baru", "password": "awal-12345", "role": "cashier"})
    assert _user("kasir.baru").must_change_password


def test_the_operator_resets_and_unlocks_from_the_command_line(app, build, frozen_clock):
    build.user("kasir.ani", build.coop(), "cashier")
    for _ in range(3):
        assert auth.authenticate("kasir.ani", "salah-sandi", address="10.0.0.7") is None
        frozen_clock.advance(60)
    assert auth.authenticate("kasir.ani", "salah-sandi", address="10.0.0.8") is None
    assert auth.authenticate("kasir.ani", PASSWORD, address="10.0.0.8") is None  # waiting: not even checked
    assert len(_delays("kasir.ani")) == 2
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "unlock", "kasir.ani"])
    assert result.exit_code == 0, result.output
    assert "delays are cleared" in result.output and _delays("kasir.ani") == []
    assert auth.authenticate("kasir.ani", PASSWORD, address="10.0.0.8") is not None
    result = runner.invoke(args=["user", "reset-password", "kasir.ani"])
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1]
    assert auth.password_matches(_user("kasir.ani"), password) and _user("kasir.ani").must_change_password
    assert runner.invoke(args=["user", "unlock", "tidak.ada"]).exit_code != 0


def test_a_session_ends_after_the_maximum_lifetime(client, build, app, monkeypatch):
    build.user("kasir.ani", build.coop(), "cashier")
    login(client, "kasir.ani")
    assert client.get("/alhikmah/").status_code == 200
    with client.session_transaction() as sess:
        assert sess.permanent
        sess["login_at"] = int(time.time()) - 13 * 3600
    response = client.get("/alhikmah/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/alhikmah/").headers["Location"].startswith("/login")  # logged out for good


def test_the_idle_limit_is_the_cookie_lifetime(app):
    assert app.permanent_session_lifetime.total_seconds() == app.config["SESSION_IDLE_MINUTES"] * 60


def test_reopening_a_period_asks_for_the_password_again_after_a_while(client, build, frozen_clock):
    from koppontren.ledger.periods import close_month

    coop = build.coop()
    admin = build.user("ketua", coop, "admin")
    close_month(coop, 2026, 3, actor=admin)
    login(client, "ketua")
    with client.session_transaction() as sess:
        sess["auth_at"] = int(time.time()) - 3600
    data = {"year": "2026", "month": "3", "reason": "Koreksi nota"}
    response = client.post("/alhikmah/ledger/periods/reopen", data=data,
                           headers={"Referer": "http://localhost/alhikmah/ledger/periods?year=2026"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/confirm?next=/alhikmah/ledger/periods")
    assert [m.closed for m in _months(coop) if m.month == 3] == [True]  # nothing happened
    wrong = client.post(response.headers["Location"], data={"password": "salah-sandi"})
    assert wrong.status_code == 200 and "Kata sandi salah." in wrong.get_data(as_text=True)
    waiting = client.post(response.headers["Location"], data={"password": PASSWORD})  # the wrong one's 1 s delay
    assert waiting.status_code == 200 and "Tunggu sebentar lalu coba lagi." in waiting.get_data(as_text=True)
    frozen_clock.advance(1)
    right = client.post(response.headers["Location"], data={"password": PASSWORD})
    assert right.headers["Location"] == "/alhikmah/ledger/periods?year=2026"
    assert client.post("/alhikmah/ledger/periods/reopen", data=data).status_code == 302
    assert [m.closed for m in _months(coop) if m.month == 3] == [False]
    assert "password.confirmed" in _actions("ketua")


def test_a_user_without_the_permission_still_gets_403_not_the_password_page(client, build):
    build.user("bendahara", build.coop(), "treasurer")
    login(client, "bendahara")
    with client.session_transaction() as sess:
        sess["auth_at"] = 0
    assert client.post("/alhikmah/ledger/periods/reopen", data={"year": "2026", "month": "3", "reason": "x"}).status_code == 403


def _months(coop):
    from koppontren.ledger.periods import fiscal_year_status

    db.session.expire_all()
    return fiscal_year_status(coop, 2026)


def test_approving_shu_asks_for_the_password_again_after_a_while(client, build):
    build.user("bendahara", build.coop(), "treasurer")
    login(client, "bendahara")
    with client.session_transaction() as sess:
        sess["auth_at"] = int(time.time()) - 3600
    response = client.post("/alhikmah/shu/2026/approve", data={"date": "2027-03-01", "decision": "RAT/2027/01"},
                           headers={"Referer": "http://localhost/alhikmah/shu/2026"})
    assert response.status_code == 302 and response.headers["Location"] == "/account/confirm?next=/alhikmah/shu/2026"
