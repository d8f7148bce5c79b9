"""Explicit wiring (issue 19 §5): every package's ledger hooks are plugged in by one visible call
from create_app (``koppontren/wiring.py``), by name — never as a side effect of an import."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from koppontren import wiring
from koppontren.auth import platform
from koppontren.extensions import db
from koppontren.ledger import chart, integrity, subledgers
from koppontren.ledger.models import Account
from koppontren.tenancy import lifecycle
from koppontren.tenancy import services as tenancy

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAVINGS_SOURCES = ["member_import", "savings"]

#: everything the app plugs in, by name and in the order it runs
FULL_REGISTRY = {
    "subledgers": ["member", "party"],
    "reversal_guards": ["savings", "shop", "shu", "wallet"],
    "reserved_roles": {
        "savings_principal": ("simpanan", SAVINGS_SOURCES),
        "savings_mandatory": ("simpanan", SAVINGS_SOURCES),
        "savings_voluntary": ("simpanan", SAVINGS_SOURCES),
        "exit_payable": ("simpanan", SAVINGS_SOURCES),
        "santri_wallet": ("dompet santri", ["shop", "wallet"]),
    },
    "integrity_checks": [
        "entries balance",
        "lines carry their entry's date",
        "trial balance nets to zero",
        "voucher numbers gapless",
        "hash chain intact",
        "subledgers equal their control accounts",
        "cash and bank never below zero at any day's end",
        "cash day balances equal the journal",
        "inventory equals stock values",
        "santri wallets equal 2113",
    ],
    "payment_methods": ["wallet"],
    "cooperative_created": ["ledger"],
    "books_start_guards": ["ledger"],
    "coop_page_roles": "auth",
}


def test_the_app_wires_every_hook_by_name(app):
    assert wiring.registry() == FULL_REGISTRY


def test_wiring_again_replaces_instead_of_adding(app):
    """A second app (tests, a reloading server) must not run a check or a guard twice."""
    wiring.wire()
    wiring.wire()
    assert wiring.registry() == FULL_REGISTRY
    assert len(subledgers.reversal_guards()) == len(FULL_REGISTRY["reversal_guards"])


def test_every_check_runs_once_per_cooperative(build):
    coop = build.coop()
    names = [result.name for result in integrity.check_cooperative(coop).results]
    assert names == FULL_REGISTRY["integrity_checks"]


def test_importing_every_module_registers_nothing():
    """Hooks come from create_app's one call, not from whichever modules happen to be imported."""
    script = (
        "import importlib, pkgutil, koppontren\n"
        "from koppontren import wiring\n"
        "for m in pkgutil.walk_packages(koppontren.__path__, 'koppontren.'):\n"
        "    importlib.import_module(m.name)\n"
        "r = wiring.registry()\n"
        "assert r['integrity_checks'] == [n for n, _ in __import__('koppontren.ledger.integrity').ledger.integrity.CORE_CHECKS], r\n"
        "assert all(not v for k, v in r.items() if k != 'integrity_checks'), r\n"
        "print('clean')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("clean")


def test_a_new_cooperative_gets_its_chart_from_the_ledger_hook(build):
    coop = build.coop()
    assert chart.account_by_code(coop, "1101") is not None
    assert len(chart.accounts(coop)) == len(chart.template_rows())


def test_a_failing_cooperative_hook_leaves_no_cooperative_behind(app_ctx, monkeypatch):
    """The hooks run inside the creation's unit of work: one refusing leaves nothing (no row, no chart)."""
    def refuse(coop):
        raise tenancy.TenancyError("invalid_field", "refused by a hook")

    monkeypatch.setitem(lifecycle._CREATED, "refusing", refuse)
    with pytest.raises(tenancy.TenancyError):
        platform.create_cooperative_with_admin("baru", "Koperasi Baru", admin_login="admin.baru", admin_name="Admin",
                                              admin_password="kata-sandi-yang-panjang-1")
    assert tenancy.get_by_slug("baru") is None
    assert db.session.scalar(select(func.count()).select_from(Account)) == 0


def test_a_books_start_guard_refuses_and_nothing_moves(build, monkeypatch):
    coop = build.coop(books_start=date(2026, 1, 1))
    admin = build.user("ketua", coop, "admin")

    def refuse(coop, new):
        raise tenancy.TenancyError("books_start_locked", "refused by a hook", {"books_start": "refused"})

    monkeypatch.setitem(lifecycle._BOOKS_START_GUARDS, "refusing", refuse)
    with pytest.raises(tenancy.TenancyError) as err:
        tenancy.update_cooperative(coop, actor=admin, books_start=date(2025, 7, 1))
    assert err.value.code == "books_start_locked"
    db.session.rollback()
    assert db.session.get(type(coop), coop.id).books_start == date(2026, 1, 1)
