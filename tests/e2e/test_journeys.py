"""User journeys in a real browser (Chromium via Playwright) against the live server.

A. the treasurer logs in, switches the interface to English and back, and logs out;
B. on a 360 px wide phone the pages do not overflow sideways and the menu opens;
C. every asset comes from the server itself (the app must work offline: no CDN).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from koppontren.demo import DEMO_PASSWORD
from tests.e2e.conftest import DEMO_SLUG

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}


def log_in(page: Page, login: str) -> None:
    """Log in through the login form and wait for the cooperative's dashboard."""
    page.goto("/login")
    form = page.locator("#login-form")
    expect(form).to_be_visible()
    form.locator("[name=login]").fill(login)
    form.locator("[name=password]").fill(DEMO_PASSWORD)
    form.locator("[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/{DEMO_SLUG}/$"))
    # the URL changes when the dashboard's response starts; its scripts (Bootstrap's dropdowns) run
    # by the load event — a menu toggle clicked before that navigates to "#" and opens nothing
    page.wait_for_load_state("load")


def open_menu_link(page: Page, toggle: str, name: str) -> None:
    """Open a menu of the main navigation (``toggle``: its id selector) and follow its link ``name``.
    Waits for the page's load event first: Bootstrap's dropdown handler exists only once its script
    has run, and a toggle clicked earlier just follows its ``#`` href (seen with two browsers at once)."""
    page.wait_for_load_state("load")
    page.locator(toggle).click()
    page.locator("#mainnav").get_by_role("link", name=name).click()


def nav_link(page: Page, name: str):
    return page.locator("#mainnav").get_by_role("link", name=name, exact=True)


def assert_indonesian_dashboard(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(nav_link(page, "Beranda")).to_be_visible()
    expect(page.locator("#logout")).to_have_text("Keluar")
    expect(page.locator("#lang-en")).to_have_text("English")
    expect(page.get_by_text("Peran Anda")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Beranda · Koppontren$"))


def assert_english_dashboard(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(nav_link(page, "Home")).to_be_visible()
    expect(page.locator("#logout")).to_have_text("Log out")
    expect(page.locator("#lang-id")).to_have_text("Bahasa Indonesia")
    expect(nav_link(page, "Beranda")).to_have_count(0)
    expect(page).to_have_title(re.compile(r"^Home · Koppontren$"))


def test_treasurer_switches_language_and_logs_out(page: Page, live_server, tmp_path):
    """Test A, the acceptance journey."""
    log_in(page, "demo.bendahara")
    assert_indonesian_dashboard(page)
    expect(page.locator("main h1")).to_contain_text("Koperasi")
    expect(page.locator("main .badge", has_text="Bendahara")).to_be_visible()

    page.locator("#lang-en").click()
    expect(page).to_have_url(re.compile(rf"/{DEMO_SLUG}/$"))  # stays on the same page
    assert_english_dashboard(page)
    expect(page.locator("main .badge", has_text="Treasurer")).to_be_visible()
    page.screenshot(path=tmp_path / "dashboard-en.png", full_page=True)

    page.locator("#lang-id").click()
    expect(page).to_have_url(re.compile(rf"/{DEMO_SLUG}/$"))
    assert_indonesian_dashboard(page)

    page.locator("#logout").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("#login-form")).to_be_visible()
    expect(page.get_by_role("heading", name="Masuk ke Koppontren")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("Anda telah keluar.")
    expect(page.locator("#logout")).to_have_count(0)

    # Logged out means logged out: the dashboard sends us back to the login page.
    page.goto(f"/{DEMO_SLUG}/")
    expect(page).to_have_url(re.compile(r"/login\?next="))

    shot = tmp_path / "logged-out.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.is_file() and shot.stat().st_size > 0
    assert (tmp_path / "dashboard-en.png").stat().st_size > 0
    assert page.js_errors == []


def _page_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _sticking_out(page: Page, width: int) -> list[str]:
    """Elements whose right edge passes ``width`` (tables inside .table-responsive scroll on their own)."""
    return page.evaluate(
        """(width) => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > width && !e.closest('.table-responsive'))
            .map(e => `<${e.tagName.toLowerCase()} class="${e.className}"> right=${Math.round(e.getBoundingClientRect().right)}`)
            .slice(0, 6)""",
        width,
    )


@pytest.mark.parametrize("path", ["", "users", "settings"])
def test_pages_fit_a_360px_phone(new_page, live_server, tmp_path, path):
    """Test B: no sideways scrolling at 360 px, and the collapsed menu opens with the toggler."""
    page = new_page(viewport=PHONE, device_scale_factor=1)
    log_in(page, "demo.admin")
    if path:
        page.goto(f"/{DEMO_SLUG}/{path}")
    expect(page).to_have_url(re.compile(rf"/{DEMO_SLUG}/{path}$"))
    expect(page.locator("main h1")).to_be_visible()
    closed_width, closed_culprits = _page_width(page), _sticking_out(page, PHONE["width"])

    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "false")
    links = [nav_link(page, name) for name in ("Beranda", "Pengguna", "Log audit", "Pengaturan")]
    for link in links:
        expect(link).to_be_hidden()
    expect(page.locator("#logout")).to_be_hidden()

    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#mainnav")).to_have_class(re.compile(r"\bshow\b"))  # collapse animation finished
    for link in links:
        expect(link).to_be_visible()
    expect(page.locator("#logout")).to_be_visible()
    expect(page.locator("#lang-en")).to_be_visible()
    open_width, open_culprits = _page_width(page), _sticking_out(page, PHONE["width"])

    shot = tmp_path / f"phone-{path or 'dashboard'}.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.is_file() and shot.stat().st_size > 0
    assert page.js_errors == []

    page_name = f"/{DEMO_SLUG}/{path}"
    assert closed_width <= PHONE["width"], (
        f"{page_name} is {closed_width}px wide at a {PHONE['width']}px viewport; sticking out: {closed_culprits}")
    assert open_width <= PHONE["width"], (
        f"{page_name} with the menu open is {open_width}px wide; sticking out: {open_culprits}")


def test_assets_are_served_locally(page: Page, live_server):
    """Test C: nothing is fetched from another origin, and Bootstrap's CSS and JS really load."""
    log_in(page, "demo.admin")
    page.wait_for_load_state("networkidle")
    # watched from here: leaving the login page may abort its own unfinished requests (ERR_ABORTED)
    requests: list[str] = []
    failed: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("requestfailed", lambda request: failed.append(f"{request.url} {request.failure}"))
    bad_status: list[str] = []
    page.on("response", lambda response: response.status >= 400 and bad_status.append(
        f"{response.status} {response.url}"))
    page.goto(f"/{DEMO_SLUG}/")
    page.wait_for_load_state("networkidle")

    foreign = [url for url in requests
               if not url.startswith(live_server.origin + "/") and not url.startswith("data:")]
    assert foreign == [], f"requests to other origins: {foreign}"
    stylesheets = [url for url in requests if url.split("?")[0].endswith(".css")]
    scripts = [url for url in requests if url.split("?")[0].endswith(".js")]
    assert any("bootstrap" in url for url in stylesheets), requests
    assert any("bootstrap" in url for url in scripts), requests
    assert failed == [], failed
    assert bad_status == [], bad_status

    # The CSS is applied (Bootstrap's navbar is a flex box, its toggler hidden on a wide screen)…
    expect(page.locator("nav.navbar")).to_have_css("display", "flex")
    expect(page.locator(".navbar-toggler")).to_be_hidden()
    expect(page.locator("nav.navbar")).to_have_css("background-color", "rgb(25, 135, 84)")  # bg-success
    # …and so are the project's own stylesheet and Bootstrap's JavaScript.
    expect(page.locator(".empty-state").first).to_have_css("border-top-style", "dashed")
    assert page.evaluate("typeof window.bootstrap?.Collapse") == "function"
    assert page.js_errors == []
