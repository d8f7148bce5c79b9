"""Security headers on every response; templates keep to the CSP (no inline script or style)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from koppontren import create_app
from tests.helpers import login

ROOT = Path(__file__).resolve().parents[2]
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event-handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_of_the_web_pages_needs_an_unsafe_inline_policy():
    """The CSP allows scripts and styles only from files; an inline one would silently not run."""
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text[: match.start()].count("\n") + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert problems == []


def test_pages_carry_the_security_headers(client, build):
    build.user("bendahara", build.coop(), "treasurer")
    for response in (client.get("/login"), login(client, "bendahara"), client.get("/alhikmah/")):
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in headers  # development/testing is plain HTTP


def test_a_rendered_page_has_no_inline_script(client, build):
    """Also what extensions render (Bootstrap-Flask's load_js) keeps to the policy."""
    build.user("bendahara", build.coop(), "treasurer")
    login(client, "bendahara")
    page = client.get("/alhikmah/").get_data(as_text=True)
    assert re.findall(INLINE[0][0], page) == []


def test_static_files_may_be_cached(client):
    response = client.get("/static/koppontren.css")
    assert response.status_code == 200 and response.headers.get("Cache-Control") != "no-store"


@pytest.mark.parametrize("name", ["production"])
def test_production_sends_hsts(name, monkeypatch, tmp_path):
    monkeypatch.setenv("KOPPONTREN_INSTANCE_PATH", str(tmp_path))
    app = create_app(name, SECRET_KEY="k" * 40, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.db'}")
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
