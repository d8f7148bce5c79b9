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
    from koppontren.ledger.chart import account_for
    from koppontren.ledger.posting import LineSpec, post_entry
    post_entry(c, entry_date=date(2026, 10, 31), description="Saldo awal kas: modal penyertaan", journal_type="SA", lines=[
        LineSpec(account_for(c, "cash"), debit=Decimal(100_000)), LineSpec(account_for(c, "participation_capital"), credit=Decimal(100_000))])
    sup = shop.create_party(c, kind="supplier", code="S", name="S")
    p = shop.create_product(c, shop.ProductData(sku="P", name="P", price=Decimal(1000)))
    shop.record_purchase(c, party_id=sup.id, items=[shop.PurchaseItem(p.id, 5, Decimal(500))], day=date(2026, 11, 1), payment="credit")
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


def test_cards_printed_before_migration_0016_still_pay_and_their_tokens_leave_the_database(tmp_path: Path, database_url):
    """Migration 0018 on a database with cards whose tokens were kept in clear: each row gets the
    SHA-256 of its token (computed in Python, on SQLite and PostgreSQL), the clear column goes, and
    the printed card is found by what it carries — a blocked one is still refused."""
    import hashlib
    from datetime import UTC, datetime

    from sqlalchemy import create_engine, inspect, text

    from koppontren import create_app
    from koppontren.extensions import db
    from koppontren.tenancy.models import Cooperative
    from koppontren.wallet import cards
    from koppontren.wallet.errors import WalletError
    from tests.helpers import scratch_database

    active, blocked = "Kartu-Lama_0123456789abcdefABCDEF", "Kartu-Blokir_0123456789abcdefABCD"
    cli = [str(Path(sys.executable).with_name("koppontren"))]
    with scratch_database(database_url, tmp_path, "cardhash") as url:
        env = {**os.environ, "KOPPONTREN_DATABASE_URL": url}
        up = subprocess.run([*cli, "db", "upgrade", "0014_covering_indexes"], env=env, capture_output=True, text=True, timeout=600)
        assert up.returncode == 0, up.stderr[-2000:]
        engine = create_engine(url)
        now = datetime(2026, 11, 1, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO cooperative (id, slug, name, fiscal_year_start_month, currency_decimals, locale, created_at) "
                              "VALUES (1, 'mig', 'Koperasi Mig', 1, 0, 'id', :now)"), {"now": now})
            for santri_id in (1, 2):
                conn.execute(text("INSERT INTO santri (id, cooperative_id, nis, name, active, balance, created_at) "
                                  "VALUES (:id, 1, :nis, :name, :yes, 0, :now)"),
                             {"id": santri_id, "nis": f"100{santri_id}", "name": f"Santri {santri_id}", "yes": True, "now": now})
            conn.execute(text("INSERT INTO wallet_card (id, cooperative_id, santri_id, token, status, created_at, blocked_at) VALUES "
                              "(1, 1, 1, :a, 'active', :now, NULL), (2, 1, 2, :b, 'blocked', :now, :now)"),
                         {"a": active, "b": blocked, "now": now})
        head = subprocess.run([*cli, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=600)
        assert head.returncode == 0, head.stderr[-2000:]
        try:
            assert "token" not in {c["name"] for c in inspect(engine).get_columns("wallet_card")}
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT id, token_hash, status FROM wallet_card ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [(1, hashlib.sha256(active.encode()).hexdigest(), "active"),
                                               (2, hashlib.sha256(blocked.encode()).hexdigest(), "blocked")]
        finally:
            engine.dispose()
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
        app.instance_path = str(tmp_path / "migrated-instance")
        with app.app_context():
            try:
                coop = db.session.get(Cooperative, 1)
                assert cards.find_by_token(coop, active).id == 1
                for token in (blocked, hashlib.sha256(active.encode()).hexdigest()):
                    with pytest.raises(WalletError) as err:
                        cards.find_by_token(coop, token)
                    assert err.value.code == "card_refused"
            finally:
                db.session.remove()
                db.engine.dispose()
