"""Uploads that cannot take the app down, through the import pages and the command line: a zip bomb
and a file of 30,000 rows are refused with a clear message, and nothing is written. (The reader's
own limits, memory and all, are tested in tests/imports/test_reader.py; the wallet's pages in
tests/wallet/test_import.py.)"""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from koppontren.audit.models import AuditEvent
from koppontren.extensions import db
from koppontren.ledger.models import JournalEntry
from koppontren.members.models import Member
from koppontren.savings import services as savings
from koppontren.shop.models import Product
from koppontren.tenancy.services import get_by_slug
from tests import bombs
from tests.helpers import login

BOMB_MESSAGE = "Berkas XLSX ditolak: isinya lebih dari 50 MB setelah dibuka (dipadatkan). Tidak ada yang disimpan."


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return bombs.bomb()


@pytest.fixture(scope="module")
def rows_30000() -> bytes:
    return bombs.member_csv(30_000)


@pytest.fixture
def coop(build):
    coop = build.coop("alhikmah")
    build.user("bendahara", coop, "treasurer")
    db.session.commit()
    return coop


def _counts() -> tuple[int, ...]:
    db.session.expire_all()
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Member, Product, JournalEntry, AuditEvent))


def _post(client, url: str, data: bytes, name: str):
    form = {"file": (io.BytesIO(data), name), "date": "2026-01-01"}
    if "/members/" in url:
        form["account"] = savings.get_settings(get_by_slug(url.split("/")[1])).default_account_id
    response = client.post(url, data=form, content_type="multipart/form-data")
    assert response.status_code in (200, 422)
    return response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/alhikmah/members/import", "/alhikmah/shop/products/import"])
def test_a_zip_bomb_uploaded_to_an_import_page_is_refused_and_writes_nothing(client, coop, bomb, url):
    login(client, "bendahara")
    before = _counts()
    page = _post(client, url, bomb, "bom.xlsx")
    assert BOMB_MESSAGE in page
    assert _counts() == before


def test_a_zip_bomb_uploaded_as_opening_balances_is_refused_and_writes_nothing(client, coop, bomb):
    login(client, "bendahara")
    before = _counts()
    response = client.post("/alhikmah/ledger/opening", data={"form_name": "upload", "upload-date": "2026-01-01", "upload-submit": "Unggah",
                                                      "upload-file": (io.BytesIO(bomb), "saldo.xlsx")}, content_type="multipart/form-data")
    assert BOMB_MESSAGE in response.get_data(as_text=True)
    assert _counts() == before


def test_30000_member_rows_are_refused_by_the_row_limit_on_the_page(client, coop, rows_30000):
    login(client, "bendahara")
    before = _counts()
    page = _post(client, "/alhikmah/members/import", rows_30000, "anggota.csv")
    assert "Berkas ditolak: paling banyak 20000 baris anggota dalam satu berkas." in page
    assert 'id="import-problems"' in page and "Terlalu banyak baris." in page
    assert _counts() == before


def test_30000_product_rows_are_refused_by_the_product_row_limit(client, coop):
    login(client, "bendahara")
    data = b"sku,nama,harga\n" + b"".join(f"P-{n},Produk {n},1000\n".encode() for n in range(30_000))
    page = _post(client, "/alhikmah/shop/products/import", data, "produk.csv")
    assert "Berkas ditolak: paling banyak 5000 baris produk dalam satu berkas." in page
    assert _counts()[1] == 0


@pytest.fixture
def cli(app, tmp_path):
    runner = app.test_cli_runner()

    def run(data: bytes, name: str):
        path = tmp_path / name
        path.write_bytes(data)
        db.session.commit()  # the command runs in its own app context and session
        return runner.invoke(args=["import", "members", str(path), "--coop", "alhikmah", "--date", date(2026, 1, 1).isoformat()])

    return run


def test_the_member_command_refuses_a_zip_bomb_with_the_message_and_exit_1(cli, coop, bomb):
    before = _counts()
    result = cli(bomb, "anggota.xlsx")
    assert result.exit_code == 1
    assert BOMB_MESSAGE in result.output
    assert _counts() == before


def test_the_member_command_refuses_30000_rows_with_the_message_and_exit_1(cli, coop, rows_30000):
    before = _counts()
    result = cli(rows_30000, "anggota.csv")
    assert result.exit_code == 1
    assert "row 20002, column -: Terlalu banyak baris." in result.output
    assert "paling banyak 20000 baris anggota" in result.output
    assert _counts() == before
