"""Login, logout, throttling, CSRF, password change — and the audit rows they leave."""

from __future__ import annotations

from sqlalchemy import select

from koppontren.audit.models import AuditEvent
from koppontren.extensions import db
from tests.helpers import PASSWORD, login


def _actions(login_name: str) -> list[str]:
    """The login-related audit actions recorded for ``login_name``, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.login == login_name, AuditEvent.action.in_(["login", "login.failed", "logout", "password.changed"]))
            .order_by(AuditEvent.id)
        )
    )


def test_treasurer_logs_in_lands_on_the_dashboard_and_the_login_is_audited(client, build):
    coop = build.coop("alhikmah")
    build.user("siti.bendahara", coop, "treasurer")
    response = login(client, "siti.bendahara")
    assert response.status_code == 302
    assert client.get("/").headers["Location"] == "/alhikmah/"
    assert client.get("/alhikmah/").status_code == 200
    assert _actions("siti.bendahara")[-1] == "login"


def test_login_names_are_case_insensitive(client, build):
    build.user("ahmad", build.coop(), "cashier")
    assert login(client, "  AHMAD ").status_code == 302


def test_wrong_password_says_so_in_indonesian_and_is_audited(client, build):
    build.user("ahmad", build.coop(), "cashier")
    response = login(client, "ahmad", "salah-sandi")
    assert response.status_code == 200
    assert "Nama login atau kata sandi salah." in response.get_data(as_text=True)
    assert _actions("ahmad") == ["login.failed"]


def test_unknown_login_is_refused_with_the_same_message(client, build):
    response = login(client, "tidak.ada", "whatever-123")
    assert "Nama login atau kata sandi salah." in response.get_data(as_text=True)
    assert _actions("tidak.ada") == ["login.failed"]


def test_deactivated_account_cannot_log_in(client, build):
    user = build.user("ahmad", build.coop(), "cashier")
    user.is_active_account = False
    db.session.commit()
    assert login(client, "ahmad").status_code == 200


def test_the_31st_failed_login_in_a_minute_from_one_address_is_throttled_with_a_clear_message(client, build):
    build.user("ahmad", build.coop(), "cashier")
    for _ in range(30):  # one checked wrong password, then 29 attempts while its delay runs: all refused alike
        response = login(client, "ahmad", "salah-sandi")
        assert response.status_code == 200 and "Nama login atau kata sandi salah." in response.get_data(as_text=True)
    response = login(client, "ahmad", "salah-sandi")
    assert response.status_code == 429
    assert "Terlalu banyak percobaan" in response.get_data(as_text=True)
    # even the right password waits until the minute is over
    assert login(client, "ahmad").status_code == 429


def test_throttling_is_per_address_not_per_login(client, build):
    """Failures on many logins from one address add up; the login itself is not throttled, so a
    guesser elsewhere can't keep its owner out (tests/auth/test_login_delay.py)."""
    build.user("ahmad", build.coop(), "cashier")
    for i in range(30):
        assert login(client, f"tebakan{i}", "salah-sandi").status_code == 200
    assert login(client, "ahmad").status_code == 429
    elsewhere = client.post("/login", data={"login": "ahmad", "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": "198.51.100.20"})
    assert elsewhere.status_code == 302


def test_successful_logins_do_not_count_towards_the_throttle(client, build):
    build.user("ahmad", build.coop(), "cashier")
    for _ in range(35):
        assert login(client, "ahmad").status_code == 302
        client.post("/logout")


def test_forms_without_a_csrf_token_are_refused(client, build, csrf_on):
    build.user("ahmad", build.coop(), "cashier")
    response = login(client, "ahmad")
    assert response.status_code == 400
    assert "token CSRF" in response.get_data(as_text=True)
    assert "login" not in _actions("ahmad")


def test_forms_with_the_csrf_token_are_accepted(client, build, csrf_on):
    build.user("ahmad", build.coop(), "cashier")
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", data={"login": "ahmad", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_logout_requires_post_and_is_audited(client, build):
    build.user("ahmad", build.coop(), "cashier")
    login(client, "ahmad")
    client.get("/logout", follow_redirects=True)  # a link or prefetch must not log anyone out
    assert client.get("/alhikmah/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/alhikmah/").status_code == 302
    assert _actions("ahmad")[-1] == "logout"


def test_next_parameter_never_redirects_to_another_site(client, build):
    build.user("ahmad", build.coop(), "cashier")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/login", data={"login": "ahmad", "password": PASSWORD, "next": evil})
        assert response.headers["Location"] == "/"
        client.post("/logout")
    response = client.post("/login", data={"login": "ahmad", "password": PASSWORD, "next": "/alhikmah/"})
    assert response.headers["Location"] == "/alhikmah/"


def test_anonymous_visitor_is_sent_to_login_with_next(client, build):
    build.coop("alhikmah")
    response = client.get("/alhikmah/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/alhikmah/"


def test_password_change_checks_the_current_one_and_the_length(client, build, frozen_clock):
    build.user("ahmad", build.coop(), "cashier")
    login(client, "ahmad")
    wrong = client.post("/account/password", data={"current_password": "keliru", "new_password": "sandi-baru-99", "confirm": "sandi-baru-99"})
    assert "Kata sandi saat ini salah." in wrong.get_data(as_text=True)
    short = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "pendek", "confirm": "pendek"})
    assert "minimal 8 karakter" in short.get_data(as_text=True)
    mismatch = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "sandi-baru-99", "confirm": "lain-lagi-99"})
    assert "Kedua kata sandi tidak sama." in mismatch.get_data(as_text=True)
    ok = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "sandi-baru-99", "confirm": "sandi-baru-99"})
    assert ok.status_code == 302
    client.post("/logout")
    assert login(client, "ahmad").status_code == 200
    frozen_clock.advance(1)  # the old password's failure delays the next attempt by a second
    assert login(client, "ahmad", "sandi-baru-99").status_code == 302
    assert "password.changed" in _actions("ahmad")


def test_passwords_are_stored_as_argon2_hashes(build):
    user = build.user("ahmad", build.coop(), "cashier")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_session_cookie_is_httponly_and_samesite_lax(client, build):
    build.user("ahmad", build.coop(), "cashier")
    response = login(client, "ahmad")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
