"""The ``koppontren`` command: flags are a contract, errors are clear and exit non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from koppontren.auth import services as auth
from koppontren.tenancy import services as tenancy


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args, **kw: runner.invoke(args=list(args), **kw)


def test_coop_create(cli, app_ctx):
    result = cli("coop", "create", "alhikmah", "--name", "Koperasi Pondok Pesantren Al-Hikmah", "--fiscal-year-start", "7")
    assert result.exit_code == 0, result.output
    assert "Created cooperative alhikmah" in result.output
    coop = tenancy.get_by_slug("alhikmah")
    assert coop.fiscal_year_start_month == 7 and coop.name == "Koperasi Pondok Pesantren Al-Hikmah"


def test_coop_create_refuses_duplicates_and_bad_months(cli, app_ctx):
    assert cli("coop", "create", "alhikmah", "--name", "A").exit_code == 0
    again = cli("coop", "create", "alhikmah", "--name", "B")
    assert again.exit_code == 1 and "slug_taken" in again.output
    bad_month = cli("coop", "create", "lain", "--name", "C", "--fiscal-year-start", "13")
    assert bad_month.exit_code == 2
    missing_name = cli("coop", "create", "lain")
    assert missing_name.exit_code == 2 and "--name" in missing_name.output


def test_user_create_with_role_and_password(cli, app_ctx):
    cli("coop", "create", "alhikmah", "--name", "Koperasi")
    result = cli("user", "create", "siti", "--coop", "alhikmah", "--role", "treasurer", "--name", "Siti Aminah", "--password", "rahasia-siti")
    assert result.exit_code == 0, result.output
    user = auth.get_user_by_login("siti")
    assert user.name == "Siti Aminah"
    assert auth.roles_of(user, tenancy.get_by_slug("alhikmah")) == {auth.Role.TREASURER}
    assert auth.authenticate("siti", "rahasia-siti") is not None


def test_user_create_prompts_for_a_hidden_password_when_none_is_given(cli, app_ctx):
    cli("coop", "create", "alhikmah", "--name", "Koperasi")
    result = cli("user", "create", "ahmad", "--coop", "alhikmah", "--role", "cashier", input="sandi-ahmad-1\nsandi-ahmad-1\n")
    assert result.exit_code == 0, result.output
    assert "sandi-ahmad-1" not in result.output
    assert auth.authenticate("ahmad", "sandi-ahmad-1") is not None


def test_user_create_adds_a_role_to_an_existing_account(cli, app_ctx):
    cli("coop", "create", "coop-a", "--name", "A")
    cli("coop", "create", "coop-b", "--name", "B")
    cli("user", "create", "ustadz", "--coop", "coop-a", "--role", "member", "--password", "sandi-ustadz")
    result = cli("user", "create", "ustadz", "--coop", "coop-b", "--role", "auditor")
    assert result.exit_code == 0 and "Added ustadz" in result.output
    assert auth.roles_of(auth.get_user_by_login("ustadz"), tenancy.get_by_slug("coop-b")) == {auth.Role.AUDITOR}
    with_password = cli("user", "create", "ustadz", "--coop", "coop-b", "--role", "member", "--password", "lain-lain-1")
    assert with_password.exit_code == 1 and "already exists" in with_password.output


def test_user_create_operator(cli, app_ctx):
    result = cli("user", "create", "operator", "--operator", "--password", "operator-rahasia")
    assert result.exit_code == 0, result.output
    assert auth.get_user_by_login("operator").is_operator


@pytest.mark.parametrize(
    "args, code, text",
    [
        (["user", "create", "x1y", "--coop", "alhikmah"], 2, "--role"),
        (["user", "create", "x1y", "--role", "admin"], 2, "--coop"),
        (["user", "create", "x1y", "--operator", "--coop", "alhikmah", "--role", "admin"], 2, "--operator"),
        (["user", "create", "x1y", "--coop", "alhikmah", "--role", "boss", "--password", "p" * 10], 2, "boss"),
        (["user", "create", "x1y", "--coop", "tidak-ada", "--role", "admin", "--password", "p" * 10], 1, "tidak-ada"),
        (["user", "create", "x1y", "--coop", "alhikmah", "--role", "admin", "--password", "pendek"], 1, "weak_password"),
        (["user", "create", "X Y", "--coop", "alhikmah", "--role", "admin", "--password", "p" * 10], 1, "invalid_login"),
    ],
)
def test_user_create_bad_arguments_fail_clearly(cli, app_ctx, args, code, text):
    cli("coop", "create", "alhikmah", "--name", "Koperasi")
    result = cli(*args)
    assert result.exit_code == code, result.output
    assert text in result.output
    assert auth.get_user_by_login("x1y") is None


def test_demo_is_idempotent_and_prints_the_logins(cli, app_ctx):
    first = cli("demo")
    second = cli("demo")
    assert first.exit_code == 0 and second.exit_code == 0
    assert "Created demo cooperative" in first.output and "Found demo cooperative" in second.output
    for login in ("demo.admin", "demo.bendahara", "demo.kasir", "demo.pengawas", "demo.anggota", "demo.operator"):
        assert login in first.output and login in second.output
    coop = tenancy.get_by_slug("demo")
    assert coop.name.startswith("Koperasi Pondok Pesantren")
    assert len(auth.users_of(coop)) == 5


def test_the_console_script_end_to_end(tmp_path):
    """The installed ``koppontren`` script on a fresh SQLite database, as the README uses it."""
    env = {**os.environ, "KOPPONTREN_INSTANCE_PATH": str(tmp_path), "KOPPONTREN_CONFIG": "development"}
    env.pop("KOPPONTREN_DATABASE_URL", None)
    script = str(Path(sys.executable).with_name("koppontren"))

    def run(*args, input=None):
        return subprocess.run([script, *args], env=env, capture_output=True, text=True, input=input, timeout=120)

    assert run("db", "upgrade").returncode == 0
    assert run("coop", "create", "alhikmah", "--name", "Koperasi Al-Hikmah").returncode == 0
    created = run("user", "create", "siti", "--coop", "alhikmah", "--role", "admin", "--password", "sandi-siti-1")
    assert created.returncode == 0, created.stderr
    assert "Created siti as admin of alhikmah" in created.stdout
    demo = run("demo")
    assert demo.returncode == 0 and "demo.bendahara" in demo.stdout
    assert run("demo").returncode == 0
    check = run("check", "--coop", "demo")  # on the real clock: the demo's books never dip below zero, nor lie ahead
    assert check.returncode == 0 and "[ok] cash and bank never below zero at any day's end" in check.stdout, check.stdout + check.stderr
    bad = run("coop", "create", "alhikmah", "--name", "Lagi")
    assert bad.returncode == 1 and "Error" in bad.stderr
    assert (tmp_path / "koppontren.db").exists()


def test_demo_prints_the_url_it_is_served_at(cli, app_ctx):
    assert "URL: http://127.0.0.1:5000/demo/" in cli("demo").output
    assert "URL: http://0.0.0.0:8000/demo/" in cli("demo", "--base-url", "http://0.0.0.0:8000/").output
