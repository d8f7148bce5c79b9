"""The reports pages and downloads: who may open them, what they show, PDFs and XLSX files."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from koppontren.statements import registry
from tests.helpers import login
from tests.statements.conftest import build_year

BASE = "/alhikmah/reports"
Y = "period=year&year=2025"
SCREENS = Path(__file__).resolve().parents[2] / "build" / "screens"


@pytest.fixture
def staff(build):
    year = build_year(build)
    for login_name, role in (("pengurus", "admin"), ("bendahara", "treasurer"), ("pengawas", "auditor"), ("kasir", "cashier"),
                             ("anggota", "member")):
        build.user(login_name, year.coop, role)
    other = build.coop("lain")
    build.user("admin.lain", other, "admin")
    return year


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _screenshot(data: bytes, name: str) -> None:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:  # poppler-utils missing: no screenshots (.ci/run installs it)
        return
    SCREENS.mkdir(parents=True, exist_ok=True)
    pdf_path = SCREENS / f"{name}.pdf"
    pdf_path.write_bytes(data)
    subprocess.run([pdftoppm, "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(pdf_path), str(SCREENS / name)], check=True)
    pdf_path.unlink()


@pytest.mark.parametrize("login_name", ["pengurus", "bendahara", "pengawas"])
def test_every_report_page_opens_for_admin_treasurer_and_auditor(client, staff, login_name):
    login(client, login_name)
    assert "Laporan posisi keuangan" in client.get(BASE).get_data(as_text=True)
    for name in registry.REPORTS:
        response = client.get(f"{BASE}/{name}?{Y}&account=1101&comparative=1")
        assert response.status_code == 200, name
    assert client.get(f"{BASE}/rat-pack").status_code == 200
    assert client.get(f"{BASE}/integrity").status_code == 200


@pytest.mark.parametrize("login_name", ["kasir", "anggota"])
def test_cashier_and_member_get_403(client, staff, login_name):
    login(client, login_name)
    for path in ("", "/balance-sheet", "/balance-sheet/pdf", "/balance-sheet/xlsx", "/rat-pack/pdf", "/integrity"):
        assert client.get(BASE + path).status_code == 403, path


def test_another_cooperative_gets_404_and_anonymous_goes_to_login(client, staff):
    assert client.get(f"{BASE}/balance-sheet").status_code == 302
    login(client, "admin.lain")
    assert client.get(f"{BASE}/balance-sheet").status_code == 404
    assert client.get("/lain/reports/general-ledger?account=999999").status_code == 404
    assert client.get("/lain/reports/nope").status_code == 404


def test_the_neraca_page_shows_its_lines_with_drill_down_and_prior_year(client, staff):
    login(client, "pengawas")
    page = client.get(f"{BASE}/balance-sheet?{Y}&comparative=1").get_data(as_text=True)
    assert "LAPORAN POSISI KEUANGAN (NERACA)" in page and "PER 31 DESEMBER 2025" in page and "(dalam Rupiah)" in page
    assert 'data-key="total_assets"' in page and "10.875.000" in page and "31/12/2024" in page
    assert "/alhikmah/reports/general-ledger?account=1215&amp;from=2025-01-01&amp;to=2025-12-31" in page
    assert "(20.000)" in page
    gl = client.get(f"{BASE}/general-ledger?account=1101&from=2025-01-01&to=2025-12-31").get_data(as_text=True)
    assert "965.000" in gl and "Saldo awal" in gl


def test_period_pickers_and_bad_input(client, staff):
    login(client, "bendahara")
    q1 = client.get(f"{BASE}/income-statement?period=quarter&year=2025&quarter=1").get_data(as_text=True)
    assert "SAMPAI DENGAN 31 MARET 2025" in q1
    month = client.get(f"{BASE}/income-statement?period=month&year=2025&month=5").get_data(as_text=True)
    assert "31 MEI 2025" in month
    bad = client.get(f"{BASE}/balance-sheet?from=2025-13-01")
    assert bad.status_code == 200 and "Tanggal tidak sah" in bad.get_data(as_text=True)
    assert client.get(f"{BASE}/balance-sheet?from=2025-05-01&to=2025-01-01").status_code == 200
    assert client.get(f"{BASE}/general-ledger?page=abc&account=1101").status_code == 200


def test_user_text_is_escaped_on_pages_and_in_pdfs(client, staff):
    login(client, "bendahara")
    page = client.get(f"{BASE}/member-savings?{Y}").get_data(as_text=True)
    assert "Budi &lt;b&gt;Santoso&lt;/b&gt;" in page and "<b>Santoso</b>" not in page
    text = _pdf_text(client.get(f"{BASE}/member-savings/pdf?{Y}").data)
    assert "Budi <b>Santoso</b>" in text  # printed as text, not markup


@pytest.mark.parametrize("name, expected", [
    ("balance-sheet", ["LAPORAN POSISI KEUANGAN (NERACA)", "PER 31 DESEMBER 2025", "10.875.000", "(20.000)"]),
    ("income-statement", ["LAPORAN PERHITUNGAN HASIL USAHA", "UNTUK TAHUN YANG BERAKHIR 31 DESEMBER 2025", "SHU SETELAH PAJAK", "120.000"]),
    ("equity-changes", ["LAPORAN PERUBAHAN EKUITAS", "10.570.000"]),
    ("cash-flow", ["LAPORAN ARUS KAS", "9.540.000"]),
    ("notes", ["CATATAN ATAS LAPORAN KEUANGAN", "Pihak berelasi"]),
    ("trial-balance", ["NERACA SALDO", "13.830.000"]),
    ("general-ledger", ["BUKU BESAR", "1101", "965.000"]),
    ("journal", ["JURNAL UMUM", "Hibah pesantren"]),
    ("member-savings", ["DAFTAR SIMPANAN ANGGOTA", "430.000"]),
    ("member-receivables", ["DAFTAR PIUTANG ANGGOTA", "25.000"]),
    ("arrears", ["DAFTAR TUNGGAKAN SIMPANAN WAJIB", "280.000"]),
])
def test_pdfs_open_and_carry_the_letterhead_title_and_signatures(client, staff, name, expected):
    login(client, "pengawas")
    response = client.get(f"{BASE}/{name}/pdf?{Y}&account=1101")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _pdf_text(response.data)
    for marker in ["KOPERASI PONDOK PESANTREN ALHIKMAH", "Badan Hukum No. 123/BH/XVI.5/2019", "Jl. Pesantren 1, Bandung",
                   "(dalam Rupiah)", "Halaman 1 dari", *expected]:
        assert marker in text, (name, marker)
    if name in ("balance-sheet", "income-statement"):
        assert "Ketua" in text and "Bendahara" in text and "Bandung, 31 Desember 2025" in text
    _screenshot(response.data, name)


def test_the_rat_pack_has_a_cover_contents_and_every_section(client, staff):
    login(client, "pengawas")
    response = client.get(f"{BASE}/rat-pack/pdf?{Y}&place=Garut&sign_date=2026-03-14")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "LAPORAN PERTANGGUNGJAWABAN PENGURUS" in reader.pages[0].extract_text()
    assert "DAFTAR ISI" in reader.pages[1].extract_text()
    for name in registry.RAT_PACK:
        s_title = {"balance-sheet": "LAPORAN POSISI KEUANGAN (NERACA)", "income-statement": "LAPORAN PERHITUNGAN HASIL USAHA",
                   "equity-changes": "LAPORAN PERUBAHAN EKUITAS", "cash-flow": "LAPORAN ARUS KAS",
                   "notes": "CATATAN ATAS LAPORAN KEUANGAN", "member-savings": "DAFTAR SIMPANAN ANGGOTA",
                   "member-receivables": "DAFTAR PIUTANG ANGGOTA", "arrears": "DAFTAR TUNGGAKAN SIMPANAN WAJIB"}[name]
        assert text.count(s_title) >= 2, name  # in the contents and as the section's title
    assert "Garut, 14 Maret 2026" in text and "31/12/2024" in text  # the prior-year column
    assert re.search(r"Halaman \d+ dari \d+", text)
    _screenshot(response.data, "rat-pack")
    again = client.get(f"{BASE}/rat-pack/pdf?{Y}&place=Garut&sign_date=2026-03-14")
    assert again.data == response.data  # unchanged ledger: the cached file


def test_xlsx_has_numbers_a_frozen_header_and_no_formulas(client, staff, build):
    from koppontren.ledger.posting import LineSpec, post_entry

    post_entry(staff.coop, entry_date=__import__("datetime").date(2026, 3, 30), description="=HYPERLINK(\"http://x\")",
               lines=[LineSpec("6199", debit=1000), LineSpec("1101", credit=1000)])
    login(client, "pengawas")
    response = client.get(f"{BASE}/balance-sheet/xlsx?{Y}&comparative=1")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.data)).active
    values = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    assert values["JUMLAH ASET"] == 10_875_000 and isinstance(values["JUMLAH ASET"], int)
    assert ws.freeze_panes is not None
    assert ws.cell(ws.max_row, 2).number_format == "#,##0;(#,##0)"
    assert not any(isinstance(c.value, str) and c.value.startswith("=") for row in ws.iter_rows() for c in row)
    journal = load_workbook(io.BytesIO(client.get(f"{BASE}/journal/xlsx?period=year&year=2026").data)).active
    texts = [c.value for row in journal.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'=HYPERLINK(\"http://x\")" in texts
    assert client.get(f"{BASE}/rat-pack/xlsx?{Y}").status_code == 200


def test_the_integrity_page_shows_the_check_and_its_date(client, staff):
    login(client, "pengawas")
    page = client.get(f"{BASE}/integrity").get_data(as_text=True)
    assert "Semua pemeriksaan lulus" in page and "Rantai hash utuh" in page and "Diperiksa pada" in page


def test_a_long_pdf_is_made_in_the_background_with_progress_on_the_page(app, client, staff):
    import time

    login(client, "bendahara")
    app.config["JOBS_EAGER"] = False
    try:
        url = f"{BASE}/rat-pack/pdf?{Y}&place=Tasikmalaya"
        first = client.get(url)
        assert first.status_code == 200 and first.mimetype == "text/html"
        assert "Dokumen sedang disiapkan" in first.get_data(as_text=True) and 'id="job-progress"' in first.get_data(as_text=True)
        for _ in range(200):
            state = client.get(url + "&status=1").get_json()
            if state["state"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert state["state"] == "done" and state["progress"] == 1
        ready = client.get(url)
        assert ready.mimetype == "application/pdf" and "Tasikmalaya" in _pdf_text(ready.data)
    finally:
        app.config["JOBS_EAGER"] = True
