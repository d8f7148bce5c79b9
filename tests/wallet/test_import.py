"""The santri import (CSV/XLSX) and the bank-statement top-up import (CSV), through the pages: a file
with any bad row is refused whole with every bad row listed (row, column, problem) and nothing
stored; a clean file is stored in one go; a dry run stores nothing; a statement imported twice is
refused by its references."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger import chart
from koppontren.ledger import queries as ledger_queries
from koppontren.members import services as members
from koppontren.wallet import services as wallet
from koppontren.wallet.models import Santri, WalletTransaction
from tests.helpers import login

BASE = "/alhikmah"


@pytest.fixture
def staff(coop, treasurer, build):
    build.user("kasir2", coop, "cashier")
    return coop


def _upload(client, path: str, content: bytes | str, filename: str, dry_run: bool = False):
    data = {"file": (io.BytesIO(content.encode() if isinstance(content, str) else content), filename)}
    if dry_run:
        data["dry_run"] = "y"
    return client.post(BASE + path, data=data, content_type="multipart/form-data")


def _problems(html: str) -> list[tuple[str, str, str]]:
    """(row, column, problem) of the problems table."""
    body = html.split('id="import-problems"')[1].split("</table>")[0]
    rows = []
    for tr in body.split("<tr>")[2:]:
        cells = [c.split("</td>")[0].strip() for c in tr.split("<td")[1:]]
        rows.append(tuple(c.split(">", 1)[1].strip() if ">" in c else c for c in cells[:3]))
    return rows


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


SANTRI_CSV = "nis,nama,kelas,asrama,nomor_anggota\n2001,Umar Faruq,8A,Al-Fatih,\n2002,Zainab,8B,Khadijah,\n"


def test_a_clean_santri_file_imports_every_row(client, staff):
    login(client, "bendahara")
    response = _upload(client, "/wallet/import", SANTRI_CSV, "santri.csv", dry_run=True)
    assert response.status_code == 200 and 'id="import-plan"' in response.get_data(as_text=True)
    assert _count(Santri) == 0  # the dry run stored nothing
    response = _upload(client, "/wallet/import", SANTRI_CSV, "santri.csv")
    assert response.status_code == 302
    assert "2 santri diimpor" in client.get(response.headers["Location"]).get_data(as_text=True)
    umar = wallet.get_by_nis(staff, "2001")
    assert umar.name == "Umar Faruq" and umar.kelas == "8A" and umar.balance == 0 and wallet.get_by_nis(staff, "2002").asrama == "Khadijah"


def test_a_santri_xlsx_with_numbers_typed_as_numbers_imports(client, staff):
    member = members.register_member(staff, members.MemberData(name="Umar Faruq", category="santri", join_date=date(2026, 1, 5)), actor=None)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["NIS", "Nama", "Kelas", "Nomor Anggota"])
    sheet.append([2001.0, "Umar Faruq", "8A", member.number])
    buffer = io.BytesIO()
    workbook.save(buffer)
    login(client, "bendahara")
    assert _upload(client, "/wallet/import", buffer.getvalue(), "santri.xlsx").status_code == 302
    assert wallet.get_by_nis(staff, "2001").member_id == member.id


def test_a_santri_file_with_bad_rows_is_refused_whole_with_every_bad_row_listed(client, staff, santri):
    content = ("nis,nama,kelas,nomor_anggota\n"
               "2001,Umar Faruq,8A,\n"        # fine
               "1001,Dobel Lama,8A,\n"        # row 3: NIS already registered (santri fixture)
               ",Tanpa NIS,8A,\n"             # row 4: NIS missing
               "2001,Umar Lagi,8A,\n"         # row 5: NIS twice in the file
               "2005,,8A,X-999\n"             # row 6: name missing and unknown member
               "20 06,Nama Baik,8A,\n")       # fine: spaces in a NIS are dropped
    login(client, "bendahara")
    response = _upload(client, "/wallet/import", content, "santri.csv")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Berkas ditolak: 4 baris bermasalah. Tidak ada yang disimpan." in html
    problems = _problems(html)
    assert [(r, c) for r, c, _p in problems] == [("3", "nis"), ("4", "nis"), ("5", "nis"), ("6", "nama"), ("6", "nomor_anggota")]
    assert "sudah terdaftar" in problems[0][2] and "baris 2" in problems[2][2] and "X-999" in problems[4][2]
    assert _count(Santri) == 1  # only the fixture's santri


def test_an_unknown_column_refuses_the_santri_file(client, staff):
    login(client, "bendahara")
    response = _upload(client, "/wallet/import", "nis,nama,saldo\n2001,Umar,5000\n", "santri.csv")
    assert response.status_code == 422
    assert _problems(response.get_data(as_text=True)) == [("1", "saldo", "Kolom tidak dikenal.")]
    assert _count(Santri) == 0


def test_a_file_that_is_not_csv_or_xlsx_is_refused(client, staff):
    login(client, "bendahara")
    response = _upload(client, "/wallet/import", b"\x00\x01", "santri.pdf")
    assert response.status_code == 422 and _count(Santri) == 0


def test_the_santri_import_templates_download(client, staff):
    login(client, "bendahara")
    csv_text = client.get(f"{BASE}/wallet/import/template.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0] == "nis,nama,kelas,asrama,nomor_anggota"
    assert _upload(client, "/wallet/import", csv_text, "contoh.csv").status_code == 302
    assert _count(Santri) == 2


def test_the_cashier_may_not_import(client, staff):
    login(client, "kasir2")
    assert _upload(client, "/wallet/import", SANTRI_CSV, "santri.csv").status_code == 403
    assert _upload(client, "/wallet/topups/import", "tanggal,nis,jumlah\n2026-12-01,1001,5000\n", "mutasi.csv").status_code == 403
    assert _count(Santri) == 0


# --- the bank statement ----------------------------------------------------------------------------

@pytest.fixture
def two(staff, santri):
    siti = wallet.create_santri(staff, wallet.SantriData(nis="1002", name="Siti Aminah"))
    closed = wallet.create_santri(staff, wallet.SantriData(nis="1003", name="Sudah Pulang", active=False))
    return santri, siti, closed


def test_a_clean_statement_tops_up_every_wallet_with_one_entry_per_date(client, staff, two):
    ahmad, siti, _closed = two
    content = ("tanggal,referensi,nis,jumlah\n"
               "2026-11-30,TRF-101,1001,150.000\n"
               "30/11/2026,TRF-102,1002,75000\n"
               "2026-12-01,TRF-103,1002,25.000\n")
    login(client, "bendahara")
    response = _upload(client, "/wallet/topups/import", content, "mutasi.csv", dry_run=True)
    assert response.status_code == 200 and "Rp250.000" in response.get_data(as_text=True)
    before = _count(WalletTransaction)
    assert _count(WalletTransaction) == before
    response = _upload(client, "/wallet/topups/import", content, "mutasi.csv")
    assert response.status_code == 302
    assert "3 isi saldo dicatat" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert wallet.get_santri(staff, ahmad.id).balance == 5_000_000 + 15_000_000
    assert wallet.get_santri(staff, siti.id).balance == 10_000_000
    bank = chart.account_for(staff, "bank_santri")
    assert ledger_queries.balance_of(staff, bank) == 5_000_000 + 25_000_000  # the fixture's TRF-001 and the file's three
    new = list(db.session.scalars(select(WalletTransaction).where(WalletTransaction.id > before)))
    assert {t.reference for t in new} == {"TRF-101", "TRF-102", "TRF-103"}
    assert len({t.entry_id for t in new}) == 2  # 30 November and 1 December


def test_a_statement_with_bad_rows_is_refused_whole_with_every_bad_row_listed(client, staff, two):
    ahmad, _siti, _closed = two
    content = ("tanggal,referensi,nis,jumlah\n"
               "2026-12-01,TRF-201,1001,10.000\n"      # fine
               "2026-12-01,TRF-202,9999,10.000\n"      # row 3: unknown NIS
               "kemarin,TRF-203,1002,10.000\n"          # row 4: bad date
               "2026-12-01,TRF-204,1002,-5.000\n"       # row 5: negative amount
               "2026-12-01,TRF-201,1002,10.000\n"       # row 6: reference twice in the file
               "2026-12-01,TRF-001,1002,10.000\n"       # row 7: reference recorded before (the fixture's top-up)
               "2026-12-01,TRF-207,1003,10.000\n"       # row 8: closed wallet
               "2999-01-01,TRF-208,1002,abc\n")         # row 9: future date and bad amount
    login(client, "bendahara")
    before = (_count(WalletTransaction), wallet.get_santri(staff, ahmad.id).balance)
    response = _upload(client, "/wallet/topups/import", content, "mutasi.csv")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Berkas ditolak: 7 baris bermasalah. Tidak ada yang disimpan." in html
    assert [(r, c) for r, c, _p in _problems(html)] == [
        ("3", "nis"), ("4", "tanggal"), ("5", "jumlah"), ("6", "referensi"), ("7", "referensi"), ("8", "nis"),
        ("9", "tanggal"), ("9", "jumlah")]
    db.session.expire_all()
    assert (_count(WalletTransaction), wallet.get_santri(staff, ahmad.id).balance) == before


def test_the_same_statement_twice_is_refused_the_second_time(client, staff, two):
    content = "tanggal,referensi,nis,jumlah\n2026-12-01,TRF-301,1001,10.000\n"
    login(client, "bendahara")
    assert _upload(client, "/wallet/topups/import", content, "mutasi.csv").status_code == 302
    count = _count(WalletTransaction)
    response = _upload(client, "/wallet/topups/import", content, "mutasi.csv")
    assert response.status_code == 422 and "TRF-301 sudah dicatat" in response.get_data(as_text=True)
    assert _count(WalletTransaction) == count


def test_a_statement_must_be_csv(client, staff, two):
    login(client, "bendahara")
    response = _upload(client, "/wallet/topups/import", b"PK\x03\x04", "mutasi.xlsx")
    assert response.status_code == 422 and "Gunakan berkas .csv" in response.get_data(as_text=True)


# --- uploads that cannot take the app down (koppontren/imports/reader.py) ---------------------------------

def test_a_zip_bomb_santri_file_is_refused_without_inflating_it_and_nothing_is_stored(client, staff):
    from tests import bombs

    login(client, "bendahara")
    response = _upload(client, "/wallet/import", bombs.bomb(), "santri.xlsx")
    assert response.status_code == 422
    assert "isinya lebih dari 50 MB setelah dibuka" in response.get_data(as_text=True)
    assert _count(Santri) == 0


def test_a_statement_of_30000_rows_is_refused_at_the_row_limit_and_nothing_is_recorded(client, staff, two):
    login(client, "bendahara")
    count = _count(WalletTransaction)
    content = "tanggal,referensi,nis,jumlah\n" + "".join(f"2026-12-01,TRF-{n},1001,10.000\n" for n in range(30_000))
    response = _upload(client, "/wallet/topups/import", content, "mutasi.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Berkas ditolak: paling banyak 5000 baris dalam satu berkas." in page and "Terlalu banyak baris." in page
    assert _count(WalletTransaction) == count
