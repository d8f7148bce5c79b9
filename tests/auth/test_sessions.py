"""Sessions end when they should (issue 18 §3): a session cookie saved before a logout, a password
change, an admin's or the operator's password reset, a deactivation or the loss of the last role in
the cooperative opens nothing and posts nothing any more — on every device of that person at once.
The replayed cookie gets the login page (never a 500)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from koppontren.auth import services as auth
from koppontren.clock import today
from koppontren.extensions import db
from koppontren.ledger.models import JournalEntry
from tests.helpers import PASSWORD, login

BASE = "/alhikmah"


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(client, value: str) -> None:
    client.set_cookie("session", value)


def _entries() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


def _journal(key: str) -> dict:
    """A journal entry posted from the page: 350.000 electricity paid in cash, today."""
    return {"date": today().isoformat(), "journal_type": "KK", "description": "Bayar listrik", "reference": "BKK-1",
            "idempotency_key": key, "submit": "Posting jurnal",
            "lines-0-account": "6102", "lines-0-debit": "350.000", "lines-0-credit": "", "lines-0-memo": "",
            "lines-1-account": "1101", "lines-1-debit": "", "lines-1-credit": "350.000", "lines-1-memo": ""}


@pytest.fixture
def staff(build):
    coop = build.coop("alhikmah")
    build.fund(coop, 10_000_000, today())  # the cash the journals below pay the electricity from
    build.user("ketua", coop, "admin")
    build.user("bendahara", coop, "treasurer")
    return coop


def _assert_replay_is_refused(client, saved: str, key: str) -> None:
    """The saved cookie: every page sends it to the login page, and a journal POST writes nothing."""
    _replay(client, saved)
    page = client.get(f"{BASE}/ledger/journal")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    landing = client.get(page.headers["Location"])
    assert landing.status_code == 200 and 'name="password"' in landing.get_data(as_text=True)
    _replay(client, saved)
    before = _entries()
    posted = client.post(f"{BASE}/ledger/journal/new", data=_journal(key))
    assert posted.status_code == 302 and posted.headers["Location"].startswith("/login")
    assert _entries() == before
    _replay(client, saved)
    assert client.get("/").headers["Location"].startswith("/login")


def test_a_live_session_posts_and_the_same_cookie_after_logout_posts_nothing(client, staff):
    login(client, "bendahara")
    saved = _cookie(client)
    assert client.post(f"{BASE}/ledger/journal/new", data=_journal("k-live")).status_code == 302
    assert _entries() == 2  # the cash paid in, and this journal
    assert client.post("/logout").status_code == 302
    _assert_replay_is_refused(client, saved, "k-after-logout")


def test_logout_ends_the_persons_sessions_on_every_device(app, staff):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "bendahara")
    login(phone, "bendahara")
    assert phone.get(f"{BASE}/ledger/journal").status_code == 200
    laptop.post("/logout")
    response = phone.get(f"{BASE}/ledger/journal")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "Sesi Anda sudah berakhir" in phone.get(response.headers["Location"]).get_data(as_text=True)
    # someone else's sessions go on
    other = app.test_client()
    login(other, "ketua")
    laptop2 = app.test_client()
    login(laptop2, "bendahara")
    laptop2.post("/logout")
    assert other.get(f"{BASE}/ledger/journal").status_code == 200


def test_a_password_change_ends_every_other_session_but_keeps_the_changing_browser(app, client, staff):
    login(client, "bendahara")
    saved = _cookie(client)
    other_browser = app.test_client()
    login(other_browser, "bendahara")
    response = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "sandi-baru-99",
                                                       "confirm": "sandi-baru-99"})
    assert response.status_code == 302
    assert client.get(f"{BASE}/ledger/journal").status_code == 200  # this browser goes on, in a new session
    assert _cookie(client) != saved
    assert other_browser.get(f"{BASE}/ledger/journal").headers["Location"].startswith("/login")
    _assert_replay_is_refused(client, saved, "k-after-change")


def test_an_admins_password_reset_ends_the_users_sessions(app, client, staff):
    victim = app.test_client()
    login(victim, "bendahara")
    saved = _cookie(victim)
    user_id = auth.get_user_by_login("bendahara").id
    login(client, "ketua")
    assert client.post(f"{BASE}/users/{user_id}/reset-password").status_code == 200
    _assert_replay_is_refused(victim, saved, "k-after-reset")
    assert client.get(f"{BASE}/users").status_code == 200  # the admin's own session goes on


def test_the_operators_reset_from_the_command_line_ends_the_sessions(app, client, staff):
    login(client, "bendahara")
    saved = _cookie(client)
    result = app.test_cli_runner().invoke(args=["user", "reset-password", "bendahara"])
    assert result.exit_code == 0, result.output
    db.session.commit()
    _assert_replay_is_refused(client, saved, "k-after-operator-reset")


def test_a_deactivation_ends_the_sessions_and_the_account_cannot_log_in(app, client, staff, frozen_clock):
    victim = app.test_client()
    login(victim, "bendahara")
    saved = _cookie(victim)
    user_id = auth.get_user_by_login("bendahara").id
    login(client, "ketua")
    response = client.post(f"{BASE}/users/{user_id}/active", data={"active": "0"})
    assert response.status_code == 302
    assert "dinonaktifkan" in client.get(response.headers["Location"]).get_data(as_text=True)
    _assert_replay_is_refused(victim, saved, "k-after-deactivation")
    fresh = app.test_client()
    refused = login(fresh, "bendahara")
    assert refused.status_code == 200 and "Nama login atau kata sandi salah." in refused.get_data(as_text=True)
    # activated again: a new login works (once the refused attempt's delay ran out), the old cookie stays dead
    assert client.post(f"{BASE}/users/{user_id}/active", data={"active": "1"}).status_code == 302
    frozen_clock.advance(1)
    assert login(fresh, "bendahara").status_code == 302
    _assert_replay_is_refused(victim, saved, "k-after-reactivation")


def test_removing_the_last_role_ends_the_sessions_but_removing_another_does_not(app, client, build, staff):
    build.user("bendahara", staff, "cashier")
    victim = app.test_client()
    login(victim, "bendahara")
    saved = _cookie(victim)
    user_id = auth.get_user_by_login("bendahara").id
    login(client, "ketua")
    client.post(f"{BASE}/users/{user_id}/roles", data={"role": "treasurer", "action": "revoke"})
    assert victim.get(f"{BASE}/").status_code == 200  # still a cashier: the session goes on …
    assert victim.get(f"{BASE}/ledger/journal").status_code == 403  # … with the cashier's rights only
    client.post(f"{BASE}/users/{user_id}/roles", data={"role": "cashier", "action": "revoke"})
    assert victim.get(f"{BASE}/").headers["Location"].startswith("/login")
    # granting a role again does not revive the old cookie
    client.post(f"{BASE}/users/{user_id}/roles", data={"role": "treasurer", "action": "grant"})
    _assert_replay_is_refused(victim, saved, "k-after-role-removal")


def test_a_session_of_a_deactivated_account_ends_even_without_the_generation_moving(client, staff):
    """Belt and braces: the user loader refuses an inactive account by itself."""
    login(client, "bendahara")
    user = auth.get_user_by_login("bendahara")
    user.is_active_account = False
    db.session.commit()
    assert client.get(f"{BASE}/").headers["Location"].startswith("/login")


def test_a_cookie_without_a_generation_is_refused(client, staff):
    """Sessions signed before this rule carry no generation: they end at once."""
    login(client, "bendahara")
    with client.session_transaction() as sess:
        del sess["epoch"]
    assert client.get(f"{BASE}/").headers["Location"].startswith("/login")


def test_an_ended_session_may_still_open_public_pages(client, staff):
    login(client, "bendahara")
    saved = _cookie(client)
    client.post("/logout")
    _replay(client, saved)
    page = client.get("/login")
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)
    _replay(client, saved)
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("role", ["treasurer", "cashier", "auditor", "member"])
def test_only_admins_deactivate(client, build, role):
    coop = build.coop()
    build.user("orang", coop, role)
    target = build.user("kasir.ani", coop, "cashier")
    login(client, "orang")
    assert client.post(f"{BASE}/users/{target.id}/active", data={"active": "0"}).status_code == 403
    db.session.expire_all()
    assert auth.get_user_by_login("kasir.ani").is_active_account


def test_deactivation_refusals(client, build):
    coop = build.coop()
    admin = build.user("ketua", coop, "admin")
    shared = build.user("bendahara.dua", coop, "cashier")
    build.user("bendahara.dua", build.coop("annur"), "admin")
    outsider = build.user("kasir.lain", build.coop("lain"), "cashier")
    login(client, "ketua")
    page = client.post(f"{BASE}/users/{shared.id}/active", data={"active": "0"}, follow_redirects=True).get_data(as_text=True)
    assert "operator platform" in page
    page = client.post(f"{BASE}/users/{admin.id}/active", data={"active": "0"}, follow_redirects=True).get_data(as_text=True)
    assert "akun Anda sendiri" in page
    assert client.post(f"{BASE}/users/{outsider.id}/active", data={"active": "0"}).status_code == 404
    assert client.post(f"{BASE}/users/{shared.id}/active", data={"active": "x"}).status_code == 400
    db.session.expire_all()
    assert all(auth.get_user_by_login(n).is_active_account for n in ("ketua", "bendahara.dua", "kasir.lain"))


def test_the_operator_deactivates_and_activates_from_the_command_line(app, client, staff, frozen_clock):
    login(client, "bendahara")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "deactivate", "bendahara"])
    assert result.exit_code == 0 and "Deactivated bendahara" in result.output
    db.session.commit()
    assert client.get(f"{BASE}/").headers["Location"].startswith("/login")
    assert login(client, "bendahara").status_code == 200
    assert runner.invoke(args=["user", "activate", "bendahara"]).exit_code == 0
    db.session.commit()
    frozen_clock.advance(1)
    assert login(client, "bendahara").status_code == 302
    assert runner.invoke(args=["user", "deactivate", "tidak.ada"]).exit_code == 1


def test_the_users_page_shows_deactivated_accounts(client, build, staff):
    target = auth.get_user_by_login("bendahara")
    auth.set_active(target, False, actor=None)
    login(client, "ketua")
    page = client.get(f"{BASE}/users").get_data(as_text=True)
    assert re.search(r"nonaktif</span>", page) and 'id="activate-bendahara"' in page
