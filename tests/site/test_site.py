"""Health check, configuration rules, error pages in both languages."""

from __future__ import annotations

import pytest

from koppontren import create_app
from tests.helpers import login


def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    app.instance_path = str(tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_production_refuses_to_start_without_a_strong_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("KOPPONTREN_INSTANCE_PATH", str(tmp_path))
    for weak in (None, "", "dev", "short-secret"):
        with pytest.raises(RuntimeError, match="KOPPONTREN_SECRET_KEY"):
            create_app("production", SECRET_KEY=weak, SQLALCHEMY_DATABASE_URI="sqlite://")
    app = create_app("production", SECRET_KEY="x" * 48, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_generates_and_keeps_a_secret_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("KOPPONTREN_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("KOPPONTREN_SECRET_KEY", raising=False)
    first = create_app("development", SECRET_KEY=None).config["SECRET_KEY"]
    second = create_app("development", SECRET_KEY=None).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").read_text().strip() == first


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("KOPPONTREN_INSTANCE_PATH", str(tmp_path))
    app = create_app("development", SQLALCHEMY_DATABASE_URI=None)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'koppontren.db'}"


def test_postgresql_urls_use_psycopg3(monkeypatch, tmp_path):
    monkeypatch.setenv("KOPPONTREN_INSTANCE_PATH", str(tmp_path))
    app = create_app("development", SQLALCHEMY_DATABASE_URI="postgresql://u@127.0.0.1/db")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1/db"


def test_unknown_config_name_is_an_error():
    with pytest.raises(RuntimeError, match="KOPPONTREN_CONFIG"):
        create_app("staging")


def test_404_page_is_in_indonesian_by_default_and_english_on_request(client):
    page = client.get("/tidak/ada/halaman")
    assert page.status_code == 404
    assert "Halaman tidak ditemukan" in page.get_data(as_text=True)
    client.post("/language", data={"lang": "en"})
    page = client.get("/tidak/ada/halaman")
    assert page.status_code == 404
    assert "Page not found" in page.get_data(as_text=True)


def test_403_page_in_both_languages(client, build):
    build.user("anggota", build.coop("alhikmah"), "member")
    login(client, "anggota")
    assert "Akses ditolak" in client.get("/alhikmah/settings").get_data(as_text=True)
    client.post("/language", data={"lang": "en"})
    assert "Access denied" in client.get("/alhikmah/settings").get_data(as_text=True)


def test_500_page_in_both_languages(database_url, tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, PROPAGATE_EXCEPTIONS=False,
                     WTF_CSRF_ENABLED=False)
    app.instance_path = str(tmp_path)

    @app.get("/__boom")
    def boom():
        raise RuntimeError("boom")

    client = app.test_client()
    page = client.get("/__boom")
    assert page.status_code == 500
    assert "Terjadi kesalahan" in page.get_data(as_text=True)
    client.post("/language", data={"lang": "en"})
    assert "Internal server error" in client.get("/__boom").get_data(as_text=True)


def test_language_choice_is_saved_on_the_account(client, build):
    from koppontren.auth.services import get_user_by_login

    build.user("ahmad", build.coop("alhikmah"), "treasurer")
    login(client, "ahmad")
    client.post("/language", data={"lang": "en", "next": "/alhikmah/"})
    assert get_user_by_login("ahmad").locale == "en"
    client.post("/logout")
    client.post("/language", data={"lang": "id"})
    login(client, "ahmad")
    assert "Home" in client.get("/alhikmah/").get_data(as_text=True)


def test_language_switch_ignores_unknown_languages_and_foreign_next(client):
    response = client.post("/language", data={"lang": "fr", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert "Masuk ke Koppontren" in client.get("/login").get_data(as_text=True)


def test_all_assets_are_served_locally(client):
    page = client.get("/login").get_data(as_text=True)
    assert "cdn" not in page.lower()
    assert "https://" not in page
    assert client.get("/bootstrap/static/css/bootstrap.min.css").status_code == 200
    assert client.get("/static/koppontren.css").status_code == 200


def test_operator_lands_on_the_platform(client, build):
    build.user("operator", None, operator=True)
    login(client, "operator")
    assert client.get("/").headers["Location"] == "/platform/coops"


def test_user_with_several_cooperatives_chooses_one(client, build):
    a, b = build.coop("coop-a", "Koperasi A"), build.coop("coop-b", "Koperasi B")
    build.user("ustadz", a, "member")
    build.user("ustadz", b, "auditor")
    login(client, "ustadz")
    page = client.get("/").get_data(as_text=True)
    assert "Koperasi A" in page and "Koperasi B" in page


def test_the_favicon_is_a_file_not_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO header
    assert "max-age=86400" in response.headers["Cache-Control"]
    page = client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico"' in page
