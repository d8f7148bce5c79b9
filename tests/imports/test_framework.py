"""The import framework every import stands on (koppontren/imports/): the header mapping (aliases,
required columns, case and spaces), the problems table, the dry run that writes nothing, the commit
that is all or nothing, and the template downloads — tested once here on a small spec of its own,
then through every import page."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from sqlalchemy import func, select

from koppontren.audit.models import AuditEvent
from koppontren.audit.services import record
from koppontren.clock import today
from koppontren.errors import DomainError
from koppontren.extensions import db
from koppontren.imports import Column, ImportSpec, Row, RowProblem, RowsRefusedError, Unique, run_import
from koppontren.ledger import opening
from koppontren.membership import importer as member_importer
from koppontren.savings import services as savings
from koppontren.shop import importer as product_importer
from koppontren.tenancy.models import Cooperative
from koppontren.tenancy.services import get_by_slug
from koppontren.wallet import importer as wallet_importer
from koppontren.wallet import services as wallet
from tests.helpers import login


class ToyError(DomainError):
    pass


class ToyImportError(RowsRefusedError, ToyError):
    pass


SPEC = ImportSpec(
    name="impor-contoh", title=_l("Contoh"), error=ToyError, refused=ToyImportError,
    columns=(Column("code", ("kode", "code", "kode_barang"), required=True), Column("amount", ("jumlah", "amount"), required=True),
             Column("day", ("tanggal", "date")), Column("note", ("catatan", "note"))),
    too_many_rows=lambda n: _l("Berkas ditolak: paling banyak %(n)s baris dalam satu berkas.", n=n),
    no_rows=(_l("Berkas ditolak: tidak ada baris produk."), _l("Tidak ada baris produk.")),
)


def _header_problems(header, spec=SPEC) -> list[tuple[int, str, str]]:
    with pytest.raises(ToyImportError) as err:
        spec.map_header(header)
    return [(p.row, p.column, p.problem) for p in err.value.problems]


# --- the header mapping ----------------------------------------------------------------------------

def test_columns_are_found_by_any_alias_whatever_the_case_spaces_or_hyphens(app_ctx):
    columns = SPEC.map_header([" Kode Barang ", None, "JUMLAH", "Tanggal", "catatan"])
    assert columns.index == {"code": 0, "amount": 2, "day": 3, "note": 4}
    assert columns.labels == {"code": "Kode Barang", "amount": "JUMLAH", "day": "Tanggal", "note": "catatan"}
    assert SPEC.map_header(["kode-barang", "Amount"]).index == {"code": 0, "amount": 1}
    assert SPEC.map_header(["kode", "jumlah"]).label("day") == "tanggal"  # a column left out is named as the template names it


def test_a_missing_required_column_an_unknown_one_and_one_given_twice_are_all_reported(app_ctx):
    assert _header_problems(["kode", "tanggal"]) == [(1, "jumlah", "Kolom wajib tidak ada.")]
    assert _header_problems(["kode", "jumlah", "saldo", "Code"]) == [(1, "saldo", "Kolom tidak dikenal."), (1, "Code", "Kolom ini ada dua kali.")]
    assert _header_problems([]) == [(1, "kode", "Kolom wajib tidak ada."), (1, "jumlah", "Kolom wajib tidak ada.")]


def test_a_spec_may_read_past_columns_it_does_not_know_but_never_a_column_twice(app_ctx):
    lenient = replace(SPEC, ignore_unknown=True)
    assert lenient.map_header(["nama akun", "kode", "jumlah"]).index == {"code": 1, "amount": 2}
    assert _header_problems(["kode", "jumlah", "amount"], lenient) == [(1, "amount", "Kolom ini ada dua kali.")]


# --- checking the rows: the problems table ---------------------------------------------------------

def _check(table, **kwargs):
    taken = Unique({"A-1"}, lambda v: _l("Kode %(v)s sudah dipakai.", v=v), lambda v, r: _l("Kode %(v)s juga ada di baris %(r)s.", v=v, r=r))

    def check_row(row: Row):
        amount = row.amount("amount", 0)
        if amount is not None and amount <= 0:
            row.bad("amount", "Jumlah harus lebih dari nol.")
        day = row.date("day")
        if not row.text("code"):
            row.bad("code", "Kode wajib diisi.")
        taken.check(row, "code", row.text("code"))
        return (row.number, row.text("code"), amount, day)

    return SPEC.check(table, check_row, max_rows=kwargs.pop("max_rows", 100), **kwargs)


def test_clean_rows_come_back_in_file_order_and_blank_rows_are_skipped(app_ctx):
    rows = _check([["Jumlah", "Kode", "Tanggal"], ["1.500", "B-1", "01/07/2026"], [None, "", " "], [2000.0, "B-2", None]])
    assert rows == [(2, "B-1", Decimal(1500), date(2026, 7, 1)), (4, "B-2", Decimal(2000), None)]


def test_every_problem_of_every_row_is_listed_by_row_and_the_files_own_column_name(app_ctx):
    table = [["Tanggal", "KODE", "jumlah"],
             ["2026-07-01", "B-1", "100"],
             ["kemarin", "", "abc"],         # row 3: three problems, listed in the spec's column order
             ["2026-07-01", "A-1", "5"],     # row 4: taken already
             ["2026-07-01", "B-1", "-5"]]    # row 5: twice in the file, and not positive
    with pytest.raises(ToyImportError) as err:
        _check(table)
    refused = err.value
    assert (refused.code, str(refused.message)) == ("invalid_file", "Berkas ditolak: 3 baris bermasalah. Tidak ada yang disimpan.")
    assert [(p.row, p.column) for p in refused.problems] == [(3, "KODE"), (3, "jumlah"), (3, "Tanggal"), (4, "KODE"), (5, "KODE"), (5, "jumlah")]
    problems = {(p.row, p.column): p.problem for p in refused.problems}
    assert problems[(3, "Tanggal")] == "Tanggal tidak sah (tulis 2026-07-01 atau 01/07/2026)."
    assert problems[(4, "KODE")] == "Kode A-1 sudah dipakai." and problems[(5, "KODE")] == "Kode B-1 juga ada di baris 2."
    assert isinstance(refused, ToyError) and refused.fields["row 4"] == "KODE: Kode A-1 sudah dipakai."  # the API's fields


def test_an_empty_file_a_file_of_blank_rows_and_one_past_the_row_limit_are_refused(app_ctx):
    for table, expected in (([], [(1, "-", "Tidak ada baris.")]), ([["kode", "jumlah"], [None, ""]], [(2, "-", "Tidak ada baris produk.")])):
        with pytest.raises(ToyImportError) as err:
            _check(table)
        assert [(p.row, p.column, p.problem) for p in err.value.problems] == expected
    data = b"kode,jumlah\n" + b"".join(b"K-%d,1\n" % n for n in range(6))
    with pytest.raises(ToyImportError) as err:
        SPEC.read(data, "contoh.csv", max_rows=5)
    assert err.value.problems == [RowProblem(7, "-", "Terlalu banyak baris.")]
    assert str(err.value.message) == "Berkas ditolak: paling banyak 5 baris dalam satu berkas."


def test_a_file_the_reader_refuses_becomes_the_importers_domain_error(app_ctx):
    with pytest.raises(ToyError) as err:
        SPEC.read(b"not a zip", "contoh.xlsx", max_rows=5)
    assert err.value.code == "invalid_file" and not isinstance(err.value, RowsRefusedError)
    csv_only = replace(SPEC, formats=("csv",))
    with pytest.raises(ToyError) as err:
        csv_only.read(b"PK\x03\x04", "contoh.xlsx", max_rows=5)
    assert err.value.fields == {"file": "Gunakan berkas .csv."}


# --- the dry run and the commit ----------------------------------------------------------------------

def _events() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.fixture
def toy_coop(build):
    coop = build.coop("contoh")
    db.session.commit()
    return coop


def _run(coop, *, dry_run: bool, write=None):
    def prepare():  # a preview may write (a sequence's next numbers): the dry run must undo it
        record("coop.updated", cooperative_id=coop.id, actor_id=None, changed={"preview": True})
        db.session.flush()
        return "plan"

    try:
        return run_import(prepare, write or (lambda plan: f"stored {plan}"), dry_run=dry_run,
                          conflict=lambda: ToyError("conflict", "Data berubah selama impor; ulangi impor."))
    finally:
        db.session.rollback()  # what was committed stays, anything else goes


def test_the_dry_run_returns_the_plan_and_writes_nothing(toy_coop):
    before = _events()
    assert _run(toy_coop, dry_run=True) == "plan"
    assert _events() == before


def test_a_real_import_commits_what_it_checked_and_wrote_once(toy_coop):
    before = _events()
    assert _run(toy_coop, dry_run=False) == "stored plan"
    assert _events() == before + 1


def test_a_failure_while_writing_leaves_nothing_and_a_duplicate_becomes_the_conflict_error(toy_coop):
    before = _events()

    def fail(plan):
        raise ToyError("broken", "rusak")

    with pytest.raises(ToyError) as err:
        _run(toy_coop, dry_run=False, write=fail)
    assert err.value.code == "broken" and _events() == before

    def duplicate(plan):
        db.session.add(Cooperative(slug=toy_coop.slug, name="Sama"))
        db.session.flush()

    with pytest.raises(ToyError) as err:
        _run(toy_coop, dry_run=False, write=duplicate)
    assert err.value.code == "conflict"
    assert _events() == before and db.session.scalar(select(func.count()).select_from(Cooperative)) == 1


# --- every import page: one macro, one problems table, one template download ----------------------

#: page, the importer's spec, its template downloads (format -> URL), a bad file and the problem it shows
PAGES = [
    ("/members/import", member_importer.SPEC, {"csv": "/members/import/template.csv", "xlsx": "/members/import/template.xlsx"}, {},
     "nama,kategori,tanggal_masuk\n,santri,2026-01-05\n", ("2", "nama", "Nama wajib diisi.")),
    ("/shop/products/import", product_importer.SPEC,
     {"csv": "/shop/products/import/template.csv", "xlsx": "/shop/products/import/template.xlsx"}, {},
     "sku,nama,harga\nA-1,Sabun,\n", ("2", "harga", "Harga wajib diisi.")),
    ("/wallet/import", wallet_importer.SANTRI_SPEC, {"csv": "/wallet/import/template.csv", "xlsx": "/wallet/import/template.xlsx"}, {},
     "nis,nama,saldo\n2001,Umar,5\n", ("1", "saldo", "Kolom tidak dikenal.")),
    ("/wallet/topups/import", wallet_importer.STATEMENT_SPEC, {"csv": "/wallet/topups/import/template.csv"}, {},
     "tanggal,nis,jumlah\n2026-12-01,9999,5.000\n", ("2", "nis", "NIS 9999 tidak dikenal.")),
    ("/ledger/opening", opening.SPEC, {"csv": "/ledger/opening/template.csv", "xlsx": "/ledger/opening/template.xlsx"}, {"form_name": "upload"},
     "akun,debit,kredit\n9999,1.000,\n3104,,1.000\n", ("2", "akun", "Akun 9999 tidak ada.")),
]


@pytest.fixture
def treasurer_client(client, build):
    coop = build.coop("alhikmah")
    build.user("bendahara", coop, "treasurer")
    db.session.commit()
    login(client, "bendahara")
    return client


def _form(path: str, extra: dict, content: bytes, filename: str) -> dict:
    """An upload to ``path`` with the dry run ticked (the opening page prefixes its upload form)."""
    prefix = "upload-" if extra else ""
    data = {**extra, f"{prefix}file": (io.BytesIO(content), filename), f"{prefix}date": today().isoformat(), f"{prefix}dry_run": "y"}
    if path == "/members/import":
        data["account"] = savings.get_settings(get_by_slug("alhikmah")).default_account_id
    return data


@pytest.mark.parametrize("path, spec, templates, extra, bad, problem", PAGES, ids=[p[0] for p in PAGES])
def test_every_import_page_shows_its_columns_and_templates_and_a_refused_files_problems_table(treasurer_client, path, spec, templates,
                                                                                            extra, bad, problem):
    page = treasurer_client.get("/alhikmah" + path).get_data(as_text=True)
    columns = page.split('id="import-columns"')[1].split("</table>")[0]
    assert all(f"<code>{name}</code>" in columns for column in spec.columns for name in column.names)
    for fmt, url in templates.items():
        assert f'href="/alhikmah{url}" id="template-{fmt}"' in page
    response = treasurer_client.post("/alhikmah" + path, data=_form(path, extra, bad.encode(), "salah.csv"), content_type="multipart/form-data")
    assert response.status_code == 422
    table = response.get_data(as_text=True).split('id="import-problems"')[1].split("</table>")[0]
    row, column, text = problem
    assert f'<td class="amount">{row}</td><td>{column}</td><td>' in table and text in table


@pytest.mark.parametrize("path, spec, templates, extra, bad, problem", PAGES, ids=[p[0] for p in PAGES])
def test_every_template_download_opens_and_passes_its_own_dry_run(treasurer_client, path, spec, templates, extra, bad, problem):
    if path == "/wallet/topups/import":  # the statement's example rows top up two santri
        for nis, name in (("2026001", "Ahmad Fauzi"), ("2026002", "Siti Aminah")):
            wallet.create_santri(get_by_slug("alhikmah"), wallet.SantriData(nis=nis, name=name))
        db.session.commit()
    for fmt, url in templates.items():
        response = treasurer_client.get("/alhikmah" + url)
        assert response.status_code == 200 and f"filename={spec.name}.{fmt}" in response.headers["Content-Disposition"]
        if fmt == "xlsx":
            sheet = load_workbook(io.BytesIO(response.data)).active
            rows = list(sheet.iter_rows(values_only=True))
            assert list(rows[0]) == spec.header and len(rows) >= 2  # the header and at least one example row
            assert all(cell.font.bold for cell in sheet[1]) and {c.number_format for row in sheet.iter_rows() for c in row} == {"@"}
        else:
            assert response.mimetype == "text/csv" and response.get_data(as_text=True).splitlines()[0] == ",".join(spec.header)
        checked = treasurer_client.post("/alhikmah" + path, data=_form(path, extra, response.data, f"contoh.{fmt}"),
                                        content_type="multipart/form-data")
        assert checked.status_code == 200 and 'id="import-plan"' in checked.get_data(as_text=True), url
