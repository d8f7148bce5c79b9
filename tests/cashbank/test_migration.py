"""Migration 0017 (cash transfers) on a database whose cooperatives predate it: each gets 1105 Kas dalam Perjalanan
under 11 (or the first free code after it, when a treasurer already used 1105), 6109 gets the role
``bank_charges``, every account ``allow_overdraft`` false; the downgrade takes them back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.helpers import scratch_database

pytestmark = pytest.mark.slow

SCRIPT = """
from koppontren import create_app
app = create_app()
with app.app_context():
    from koppontren.tenancy import services as tenancy
    tenancy.create_cooperative("lama", "Koperasi Lama")
    tenancy.create_cooperative("pakai", "Koperasi Pakai")
"""


def _cli(env, *args):
    result = subprocess.run([str(Path(sys.executable).with_name("koppontren")), *args], env=env, capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]


def _accounts(engine, slug: str) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.code, a.role, p.code FROM account a JOIN cooperative c ON c.id = a.cooperative_id "
            "LEFT JOIN account p ON p.id = a.parent_id WHERE c.slug = :s"), {"s": slug}).all()
    return {code: (role, parent) for code, role, parent in rows}


def test_existing_cooperatives_get_1105_and_the_fee_role(database_url, tmp_path):
    with scratch_database(database_url, tmp_path, "mig0017") as url:
        env = {**os.environ, "KOPPONTREN_DATABASE_URL": url}
        _cli(env, "db", "upgrade")
        made = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600, check=False)
        assert made.returncode == 0, made.stderr[-2000:]
        _cli(env, "db", "downgrade", "0014_covering_indexes")  # as if the cooperatives were older than 0017
        engine = create_engine(url)
        try:
            lama = _accounts(engine, "lama")
            assert "1105" not in lama and lama["6109"] == (None, "6")
            with engine.begin() as conn:  # a treasurer of "pakai" had made 1105 their own cash account
                conn.execute(text(
                    "INSERT INTO account (cooperative_id, code, parent_id, name_id, name_en, type, normal_balance, postable, role, "
                    "statement_section, cash_flow, active, created_at) SELECT c.id, '1105', p.id, 'Kas Unit Produksi', "
                    "'Production Cash', 'asset', 'debit', :t, NULL, 'aset_lancar', 'cash', :t, CURRENT_TIMESTAMP "
                    "FROM cooperative c JOIN account p ON p.cooperative_id = c.id AND p.code = '11' WHERE c.slug = 'pakai'"), {"t": True})
            _cli(env, "db", "upgrade")
            lama, pakai = _accounts(engine, "lama"), _accounts(engine, "pakai")
            assert lama["1105"] == ("cash_transit", "11") and lama["6109"] == ("bank_charges", "6")
            assert pakai["1105"] == (None, "11") and pakai["1106"] == ("cash_transit", "11")
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM account WHERE allow_overdraft")).scalar() == 0
                assert conn.execute(text("SELECT count(*) FROM account WHERE role = 'cash_transit'")).scalar() == 2
        finally:
            engine.dispose()
