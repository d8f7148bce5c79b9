"""PDF documents: what a treasurer checks on the printed kwitansi, buku simpanan and login slip, and
the URL fetcher that keeps WeasyPrint to the app's own files."""

from __future__ import annotations

import io
import logging
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from pypdf import PdfReader
from weasyprint import HTML

from koppontren import PROJECT_ROOT, money
from koppontren import pdf as pdfmod
from koppontren.pdf import PAGE_COUNT, PAGE_NUMBER, LocalFilesFetcher, RefusedURLError, css_content, render_pdf

STATIC_CSS = PROJECT_ROOT / "koppontren" / "static" / "koppontren.css"


def _coop(decimals: int = 0) -> SimpleNamespace:
    return SimpleNamespace(
        name="Koperasi Pondok Pesantren Al-Hikmah", pesantren_name="Pondok Pesantren Al-Hikmah",
        address="Jl. KH. Wahid Hasyim No. 12, Kota Kediri", legal_number="AHU-0012345.AH.01.26.TAHUN 2024",
        currency_decimals=decimals,
    )


def _receipt(**overrides) -> SimpleNamespace:
    fields = dict(
        number="SP/2026/000012", date=date(2026, 11, 22), member_number="A-000123", member_name="Ahmad Fauzi",
        kind_label="Simpanan wajib", direction="deposit", amount_sen=2_950_000_00,
        description="Setoran simpanan wajib", months=["Oktober 2026", "November 2026"],
        account_name="Kas Koperasi", cashier_name="Siti Aminah",
    )
    fields.update(overrides)
    return SimpleNamespace(**fields)


def _text(data: bytes) -> list[str]:
    """Text of each page, whitespace collapsed (pypdf splits lines where the layout wraps)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def _passbook(n_rows: int, opening_sen: int = 1_000_000_00):
    rows, balance = [], opening_sen
    for i in range(n_rows):
        amount = 50_000_00 * (i % 3 + 1)
        deposit = i % 5 != 4
        balance += amount if deposit else -amount
        rows.append(SimpleNamespace(
            date=date(2026, 1 + i // 28 % 11, 1 + i % 28), number=f"SP/2026/{i + 1:06d}",
            description="Setoran simpanan sukarela" if deposit else "Penarikan tunai",
            credit_sen=amount if deposit else 0, debit_sen=0 if deposit else amount, balance_sen=balance,
        ))
    return dict(
        coop=_coop(),
        member=SimpleNamespace(number="A-000123", name="Ahmad Fauzi", category_label="Santri",
                               join_date=date(2024, 7, 15)),
        kind_label="Simpanan sukarela", date_from=date(2026, 1, 1), date_to=date(2026, 11, 30),
        opening_sen=opening_sen, rows=rows, closing_sen=balance,
        total_debit_sen=sum(r.debit_sen for r in rows), total_credit_sen=sum(r.credit_sen for r in rows),
        printed_at=datetime(2026, 12, 1, 3, 0, tzinfo=UTC),
    )


# --- kwitansi --------------------------------------------------------------------------------------

def test_kwitansi_shows_voucher_member_amount_in_figures_and_words(app):
    with app.test_request_context():
        data = render_pdf("kwitansi.html", coop=_coop(), receipt=_receipt(),
                          terbilang=money.terbilang(2950000), place="Kediri")
    assert data.startswith(b"%PDF")
    [page] = _text(data)
    assert "KWITANSI" in page and "Bukti Setoran Simpanan" in page
    assert "SP/2026/000012" in page
    assert "22 November 2026" in page
    assert "Telah terima dari" in page and "Ahmad Fauzi" in page and "A-000123" in page
    assert "Rp2.950.000" in page
    assert "Terbilang: Dua juta sembilan ratus lima puluh ribu rupiah" in page
    assert "Simpanan wajib bulan Oktober 2026, November 2026" in page
    assert "Kas Koperasi" in page
    assert "Penyetor" in page and "Kasir/Bendahara" in page and "Siti Aminah" in page
    assert "Kediri, 22 November 2026" in page
    assert "AHU-0012345.AH.01.26.TAHUN 2024" in page
    assert "Halaman 1 dari 1" in page


def test_withdrawal_kwitansi_names_the_member_as_payee(app):
    with app.test_request_context():
        data = render_pdf("kwitansi.html", coop=_coop(), receipt=_receipt(direction="withdrawal", months=[]),
                          terbilang="dua juta sembilan ratus lima puluh ribu rupiah")
    [page] = _text(data)
    assert "Bukti Penarikan Simpanan" in page
    assert "Dibayarkan kepada" in page and "Penerima" in page
    assert "Telah terima dari" not in page and "bulan" not in page


def test_kwitansi_words_default_from_the_amount_and_decimals_follow_the_cooperative(app):
    with app.test_request_context():
        data = render_pdf("kwitansi.html", coop=_coop(decimals=2), receipt=_receipt(amount_sen=1_250_000_50))
    [page] = _text(data)
    assert "Rp1.250.000,50" in page
    assert "Terbilang: Satu juta dua ratus lima puluh ribu rupiah lima puluh sen" in page


def test_kwitansi_in_english_formats_the_amount_the_english_way(app):
    with app.test_request_context(), force_locale("en"):
        data = render_pdf("kwitansi.html", coop=_coop(), receipt=_receipt(),
                          terbilang="dua juta sembilan ratus lima puluh ribu rupiah")
    [page] = _text(data)
    assert "IDR 2,950,000" in page
    assert "Rp2.950.000" not in page


# --- buku simpanan ---------------------------------------------------------------------------------

def test_passbook_shows_opening_running_and_closing_balances(app):
    context = _passbook(5)
    with app.test_request_context():
        data = render_pdf("passbook.html", **context)
    [page] = _text(data)
    assert "Ahmad Fauzi" in page and "A-000123" in page and "Simpanan sukarela" in page
    assert "(dalam Rupiah)" in page
    assert "1 Januari 2026 – 30 November 2026" in page
    assert "Saldo awal 1.000.000" in page
    # Row 1: +50.000 → 1.050.000; row 2: +100.000 → 1.150.000; row 5: withdrawal 100.000 → 1.250.000
    assert "01/01/2026 SP/2026/000001 Setoran simpanan sukarela 50.000 1.050.000" in page
    assert "02/01/2026 SP/2026/000002 Setoran simpanan sukarela 100.000 1.150.000" in page
    assert "05/01/2026 SP/2026/000005 Penarikan tunai 100.000 1.250.000" in page
    assert "Jumlah mutasi 350.000 100.000" in page
    assert "Saldo akhir 1.250.000" in page
    assert "Dicetak 01/12/2026 10:00" in page  # 03:00 UTC is 10:00 in Asia/Jakarta


def test_long_passbook_repeats_the_table_header_on_every_page(app):
    context = _passbook(120)
    with app.test_request_context():
        data = render_pdf("passbook.html", **context)
    pages = _text(data)
    assert len(pages) >= 3
    header = "Tanggal No. bukti Keterangan Setor Tarik Saldo"
    assert all(header in page for page in pages)
    assert f"Halaman 2 dari {len(pages)}" in pages[1]
    assert "SP/2026/000001" not in pages[1] and "SP/2026/000060" in " ".join(pages[1:])
    last = pages[-1]
    closing = money.format_statement(money.from_sen(context["closing_sen"]))
    assert f"Saldo akhir {closing}" in last
    assert "Saldo awal" in pages[0] and "Saldo awal" not in pages[1]


def test_negative_balance_prints_in_parentheses(app):
    context = _passbook(0, opening_sen=-600_000_00)
    with app.test_request_context():
        [page] = _text(render_pdf("passbook.html", **context))
    assert "Saldo awal (600.000)" in page and "Tidak ada mutasi pada periode ini." in page


# --- login slip ------------------------------------------------------------------------------------

def test_login_slip_carries_login_one_time_password_and_the_change_rule(app):
    with app.test_request_context():
        data = render_pdf("login_slip.html", coop=_coop(), member=SimpleNamespace(number="A-000123", name="Ahmad Fauzi"),
                          login="a000123", password="kT7-mQ4x-Zp9", url="https://koperasi.example.id/alhikmah/")
    [page] = _text(data)
    assert "a000123" in page and "kT7-mQ4x-Zp9" in page
    assert "https://koperasi.example.id/alhikmah/" in page
    assert "wajib diganti saat pertama kali masuk" in page
    assert "gunting di sini" in page
    assert page.count("kT7-mQ4x-Zp9") == 1  # the stub kept by the cooperative has no password


# --- the URL fetcher -------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://example.com/x.png",
    "https://example.com/x.css",
    "file:///etc/passwd",
    "data:text/plain,hello",
    "ftp://example.com/x.png",
    STATIC_CSS.parent.as_uri() + "/../../setup.cfg",
    STATIC_CSS.parent.as_uri() + "/%2e%2e/%2e%2e/setup.cfg",
    "file://otherhost" + STATIC_CSS.as_posix(),
    STATIC_CSS.as_uri() + ".missing",
])
def test_fetcher_refuses_everything_but_the_apps_own_files(url):
    with pytest.raises(RefusedURLError):
        LocalFilesFetcher().fetch(url)


def test_fetcher_refuses_a_symlink_out_of_the_reports_folder(tmp_path, monkeypatch):
    root = tmp_path / "reports"
    root.mkdir()
    (root / "passwd.css").symlink_to("/etc/passwd")
    monkeypatch.setattr(pdfmod, "ALLOWED_DIRS", (root.resolve(),))
    with pytest.raises(RefusedURLError):
        LocalFilesFetcher().fetch((root / "passwd.css").as_uri())


def test_fetcher_serves_the_apps_static_and_report_files():
    response = LocalFilesFetcher().fetch(STATIC_CSS.as_uri())
    assert response.read() == STATIC_CSS.read_bytes()
    assert response.content_type == "text/css"
    css = LocalFilesFetcher().fetch((PROJECT_ROOT / "reports" / "pdf.css").as_uri())
    assert b"@page" in css.read()


def test_weasyprint_skips_refused_resources_and_still_renders(caplog):
    html = '<p>Kas</p><img src="http://example.com/x.png"><link rel="stylesheet" href="file:///etc/passwd">'
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        data = HTML(string=html, base_url=(PROJECT_ROOT / "reports").as_uri() + "/",
                    url_fetcher=LocalFilesFetcher()).write_pdf()
    assert data.startswith(b"%PDF") and "Kas" in _text(data)[0]
    assert "RefusedURLError" in caplog.text and "example.com" in caplog.text


def test_render_pdf_fetches_its_stylesheet_through_the_local_fetcher(app, monkeypatch):
    fetched = []
    original = LocalFilesFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(LocalFilesFetcher, "fetch", spy)
    with app.test_request_context():
        render_pdf("kwitansi.html", coop=_coop(), receipt=_receipt(), terbilang="x rupiah")
    assert fetched == [(PROJECT_ROOT / "reports" / "pdf.css").as_uri()]


# --- template environment --------------------------------------------------------------------------

def test_report_filters_do_not_leak_into_the_web_pages(app):
    from koppontren.shell import templating

    with app.test_request_context():
        render_pdf("kwitansi.html", coop=_coop(), receipt=_receipt(), terbilang="x rupiah")
        assert app.jinja_env.filters["sen"] is templating.sen
        assert app.jinja_env.filters["idr_sen"] is templating.idr_sen


def test_css_content_quotes_text_and_turns_markers_into_page_counters():
    assert str(css_content(f"Halaman {PAGE_NUMBER} dari {PAGE_COUNT}")) == \
        '"Halaman " counter(page) " dari " counter(pages)'
    assert str(css_content('a "b" \\ c\n')) == '"a \\"b\\" \\\\ c\\a "'
    assert str(css_content("</style>")) == '"\\3c /style\\3e "'
    assert str(css_content("")) == '""'
