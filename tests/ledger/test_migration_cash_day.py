"""Migrations 0015 and 0020 on books that predate them: an existing cooperative's books start is the
date of its first entry, and its cash accounts' day rows are filled from their journal lines (so
`koppontren check` is clean right after the upgrade)."""

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
from datetime import date
from decimal import Decimal
from koppontren import create_app
app = create_app()
with app.app_context():
    from koppontren.ledger.posting import LineSpec, post_entry
    from koppontren.tenancy import services as tenancy
    c = tenancy.create_cooperative("lama", "Koperasi Lama", books_start=date(2024, 1, 1))
    for day, amount in ((date(2024, 3, 5), 500_000), (date(2024, 3, 5), 250_000), (date(2024, 4, 1), 100_000)):
        post_entry(c, entry_date=day, description="Penjualan", lines=[LineSpec("1101", debit=Decimal(amount)),
                                                                      LineSpec("4201", credit=Decimal(amount))])
    post_entry(c, entry_date=date(2024, 4, 2), description="Listrik", lines=[LineSpec("6102", debit=Decimal(300_000)),
                                                                               LineSpec("1101", credit=Decimal(300_000))])
"""


def _cli(env, *args):
    result = subprocess.run([str(Path(sys.executable).with_name("koppontren")), *args], env=env, capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-1000:] + result.stderr[-2000:]
    return result


def test_older_books_get_their_books_start_and_cash_day_rows(database_url, tmp_path):
    with scratch_database(database_url, tmp_path, "migcashday") as url:
        env = {**os.environ, "KOPPONTREN_DATABASE_URL": url}
        _cli(env, "db", "upgrade")
        made = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600, check=False)
        assert made.returncode == 0, made.stderr[-2000:]
        _cli(env, "db", "downgrade", "0014_covering_indexes")  # as if the books were older than 0015
        _cli(env, "db", "upgrade")
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                assert str(conn.execute(text("SELECT books_start FROM cooperative WHERE slug = 'lama'")).scalar())[:10] == "2024-03-05"
                rows = conn.execute(text("SELECT day, net FROM cash_day ORDER BY day")).all()
            assert [(str(day)[:10], net) for day, net in rows] == [("2024-03-05", 75_000_000), ("2024-04-01", 10_000_000),
                                                                  ("2024-04-02", -30_000_000)]
        finally:
            engine.dispose()
        check = _cli(env, "check", "--coop", "lama")
        assert "[ok] cash day balances equal the journal" in check.stdout
