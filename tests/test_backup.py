"""``koppontren backup`` and ``koppontren restore``: what comes back is what was saved — every
table's row count, each cooperative's hash-chain head and every account balance — and a damaged,
foreign or misdirected backup is refused without touching the target."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from koppontren import backup, create_app
from koppontren.extensions import db
from koppontren.ledger.integrity import check_cooperative
from koppontren.ledger.posting import LineSpec, post_entry, reverse
from koppontren.members.services import MemberData, register_member
from tests.helpers import scratch_database


def _ledger(build):
    """Two cooperatives with entries, a reversal and members: enough rows in enough tables."""
    for slug in ("alhikmah", "annur"):
        coop = build.coop(slug)
        build.user(f"ketua.{slug}", coop, "admin")
        register_member(coop, MemberData(name="Ahmad Fauzi", category="santri", join_date=date(2026, 1, 5)), actor=None)
        first = None
        for day in range(1, 6):
            entry = post_entry(coop, entry_date=date(2026, 3, day), description=f"Penjualan tunai {day}",
                               lines=[LineSpec("1101", debit=10_000 * day), LineSpec("4201", credit=10_000 * day)])
            first = first or entry
        reverse(coop, first, entry_date=date(2026, 3, 7), description="Koreksi")


@pytest.fixture
def target_url(database_url, tmp_path):
    """A second, empty database of the same kind to restore into."""
    with scratch_database(database_url, tmp_path, "restore") as url:
        yield url


def _restored_app(url: str, tmp_path: Path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    app.instance_path = str(tmp_path / "restored-instance")
    return app


def test_backup_and_restore_keep_every_row_the_chain_heads_and_the_balances(app, build, target_url, tmp_path):
    _ledger(build)
    db.session.commit()
    before = backup.fingerprint(db.engine)
    assert before.row_counts["journal_entry"] == 12 and len(before.chain_heads) == 2

    result = app.test_cli_runner().invoke(args=["backup", "--dir", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip().splitlines()[-1])
    assert path.exists() and Path(f"{path}.sha256").read_text().split()[1] == path.name
    assert path.name.startswith("koppontren-") and "sha256: " in result.output

    restored = _restored_app(target_url, tmp_path)
    with restored.app_context():  # the CLI runs in the app whose context is current
        result = restored.test_cli_runner().invoke(args=["restore", str(path)])
        assert result.exit_code == 0, result.output
        assert "verified" in result.output
        after = backup.fingerprint(db.engine)
        assert after == before
        from koppontren.tenancy import services as tenancy

        assert all(r.ok for r in check_cooperative(tenancy.get_by_slug("alhikmah")).results)
        db.engine.dispose()


def test_a_restore_into_a_database_that_is_not_empty_is_refused(app, build, tmp_path):
    _ledger(build)
    db.session.commit()
    path, _ = backup.backup(db.engine, tmp_path)
    before = backup.fingerprint(db.engine)
    result = app.test_cli_runner().invoke(args=["restore", str(path)])
    assert result.exit_code == 1 and "not empty" in result.output
    assert backup.fingerprint(db.engine) == before


def test_a_damaged_backup_is_refused_before_anything_is_written(app, build, target_url, tmp_path):
    _ledger(build)
    db.session.commit()
    path, _ = backup.backup(db.engine, tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    restored = _restored_app(target_url, tmp_path)
    with restored.app_context():
        result = restored.test_cli_runner().invoke(args=["restore", str(path)])
        assert result.exit_code == 1 and "Checksum mismatch" in result.output
        assert backup.fingerprint(db.engine).row_counts == {}
        db.engine.dispose()


def test_a_backup_without_its_checksum_or_of_the_other_kind_is_refused(app, build, target_url, tmp_path):
    _ledger(build)
    db.session.commit()
    path, _ = backup.backup(db.engine, tmp_path)
    Path(f"{path}.sha256").unlink()
    foreign = tmp_path / "foreign.bin"
    foreign.write_bytes((b"PGDMP" if db.engine.dialect.name == "sqlite" else b"SQLite format 3\x00") + b"\x00" * 64)
    Path(f"{foreign}.sha256").write_text(f"{backup._sha256(foreign)}  foreign.bin\n")
    restored = _restored_app(target_url, tmp_path)
    with restored.app_context():
        runner = restored.test_cli_runner()
        assert "No checksum file" in runner.invoke(args=["restore", str(path)]).output
        result = runner.invoke(args=["restore", str(foreign)])
        assert result.exit_code == 1 and "is not a" in result.output
        assert runner.invoke(args=["restore", str(tmp_path / "none.sqlite3")]).exit_code == 1
        assert backup.fingerprint(db.engine).row_counts == {}
        db.engine.dispose()
