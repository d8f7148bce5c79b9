"""Hostile input (reliability and security §4): random text at every parser and random files at every
import. The only outcomes allowed are a value or the module's own refusal (a DomainError with a
code and a message) — never another exception, which a page would show as a 500 — and a refused
import writes nothing."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from koppontren import money
from koppontren.errors import DomainError
from koppontren.extensions import db
from koppontren.ledger import opening
from koppontren.ledger.models import JournalEntry, JournalLine
from koppontren.members.models import Member
from koppontren.membership import importer as member_importer
from koppontren.shop import importer as product_importer
from koppontren.shop.models import Product
from tests.helpers import login

DB_EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

#: text that looks like what people paste: digits in several scripts, separators, currency, HTML, formulas
tricky = st.text(alphabet=st.sampled_from(list("0123456789.,-+ Rp\u00a0١٢٣۴५e∞NaNIinfé<>\"'=@\t;\n")) | st.characters(), max_size=30)


@given(tricky, st.integers(min_value=0, max_value=2))
def test_indonesian_amounts_parse_or_are_refused_with_a_money_error(text, decimals):
    try:
        value = money.parse_amount_id(text, decimals)
    except money.MoneyError as err:
        assert err.code and str(err.message)
    else:
        assert value.is_finite() and value >= 0 and -value.as_tuple().exponent <= decimals


@given(st.one_of(tricky, st.integers(), st.floats(allow_nan=True), st.none(), st.booleans(),
                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)),
       st.integers(min_value=0, max_value=2))
def test_api_amounts_parse_or_are_refused_with_a_money_error(value, decimals):
    try:
        parsed = money.parse_amount_api(value, decimals)
    except money.MoneyError as err:
        assert err.code
    else:
        assert parsed.is_finite() and not isinstance(value, float | bool)


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")  # lone surrogates too: invalid UTF-8 on purpose


cell = st.one_of(tricky, st.sampled_from(["santri", "ustadz", "2026-01-05", "05/01/2026", "1.250.000", "=HYPERLINK(\"x\")",
                                          "<script>alert(1)</script>", "", "A-0001", "L", "P", "pcs", "toko", "1101", "3101"]))


def _member_files():
    header = st.lists(st.sampled_from(["nama", "kategori", "tanggal_masuk", "nik", "pokok", "wajib", "sukarela", "nomor",
                                       "jenis_kelamin", "x", "", "NAMA"]), min_size=0, max_size=7)
    return st.tuples(header, st.lists(st.lists(cell, max_size=8), max_size=6)).map(lambda hr: _csv([hr[0], *hr[1]]))


def _counts():
    db.session.expire_all()
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Member, Product, JournalEntry, JournalLine))


@pytest.fixture
def coop(build):
    coop = build.coop()
    build.user("ketua", coop, "admin")
    db.session.commit()
    return coop


@DB_EXAMPLES
@given(data=st.one_of(_member_files(), st.binary(max_size=300)), name=st.sampled_from(["a.csv", "a.xlsx", "a.txt", "a"]))
def test_the_member_import_accepts_or_refuses_a_random_file_and_a_refusal_writes_nothing(coop, data, name):
    before = _counts()
    try:
        member_importer.import_members(coop, data, name, entry_date=date(2026, 12, 1), actor=None)
    except DomainError as err:
        db.session.rollback()
        assert err.code
        assert _counts() == before
    else:
        assert _counts()[0] > before[0]


def _product_files():
    header = st.lists(st.sampled_from(["sku", "nama", "satuan", "harga_jual", "harga_anggota", "barcode", "kategori", "unit_usaha", "x"]),
                      max_size=7)
    return st.tuples(header, st.lists(st.lists(cell, max_size=8), max_size=6)).map(lambda hr: _csv([hr[0], *hr[1]]))


@DB_EXAMPLES
@given(data=st.one_of(_product_files(), st.binary(max_size=300)), name=st.sampled_from(["p.csv", "p.xlsx", "p.ods"]))
def test_the_product_import_accepts_or_refuses_a_random_file_and_a_refusal_writes_nothing(coop, data, name):
    before = _counts()
    try:
        product_importer.import_products(coop, data, name, dry_run=False, actor=None)
    except DomainError as err:
        db.session.rollback()
        assert err.code
        assert _counts() == before


def _opening_files():
    header = st.lists(st.sampled_from(["akun", "debit", "kredit", "anggota", "x"]), max_size=5)
    return st.tuples(header, st.lists(st.lists(cell, max_size=5), max_size=6)).map(lambda hr: _csv([hr[0], *hr[1]]))


@DB_EXAMPLES
@given(data=st.one_of(_opening_files(), st.binary(max_size=300)), name=st.sampled_from(["o.csv", "o.xlsx"]))
def test_the_opening_balance_import_accepts_or_refuses_a_random_file_and_a_refusal_writes_nothing(coop, data, name):
    before = _counts()
    try:
        opening.import_opening(coop, data, name, entry_date=date(2026, 1, 1), actor=None, dry_run=True)
    except DomainError as err:
        db.session.rollback()
        assert err.code
    assert _counts() == before  # a dry run never writes, a refusal neither


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.one_of(_member_files(), _product_files(), st.binary(max_size=200)),
       page=st.sampled_from(["/alhikmah/members/import", "/alhikmah/shop/products/import", "/alhikmah/ledger/opening"]),
       name=st.sampled_from(["f.csv", "f.xlsx", "f.exe"]))
def test_import_pages_answer_a_random_upload_without_a_server_error(client, coop, data, page, name):
    login(client, "ketua")
    before = _counts()
    response = client.post(page, data={"file": (io.BytesIO(data), name), "date": "2026-12-01", "dry_run": "y"},
                           content_type="multipart/form-data")
    assert response.status_code < 500
    assert _counts() == before  # dry runs and refusals write nothing


def test_an_upload_over_the_size_limit_is_refused_with_413(client, coop, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    login(client, "ketua")
    response = client.post("/alhikmah/members/import", data={"file": (io.BytesIO(b"x" * 4096), "big.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 413


def test_a_file_with_too_many_rows_is_refused_whole(coop, monkeypatch):
    monkeypatch.setattr(member_importer, "MAX_ROWS", 3)
    rows = [["nama", "kategori", "tanggal_masuk"]] + [[f"Santri {i}", "santri", "2026-01-05"] for i in range(4)]
    before = _counts()
    with pytest.raises(member_importer.MemberImportError):
        member_importer.import_members(coop, _csv(rows), "m.csv", entry_date=date(2026, 12, 1), actor=None)
    db.session.rollback()
    assert _counts() == before


dates = st.one_of(st.text(max_size=14), st.dates().map(str), st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
                  st.sampled_from(["2026-02-30", "2026-13-01", "0000-01-01", "2026-1-1", "2026-01-01\n", "٢٠٢٦-٠١-٠١", "2026-01-01T00:00"]))


@given(dates)
def test_api_dates_parse_or_are_refused_with_422(app, text):
    from koppontren.api.core import ApiError, as_date

    with app.test_request_context():
        try:
            day = as_date(text)
        except ApiError as err:
            assert err.status == 422 and err.code == "invalid_date"
        else:
            assert day.isoformat() == text


@given(st.one_of(dates, st.text(max_size=10), st.integers()))
def test_months_and_import_dates_parse_or_are_refused(app, text):
    from koppontren.imports.cells import cell_date
    from koppontren.savings.services import SavingsError, parse_month

    with app.test_request_context():
        try:
            year, month = parse_month(text)
        except SavingsError as err:
            assert err.code == "invalid_month"
        else:
            assert 1900 <= year <= 2999 and 1 <= month <= 12
        try:
            cell_date(text)
        except ValueError:
            pass  # the importer turns it into the row's problem ("tanggal tidak sah")
