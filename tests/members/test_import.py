"""Member import: all or nothing, every bad row reported, one opening entry, a dry run that writes nothing."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from koppontren.audit.models import AuditEvent
from koppontren.extensions import db
from koppontren.ledger import opening
from koppontren.ledger.integrity import check_cooperative
from koppontren.ledger.models import JournalEntry
from koppontren.members.models import Member
from koppontren.members.services import MemberData, MemberError, register_member, remember_existing
from koppontren.membership import importer
from koppontren.savings import services as savings
from tests.helpers import login

HEADER = "number,name,nik,category,gender,birth_date,phone,address,join_date,pokok,wajib,sukarela,wajib_paid_until\n"
GOOD_CSV = (
    HEADER
    + ",Ahmad Fauzi,3507123405060001,santri,L,2010-05-14,081234567890,Asrama Putra,2025-01-15,100.000,120.000,50.000,\n"
    + "B-7,Siti Aminah,,Ustadz/ustadzah,P,14/02/1990,,\"Jl. Pesantren No. 5, Malang\",01/03/2025,100.000,60.000,,2025-08\n"
    + ",Umar,,karyawan,,,,,2025-06-01,,,1.000.000,\n"
    + ",Zainab,,santri,P,,,,2025-02-01,,,,\n"
).encode()


@pytest.fixture
def coop(build):
    coop = build.coop("alhikmah")
    savings.update_settings(coop, pokok_amount=Decimal(100_000), wajib_rates={"santri": Decimal(10_000), "ustadz": Decimal(20_000)},
                            sukarela_earns_shu=False, default_account_id=None, actor=None)
    return coop


@pytest.fixture
def treasurer(build, coop):
    return build.user("bendahara", coop, "treasurer")


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _members(coop) -> dict[str, Member]:
    return {m.number: m for m in db.session.scalars(select(Member).where(Member.cooperative_id == coop.id))}


def _xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_csv_import_creates_members_balances_wajib_months_and_one_entry(coop, treasurer):
    result = importer.import_members(coop, GOOD_CSV, "anggota.csv", entry_date=date(2025, 12, 31), actor=treasurer)
    assert result.count == 4 and result.numbers == ["A-0001", "B-7", "A-0002", "A-0003"]
    assert result.entry_number == "SA/2025/000001" and result.month_count == 12 + 6
    found = _members(coop)
    ahmad, siti, umar, zainab = found["A-0001"], found["B-7"], found["A-0002"], found["A-0003"]
    assert (ahmad.name, ahmad.nik, ahmad.category, ahmad.gender, ahmad.birth_date) == ("Ahmad Fauzi", "3507123405060001", "santri", "L", date(2010, 5, 14))
    assert (siti.category, siti.join_date, siti.address) == ("ustadz", date(2025, 3, 1), "Jl. Pesantren No. 5, Malang")
    assert all(m.status == "aktif" for m in found.values())

    assert savings.balances(coop, ahmad.id) == savings.Balances(pokok=10_000_000, wajib=12_000_000, sukarela=5_000_000)
    assert savings.balances(coop, siti.id) == savings.Balances(pokok=10_000_000, wajib=6_000_000)
    assert savings.balances(coop, umar.id) == savings.Balances(sukarela=100_000_000)
    assert savings.balances(coop, zainab.id) == savings.Balances()
    # 120.000 at 10.000 a month: twelve months from the join month; Siti's column says up to August
    assert savings.paid_months(coop, ahmad.id) == {(2025, m) for m in range(1, 13)}
    assert savings.paid_months(coop, siti.id) == {(2025, m) for m in range(3, 9)}
    assert savings.paid_months(coop, zainab.id) == set()

    entries = list(db.session.scalars(select(JournalEntry).where(JournalEntry.cooperative_id == coop.id)))
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.journal_type, entry.source, entry.description) == ("SA", "member_import", "Saldo awal simpanan anggota (impor)")
    assert entry.total == 10_000_000 * 2 + 12_000_000 + 6_000_000 + 5_000_000 + 100_000_000
    cash = savings.get_settings(coop).default_account_id
    debit_lines = [ln for ln in entry.lines if ln.debit]
    assert [(ln.account_id, ln.member_id) for ln in debit_lines] == [(cash, None)]
    assert len([ln for ln in entry.lines if ln.credit]) == 6 and all(ln.member_id for ln in entry.lines if ln.credit)
    assert check_cooperative(coop).ok
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member.imported"))
    assert event.detail["count"] == 4 and event.detail["number"] == "SA/2025/000001"
    assert savings.arrears(coop, ahmad, as_of=date(2025, 12, 31)).count == 0


def test_xlsx_import_with_spreadsheet_numbers_and_dates_and_indonesian_headers(coop, treasurer):
    data = _xlsx([
        ["Nomor", "Nama", "NIK", "Kategori", "Jenis Kelamin", "Tanggal Lahir", "Telepon", "Alamat", "Tanggal Masuk", "Pokok", "Wajib", "Sukarela",
         "Wajib Lunas Sampai"],
        [None, "Ahmad", 3507123405060001, "Santri", "L", date(2010, 5, 14), None, None, date(2025, 1, 1), 100000, 30000.0, 2500, None],
        [12, "Hasan", None, "ustadz", None, None, None, None, "2025-04-01", None, 40000, None, date(2025, 5, 1)],
    ])
    result = importer.import_members(coop, data, "anggota.xlsx", entry_date=date(2025, 12, 31), actor=treasurer)
    assert result.numbers == ["A-0001", "12"]
    found = _members(coop)
    assert found["A-0001"].nik == "3507123405060001" and found["A-0001"].join_date == date(2025, 1, 1)
    assert savings.balances(coop, found["A-0001"].id) == savings.Balances(pokok=10_000_000, wajib=3_000_000, sukarela=250_000)
    assert savings.paid_months(coop, found["A-0001"].id) == {(2025, 1), (2025, 2), (2025, 3)}
    assert savings.paid_months(coop, found["12"].id) == {(2025, 4), (2025, 5)}
    assert check_cooperative(coop).ok


def test_a_file_with_three_bad_rows_imports_nothing_and_reports_exactly_those_rows(coop, treasurer):
    data = (
        HEADER
        + ",Ahmad,,santri,,,,,2025-01-01,100.000,,,\n"
        + ",,,santri,,,,,2025-01-01,,,,\n"                 # row 3: no name
        + ",Budi,,santri,,,,,2025-01-01,,,,\n"
        + ",Citra,,pedagang,,,,,2025-01-01,,,,\n"         # row 5: unknown category
        + ",Dewi,,santri,,,,,2025-01-01,,,,\n"
        + ",Eka,,santri,,,,,2025-01-01,50.000,,,\n"       # row 7: pokok is not the cooperative's amount
        + ",Fajar,,santri,,,,,2025-01-01,,,,\n"
    ).encode()
    with pytest.raises(importer.MemberImportError) as err:
        importer.import_members(coop, data, "anggota.csv", entry_date=date(2025, 12, 31), actor=treasurer)
    assert [(p.row, p.column) for p in err.value.problems] == [(3, "name"), (5, "category"), (7, "pokok")]
    assert "100.000" in err.value.problems[2].problem
    assert _count(Member) == 0 and _count(JournalEntry) == 0
    assert savings.get_settings(coop).pokok_amount == 10_000_000


def test_every_problem_of_every_row_is_reported(coop, treasurer):
    register_member(coop, MemberData(name="Lama", category="santri", join_date=date(2024, 1, 1), nik="3507123405069999", number="A-0100"),
                    actor=None)
    data = (
        HEADER
        + "A-0100,Dobel Register,3507123405069999,santri,X,31/02/2000,abc,,2025-01-01,-5,1.2.3,,\n"
        + ",Masa Depan,,santri,,,,,2999-01-01,,,,\n"
        + ",Bulan Salah,,santri,,,,,2025-03-01,,30.000,,2025-02\n"
        + ",Tanpa Tanggal,,santri,,,,,,,,,\n"
        + ",Wajib Tanpa Saldo,,santri,,,,,2025-03-01,,,,2025-04\n"
        + ",Masuk Setelah Saldo,,santri,,,,,2025-12-15,,,10.000,\n"
    ).encode()
    with pytest.raises(importer.MemberImportError) as err:
        importer.import_members(coop, data, "anggota.csv", entry_date=date(2025, 12, 1), actor=treasurer)
    problems = {(p.row, p.column) for p in err.value.problems}
    assert problems == {
        (2, "number"), (2, "nik"), (2, "gender"), (2, "birth_date"), (2, "phone"), (2, "pokok"), (2, "wajib"),
        (3, "join_date"), (4, "wajib_paid_until"), (5, "join_date"), (6, "wajib_paid_until"), (7, "join_date"),
    }
    assert _count(Member) == 1 and _count(JournalEntry) == 0


def test_duplicates_within_the_file_are_refused(coop, treasurer):
    data = (
        HEADER
        + "A-0009,Ahmad,3507123405060001,santri,,,,,2025-01-01,,,,\n"
        + "A-0009,Budi,3507123405060001,santri,,,,,2025-01-01,,,,\n"
        + "a-0010,Citra,,santri,,,,,2025-01-01,,,,\n"
    ).encode()
    with pytest.raises(importer.MemberImportError) as err:
        importer.import_members(coop, data, "anggota.csv", actor=treasurer)
    assert [(p.row, p.column) for p in err.value.problems] == [(3, "number"), (3, "nik")]
    assert "baris 2" in err.value.problems[0].problem
    assert _count(Member) == 0


def test_automatic_numbers_skip_the_numbers_the_file_gives(coop, treasurer):
    data = (HEADER + ",Ahmad,,santri,,,,,2025-01-01,,,,\nA-0001,Budi,,santri,,,,,2025-01-01,,,,\n,Citra,,santri,,,,,2025-01-01,,,,\n").encode()
    result = importer.import_members(coop, data, "anggota.csv", actor=treasurer)
    assert result.numbers == ["A-0002", "A-0001", "A-0003"] and result.entry_number is None
    assert _count(JournalEntry) == 0


def test_dry_run_shows_the_plan_and_writes_nothing(coop, treasurer):
    events = _count(AuditEvent)
    plan = importer.import_members(coop, GOOD_CSV, "anggota.csv", entry_date=date(2025, 12, 31), actor=treasurer, dry_run=True)
    assert plan.count == 4 and plan.assigned_numbers == ["A-0001", "A-0002", "A-0003"]
    assert plan.totals == {"pokok": 20_000_000, "wajib": 18_000_000, "sukarela": 105_000_000} and plan.month_count == 18
    assert [r.name for r in plan.first_rows(2)] == ["Ahmad Fauzi", "Siti Aminah"]
    assert _count(Member) == 0 and _count(JournalEntry) == 0 and _count(AuditEvent) == events
    # the sequence was only previewed: the real import gets the same numbers
    assert importer.import_members(coop, GOOD_CSV, "anggota.csv", entry_date=date(2025, 12, 31), actor=treasurer).numbers[0] == "A-0001"


def test_a_chosen_counter_account_and_bad_choices(coop, treasurer):
    result = importer.import_members(coop, GOOD_CSV, "anggota.csv", entry_date=date(2025, 12, 31), account="3104", actor=treasurer)
    assert result.account_code == "3104"
    assert check_cooperative(coop).ok
    for bad in ("3101", "1112", "4201", "9999"):
        with pytest.raises(MemberError) as err:
            importer.import_members(coop, GOOD_CSV, "anggota.csv", account=bad, dry_run=True)
        assert err.value.code == "invalid_account"
    with pytest.raises(MemberError) as err:
        importer.import_members(coop, GOOD_CSV, "anggota.csv", entry_date=date(2999, 1, 1), dry_run=True)
    assert err.value.code == "future_date"


@pytest.mark.parametrize("data, name", [(b"", "x.csv"), (b"nama,kategori\nA,santri\n", "x.csv"), (b"not a zip", "x.xlsx"),
                                        (b"nama,kategori,tanggal_masuk,saldo\n", "x.csv"), (HEADER.encode(), "x.csv"), (b"x", "x.pdf")])
def test_unreadable_empty_or_badly_headed_files_are_refused(coop, data, name):
    with pytest.raises(MemberError):
        importer.import_members(coop, data, name)
    assert _count(Member) == 0


def test_the_member_import_and_the_treasurers_opening_balances_do_not_block_each_other(coop, treasurer):
    first = opening.import_opening(coop, b"account,debit,credit\n1101,1.000.000,\n3104,,1.000.000\n", "saldo.csv",
                                   entry_date=date(2025, 1, 1), actor=treasurer)
    result = importer.import_members(coop, GOOD_CSV, "anggota.csv", entry_date=date(2025, 12, 31), actor=treasurer)
    assert result.entry_number == "SA/2025/000002"
    assert opening.existing_opening(coop).id == first.id


def test_5000_rows_import_in_one_transaction(coop, treasurer):
    rows = "".join(f",Santri {i},,santri,,,,,2025-01-01,100.000,{(i % 12 + 1) * 10}.000,{(i + 1) * 1000},\n" for i in range(5000))
    result = importer.import_members(coop, (HEADER + rows).encode(), "anggota.csv", entry_date=date(2025, 12, 31), actor=treasurer)
    assert result.count == 5000 and result.numbers[-1] == "A-5000"
    assert _count(Member) == 5000 and _count(JournalEntry) == 1
    entry = db.session.scalar(select(JournalEntry))
    assert len(entry.lines) == 15_001 and result.month_count == sum(i % 12 + 1 for i in range(5000))
    assert check_cooperative(coop).ok


# --- the command line ------------------------------------------------------------------------------

@pytest.fixture
def cli(app, tmp_path):
    runner = app.test_cli_runner()

    def run(data: bytes, *args, name="anggota.csv"):
        path = tmp_path / name
        path.write_bytes(data)
        db.session.commit()  # the command runs in its own app context and session
        return runner.invoke(args=["import", "members", str(path), *args])

    return run


def test_cli_imports_and_prints_a_summary(cli, coop):
    result = cli(GOOD_CSV, "--coop", "alhikmah", "--date", "2025-12-31", "--account", "1111")
    assert result.exit_code == 0, result.output
    assert "Created 4 member(s), numbers A-0001 … A-0003." in result.output
    assert "Opening entry SA/2025/000001 (debit 1111)" in result.output
    assert _count(Member) == 4


def test_cli_dry_run_writes_nothing(cli, coop):
    result = cli(GOOD_CSV, "--coop", "alhikmah", "--date", "2025-12-31", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "4 member(s) would be created" in result.output and "Nothing was written." in result.output
    assert _count(Member) == 0


def test_cli_refused_file_prints_every_problem_and_exits_1(cli, coop):
    data = (HEADER + ",,,santri,,,,,2025-01-01,,,,\n,Budi,,santri,,,,,2025-01-01,7,,,\n").encode()
    result = cli(data, "--coop", "alhikmah")
    assert result.exit_code == 1
    assert "row 2, column name:" in result.output and "row 3, column pokok:" in result.output
    assert _count(Member) == 0


@pytest.mark.parametrize("args, code", [(["--coop", "tidak-ada"], 1), (["--coop", "alhikmah", "--account", "3101"], 1),
                                        (["--coop", "alhikmah", "--date", "31/12/2025"], 2), ([], 2)])
def test_cli_bad_values_exit_1_and_bad_usage_exits_2(cli, coop, args, code):
    result = cli(GOOD_CSV, *args)
    assert result.exit_code == code, result.output
    assert _count(Member) == 0


def test_cli_help_names_the_flags(app):
    result = app.test_cli_runner().invoke(args=["import", "members", "--help"])
    assert result.exit_code == 0
    for flag in ("--coop", "--dry-run", "--date", "--account"):
        assert flag in result.output


# --- the page --------------------------------------------------------------------------------------

@pytest.fixture
def page(client, coop, treasurer):
    login(client, "bendahara")
    return client


def test_treasurer_opens_the_page_others_may_not(client, build, coop, treasurer):
    build.user("kasir", coop, "cashier")
    build.user("pengawas", coop, "auditor")
    other = build.coop("lain")
    build.user("bendahara.lain", other, "treasurer")
    login(client, "bendahara")
    response = client.get("/alhikmah/members/import")
    assert response.status_code == 200 and b"wajib_lunas_sampai" in response.data
    for login_name, status in (("kasir", 403), ("pengawas", 403), ("bendahara.lain", 404)):
        client.post("/logout")
        login(client, login_name)
        assert client.get("/alhikmah/members/import").status_code == status, login_name
        assert client.get("/alhikmah/members/import/template.csv").status_code == status, login_name


def test_upload_with_problems_shows_them(page, coop):
    data = (HEADER + ",,,santri,,,,,2025-01-01,,,,\n").encode()
    response = page.post("/alhikmah/members/import", data={"file": (io.BytesIO(data), "anggota.csv"), "date": "2025-12-31",
                                                          "account": savings.get_settings(coop).default_account_id},
                         content_type="multipart/form-data")
    assert response.status_code == 422  # a refused file answers 422 on every import page
    assert b'id="import-problems"' in response.data and b"Nama wajib diisi." in response.data
    assert _count(Member) == 0


def test_dry_run_then_real_upload(page, coop):
    account = savings.get_settings(coop).default_account_id
    response = page.post("/alhikmah/members/import", data={"file": (io.BytesIO(GOOD_CSV), "anggota.csv"), "date": "2025-12-31",
                                                          "account": account, "dry_run": "y"}, content_type="multipart/form-data")
    assert response.status_code == 200 and b'id="import-plan"' in response.data and b"Siti Aminah" in response.data
    assert b'id="plan-total"' in response.data and b"1.430.000" in response.data
    assert _count(Member) == 0
    response = page.post("/alhikmah/members/import", data={"file": (io.BytesIO(GOOD_CSV), "anggota.csv"), "date": "2025-12-31",
                                                          "account": account}, content_type="multipart/form-data")
    assert response.status_code == 302
    shown = page.get(response.headers["Location"])
    assert b'id="import-result"' in shown.data and b"SA/2025/000001" in shown.data and b"A-0001" in shown.data
    assert _count(Member) == 4
    assert b'id="import-result"' not in page.get("/alhikmah/members/import").data


def test_templates_download_and_import_back(page, coop):
    csv_response = page.get("/alhikmah/members/import/template.csv")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    assert csv_response.data.decode().splitlines()[0] == ",".join(importer.SPEC.header)
    xlsx_response = page.get("/alhikmah/members/import/template.xlsx")
    assert xlsx_response.status_code == 200
    rows = list(load_workbook(io.BytesIO(xlsx_response.data)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[1][1] == "Ahmad Fauzi"
    # both templates are valid imports as they are
    assert importer.import_members(coop, csv_response.data, "t.csv", dry_run=True).count == 2
    assert importer.import_members(coop, xlsx_response.data, "t.xlsx", dry_run=True).count == 2


def test_members_remembered_for_the_posting_are_forgotten_when_the_transaction_ends(coop):
    from koppontren.ledger import subledgers

    plugin = subledgers.get("member")
    db.session.commit()
    remember_existing(coop.id, [999])
    assert plugin.exists(coop.id, 999)
    db.session.rollback()
    assert not plugin.exists(coop.id, 999)
