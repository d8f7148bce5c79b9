"""Browser (end-to-end) fixtures: a live Koppontren server in a background thread and Debian's
Chromium driven by Playwright.

* The live server has its own SQLite file in a temporary folder (never the unit-test database, even
  when ``KOPPONTREN_TEST_DATABASE_URL`` points at PostgreSQL), migrated and seeded with the demo
  cooperative ``demo``. CSRF protection is ON: a real browser sends the token.
* The message catalogues are compiled from the ``.po`` files into a temporary folder, so the tests
  see the current English translations even when nobody ran ``pybabel compile``.
* No browser is ever downloaded: ``/usr/bin/chromium`` is used. When it is missing the tests are
  skipped, unless ``KOPPONTREN_REQUIRE_BROWSER=1`` (CI), in which case they fail.

None of these fixtures is called ``app``, so the unit tests' autouse ``_clean`` fixture never empties
the live server's database.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_SLUG = "demo"
#: Upper bound for any single browser action or expectation: fail fast rather than hang.
TIMEOUT_MS = 10_000
TRANSLATIONS = Path(__file__).resolve().parents[2] / "koppontren" / "translations"


def _no_browser(reason: str) -> None:
    """Skip, or fail when CI demands the browser tests (KOPPONTREN_REQUIRE_BROWSER=1)."""
    if os.environ.get("KOPPONTREN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (KOPPONTREN_REQUIRE_BROWSER=1, so this is an error)", pytrace=False)
    pytest.skip(reason)


def _compile_translations(target: Path) -> Path:
    """Compile every ``<locale>/LC_MESSAGES/*.po`` into ``target`` (same as ``pybabel compile``)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        locale = po.parent.parent.name
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        mo = target / locale / "LC_MESSAGES" / (po.stem + ".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
    return target


@dataclass(frozen=True)
class LiveServer:
    url: str  # e.g. http://127.0.0.1:43567 (no trailing slash)
    app: object

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def coop_url(self) -> str:
        return f"{self.url}/{DEMO_SLUG}/"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not CHROMIUM.exists():
        _no_browser(f"{CHROMIUM} not found: install Debian's chromium package to run the browser tests")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app served on 127.0.0.1:<free port> by a threaded werkzeug server, for the whole session."""
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from koppontren import create_app
    from koppontren.demo import ensure_demo
    from koppontren.extensions import db

    base = tmp_path_factory.mktemp("e2e")
    translations = _compile_translations(base / "translations")
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{base / 'e2e.db'}",
        WTF_CSRF_ENABLED=True,
        BABEL_TRANSLATION_DIRECTORIES=str(translations),
    )
    app.instance_path = str(base / "instance")
    Path(app.instance_path).mkdir()
    with app.app_context():
        upgrade()
        ensure_demo(DEMO_SLUG)
        db.session.remove()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="koppontren-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """``new_page(**context_options)`` → a fresh page in its own context (own cookies) on the live
    server; uncaught JavaScript errors are collected in ``page.js_errors``. Closed after the test."""
    contexts = []

    def make(**options):
        options.setdefault("base_url", live_server.url)
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A page with Playwright's default desktop viewport (1280×720)."""
    return new_page()
