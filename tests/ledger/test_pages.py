"""The ledger pages over HTTP: who may see and change what, every refusal writing nothing, and the
figures a treasurer checks (sen in the database, "1.250.000" on the page)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger import queries
from koppontren.ledger.chart import account_by_code
from koppontren.ledger.models import JournalEntry, JournalLine, Period
from koppontren.ledger.posting import LineSpec, post_entry
from koppontren.tenancy.models import Cooperative
from tests.helpers import login
from tests.ledger.conftest import cash_sale

BASE = "/alhikmah/ledger"
ELECTRICITY_AND_STATIONERY = [("6102", "350.000", "", "listrik Maret"), ("6103", "150.000", "", "ATK"), ("1101", "", "500.000", "")]


# --- helpers ---------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _kas_besar_overdraft(build, coop):
    """These tests pay from an unfunded Kas Besar and read its negative balance on the pages."""
    build.overdraft(coop)


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


def _lines() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalLine))


def _text(response) -> str:
    return response.get_data(as_text=True)


def journal_data(lines, *, day="2026-03-10", description="Bayar listrik dan ATK", journal_type="KK", key="kunci-0001", reference="BKK-17"):
    """The journal form as a browser posts it: lines-<i>-account/debit/credit/memo."""
    data = {"date": day, "journal_type": journal_type, "description": description, "reference": reference,
            "idempotency_key": key, "submit": "Posting jurnal"}
    for i, (account, debit, credit, memo) in enumerate(lines):
        data.update({f"lines-{i}-account": account, f"lines-{i}-debit": debit, f"lines-{i}-credit": credit, f"lines-{i}-memo": memo})
    return data


def _entry_id(response) -> int:
    match = re.search(r"/ledger/journal/(\d+)$", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def _coop(entry) -> Cooperative:
    return db.session.get(Cooperative, entry.cooperative_id)


def _trial_balance(client, as_of: str) -> tuple[dict[str, int], int, int, str]:
    """{code: net debit in sen}, total debit, total credit and the page, read from the page itself."""
    page = _text(client.get(f"{BASE}/trial-balance?as_of={as_of}"))
    rows = {code: int(net) for code, net in re.findall(r'data-code="(\d+)" data-type="\w+" data-net-debit="(-?\d+)"', page)}
    total_debit = int(re.search(r'id="tb-total-debit" data-sen="(\d+)"', page).group(1)) if rows else 0
    total_credit = int(re.search(r'id="tb-total-credit" data-sen="(\d+)"', page).group(1)) if rows else 0
    return rows, total_debit, total_credit, page


@pytest.fixture
def staff(build, coop, treasurer):
    """One user per role in the cooperative, and an administrator of another cooperative."""
    build.user("pengurus", coop, "admin")
    build.user("pengawas", coop, "auditor")
    build.user("kasir", coop, "cashier")
    build.user("anggota", coop, "member")
    build.user("admin.lain", build.coop("lain"), "admin")
    return coop


@pytest.fixture
def posted(staff, treasurer):
    """A posted three-line cash-out entry, made through the service."""
    return post_entry(staff, entry_date=date(2026, 3, 10), description="Bayar listrik dan ATK", journal_type="KK", actor=treasurer,
                      lines=[LineSpec("6102", debit=350_000), LineSpec("6103", debit=150_000), LineSpec("1101", credit=500_000)])


def _ledger_rules(app, method: str) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("ledger.") and method in rule.methods:
            paths.append(rule.rule.replace("<coop_slug>", "alhikmah").replace("<code>", "1101").replace("<int:entry_id>", "1"))
    return sorted(paths)


# --- who may open what -----------------------------------------------------------------------------

#: Every read-only page with something on it that shows it really rendered the ledger.
READ_PAGES = [
    ("/accounts", "Kas Besar"), ("/accounts?as_of=2026-03-31", "(500.000)"), ("/accounts/1101", "Buku besar 1101"),
    ("/accounts/1101?from=2026-03-01&to=2026-03-31", "KK/2026/000001"), ("/accounts/6", "akun kelompok"),
    ("/journal", "KK/2026/000001"), ("/journal?journal_type=KK&from=2026-01-01&to=2026-12-31&account=6102&q=listrik", "KK/2026/000001"),
    ("/trial-balance", "Neraca saldo"), ("/trial-balance?as_of=2026-03-31", "500.000"), ("/periods", "Tahun buku"),
    ("/periods?year=2026", "Maret 2026"),
]
POST_PAGES = ["/journal/new", "/opening", "/opening/template.csv"]


@pytest.mark.parametrize("login_name", ["bendahara", "pengurus", "pengawas"])
def test_every_ledger_page_opens_for_treasurer_admin_and_auditor(client, posted, login_name):
    login(client, login_name)
    for path, marker in [*READ_PAGES, (f"/journal/{posted.id}", "Bayar listrik dan ATK")]:
        response = client.get(BASE + path)
        assert response.status_code == 200, path
        assert marker in _text(response), path
    for path in POST_PAGES:
        assert client.get(BASE + path).status_code == (403 if login_name == "pengawas" else 200), path


def test_the_auditor_sees_everything_but_no_button_that_changes_anything(client, posted):
    login(client, "pengawas")
    pages = [_text(client.get(BASE + path)) for path in ("/accounts", "/accounts/1101", f"/journal/{posted.id}", "/periods", "/journal")]
    for page in pages:
        assert 'method="post"' not in page.split("<main")[1]
    assert "Jurnal umum baru" not in pages[-1]


@pytest.mark.parametrize("login_name", ["pengawas", "kasir", "anggota"])
def test_auditor_cashier_and_member_get_403_on_every_change_and_nothing_is_written(app, client, posted, login_name):
    login(client, login_name)
    before = (_entries(), _lines())
    for path in _ledger_rules(app, "POST"):
        response = client.post(path, data={**journal_data(ELECTRICITY_AND_STATIONERY), "year": "2026", "month": "3", "fiscal_year": "2026",
                                           "confirm": "y", "name_id": "X", "active": "0", "reason": "x"})
        assert response.status_code == 403, path
    for path in POST_PAGES:
        assert client.get(BASE + path).status_code == 403, path
    if login_name != "pengawas":  # cashiers post through their own modules; members see only their own data
        for path in _ledger_rules(app, "GET"):
            assert client.get(path).status_code == 403, path
    assert (_entries(), _lines()) == before
    assert db.session.scalar(select(func.count()).select_from(Period)) == 0
    assert account_by_code(posted.cooperative_id, "1101").active


def test_treasurer_may_not_close_periods(client, posted):
    login(client, "bendahara")
    assert client.post(f"{BASE}/periods/close", data={"year": "2026", "month": "3"}).status_code == 403
    assert client.post(f"{BASE}/periods/close-year", data={"fiscal_year": "2026", "confirm": "y"}).status_code == 403
    assert "Tutup bulan" not in _text(client.get(f"{BASE}/periods"))


def test_another_cooperatives_user_gets_404_even_on_their_own_url_with_our_entry_id(client, posted):
    login(client, "admin.lain")
    assert client.get(f"{BASE}/journal/{posted.id}").status_code == 404
    assert client.get(f"/lain/ledger/journal/{posted.id}").status_code == 404  # our id under their slug
    assert client.post(f"/lain/ledger/journal/{posted.id}/reverse", data={"date": "2026-03-31"}).status_code == 404
    assert client.get("/lain/ledger/accounts/1101").status_code == 200  # their own chart
    assert client.get("/lain/ledger/accounts/999999").status_code == 404
    assert queries.get_entry(_coop(posted), posted.id).reversed_by_id is None


def test_forms_without_a_csrf_token_are_refused_and_write_nothing(client, staff, csrf_on):
    login_page = _text(client.get("/login"))
    token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"login": "bendahara", "password": "rahasia-123", "csrf_token": token})
    response = client.post(f"{BASE}/journal/new", data=journal_data(ELECTRICITY_AND_STATIONERY))
    assert response.status_code == 400
    assert _entries() == 0
    page = _text(client.get(f"{BASE}/journal/new"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"{BASE}/journal/new", data={**journal_data(ELECTRICITY_AND_STATIONERY), "csrf_token": token})
    assert response.status_code == 302
    assert _entries() == 1
    # the opening page has two forms, each with its own (prefixed) token
    page = _text(client.get(f"{BASE}/opening"))
    token = re.search(r'id="upload-csrf_token" name="upload-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert _upload(client, _csv(OPENING_ROWS), "saldo-awal.csv", dry_run=True).status_code == 400
    data = {"form_name": "upload", "upload-date": "2026-01-01", "upload-file": (io.BytesIO(_csv(OPENING_ROWS)), "saldo-awal.csv"),
            "upload-submit": "Unggah", "upload-csrf_token": token}
    response = client.post(f"{BASE}/opening", data=data, content_type="multipart/form-data")
    assert response.status_code == 302 and _entries() == 2


# --- manual journal --------------------------------------------------------------------------------

def test_the_new_journal_form_offers_active_postable_accounts_and_an_idempotency_key(client, staff):
    login(client, "bendahara")
    page = _text(client.get(f"{BASE}/journal/new"))
    options = set(re.findall(r'<option value="(\d+)">', page.split('id="line-template"')[0]))
    assert {"1101", "6102", "6103", "4201"} <= options
    assert not options & {"1", "11", "6"}  # headers
    assert not options & {"1141", "2113", "2101"}  # stock, santri wallets and suppliers go through their modules
    assert not options & {"3101", "3102", "2111", "2131"}  # savings post only through the savings module
    assert {"1121", "1131"} <= options  # member receivables and loans, with the member number
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    assert len(key) >= 24
    assert 'value="Jurnal umum"' not in page and '<option selected value="JU">Jurnal umum</option>' in page
    assert 'type="date"' in page and "journal-entry.js" in page


def test_posting_a_three_line_journal_stores_exact_sen_amounts(client, staff):
    login(client, "bendahara")
    response = client.post(f"{BASE}/journal/new", data=journal_data(ELECTRICITY_AND_STATIONERY))
    assert response.status_code == 302
    entry = db.session.get(JournalEntry, _entry_id(response))
    assert entry.number == "KK/2026/000001"
    assert (entry.entry_date, entry.description, entry.reference, entry.total) == (date(2026, 3, 10), "Bayar listrik dan ATK", "BKK-17", 50_000_000)
    assert [(ln.account.code, ln.debit, ln.credit, ln.memo) for ln in entry.lines] == [
        ("6102", 35_000_000, 0, "listrik Maret"), ("6103", 15_000_000, 0, "ATK"), ("1101", 0, 50_000_000, None)]
    page = _text(client.get(response.headers["Location"]))
    assert "Jurnal KK/2026/000001 diposting." in page
    assert re.search(r'id="entry-total-debit">500\.000<', page) and re.search(r'id="entry-total-credit">500\.000<', page)
    assert ">350.000<" in page and "Kas keluar" in page and "Bendahara" in page


def test_blank_rows_are_skipped(client, staff):
    login(client, "bendahara")
    lines = [("6102", "350.000", "", ""), ("", "", "", ""), ("6103", "150.000", "", ""), ("1101", "", "500.000", ""), ("", "", "", "")]
    response = client.post(f"{BASE}/journal/new", data=journal_data(lines))
    assert response.status_code == 302
    assert [ln.line_no for ln in db.session.get(JournalEntry, _entry_id(response)).lines] == [1, 2, 3]


def test_an_unbalanced_journal_writes_nothing_and_keeps_the_lines(client, staff):
    login(client, "bendahara")
    lines = [("6102", "350.000", "", ""), ("6103", "150.000", "", ""), ("1101", "", "450.000", "")]
    response = client.post(f"{BASE}/journal/new", data=journal_data(lines))
    page = _text(response)
    assert response.status_code == 200
    assert "Jurnal tidak seimbang: debit 500.000, kredit 450.000." in page
    assert "Debit harus sama dengan kredit." in page
    assert (_entries(), _lines()) == (0, 0)
    assert 'value="450.000"' in page and 'value="Bayar listrik dan ATK"' in page  # the user's lines are kept
    assert re.search(r'<option value="1101" selected>', page)
    # no voucher number was used up
    response = client.post(f"{BASE}/journal/new", data=journal_data(ELECTRICITY_AND_STATIONERY, key="kunci-0002"))
    assert db.session.get(JournalEntry, _entry_id(response)).number == "KK/2026/000001"


def test_a_bad_amount_is_shown_on_its_own_line(client, staff):
    login(client, "bendahara")
    lines = [("6102", "350.000", "", ""), ("6103", "1.50.000", "", ""), ("1101", "", "500.000,5", "")]
    page = _text(client.post(f"{BASE}/journal/new", data=journal_data(lines)))
    assert re.search(r'is-invalid" name="lines-1-debit"', page)
    assert "&#39;1.50.000&#39; bukan jumlah uang yang sah (tulis misalnya 1.250.000)." in page
    assert re.search(r'is-invalid" name="lines-2-credit"', page)
    assert "Jumlah harus dalam rupiah bulat (tanpa sen)." in page
    assert not re.search(r'is-invalid" name="lines-0-debit"', page)
    assert (_entries(), _lines()) == (0, 0)


@pytest.mark.parametrize("lines, message, field", [
    ([("6102", "100.000", "100.000", ""), ("1101", "", "100.000", "")], "Baris 1: isi tepat satu sisi, debit atau kredit.", "lines-0-debit"),
    ([("6102", "100.000", "", ""), ("1101", "", "", "")], "Baris 2: isi tepat satu sisi, debit atau kredit.", "lines-1-debit"),
    ([("6102", "100.000", "", ""), ("1141", "", "100.000", "")], "Baris 2: akun 1141 hanya diisi oleh modulnya sendiri", "lines-1-account"),
    ([("6102", "100.000", "", ""), ("11", "", "100.000", "")], "Baris 2: akun 11 adalah akun kelompok", "lines-1-account"),
    ([("6102", "100.000", "", ""), ("", "", "100.000", "")], "Pilih akun.", "lines-1-account"),
])
def test_refused_lines_are_marked_and_nothing_is_written(client, staff, lines, message, field):
    login(client, "bendahara")
    page = _text(client.post(f"{BASE}/journal/new", data=journal_data(lines)))
    assert message in page
    assert re.search(rf'is-invalid" name="{field}"', page), field
    assert _entries() == 0


def test_a_manual_journal_cannot_pick_a_module_journal_type(client, staff):
    login(client, "bendahara")
    page = _text(client.post(f"{BASE}/journal/new", data=journal_data(ELECTRICITY_AND_STATIONERY, journal_type="SA")))
    assert "Jurnal belum disimpan" in page
    assert _entries() == 0


def test_a_double_submit_with_the_same_token_creates_one_entry(client, staff):
    login(client, "bendahara")
    first = client.post(f"{BASE}/journal/new", data=journal_data(ELECTRICITY_AND_STATIONERY, key="token-ganda-123"))
    second = client.post(f"{BASE}/journal/new", data=journal_data(ELECTRICITY_AND_STATIONERY, key="token-ganda-123"))
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert (_entries(), _lines()) == (1, 3)
    assert "kiriman ganda tidak dicatat lagi" in _text(client.get(second.headers["Location"]))
    # the same token with different lines is new work: refused, and the form gets a fresh token
    changed = [("6102", "100.000", "", ""), ("1101", "", "100.000", "")]
    page = _text(client.post(f"{BASE}/journal/new", data=journal_data(changed, key="token-ganda-123")))
    assert "sudah dipakai untuk jurnal lain (KK/2026/000001)" in page
    assert 'value="token-ganda-123"' not in page
    assert _entries() == 1


def test_without_javascript_add_line_returns_the_form_with_one_more_row(client, staff):
    login(client, "bendahara")
    data = journal_data(ELECTRICITY_AND_STATIONERY[:2])
    data.pop("submit")
    page = _text(client.post(f"{BASE}/journal/new", data={**data, "add_line": "Tambah baris"}))
    assert 'name="lines-2-account"' in page and 'value="350.000"' in page
    assert _entries() == 0


def test_a_member_number_field_appears_when_the_member_subledger_exists(client, staff, members):
    login(client, "bendahara")
    page = _text(client.get(f"{BASE}/journal/new"))
    assert 'name="lines-0-member"' in page and '<option value="1131">' in page
    data = journal_data([("1131", "100.000", "", ""), ("1101", "", "100.000", "")], journal_type="KK")
    data["lines-0-member"] = "A-0002"
    response = client.post(f"{BASE}/journal/new", data=data)
    entry = db.session.get(JournalEntry, _entry_id(response))
    assert [(ln.account.code, ln.member_id) for ln in entry.lines] == [("1131", 2), ("1101", None)]
    assert "A-0002" in _text(client.get(response.headers["Location"]))
    data["lines-0-member"] = "A-9999"
    data["idempotency_key"] = "lain-lagi"
    page = _text(client.post(f"{BASE}/journal/new", data=data))
    assert "Anggota A-9999 tidak ada." in page and re.search(r'is-invalid" name="lines-0-member"', page)
    assert _entries() == 1
    assert re.search(r'<tr data-number="KK/2026/000001">', _text(client.get(f"{BASE}/journal?member=A-0002")))
    assert 'id="journal-total">0<' in _text(client.get(f"{BASE}/journal?member=A-0001"))


def test_savings_accounts_are_refused_in_a_manual_journal(client, staff, members):
    """Savings keep their own rules (pokok once, sukarela never below zero): only the savings module posts them."""
    login(client, "bendahara")
    data = journal_data([("2111", "50.000", "", ""), ("1101", "", "50.000", "")], journal_type="KK")
    data["lines-0-member"] = "A-0001"
    page = _text(client.post(f"{BASE}/journal/new", data=data))
    assert "Akun 2111 hanya diisi lewat modul simpanan." in page
    assert _entries() == 0


# --- entry page and reversal ---------------------------------------------------------------------

def test_the_entry_page_shows_lines_totals_author_and_hash(client, posted):
    login(client, "pengawas")
    page = _text(client.get(f"{BASE}/journal/{posted.id}"))
    assert "KK/2026/000001" in page and "10 Maret 2026" in page and "Kas keluar" in page
    assert posted.entry_hash[:12] in page
    assert re.findall(r'<tr data-code="(\d+)">', page) == ["6102", "6103", "1101"]
    assert 'id="entry-total-debit">500.000<' in page and 'id="entry-total-credit">500.000<' in page
    assert "Balik jurnal" not in page  # auditors change nothing


def test_reversing_through_the_page_links_both_entries_and_nets_to_zero(client, posted):
    login(client, "bendahara")
    page = _text(client.get(f"{BASE}/journal/{posted.id}"))
    assert 'id="reverse-form"' in page
    response = client.post(f"{BASE}/journal/{posted.id}/reverse", data={"date": "2026-03-31"})
    assert response.status_code == 302
    reversal = db.session.get(JournalEntry, _entry_id(response))
    assert (reversal.number, reversal.entry_date, reversal.reverses_id, reversal.reference) == (
        "KK/2026/000002", date(2026, 3, 31), posted.id, "KK/2026/000001")
    assert [(ln.account.code, ln.debit, ln.credit) for ln in reversal.lines] == [
        ("6102", 0, 35_000_000), ("6103", 0, 15_000_000), ("1101", 50_000_000, 0)]
    page = _text(client.get(f"{BASE}/journal/{posted.id}"))
    assert "Jurnal ini sudah dibalik oleh" in page and "KK/2026/000002" in page and 'id="reverse-form"' not in page
    assert "Jurnal ini membalik" in _text(client.get(response.headers["Location"]))
    rows, total_debit, total_credit, _ = _trial_balance(client, "2026-03-31")
    assert rows == {} and total_debit == total_credit == 0
    # a second reversal (double click, stale page) is refused with a message and writes nothing
    again = client.post(f"{BASE}/journal/{posted.id}/reverse", data={"date": "2026-03-31"}, follow_redirects=True)
    assert "Jurnal KK/2026/000001 sudah dibalik." in _text(again)
    assert _entries() == 2


def test_a_reversal_dated_before_the_entry_is_refused(client, posted):
    login(client, "bendahara")
    page = _text(client.post(f"{BASE}/journal/{posted.id}/reverse", data={"date": "2026-03-01"}, follow_redirects=True))
    assert "Tanggal pembalikan tidak boleh sebelum tanggal jurnal asli." in page
    assert _entries() == 1


# --- periods ---------------------------------------------------------------------------------------

def test_closing_a_month_on_the_page_then_posting_in_it_is_refused(client, staff):
    login(client, "pengurus")
    response = client.post(f"{BASE}/periods/close", data={"year": "2026", "month": "3"}, follow_redirects=True)
    page = _text(response)
    assert "Periode 03/2026 ditutup" in page
    assert 'data-period="2026-03" data-closed="yes"' in page and 'data-period="2026-04" data-closed="no"' in page
    client.post("/logout")
    login(client, "bendahara")
    page = _text(client.post(f"{BASE}/journal/new", data=journal_data(ELECTRICITY_AND_STATIONERY)))
    assert "Periode 03/2026 sudah ditutup." in page
    assert re.search(r'id="date"[^>]*is-invalid|is-invalid[^>]*id="date"', page)
    assert _entries() == 0
    response = client.post(f"{BASE}/journal/new", data=journal_data(ELECTRICITY_AND_STATIONERY, day="2026-04-01"))
    assert response.status_code == 302


def test_reopening_a_month_needs_a_reason(client, staff):
    login(client, "pengurus")
    client.post(f"{BASE}/periods/close", data={"year": "2026", "month": "3"})
    page = _text(client.post(f"{BASE}/periods/reopen", data={"year": "2026", "month": "3", "reason": ""}, follow_redirects=True))
    assert "Tuliskan alasan" in page and 'data-period="2026-03" data-closed="yes"' in page
    page = _text(client.post(f"{BASE}/periods/reopen", data={"year": "2026", "month": "3", "reason": "Koreksi faktur listrik"}, follow_redirects=True))
    assert "Periode 03/2026 dibuka kembali." in page and 'data-period="2026-03" data-closed="no"' in page


def test_closing_the_year_on_the_page_moves_the_result_into_shu(client, staff, treasurer):
    coop = staff
    cash_sale(coop, 1_000_000, day=date(2026, 3, 10))  # Dr 1101 / Cr 4201
    post_entry(coop, entry_date=date(2026, 5, 2), description="Listrik", journal_type="KK",
               lines=[LineSpec("6102", debit=Decimal(400_000)), LineSpec("1101", credit=Decimal(400_000))])
    login(client, "pengurus")
    before, before_debit, before_credit, _ = _trial_balance(client, "2026-12-31")
    assert before == {"1101": 60_000_000, "4201": -100_000_000, "6102": 40_000_000}
    assert before_debit == before_credit == 100_000_000

    page = _text(client.post(f"{BASE}/periods/close-year", data={"fiscal_year": "2026"}, follow_redirects=True))
    assert "Centang konfirmasi dulu." in page and _entries() == 2  # the confirmation is required

    response = client.post(f"{BASE}/periods/close-year", data={"fiscal_year": "2026", "confirm": "y"}, follow_redirects=True)
    page = _text(response)
    assert "Tahun buku 2026 ditutup dengan jurnal penutup PN/2026/000001." in page
    assert page.count('data-closed="yes"') == 12
    closing = db.session.scalar(select(JournalEntry).where(JournalEntry.journal_type == "PN"))
    assert f'href="/alhikmah/ledger/journal/{closing.id}">PN/2026/000001</a>' in page
    assert closing.entry_date == date(2026, 12, 31)
    assert sorted((ln.account.code, ln.debit, ln.credit) for ln in closing.lines) == [
        ("3108", 0, 60_000_000), ("4201", 100_000_000, 0), ("6102", 0, 40_000_000)]

    after, after_debit, after_credit, page = _trial_balance(client, "2026-12-31")
    assert after == {"1101": 60_000_000, "3108": -60_000_000}  # no revenue or expense left
    assert not re.search(r'data-type="(revenue|expense)"', page)
    assert after_debit == after_credit == 60_000_000
    assert 'id="tb-status">Seimbang<' in page and ">600.000<" in page

    page = _text(client.post(f"{BASE}/periods/close-year", data={"fiscal_year": "2026", "confirm": "y"}, follow_redirects=True))
    assert "Tahun buku 2026 sudah ditutup." in page
    assert _entries() == 3


# --- chart of accounts and general ledger ----------------------------------------------------------

def test_the_chart_shows_balances_as_of_a_date_indented_by_depth(client, posted):
    cash_sale(_coop(posted), 2_000_000, day=date(2026, 4, 5))
    login(client, "pengawas")
    page = _text(client.get(f"{BASE}/accounts?as_of=2026-03-31"))
    assert re.search(r'data-code="1101" data-balance="-50000000"', page)
    assert re.search(r'data-code="6" data-balance="50000000"', page)  # the header sums its sub-accounts
    assert "(500.000)" in page  # cash went negative: parentheses
    assert 'class="depth-2">\n        Kas Besar' in page  # 1 → 11 → 1101
    page = _text(client.get(f"{BASE}/accounts?as_of=2026-04-30"))
    assert re.search(r'data-code="1101" data-balance="150000000"', page) and "1.500.000" in page
    assert 'href="/alhikmah/ledger/accounts/1101"' in page
    assert 'id="add-account-form"' not in page  # auditors change nothing


def test_the_general_ledger_shows_opening_running_and_closing_balances(client, posted):
    coop = _coop(posted)
    cash_sale(coop, 2_000_000, day=date(2026, 2, 1))
    cash_sale(coop, 300_000, day=date(2026, 3, 20))
    login(client, "bendahara")
    page = _text(client.get(f"{BASE}/accounts/1101?from=2026-03-01&to=2026-03-31"))
    assert 'id="opening-row"' in page and 'data-sen="200000000">2.000.000<' in page
    assert re.findall(r'<tr data-entry="([^"]+)">', page) == ["KK/2026/000001", "KM/2026/000002"]
    assert re.findall(r'data-running="(-?\d+)">([^<]+)<', page) == [("150000000", "1.500.000"), ("180000000", "1.800.000")]
    assert 'id="total-debit">300.000<' in page and 'id="total-credit">500.000<' in page
    assert 'id="closing-balance" data-sen="180000000">1.800.000<' in page
    assert f'href="/alhikmah/ledger/journal/{posted.id}"' in page
    assert client.get(f"{BASE}/accounts/9999").status_code == 404


def test_the_general_ledger_defaults_to_the_current_fiscal_year(client, staff, monkeypatch):
    import koppontren.ledger.views as views

    monkeypatch.setattr(views, "today", lambda: date(2026, 6, 15))
    login(client, "bendahara")
    page = _text(client.get(f"{BASE}/accounts/1101"))
    assert 'name="from" value="2026-01-01"' in page and 'name="to" value="2026-06-15"' in page


def test_adding_renaming_and_deactivating_an_account_through_the_pages(client, staff):
    login(client, "bendahara")
    data = {"parent_code": "6", "code": "6110", "name_id": "Beban Konsumsi Rapat", "name_en": "", "cash_flow": "operating", "subledger": ""}
    response = client.post(f"{BASE}/accounts/new", data=data)
    assert response.headers["Location"].endswith("/ledger/accounts/6110")
    account = account_by_code(staff, "6110")
    assert (account.type, account.normal_balance, account.postable, account.cash_flow) == ("expense", "debit", True, "operating")
    assert '<option value="6110">' in _text(client.get(f"{BASE}/journal/new"))

    page = _text(client.post(f"{BASE}/accounts/new", data=data))  # the same code again
    assert "Kode akun 6110 sudah ada." in page and 'id="add-account-form"' in page
    page = _text(client.post(f"{BASE}/accounts/new", data={**data, "code": "7110"}))
    assert "Kode akun harus angka yang diawali kode induknya (6)." in page
    assert account_by_code(staff, "7110") is None

    client.post(f"{BASE}/accounts/6110/rename", data={"name_id": "Beban Konsumsi", "name_en": "Refreshments"})
    db.session.expire_all()
    assert (account_by_code(staff, "6110").name_id, account_by_code(staff, "6110").name_en) == ("Beban Konsumsi", "Refreshments")

    page = _text(client.post(f"{BASE}/accounts/6110/active", data={"active": "0"}, follow_redirects=True))
    assert "Akun 6110 dinonaktifkan" in page
    assert '<option value="6110">' not in _text(client.get(f"{BASE}/journal/new"))
    page = _text(client.post(f"{BASE}/journal/new", data=journal_data([("6110", "1.000", "", ""), ("1101", "", "1.000", "")])))
    assert "akun 6110 sudah dinonaktifkan" in page and _entries() == 0
    client.post(f"{BASE}/accounts/6110/active", data={"active": "1"})
    db.session.expire_all()
    assert account_by_code(staff, "6110").active


# --- journal list --------------------------------------------------------------------------------

def test_the_journal_list_filters_and_pages_fifty_at_a_time(client, posted):
    coop = _coop(posted)
    for day in range(1, 28):
        cash_sale(coop, 10_000, day=date(2026, 4, day), description=f"Penjualan harian {day}")
        cash_sale(coop, 20_000, day=date(2026, 5, day), description=f"Penjualan harian {day}")
    login(client, "pengawas")
    page = _text(client.get(f"{BASE}/journal"))
    assert 'id="journal-total">55<' in page and page.count("<tr data-number=") == 50 and "1 / 2" in page
    page2 = _text(client.get(f"{BASE}/journal?page=2"))
    assert page2.count("<tr data-number=") == 5 and "KK/2026/000001" in page2
    page = _text(client.get(f"{BASE}/journal?from=2026-05-01&to=2026-05-31&journal_type=KM&q=harian"))
    assert 'id="journal-total">27<' in page and "20.000" in page and "2 / 2" not in page
    assert 'id="journal-total">1<' in _text(client.get(f"{BASE}/journal?account=6102"))
    assert 'id="journal-total">1<' in _text(client.get(f"{BASE}/journal?journal_type=KK"))
    assert 'id="journal-total">0<' in _text(client.get(f"{BASE}/journal?journal_type=JU"))
    assert 'id="journal-total">1<' in _text(client.get(f"{BASE}/journal?q=LISTRIK"))
    page = _text(client.get(f"{BASE}/journal?account=9999"))
    assert "Akun 9999 tidak ada." in page and 'id="journal-total">0<' in page
    page = _text(client.get(f"{BASE}/journal?journal_type=KM&page=2"))
    assert 'href="/alhikmah/ledger/journal?page=1&amp;journal_type=KM"' in page


# --- trial balance -------------------------------------------------------------------------------

def test_the_trial_balance_puts_each_balance_on_its_side_and_the_totals_agree(client, posted):
    cash_sale(_coop(posted), 2_000_000, day=date(2026, 3, 12))
    login(client, "pengawas")
    rows, total_debit, total_credit, page = _trial_balance(client, "2026-03-31")
    assert rows == {"1101": 150_000_000, "4201": -200_000_000, "6102": 35_000_000, "6103": 15_000_000}
    assert total_debit == total_credit == 200_000_000
    assert 'id="tb-total-debit" data-sen="200000000">2.000.000<' in page and 'id="tb-status">Seimbang<' in page
    rows, total_debit, _, _ = _trial_balance(client, "2026-03-11")
    assert "4201" not in rows and total_debit == 50_000_000


# --- opening balances ------------------------------------------------------------------------------

OPENING_ROWS = [("account", "debit", "credit", "member"), ("1101", "12.500.000", "", ""), ("1111", "7500000", "", ""),
                ("1214", "30.000.000", "", ""), ("3104", "", "40.000.000", ""), ("3107", "", "10.000.000", "")]


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def _upload(client, content: bytes, filename: str, *, dry_run=False, day="2026-01-01"):
    data = {"form_name": "upload", "upload-date": day, "upload-file": (io.BytesIO(content), filename), "upload-submit": "Unggah"}
    if dry_run:
        data["upload-dry_run"] = "y"
    return client.post(f"{BASE}/opening", data=data, content_type="multipart/form-data")


def _assert_opening_posted(response, coop):
    assert response.status_code == 302
    entry = db.session.get(JournalEntry, _entry_id(response))
    assert (entry.number, entry.journal_type, entry.entry_date, entry.total) == ("SA/2026/000001", "SA", date(2026, 1, 1), 5_000_000_000)
    assert {ln.account.code: (ln.debit, ln.credit) for ln in entry.lines} == {
        "1101": (1_250_000_000, 0), "1111": (750_000_000, 0), "1214": (3_000_000_000, 0), "3104": (0, 4_000_000_000), "3107": (0, 1_000_000_000)}
    assert queries.balance_of(coop, account_by_code(coop, "1101")) == 1_250_000_000


def test_opening_balances_from_a_csv_file(client, staff):
    login(client, "bendahara")
    _assert_opening_posted(_upload(client, _csv(OPENING_ROWS), "saldo-awal.csv"), staff)
    page = _text(client.get(f"{BASE}/opening"))
    assert 'id="opening-exists"' in page and "SA/2026/000001" in page and "membalik jurnal itu" in page
    page = _text(_upload(client, _csv(OPENING_ROWS), "saldo-awal.csv"))
    assert "Saldo awal sudah dimasukkan" in page and _entries() == 1


def test_opening_balances_from_an_xlsx_file(client, staff):
    workbook = Workbook()
    sheet = workbook.active
    for code, debit, credit, member in OPENING_ROWS:
        numbers = [int(v.replace(".", "")) if v and v[0].isdigit() and code != "account" else (v or None) for v in (debit, credit)]
        sheet.append([int(code) if code.isdigit() else code, *numbers, member or None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    login(client, "bendahara")
    _assert_opening_posted(_upload(client, buffer.getvalue(), "saldo-awal.xlsx"), staff)


def test_a_file_with_three_bad_rows_is_refused_listing_every_one_and_writes_nothing(client, staff):
    rows = [*OPENING_ROWS[:3], ("9999", "1.000", "", ""), ("1214", "satu juta", "", ""), ("1101", "1.000", "1.000", ""), *OPENING_ROWS[3:]]
    login(client, "bendahara")
    response = _upload(client, _csv(rows), "salah.csv")
    page = _text(response)
    assert "Berkas ditolak: 3 baris bermasalah. Tidak ada yang disimpan." in page
    table = page.split('id="import-problems"')[1].split("</table>")[0]
    problems = re.findall(r'<tr><td class="amount">(\d+)</td><td>(\w+)</td><td>([^<]+)</td></tr>', table)
    assert [(row, column) for row, column, _ in problems] == [("4", "account"), ("5", "debit"), ("6", "debit")]
    assert "Akun 9999 tidak ada." in problems[0][2]
    assert (_entries(), _lines()) == (0, 0)


def test_a_dry_run_shows_the_plan_and_writes_nothing(client, staff):
    login(client, "bendahara")
    page = _text(_upload(client, _csv(OPENING_ROWS), "saldo-awal.csv", dry_run=True))
    assert "5 baris siap diposting" in page
    assert 'id="plan-total-debit">50.000.000<' in page and 'id="plan-total-credit">50.000.000<' in page
    assert "12.500.000" in page
    assert (_entries(), _lines()) == (0, 0)


def test_opening_balances_typed_into_the_form(client, staff):
    login(client, "bendahara")
    page = _text(client.get(f"{BASE}/opening"))
    codes = re.findall(r'<tr data-line data-code="(\d+)">', page)
    assert "1101" in codes and "3104" in codes
    assert not {"3101", "2111", "1141", "2113", "2101", "1"} & set(codes)  # subledger accounts and headers go by file or module
    data = {"form_name": "manual", "manual-date": "2026-01-01", "manual-submit": "Simpan saldo awal"}
    for i, code in enumerate(codes):
        data[f"manual-lines-{i}-account"] = code
    index = {code: i for i, code in enumerate(codes)}
    data[f"manual-lines-{index['1101']}-debit"] = "2.000.000"
    data[f"manual-lines-{index['3104']}-credit"] = "1.500.000"
    page = _text(client.post(f"{BASE}/opening", data=data))
    assert "Jurnal tidak seimbang: debit 2.000.000, kredit 1.500.000." in page and _entries() == 0
    data[f"manual-lines-{index['1214']}-credit"] = "5OO.000"
    page = _text(client.post(f"{BASE}/opening", data=data))
    assert re.search(rf'is-invalid"[^>]*id="manual-lines-{index["1214"]}-credit"', page) and _entries() == 0
    data[f"manual-lines-{index['1214']}-credit"] = ""
    data[f"manual-lines-{index['3107']}-credit"] = "500.000"
    response = client.post(f"{BASE}/opening", data=data)
    entry = db.session.get(JournalEntry, _entry_id(response))
    assert (entry.journal_type, entry.total) == ("SA", 200_000_000)
    assert [(ln.account.code, ln.debit, ln.credit) for ln in entry.lines] == [
        ("1101", 200_000_000, 0), ("3104", 0, 150_000_000), ("3107", 0, 50_000_000)]


def test_the_opening_template_is_a_csv_that_imports(client, staff):
    login(client, "bendahara")
    response = client.get(f"{BASE}/opening/template.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(_text(response))))
    assert rows[0] == ["account", "debit", "credit", "member"] and len(rows) == 3
    assert "2 baris siap diposting" in _text(_upload(client, response.data, "saldo-awal.csv", dry_run=True))
