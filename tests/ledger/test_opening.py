"""Opening balances (saldo awal): one entry, all or nothing, every bad row reported."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger import opening, queries
from koppontren.ledger.errors import LedgerError
from koppontren.ledger.models import JournalEntry
from koppontren.ledger.posting import LineSpec, post_entry, reverse

GOOD_CSV = (
    b"account,debit,credit,member\n"
    b"1101,\"12.500.000\",,\n"
    b"1111,7.500.000,,\n"
    b"1131,100.000,,A-0001\n"
    b"1131,100.000,,A-0002\n"
    b"1121,300.000,,A-0001\n"
    b"3104,,20.500.000,\n"
)


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


def test_csv_import_posts_one_opening_entry_with_member_lines(coop, treasurer, members):
    entry = opening.import_opening(coop, GOOD_CSV, "saldo.csv", entry_date=date(2026, 1, 1), actor=treasurer)
    assert entry.number == "SA/2026/000001" and entry.total == 2_050_000_000
    tb = {r.account.code: r.net_debit for r in queries.trial_balance(coop)}
    assert tb == {"1101": 1_250_000_000, "1111": 750_000_000, "1131": 20_000_000, "1121": 30_000_000, "3104": -2_050_000_000}
    assert sorted(ln.member_id for ln in entry.lines if ln.account.code == "1131") == [1, 2]


def test_xlsx_import_with_numbers_as_cells(coop, treasurer):
    wb = Workbook()
    ws = wb.active
    ws.append(["Kode Akun", "Debet", "Kredit"])
    ws.append([1101, 5_000_000, None])
    ws.append(["3104", None, 5000000.0])
    buffer = io.BytesIO()
    wb.save(buffer)
    entry = opening.import_opening(coop, buffer.getvalue(), "saldo.xlsx", entry_date=date(2026, 1, 1), actor=treasurer)
    assert entry.total == 500_000_000


def test_semicolon_csv_is_understood(coop, treasurer):
    data = b"akun;debit;kredit\n1101;1.000;\n3104;;1.000\n"
    assert opening.import_opening(coop, data, "saldo.csv", entry_date=date(2026, 1, 1), actor=treasurer).total == 100_000


def test_a_file_with_bad_rows_is_refused_whole_listing_every_problem(coop, treasurer, members):
    data = (
        b"account,debit,credit,member\n"
        b"1101,1.000.000,,\n"       # fine
        b"9999,100,,\n"             # row 3: unknown account
        b"11,100,,\n"               # row 4: header account
        b"1102,abc,,\n"             # row 5: bad amount
        b"1103,100,100,\n"          # row 6: both sides
        b"1131,100,,\n"             # row 7: member account without member
        b"1131,100,,Z-9\n"          # row 8: unknown member
        b"1141,100,,\n"             # row 9: inventory goes through the shop
        b"3101,,100,A-0001\n"       # row 10: savings go through the member import (wajib months, pokok once)
        b"3104,,1.000.000,\n"
    )
    with pytest.raises(opening.OpeningImportError) as err:
        opening.import_opening(coop, data, "saldo.csv", entry_date=date(2026, 1, 1), actor=treasurer)
    problems = {(p.row, p.column) for p in err.value.problems}
    assert problems == {(3, "account"), (4, "account"), (5, "debit"), (6, "debit"), (7, "member"), (8, "member"), (9, "account"),
                        (10, "account")}
    assert _entries() == 0


def test_unbalanced_file_is_refused_with_both_totals(coop, treasurer):
    data = b"account,debit,credit\n1101,1.000.000,\n3104,,900.000\n"
    with pytest.raises(opening.OpeningImportError) as err:
        opening.import_opening(coop, data, "saldo.csv", entry_date=date(2026, 1, 1), actor=treasurer)
    assert "1.000.000" in err.value.problems[0].problem and "900.000" in err.value.problems[0].problem
    assert _entries() == 0


@pytest.mark.parametrize("data, name", [(b"", "x.csv"), (b"kode,jumlah\n1101,5\n", "x.csv"), (b"\xff\xfe", "x.csv"),
                                        (b"not a zip", "x.xlsx"), (b"account,debit,credit\n", "x.pdf")])
def test_unreadable_or_empty_files_are_refused(coop, treasurer, data, name):
    with pytest.raises(LedgerError):
        opening.import_opening(coop, data, name, entry_date=date(2026, 1, 1), actor=treasurer)
    assert _entries() == 0


def test_dry_run_writes_nothing_and_shows_the_plan(coop, treasurer, members):
    plan = opening.import_opening(coop, GOOD_CSV, "saldo.csv", entry_date=date(2026, 1, 1), actor=treasurer, dry_run=True)
    assert len(plan.lines) == 6 and plan.total_debit == plan.total_credit == 20_500_000
    assert _entries() == 0


def test_opening_balances_are_entered_once_unless_reversed(coop, treasurer, members):
    first = opening.import_opening(coop, GOOD_CSV, "saldo.csv", entry_date=date(2026, 1, 1), actor=treasurer)
    with pytest.raises(LedgerError) as err:
        opening.import_opening(coop, GOOD_CSV, "saldo.csv", entry_date=date(2026, 1, 1), actor=treasurer)
    assert err.value.code == "opening_exists"
    reverse(coop, first, entry_date=date(2026, 1, 2), actor=treasurer)
    second = opening.import_opening(coop, GOOD_CSV, "saldo.csv", entry_date=date(2026, 1, 2), actor=treasurer)
    assert second.number == "SA/2026/000003"


def test_other_sa_entries_neither_block_nor_count_as_the_opening_entry(coop, treasurer):
    """A member import posts its opening savings as SA too (source "member_import"); only the
    treasurer's own saldo awal (source "opening") is entered once."""
    post_entry(coop, entry_date=date(2026, 1, 1), description="Saldo awal simpanan anggota (impor)", journal_type="SA",
               source="member_import", lines=[LineSpec("1101", debit=1000), LineSpec("3104", credit=1000)])
    assert opening.existing_opening(coop) is None
    data = GOOD_CSV.replace(b"1131,100.000,,A-0001\n1131,100.000,,A-0002\n1121,300.000,,A-0001\n", b"").replace(b"20.500.000", b"20.000.000")
    entry = opening.import_opening(coop, data, "saldo.csv", entry_date=date(2026, 1, 1), actor=treasurer)
    assert entry.number == "SA/2026/000002" and opening.existing_opening(coop).id == entry.id
