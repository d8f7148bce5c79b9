"""``koppontren check``: clean on a healthy ledger, names the entry someone tampered with."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from koppontren.extensions import db
from koppontren.ledger.integrity import check_cooperative
from koppontren.ledger.posting import LineSpec, post_entry
from tests.ledger.conftest import cash_sale


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def _problems(coop):
    return {r.name: r.problems for r in check_cooperative(coop).results if r.problems}


def test_a_healthy_ledger_is_clean(coop, cli, members):
    for i in range(5):
        cash_sale(coop, 100_000 * (i + 1), day=date(2026, 3, i + 1))
    post_entry(coop, entry_date=date(2026, 3, 9), description="Simpanan", journal_type="SP",
               lines=[LineSpec("1131", debit=50_000, member_id=1), LineSpec("1101", credit=50_000)])
    assert _problems(coop) == {}
    db.session.commit()  # end the check's transaction before writing on another connection
    result = cli("check", "--coop", "alhikmah")
    assert result.exit_code == 0, result.output
    assert "[ok] hash chain intact" in result.output and "1 of 1 cooperative(s) clean." in result.output


def test_unknown_cooperative_is_an_error(cli, coop):
    assert cli("check", "--coop", "tidak-ada").exit_code == 1


def test_tampering_with_an_amount_in_sqlite_is_caught_and_named(coop, cli, is_postgres):
    """Someone with the database file drops the guard trigger and edits an amount on both sides:
    the entry still balances, but its hash no longer matches."""
    if is_postgres:
        pytest.skip("tampering scenario written for the embedded SQLite file")
    cash_sale(coop, 100_000, day=date(2026, 3, 1))
    victim = cash_sale(coop, 250_000, day=date(2026, 3, 2))
    cash_sale(coop, 75_000, day=date(2026, 3, 3))
    number, entry_id = victim.number, victim.id
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER journal_line_no_update"))
        conn.execute(text("UPDATE journal_line SET debit = 2500 WHERE entry_id = :e AND debit > 0"), {"e": entry_id})
        conn.execute(text("UPDATE journal_line SET credit = 2500 WHERE entry_id = :e AND credit > 0"), {"e": entry_id})
    result = cli("check")
    assert result.exit_code == 1
    assert "[FAIL] hash chain intact" in result.output
    assert f"{number}: content changed after posting" in result.output
    assert "[FAIL] entries balance" in result.output  # lines no longer add up to the entry's recorded total


def test_an_unbalancing_edit_and_a_deleted_entry_are_reported(coop, is_postgres):
    if is_postgres:
        pytest.skip("needs the SQLite triggers dropped")
    a = cash_sale(coop, 100_000)
    b = cash_sale(coop, 100_000)
    cash_sale(coop, 100_000)
    ids = {"a": a.id, "b": b.id}
    db.session.commit()
    with db.engine.begin() as conn:
        for trigger in ("journal_line_no_update", "journal_line_no_delete", "journal_entry_no_delete"):
            conn.execute(text(f"DROP TRIGGER {trigger}"))
        conn.execute(text("UPDATE journal_line SET debit = debit + 1 WHERE entry_id = :a AND debit > 0"), ids)
        conn.execute(text("DELETE FROM journal_line WHERE entry_id = :b"), ids)
        conn.execute(text("DELETE FROM journal_entry WHERE id = :b"), ids)
    problems = _problems(coop)
    assert [p.split(":")[0] for p in problems["entries balance"]] == ["KM/2026/000001"]
    assert problems["trial balance nets to zero"] == ["trial balance is off by 1 sen (debits − credits)"]
    assert problems["voucher numbers gapless"] == ["KM/2026: 2 entries numbered 1…3; missing [2]"]
    assert problems["hash chain intact"] == [
        "KM/2026/000001: content changed after posting (hash mismatch)",
        "KM/2026/000003: chain broken (previous hash does not match the entry before it)",
    ]


def test_a_member_account_line_without_member_breaks_the_subledger_check(coop, is_postgres):
    if is_postgres:
        pytest.skip("inserts a raw line in SQLite")
    entry = cash_sale(coop, 100_000)
    ids = {"c": coop.id, "e": entry.id}
    db.session.commit()  # end the test's own transaction before writing on another connection
    with db.engine.begin() as conn:
        account = conn.execute(text("SELECT id FROM account WHERE cooperative_id = :c AND code = '3101'"), ids).scalar()
        conn.execute(text("INSERT INTO journal_line (cooperative_id, entry_id, line_no, account_id, entry_date, debit, credit) "
                          "VALUES (:c, :e, 3, :a, '2026-03-10', 0, 5)"), {**ids, "a": account})
    assert any("3101" in p for p in _problems(coop)["subledgers equal their control accounts"])


def test_a_line_redated_behind_the_triggers_back_is_reported(coop, is_postgres):
    """The hash covers the entry's date, not the lines' copy of it — which balances as of a day and
    the cash flow read — so check compares the two."""
    if is_postgres:
        pytest.skip("needs the SQLite triggers dropped")
    entry = cash_sale(coop, 100_000, day=date(2026, 3, 10))
    cash_sale(coop, 50_000, day=date(2026, 3, 11))
    number, ids = entry.number, {"e": entry.id}
    db.session.commit()
    assert _problems(coop) == {}
    db.session.commit()  # end the check's transaction before writing on another connection
    with db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER journal_line_no_update"))
        conn.execute(text("UPDATE journal_line SET entry_date = '2025-12-31' WHERE entry_id = :e AND line_no = 2"), ids)
    problems = _problems(coop)
    assert problems["lines carry their entry's date"] == [f"{number}: line 2 dated 2025-12-31, its entry 2026-03-10"]
    assert "hash chain intact" not in problems  # the hash cannot see it: which is why this check exists


def test_the_integrity_page_speaks_indonesian_and_the_cli_stays_english(app, client, coop, build, cli, is_postgres):
    from koppontren.ledger.integrity import LABELS
    from tests.helpers import login

    build.user("pengawas", coop, "auditor")
    a = cash_sale(coop, 100_000)
    cash_sale(coop, 100_000)
    db.session.commit()
    login(client, "pengawas")
    page = client.get("/alhikmah/reports/integrity").get_data(as_text=True)
    results = check_cooperative(coop).results
    assert {r.name for r in results} <= set(LABELS)  # every check, the modules' too, has its label
    for label in ("Setiap jurnal seimbang", "Neraca saldo berjumlah nol", "Nomor bukti berurutan tanpa celah", "Rantai hash utuh",
                  "Buku pembantu sama dengan akun kendalinya", "Persediaan sama dengan nilai stok"):
        assert f"<td>{label}</td>" in page
    assert all(f"<td>{r.name}</td>" not in page for r in results)
    if is_postgres:
        return
    db.session.commit()  # end the check's transaction before writing on another connection
    with db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER journal_line_no_update"))
        conn.execute(text("UPDATE journal_line SET debit = debit + 1 WHERE entry_id = :a AND debit > 0"), {"a": a.id})
    page = client.get("/alhikmah/reports/integrity").get_data(as_text=True)
    assert "neraca saldo selisih 1 sen (debit − kredit)" in page
    assert f"{a.number}: isi diubah setelah diposting (hash tidak cocok)" in page
    assert "content changed after posting" not in page
    result = cli("check", "--coop", "alhikmah")  # the command line keeps its English
    assert "[FAIL] hash chain intact" in result.output and f"{a.number}: content changed after posting" in result.output
