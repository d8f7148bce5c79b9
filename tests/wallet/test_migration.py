"""Migration 0013 on a SQLite database that already has sales (their lines and returns reference
``sale``): the upgrade widens sale's payment CHECK without losing a row or a foreign key, the
constraint still refuses unknown payments, and the downgrade puts it back."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

pytestmark = pytest.mark.slow

SCRIPT = """
from datetime import date
from decimal import Decimal
from koppontren import create_app
app = create_app()
with app.app_context():
    from koppontren.shop import services as shop
    from koppontren.tenancy import services as tenancy
    c = tenancy.create_cooperative("mig", "Koperasi Mig")
    sup = shop.create_party(c, kind="supplier", code="S", name="S")
    p = shop.create_product(c, shop.ProductData(sku="P", name="P", price=Decimal(1000)))
    shop.record_purchase(c, party_id=sup.id, items=[shop.PurchaseItem(p.id, 5, Decimal(500))], day=date(2026, 11, 1))
    s = shop.record_sale(c, items=[shop.SaleItem(p.id, 2)], day=date(2026, 11, 2))
    shop.record_sale_return(c, s.id, items=[shop.SaleItem(p.id, 1)], day=date(2026, 11, 3))
"""


def _run(env, *args):
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=600, check=False)


def test_upgrading_a_database_with_sales_keeps_them_and_widens_the_check(tmp_path: Path, is_postgres):
    if is_postgres:
        pytest.skip("PostgreSQL alters the constraint in place; this is SQLite's table definition")
    db_file = tmp_path / "old.db"
    env = {**os.environ, "KOPPONTREN_DATABASE_URL": f"sqlite:///{db_file}"}
    cli = [str(Path(sys.executable).with_name("koppontren"))]
    # the sales are made with today's models (at head), then the schema goes back to 0012 under them:
    # today's models can't write to a 0012 schema (later migrations add columns, e.g. account.allow_overdraft)
    up = subprocess.run([*cli, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=600)
    assert up.returncode == 0, up.stderr[-2000:]
    made = _run(env, "-c", SCRIPT)
    assert made.returncode == 0, made.stderr[-2000:]
    back = subprocess.run([*cli, "db", "downgrade", "0012_customer_credit"], env=env, capture_output=True, text=True, timeout=600)
    assert back.returncode == 0, back.stderr[-2000:]
    head = subprocess.run([*cli, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=600)
    assert head.returncode == 0, head.stderr[-2000:]
    conn = sqlite3.connect(db_file)
    try:
        head_revision = ScriptDirectory(str(Path(__file__).resolve().parents[2] / "migrations")).get_current_head()
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (head_revision,)  # 0013_wallet and after
        assert conn.execute("SELECT count(*) FROM sale").fetchone() == (2,)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute("UPDATE sale SET payment = 'wallet' WHERE id = 1")  # now allowed …
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("UPDATE sale SET payment = 'gopay' WHERE id = 1")  # … and the CHECK still refuses the unknown
        conn.rollback()
    finally:
        conn.close()
    down = subprocess.run([*cli, "db", "downgrade", "0012_customer_credit"], env=env, capture_output=True, text=True, timeout=600)
    assert down.returncode == 0, down.stderr[-2000:]
    conn = sqlite3.connect(db_file)
    try:
        assert "'credit')" in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'sale'").fetchone()[0]
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("UPDATE sale SET payment = 'wallet' WHERE id = 1")
    finally:
        conn.close()
