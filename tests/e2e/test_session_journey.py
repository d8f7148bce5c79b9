"""Sessions end when they should, in a real browser (issue 18 §3): a session cookie saved before
logging out, or before a password change made in another browser, opens only the login page
afterwards, and a form posted with it (its CSRF token too) writes nothing."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_SLUG

pytestmark = pytest.mark.e2e

PASSWORD = "sesi-rahasia-123"


def _make_user(live_server) -> str:
    """A treasurer of the demo cooperative of this test alone (the journey changes its password)."""
    from koppontren.auth import services as auth
    from koppontren.extensions import db
    from koppontren.tenancy.services import get_by_slug

    login = f"e2e.sesi.{uuid.uuid4().hex[:8]}"
    with live_server.app.app_context():
        auth.grant_role(get_by_slug(DEMO_SLUG), auth.create_user(login, "Bendahara Sesi", PASSWORD), "treasurer")
        db.session.remove()
    return login


def _token_names(live_server, login: str) -> list[str]:
    from koppontren.auth import services as auth
    from koppontren.auth import tokens
    from koppontren.extensions import db
    from koppontren.tenancy.services import get_by_slug

    with live_server.app.app_context():
        names = [t.name for t in tokens.tokens_of(get_by_slug(DEMO_SLUG), auth.get_user_by_login(login))]
        db.session.remove()
        return names


def _log_in(page: Page, login: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    form = page.locator("#login-form")
    form.locator("[name=login]").fill(login)
    form.locator("[name=password]").fill(password)
    form.locator("[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/{DEMO_SLUG}/$"))
    page.wait_for_load_state("load")


def _saved_session(page: Page) -> tuple[list, str]:
    """The browser's cookies and a CSRF token of the logged-in session (as an attacker would copy them)."""
    page.goto(f"/{DEMO_SLUG}/tokens")
    token = page.locator("#token-form [name=csrf_token]").get_attribute("value")
    return page.context.cookies(), token


def _assert_replay_gets_the_login_page(new_page, live_server, cookies: list, csrf: str, login: str) -> None:
    replay = new_page()
    replay.context.add_cookies(cookies)
    replay.goto(f"/{DEMO_SLUG}/")
    expect(replay).to_have_url(re.compile(r"/login\?next="))
    expect(replay.locator("#login-form")).to_be_visible()
    expect(replay.locator("#logout")).to_have_count(0)
    # a POST with the copied cookie and its CSRF token is sent to the login page and writes nothing
    fresh = new_page()
    fresh.context.add_cookies(cookies)
    response = fresh.request.post(f"{live_server.url}/{DEMO_SLUG}/tokens", form={"name": "replayed", "csrf_token": csrf},
                                  max_redirects=0)
    assert response.status == 302 and response.headers["location"].startswith("/login")
    assert "replayed" not in _token_names(live_server, login)


def test_a_cookie_saved_before_logout_gets_the_login_page(page: Page, new_page, live_server):
    login = _make_user(live_server)
    _log_in(page, login)
    cookies, csrf = _saved_session(page)
    page.goto(f"/{DEMO_SLUG}/")
    page.locator("#logout").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    _assert_replay_gets_the_login_page(new_page, live_server, cookies, csrf, login)
    assert page.js_errors == []


def test_a_cookie_saved_before_a_password_change_elsewhere_gets_the_login_page(page: Page, new_page, live_server):
    login = _make_user(live_server)
    _log_in(page, login)
    cookies, csrf = _saved_session(page)

    other = new_page()  # another browser: the person changes the password there
    _log_in(other, login)
    other.goto("/account/password")
    form = other.locator("form").filter(has=other.locator("[name=new_password]"))
    form.locator("[name=current_password]").fill(PASSWORD)
    form.locator("[name=new_password]").fill("sesi-baru-456")
    form.locator("[name=confirm]").fill("sesi-baru-456")
    form.locator("[type=submit]").click()
    expect(other.get_by_role("alert")).to_contain_text("Kata sandi sudah diganti.")
    other.goto(f"/{DEMO_SLUG}/")
    expect(other).to_have_url(re.compile(rf"/{DEMO_SLUG}/$"))  # the browser that changed it goes on

    page.goto(f"/{DEMO_SLUG}/")  # the first browser's own session has ended too
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("alert")).to_contain_text("Sesi Anda sudah berakhir.")
    _assert_replay_gets_the_login_page(new_page, live_server, cookies, csrf, login)
    assert page.js_errors == [] and other.js_errors == []
