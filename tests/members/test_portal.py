"""The member portal: the treasurer hands out a login with a one-time password on a slip, the member
must change it at the first login, then sees exactly their own balances — and nothing of anybody else."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from koppontren import clock, money
from koppontren.audit.models import AuditEvent
from koppontren.auth import services as auth
from koppontren.auth.models import Role
from koppontren.extensions import db
from koppontren.ledger.posting import LineSpec, post_entry
from koppontren.members.models import Member
from koppontren.members.services import MemberData, MemberError, register_member
from koppontren.membership import portal
from koppontren.savings import services as savings
from tests.helpers import login

NEW_PASSWORD = "sandi-santri-baru"


@pytest.fixture
def coop(build):
    coop = build.coop("alhikmah")
    build.user("siti.bendahara", coop, "treasurer")
    build.user("budi.kasir", coop, "cashier")
    savings.update_settings(coop, pokok_amount=Decimal(100_000), wajib_rates={"santri": Decimal(25_000), "ustadz": Decimal(50_000)},
                            sukarela_earns_shu=False, default_account_id=None, actor=None)
    return coop


def _member(coop, name: str, category: str = "santri") -> Member:
    return register_member(coop, MemberData(name=name, category=category, join_date=date(2026, 1, 5)), actor=None)


@pytest.fixture
def ahmad(coop) -> Member:
    """A santri with pokok, three months of wajib, a sukarela deposit, a withdrawal and a purchase on credit."""
    m = _member(coop, "Ahmad Fauzi")
    savings.deposit(coop, m, "pokok", day=date(2026, 1, 5))
    savings.deposit(coop, m, "wajib", months=[(2026, 1), (2026, 2), (2026, 3)], day=date(2026, 3, 1))
    savings.deposit(coop, m, "sukarela", amount=Decimal(150_000), day=date(2026, 3, 2))
    savings.withdraw(coop, m, "sukarela", amount=Decimal(40_000), day=date(2026, 3, 3))
    post_entry(coop, entry_date=date(2026, 3, 4), description="Belanja kitab secara kredit", journal_type="PJ",
               lines=[LineSpec("1121", debit=Decimal(35_000), member_id=m.id), LineSpec("4101", credit=Decimal(35_000))])
    return m


@pytest.fixture
def zainab(coop) -> Member:
    """Another member, with different money: none of it may show in Ahmad's portal."""
    m = _member(coop, "Zainab Rahmawati", "ustadz")
    savings.deposit(coop, m, "sukarela", amount=Decimal(777_000), day=date(2026, 2, 9))
    return m


def _slip_password(response) -> str:
    match = re.search(r'id="slip-password">([^<]+)<', response.get_data(as_text=True))
    assert match, "the slip page shows the one-time password"
    return match.group(1)


def _create_login(client, member: Member, login_name: str = "") -> tuple[str, str]:
    """The treasurer's click on "Buat login portal"; returns (login, one-time password) from the slip."""
    response = client.post(f"/alhikmah/members/{member.id}/login", data={"login": login_name})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return re.search(r'id="slip-login">([^<]+)<', html).group(1), _slip_password(response)


def _member_logs_in(client, login_name: str, password: str) -> None:
    """First login of a member: the one-time password, then their own one."""
    assert login(client, login_name, password).status_code == 302
    response = client.post("/account/password", data={"current_password": password, "new_password": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD})
    assert response.status_code == 302


def _text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert match, element_id
    return match.group(1).strip()


# --- creating a login ------------------------------------------------------------------------------

def test_treasurer_creates_a_login_and_the_slip_shows_the_one_time_password_once(client, coop, ahmad):
    login(client, "siti.bendahara")
    page = client.get(f"/alhikmah/members/{ahmad.id}").get_data(as_text=True)
    assert "Buat login portal" in page and 'placeholder="alhikmah.a-0001"' in page

    response = client.post(f"/alhikmah/members/{ahmad.id}/login", data={"login": ""})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    password = _slip_password(response)
    assert _text_of(html, "slip-login") == "alhikmah.a-0001"
    assert _text_of(html, "slip-url") == "http://localhost/alhikmah/me"
    assert "Cetak slip (PDF)" in html
    assert len(password) == auth.PASSWORD_LENGTH and set(password) <= set(auth.PASSWORD_ALPHABET)

    db.session.expire_all()
    user = auth.get_user_by_login("alhikmah.a-0001")
    assert db.session.get(Member, ahmad.id).user_id == user.id
    assert user.name == "Ahmad Fauzi" and user.locale == "id" and user.must_change_password
    assert auth.roles_of(user, coop) == {Role.MEMBER}
    assert password not in user.password_hash
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member.login_created"))
    assert event.cooperative_id == coop.id and event.login == "alhikmah.a-0001" and password not in str(event.detail)

    # once: the member page afterwards names the login, never the password, and offers a reset instead
    page = client.get(f"/alhikmah/members/{ahmad.id}").get_data(as_text=True)
    assert _text_of(page, "member-login") == "alhikmah.a-0001"
    assert password not in page and "Reset kata sandi portal" in page and "Buat login portal" not in page


def test_the_treasurer_may_choose_the_login(client, coop, ahmad):
    login(client, "siti.bendahara")
    assert _create_login(client, ahmad, "  Ahmad.Fauzi ")[0] == "ahmad.fauzi"


@pytest.mark.parametrize("chosen, code", [("siti.bendahara", "login_taken"), ("a b", "invalid_login")])
def test_a_taken_or_invalid_login_is_refused_and_nothing_is_written(coop, ahmad, chosen, code):
    users_before = auth.users_of(coop)
    with pytest.raises(MemberError) as err:
        portal.create_member_login(coop, ahmad, login=chosen, actor=None)
    assert err.value.code == code
    assert db.session.get(Member, ahmad.id).user_id is None
    assert auth.users_of(coop) == users_before
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "member.login_created")) is None


def test_a_refusal_on_the_page_is_flashed_on_the_member_page(client, coop, ahmad):
    login(client, "siti.bendahara")
    response = client.post(f"/alhikmah/members/{ahmad.id}/login", data={"login": "siti.bendahara"}, follow_redirects=True)
    assert "Login &#39;siti.bendahara&#39; sudah dipakai." in response.get_data(as_text=True)


def test_a_member_gets_one_login_only(coop, ahmad):
    portal.create_member_login(coop, ahmad, actor=None)
    with pytest.raises(MemberError) as err:
        portal.create_member_login(coop, ahmad, login="ahmad.kedua", actor=None)
    assert err.value.code == "has_login"
    assert auth.get_user_by_login("ahmad.kedua") is None


def test_a_member_who_left_gets_no_login(coop):
    m = _member(coop, "Hasan Basri")
    savings.exit_member(coop, m, effective_date=date(2026, 2, 1))
    with pytest.raises(MemberError) as err:
        portal.create_member_login(coop, m, actor=None)
    assert err.value.code == "not_active"


def test_the_default_login_is_a_valid_login_even_for_odd_member_numbers(coop):
    m = register_member(coop, MemberData(name="Umar", category="santri", number="2026/A.7"), actor=None)
    assert portal.default_login(coop, m) == "alhikmah.2026-a.7"
    assert auth.LOGIN_RE.match(portal.default_login(coop, m))


def test_one_time_passwords_are_random_and_readable():
    passwords = {auth.one_time_password() for _ in range(200)}
    assert len(passwords) == 200
    assert all(len(p) == 10 and not set(p) & set("0o1li") for p in passwords)


@pytest.mark.parametrize("user", ["budi.kasir", "anggota.lain"])
def test_only_admins_and_treasurers_create_logins(client, build, coop, ahmad, user):
    build.user("anggota.lain", coop, "member")
    login(client, user)
    assert client.post(f"/alhikmah/members/{ahmad.id}/login", data={}).status_code == 403
    assert client.post(f"/alhikmah/members/{ahmad.id}/login/reset", data={}).status_code == 403
    assert db.session.get(Member, ahmad.id).user_id is None
    if user == "budi.kasir":
        assert "Buat login portal" not in client.get(f"/alhikmah/members/{ahmad.id}").get_data(as_text=True)


def test_login_actions_need_the_csrf_token(client, app, coop, ahmad):
    assert login(client, "siti.bendahara").status_code == 302
    app.config["WTF_CSRF_ENABLED"] = True  # after logging in: the test is about the actions (reset by the next test)
    for action in ("login", "login/reset", "login/slip.pdf"):
        assert client.post(f"/alhikmah/members/{ahmad.id}/{action}", data={"login": ""}).status_code == 400, action
    assert db.session.get(Member, ahmad.id).user_id is None


def test_a_login_for_another_cooperatives_member_is_404(client, build, coop):
    other = build.coop("darululum")
    stranger = _member(other, "Orang Lain")
    login(client, "siti.bendahara")
    assert client.post(f"/alhikmah/members/{stranger.id}/login", data={}).status_code == 404
    with pytest.raises(MemberError) as err:
        portal.create_member_login(coop, stranger, actor=None)
    assert err.value.code == "not_found"


# --- the slip PDF ----------------------------------------------------------------------------------

def test_the_slip_pdf_is_printed_from_the_slip_page_only_while_the_password_is_unused(client, coop, ahmad):
    login(client, "siti.bendahara")
    login_name, password = _create_login(client, ahmad)
    url = f"/alhikmah/members/{ahmad.id}/login/slip.pdf"
    response = client.post(url, data={"login": login_name, "password": password})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == 'attachment; filename="login-A-0001.pdf"'

    # a made-up password is not printed
    response = client.post(url, data={"login": login_name, "password": "bukan-sandinya"})
    assert response.status_code == 302 and response.headers["Location"] == f"/alhikmah/members/{ahmad.id}"

    # nor the real one once the member has replaced it
    client.post("/logout")
    _member_logs_in(client, login_name, password)
    client.post("/logout")
    login(client, "siti.bendahara")
    assert client.post(url, data={"login": login_name, "password": password}).status_code == 302


# --- first login -----------------------------------------------------------------------------------

def test_first_login_must_change_the_password_before_anything_else(client, coop, ahmad):
    user, password = portal.create_member_login(coop, ahmad, actor=None)
    response = client.post("/login", data={"login": user.login, "password": password, "next": "/alhikmah/me"})
    assert response.headers["Location"] == "/account/password?next=/alhikmah/me"
    page = client.get("/account/password?next=/alhikmah/me").get_data(as_text=True)
    assert 'id="must-change-password"' in page

    for path in ("/", "/alhikmah/", "/alhikmah/me", "/alhikmah/me/passbook", "/login"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/account/password"), path
    # still open: the language switch, static files, the health check
    response = client.post("/language", data={"lang": "en", "next": "/account/password"})
    assert response.headers["Location"] == "/account/password"
    assert client.get("/static/koppontren.css").status_code == 200
    assert client.get("/bootstrap/static/css/bootstrap.min.css").status_code == 200
    assert client.get("/healthz").status_code == 200

    # the one-time password again as the "new" one is refused
    response = client.post("/account/password?next=/alhikmah/me",
                           data={"current_password": password, "new_password": password, "confirm": password})
    assert response.status_code == 200
    assert auth.get_user_by_login(user.login).must_change_password

    response = client.post("/account/password?next=/alhikmah/me",
                           data={"current_password": password, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.headers["Location"] == "/alhikmah/me"
    db.session.expire_all()
    assert not auth.get_user_by_login(user.login).must_change_password
    assert client.get("/alhikmah/me").status_code == 200


def test_a_member_who_must_change_the_password_can_still_log_out(client, coop, ahmad):
    user, password = portal.create_member_login(coop, ahmad, actor=None)
    login(client, user.login, password)
    assert client.post("/logout").headers["Location"] == "/login"
    assert client.get("/alhikmah/me").headers["Location"].startswith("/login?next=")


def test_staff_accounts_are_not_forced_to_change_their_password(client, coop):
    login(client, "siti.bendahara")
    assert client.get("/alhikmah/").status_code == 200


# --- what the member sees --------------------------------------------------------------------------

def test_the_portal_shows_the_members_own_balances_as_the_ledger_has_them(client, coop, ahmad, zainab):
    user, password = portal.create_member_login(coop, ahmad, actor=None)
    _member_logs_in(client, user.login, password)
    response = client.get("/alhikmah/me")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="id">' in html and "Simpanan saya" in html

    b = savings.balances(coop, ahmad.id)
    assert (b.pokok, b.wajib, b.sukarela, b.receivable) == (100_000_00, 75_000_00, 110_000_00, 35_000_00)
    for key in ("pokok", "wajib", "sukarela", "receivable"):
        assert _text_of(html, f"balance-{key}") == money.format_idr(money.from_sen(b.of(key)), 0, "id"), key
    assert _text_of(html, "balance-total") == "Rp285.000"

    arrears = savings.arrears(coop, ahmad)
    assert arrears.count > 0
    assert money.format_idr(money.from_sen(arrears.amount), 0, "id") in html
    assert f"<strong>{arrears.count} bulan</strong>" in html
    assert "Belanja kitab secara kredit" in html
    assert html.count('class="kwitansi-link') == 4  # pokok, wajib, sukarela in and out

    assert "Zainab" not in html and "777.000" not in html


def test_the_portal_passbook_is_the_members_own_whatever_the_url_says(client, coop, ahmad, zainab):
    user, password = portal.create_member_login(coop, ahmad, actor=None)
    _member_logs_in(client, user.login, password)
    html = client.get(f"/alhikmah/me/passbook?kind=sukarela&date_from=2026-01-01&member_id={zainab.id}").get_data(as_text=True)
    assert _text_of(html, "passbook-closing") == "110.000"
    assert "Zainab" not in html and "777.000" not in html
    assert "/alhikmah/members/" not in html  # no staff header, no link into the register

    response = client.get("/alhikmah/me/passbook?kind=sukarela&date_from=2026-01-01&format=pdf")
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")


def test_a_member_downloads_their_own_kwitansi_and_gets_404_for_anybody_elses(client, coop, ahmad, zainab):
    user, password = portal.create_member_login(coop, ahmad, actor=None)
    _member_logs_in(client, user.login, password)
    own = savings.transactions_of(coop, ahmad.id)[0][0]
    theirs = savings.transactions_of(coop, zainab.id)[0][0]
    response = client.get(f"/alhikmah/me/kwitansi/{own.id}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert client.get(f"/alhikmah/me/kwitansi/{theirs.id}.pdf").status_code == 404
    assert client.get("/alhikmah/me/kwitansi/999999.pdf").status_code == 404


def test_a_member_of_another_cooperative_sees_nothing_here(client, build, coop, ahmad):
    other = build.coop("darululum")
    stranger = _member(other, "Orang Lain")
    user, password = portal.create_member_login(other, stranger, actor=None)
    _member_logs_in(client, user.login, password)
    tx = savings.transactions_of(coop, ahmad.id)[0][0]
    assert client.get("/alhikmah/me").status_code == 404
    assert client.get(f"/alhikmah/me/kwitansi/{tx.id}.pdf").status_code == 404
    assert client.get(f"/darululum/me/kwitansi/{tx.id}.pdf").status_code == 404


@pytest.mark.parametrize("path", [
    "/alhikmah/members", "/alhikmah/members/{ahmad}", "/alhikmah/members/{zainab}", "/alhikmah/members/{zainab}/passbook",
    "/alhikmah/members/{ahmad}/passbook", "/alhikmah/savings/transactions/{tx}", "/alhikmah/savings/transactions/{tx}/kwitansi.pdf",
    "/alhikmah/savings/arrears", "/alhikmah/ledger/journal", "/alhikmah/ledger/accounts", "/alhikmah/ledger/trial-balance",
    "/alhikmah/audit", "/alhikmah/users",
])
def test_staff_pages_are_403_for_a_member(client, coop, ahmad, zainab, path):
    user, password = portal.create_member_login(coop, ahmad, actor=None)
    _member_logs_in(client, user.login, password)
    tx = savings.transactions_of(coop, zainab.id)[0][0]
    assert client.get(path.format(ahmad=ahmad.id, zainab=zainab.id, tx=tx.id)).status_code == 403


def test_staff_do_not_open_the_portal(client, coop, ahmad):
    login(client, "siti.bendahara")
    assert client.get("/alhikmah/me").status_code == 403


def test_a_member_login_without_a_member_record_gets_a_clear_message(client, build, coop, ahmad):
    build.user("anggota.lain", coop, "member")
    login(client, "anggota.lain")
    for path in ("/alhikmah/me", "/alhikmah/me/passbook"):
        html = client.get(path).get_data(as_text=True)
        assert 'id="portal-unlinked"' in html and "belum terhubung dengan data anggota" in html, path
        assert "Ahmad" not in html
    tx = savings.transactions_of(coop, ahmad.id)[0][0]
    assert client.get(f"/alhikmah/me/kwitansi/{tx.id}.pdf").status_code == 404


def test_the_dashboard_leads_a_member_to_the_portal(client, coop, ahmad):
    user, password = portal.create_member_login(coop, ahmad, actor=None)
    _member_logs_in(client, user.login, password)
    html = client.get("/alhikmah/").get_data(as_text=True)
    assert '<a class="btn btn-success" href="/alhikmah/me" id="portal-link">' in html
    assert 'id="nav-portal"' in html
    assert "<h2 class=\"h5\">Pembukuan</h2>" not in html


# --- reset -----------------------------------------------------------------------------------------

def test_the_treasurer_resets_a_forgotten_password(client, coop, ahmad, monkeypatch):
    login(client, "siti.bendahara")
    login_name, first = _create_login(client, ahmad)
    client.post("/logout")
    _member_logs_in(client, login_name, first)
    client.post("/logout")

    login(client, "siti.bendahara")
    response = client.post(f"/alhikmah/members/{ahmad.id}/login/reset", data={})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "Kata sandi portal direset" in html and _text_of(html, "slip-login") == login_name
    second = _slip_password(response)
    assert second not in (first, NEW_PASSWORD)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member.login_reset"))
    assert event.actor_id == auth.get_user_by_login("siti.bendahara").id and event.login == login_name
    assert second not in str(event.detail)
    client.post("/logout")

    assert login(client, login_name, NEW_PASSWORD).status_code == 200  # the member's own password is gone
    later = clock.now() + timedelta(seconds=1)  # that failure delays the login's next attempt by a second
    monkeypatch.setattr(clock, "now", lambda: later)
    response = login(client, login_name, second)
    assert response.headers["Location"].startswith("/account/password")
    assert client.get("/alhikmah/me").headers["Location"].startswith("/account/password")


def test_reset_needs_an_existing_login(client, coop, ahmad):
    login(client, "siti.bendahara")
    response = client.post(f"/alhikmah/members/{ahmad.id}/login/reset", data={}, follow_redirects=True)
    assert "belum punya login portal" in response.get_data(as_text=True)


def test_reset_never_touches_an_account_that_is_also_staff(coop, ahmad):
    user, _password = portal.create_member_login(coop, ahmad, actor=None)
    auth.grant_role(coop, user, Role.CASHIER)
    hash_before = user.password_hash
    with pytest.raises(MemberError) as err:
        portal.reset_member_password(coop, ahmad, actor=None)
    assert err.value.code == "not_member_only"
    db.session.expire_all()
    assert auth.get_user_by_login(user.login).password_hash == hash_before


def test_two_treasurers_creating_a_login_at_once_make_one(app, coop, ahmad, is_postgres):
    """The member row is locked: of four simultaneous clicks (each with its own login) one wins."""
    import threading

    from koppontren.tenancy.services import get_by_slug

    if not is_postgres:
        pytest.skip("race tests run on PostgreSQL (SQLite serialises writers by design)")
    db.session.commit()
    barrier, codes, member_id = threading.Barrier(4), [], ahmad.id

    def click(i: int) -> None:
        with app.app_context():
            try:
                coop = get_by_slug("alhikmah")
                member = db.session.get(Member, member_id)
                barrier.wait()
                portal.create_member_login(coop, member, login=f"ahmad.klik{i}", actor=None)
                codes.append("ok")
            except MemberError as err:
                codes.append(err.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(codes) == ["has_login", "has_login", "has_login", "ok"]
    db.session.expire_all()
    winner = auth.user_by_id(db.session.get(Member, member_id).user_id)
    assert [auth.get_user_by_login(f"ahmad.klik{i}") is not None for i in range(4)].count(True) == 1
    assert winner.login.startswith("ahmad.klik")
