"""Backups and restores of the whole database, with a checksum and a fingerprint to compare.

SQLite is copied with its online backup API (a consistent snapshot while the app keeps serving);
PostgreSQL with ``pg_dump`` in its custom format (restored with ``pg_restore``). Each backup file
gets a ``.sha256`` beside it in ``sha256sum`` format, and a restore refuses a file whose checksum
does not match, a file of the other database kind, and a target database that is not empty — a
restore never mixes two ledgers.

The fingerprint (row count of every table, each cooperative's hash-chain head and every account's
balance) is printed after a backup and after a restore, so whoever restores can see that what came
back is what was saved.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why, in one line."""


@dataclass
class Fingerprint:
    """What must survive a backup and restore unchanged."""

    row_counts: dict[str, int] = field(default_factory=dict)
    chain_heads: dict[int, str] = field(default_factory=dict)
    balances: dict[tuple[int, int], int] = field(default_factory=dict)

    def summary(self) -> list[str]:
        rows = sum(self.row_counts.values())
        return [
            f"tables: {len(self.row_counts)}, rows: {rows}",
            f"journal entries: {self.row_counts.get('journal_entry', 0)}, lines: {self.row_counts.get('journal_line', 0)}",
            *(f"cooperative {coop}: hash-chain head {head}" for coop, head in sorted(self.chain_heads.items())),
        ]


def fingerprint(engine: Engine) -> Fingerprint:
    """Row counts of every table, the chain heads and the account balances (in sen) of ``engine``'s database."""
    names = sorted(inspect(engine).get_table_names())
    result = Fingerprint()
    with engine.connect() as conn:
        for name in names:
            result.row_counts[name] = conn.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()  # noqa: S608 - names from the schema
        if "ledger_head" in names:
            result.chain_heads = dict(conn.execute(text("SELECT cooperative_id, last_hash FROM ledger_head")).all())
        if "journal_line" in names:
            result.balances = {
                (coop, account): int(balance)
                for coop, account, balance in conn.execute(text(
                    "SELECT cooperative_id, account_id, SUM(debit) - SUM(credit) FROM journal_line "
                    "GROUP BY cooperative_id, account_id"))
            }
    return result


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_checksum(path: Path) -> str:
    checksum = _sha256(path)
    Path(f"{path}.sha256").write_text(f"{checksum}  {path.name}\n")
    return checksum


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def _libpq(engine: Engine) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore; the password goes in the environment, not argv.
    The session bypasses row-level security (app.rls_bypass: a backup holds every cooperative; the
    command that runs it has recorded its bypass, tenancy.rls)."""
    url = make_url(str(engine.url.render_as_string(hide_password=False)))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c app.rls_bypass=on".strip()
    args = ["--dbname", url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)]
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt install postgresql-client).")
    return path


def backup(engine: Engine, directory: Path, *, now: datetime | None = None) -> tuple[Path, str]:
    """Write a timestamped backup of the database into ``directory``; returns (file, sha256)."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    if engine.dialect.name == "sqlite":
        target = directory / f"koppontren-{stamp}.sqlite3"
        partial = target.with_suffix(".partial")
        source = sqlite3.connect(_sqlite_path(engine))
        try:
            dest = sqlite3.connect(partial)
            try:
                source.backup(dest)
            finally:
                dest.close()
        finally:
            source.close()
        partial.rename(target)
    elif engine.dialect.name == "postgresql":
        target = directory / f"koppontren-{stamp}.pgdump"
        partial = target.with_suffix(".partial")
        args, env = _libpq(engine)
        done = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--enable-row-security", "--file", str(partial), *args],  # noqa: S603
                              env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        partial.rename(target)
    else:
        raise BackupError(f"Backups of {engine.dialect.name} databases are not supported.")
    return target, _write_checksum(target)


def verify(path: Path) -> str:
    """Check ``path`` against its ``.sha256`` file; returns the checksum. Refuses a mismatch or a missing file."""
    if not path.is_file():
        raise BackupError(f"No backup file {path}.")
    sidecar = Path(f"{path}.sha256")
    if not sidecar.is_file():
        raise BackupError(f"No checksum file {sidecar.name} beside the backup: cannot tell whether it is intact.")
    expected = sidecar.read_text().split()[0].strip().lower() if sidecar.read_text().strip() else ""
    actual = _sha256(path)
    if actual != expected:
        raise BackupError(f"Checksum mismatch for {path.name}: the file is damaged or was changed (expected {expected}, got {actual}).")
    return actual


def _is_empty(engine: Engine) -> bool:
    return not inspect(engine).get_table_names()


def restore(engine: Engine, path: Path) -> str:
    """Restore the backup ``path`` into ``engine``'s database, which must be empty. Returns the checksum."""
    checksum = verify(path)
    with path.open("rb") as f:
        magic = f.read(16)
    if engine.dialect.name == "sqlite":
        if not magic.startswith(SQLITE_MAGIC):
            kind = "PostgreSQL" if magic.startswith(PG_CUSTOM_MAGIC) else "matching"
            raise BackupError(f"{path.name} is not a SQLite backup; restore it into a {kind} database.")
        target = _sqlite_path(engine)
        if target.exists() and target.stat().st_size and not _is_empty(engine):
            raise BackupError(f"The database {target} is not empty; restore into a new, empty database.")
        engine.dispose()
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{path.name} fails SQLite's integrity check.")
            dest = sqlite3.connect(target)
            try:
                source.backup(dest)
            finally:
                dest.close()
        finally:
            source.close()
    elif engine.dialect.name == "postgresql":
        if not magic.startswith(PG_CUSTOM_MAGIC):
            kind = "SQLite" if magic.startswith(SQLITE_MAGIC) else "matching"
            raise BackupError(f"{path.name} is not a pg_dump custom-format backup; restore it into a {kind} database.")
        if not _is_empty(engine):
            raise BackupError("The target PostgreSQL database is not empty; restore into a new, empty database.")
        engine.dispose()
        args, env = _libpq(engine)
        done = subprocess.run([_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction", *args, str(path)],  # noqa: S603
                              env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed (nothing was restored): {done.stderr.strip()}")
    else:
        raise BackupError(f"Restores into {engine.dialect.name} databases are not supported.")
    return checksum
