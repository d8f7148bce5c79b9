"""The members' and savings pages over HTTP: what each role may open and do, the forms' happy paths,
refusals shown in the user's language with nothing written, and the printed documents."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from koppontren.extensions import db
from koppontren.ledger.models import JournalEntry
from koppontren.members.models import Member
from koppontren.savings import services as savings
from tests.helpers import login

BASE = "/alhikmah"


@pytest.fixture
def cash(configured) -> str:
    """The form value of Kas Besar."""
    from koppontren.ledger import chart

    return str(chart.account_for(configured, "cash").id)


@pytest.fixture
def staff(build, configured):
    for login_name, role in (("ketua", "admin"), ("kasir", "cashier"), ("pengawas", "auditor"), ("anggota", "member")):
        build.user(login_name, configured, role)
    return configured


def _text(response) -> str:
    return response.get_data(as_text=True)


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


def _pdf_text(response) -> str:
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


STAFF_PAGES = ["/members", "/members/{m}", "/members/{m}/passbook", "/savings/arrears", "/savings/transactions/{t}"]
RECORD_PAGES = ["/members/{m}/deposit", "/members/{m}/withdraw", "/savings/wajib-bulk"]
MANAGE_PAGES = ["/members/new", "/members/{m}/edit", "/members/{m}/exit", "/savings/settings"]


@pytest.mark.parametrize(("login_name", "allowed"), [
    ("bendahara", STAFF_PAGES + RECORD_PAGES + MANAGE_PAGES),
    ("ketua", STAFF_PAGES + RECORD_PAGES + MANAGE_PAGES),
    ("kasir", STAFF_PAGES + RECORD_PAGES),
    ("pengawas", STAFF_PAGES),
    ("anggota", []),
])
def test_each_role_opens_exactly_its_pages(client, staff, member, treasurer, login_name, allowed):
    tx = savings.deposit(staff, member, "sukarela", amount=Decimal(10_000), day=date(2026, 10, 1), actor=treasurer)
    login(client, login_name)
    for path in STAFF_PAGES + RECORD_PAGES + MANAGE_PAGES:
        url = BASE + path.format(m=member.id, t=tx.id)
        assert client.get(url).status_code == (200 if path in allowed else 403), (login_name, url)


def test_an_auditor_cannot_post_a_deposit(client, staff, member):
    login(client, "pengawas")
    response = client.post(f"{BASE}/members/{member.id}/deposit", data={"kind": "sukarela", "amount": "10.000", "date": "2026-10-01"})
    assert response.status_code == 403 and _entries() == 0


def test_unknown_ids_are_404(client, staff, member):
    login(client, "bendahara")
    for url in ("/members/999", "/members/999/deposit", "/members/999/passbook", "/savings/transactions/999",
                "/savings/transactions/999/kwitansi.pdf"):
        assert client.get(BASE + url).status_code == 404, url


def test_registering_a_member_numbers_it_and_validates_the_nik(client, staff):
    login(client, "bendahara")
    data = {"name": "  Muhammad   Rizki ", "category": "santri", "nik": "1234", "join_date": "2026-09-01", "gender": "L"}
    page = _text(client.post(f"{BASE}/members/new", data=data))
    assert "NIK harus 16 angka." in page and db.session.scalar(select(func.count()).select_from(Member)) == 0
    data["nik"] = "3507 1234 0506 0001"
    response = client.post(f"{BASE}/members/new", data=data)
    assert response.status_code == 302
    member = db.session.scalar(select(Member))
    assert (member.number, member.name, member.nik) == ("A-0001", "Muhammad Rizki", "3507123405060001")
    page = _text(client.get(response.headers["Location"]))
    assert 'id="member-nik">3507********0001<' in page  # only admins see the whole NIK
    client.post("/logout")
    login(client, "ketua")
    assert 'id="member-nik">3507123405060001<' in _text(client.get(response.headers["Location"]))


def test_the_register_searches_and_filters(client, staff, new_member):
    new_member("Siti Aminah", "santri")
    new_member("Hasan Basri", "ustadz", phone="081234567890")
    login(client, "kasir")
    page = _text(client.get(f"{BASE}/members?q=hasan"))
    assert re.findall(r'<tr data-number="([^"]+)">', page) == ["A-0002"]
    page = _text(client.get(f"{BASE}/members?category=santri"))
    assert re.findall(r'<tr data-number="([^"]+)">', page) == ["A-0001"]
    assert re.findall(r'<tr data-number="([^"]+)">', _text(client.get(f"{BASE}/members?q=0812345"))) == ["A-0002"]


def test_deposit_pages_record_pokok_three_months_of_wajib_and_sukarela(client, cash, staff, member):
    login(client, "kasir")
    url = f"{BASE}/members/{member.id}/deposit"
    assert client.post(url, data={"kind": "pokok", "date": "2026-12-01", "account": cash}).status_code == 302
    page = _text(client.post(url, data={"kind": "pokok", "date": "2026-12-01", "account": cash}))
    assert "sudah dibayar; simpanan pokok hanya sekali" in page
    response = client.post(url, data={"kind": "wajib", "month_count": "3", "date": "2026-12-01", "account": cash})
    tx_page = _text(client.get(response.headers["Location"]))
    assert "Rp30.000" in tx_page and "kwitansi.pdf" in tx_page
    assert client.post(url, data={"kind": "sukarela", "amount": "75.000", "date": "2026-12-01", "account": cash}).status_code == 302
    page = _text(client.get(f"{BASE}/members/{member.id}"))
    assert 'id="balance-pokok">Rp100.000<' in page and 'id="balance-wajib">Rp30.000<' in page and 'id="balance-sukarela">Rp75.000<' in page
    assert "Tidak ada tunggakan." not in page and 'id="arrears-summary"><strong>1 bulan</strong> · Rp10.000' in page
    assert _entries() == 3


def test_a_bad_amount_or_an_overdraft_is_shown_and_writes_nothing(client, cash, staff, member, treasurer):
    savings.deposit(staff, member, "sukarela", amount=Decimal(20_000), day=date(2026, 10, 1), actor=treasurer)
    login(client, "kasir")
    page = _text(client.post(f"{BASE}/members/{member.id}/withdraw", data={"amount": "25.000", "date": "2026-12-01", "account": cash}))
    assert "hanya Rp20.000; penarikan Rp25.000 ditolak" in page
    page = _text(client.post(f"{BASE}/members/{member.id}/deposit", data={"kind": "sukarela", "amount": "1,5", "date": "2026-12-01", "account": cash}))
    assert "rupiah bulat" in page
    page = _text(client.post(f"{BASE}/members/{member.id}/deposit", data={"kind": "sukarela", "amount": "abc", "date": "2026-12-01", "account": cash}))
    assert "bukan jumlah uang yang sah" in page
    assert _entries() == 1


def test_refusals_are_in_english_for_an_english_user(client, cash, staff, member, treasurer):
    from koppontren.auth import services as auth

    auth.set_locale(treasurer, "en")
    login(client, "bendahara")
    page = _text(client.post(f"{BASE}/members/{member.id}/withdraw", data={"amount": "5.000", "date": "2026-12-01", "account": cash}))
    assert "voluntary savings of A-0001 is only IDR 0" in page


def test_the_kwitansi_pdf_shows_the_amount_in_figures_and_words_and_the_voucher(client, staff, member, treasurer):
    tx = savings.deposit(staff, member, "wajib", amount=Decimal(30_000), day=date(2026, 11, 20), actor=treasurer)
    login(client, "kasir")
    text = _pdf_text(client.get(f"{BASE}/savings/transactions/{tx.id}/kwitansi.pdf"))
    assert "SP/2026/000001" in text and "Rp30.000" in text and "iga puluh ribu rupiah" in text
    assert "Siti Aminah" in text and "A-0001" in text and "Kasir/Bendahara" in text


def test_the_passbook_page_and_pdf_show_the_running_balance(client, staff, member, treasurer):
    savings.deposit(staff, member, "sukarela", amount=Decimal(50_000), day=date(2026, 9, 5), actor=treasurer)
    savings.withdraw(staff, member, amount=Decimal(15_000), day=date(2026, 10, 20), actor=treasurer)
    login(client, "pengawas")
    page = _text(client.get(f"{BASE}/members/{member.id}/passbook?kind=sukarela&date_from=2026-10-01&date_to=2026-12-31"))
    assert 'id="passbook-opening">50.000<' in page and 'id="passbook-closing">35.000<' in page
    text = _pdf_text(client.get(f"{BASE}/members/{member.id}/passbook?kind=sukarela&date_from=2026-09-01&date_to=2026-12-31&format=pdf"))
    assert "50.000" in text and "35.000" in text and "Simpanan sukarela" in text


def test_the_exit_page_refuses_unsettled_receivables_then_settles(client, cash, staff, member, treasurer):
    from koppontren.ledger.posting import LineSpec, post_entry

    savings.deposit(staff, member, "pokok", day=date(2026, 9, 1), actor=treasurer)
    post_entry(staff, entry_date=date(2026, 11, 1), description="Belanja kredit", journal_type="PJ",
               lines=[LineSpec("1121", debit=Decimal(15_000), member_id=member.id), LineSpec("4101", credit=Decimal(15_000), member_id=member.id)])
    login(client, "bendahara")
    url = f"{BASE}/members/{member.id}/exit"
    data = {"status": "keluar", "effective_date": "2026-12-01", "account": cash, "reason": "Pindah"}
    page = _text(client.post(url, data=data))
    assert "masih punya piutang Rp15.000" in page and _entries() == 2
    response = client.post(url, data={**data, "net_receivables": "y"})
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert "Dibayarkan Rp85.000" in page and 'id="member-status">Keluar<' in page
    assert savings.balances(staff, member.id) == savings.Balances()


def test_settings_page_saves_amounts_typed_indonesian_style(client, cash, staff):
    login(client, "bendahara")
    data = {"pokok_amount": "150.000", "wajib_santri": "12.500", "wajib_ustadz": "30.000", "default_account": cash,
            "number_prefix": "KPP-", "number_digits": "5"}
    assert client.post(f"{BASE}/savings/settings", data=data).status_code == 302
    settings = savings.get_settings(staff)
    assert settings.pokok_amount == 150_000_00 and settings.wajib_rate("santri") == 12_500_00 and settings.wajib_rate("alumni") == 0
    page = _text(client.get(f"{BASE}/savings/settings"))
    assert "KPP-00001" in page
    page = _text(client.post(f"{BASE}/savings/settings", data={**data, "pokok_amount": "-5"}))
    assert "negatif" in page and savings.get_settings(staff).pokok_amount == 150_000_00


def test_the_bulk_page_lists_unpaid_members_and_records_them_in_one_entry(client, cash, staff, new_member):
    a, b = new_member("A", "santri"), new_member("B", "ustadz")
    login(client, "kasir")
    page = _text(client.get(f"{BASE}/savings/wajib-bulk?month=2026-11"))
    assert page.count('type="checkbox" class="form-check-input" name="members"') == 2
    data = {"month": "2026-11", "date": "2026-11-28", "account": cash, "members": [str(a.id), str(b.id)], "note": "potong honor"}
    response = client.post(f"{BASE}/savings/wajib-bulk", data=data)
    assert response.status_code == 302 and _entries() == 1
    page = _text(client.post(f"{BASE}/savings/wajib-bulk", data=data))
    assert 'id="bulk-problems"' in page and "A-0001" in page and _entries() == 1


def test_the_arrears_report_and_its_csv(client, staff, new_member):
    new_member("=HYPERLINK(1)", "santri", date(2026, 11, 1))
    login(client, "pengawas")
    page = _text(client.get(f"{BASE}/savings/arrears?as_of=2026-12-15"))
    assert 'id="arrears-total">1 anggota · 2 bulan · <strong>Rp20.000' in page
    csv_text = _text(client.get(f"{BASE}/savings/arrears?as_of=2026-12-15&format=csv"))
    assert "'=HYPERLINK(1)" in csv_text and "2026-11 2026-12" in csv_text


def test_the_settings_page_saves_both_parts_or_neither(client, cash, staff):
    login(client, "bendahara")
    data = {"pokok_amount": "250.000", "wajib_santri": "20.000", "default_account": cash, "number_prefix": "A B", "number_digits": "4"}
    page = _text(client.post(f"{BASE}/savings/settings", data=data))
    assert "Awalan nomor" in page and savings.get_settings(staff).pokok_amount == 100_000_00


def test_a_cashier_cannot_find_a_masked_nik_digit_by_digit(client, staff, new_member):
    new_member("Siti", nik="3507123405060001")
    login(client, "kasir")
    assert re.findall(r'<tr data-number="([^"]+)">', _text(client.get(f"{BASE}/members?q=350712"))) == []
    assert re.findall(r'<tr data-number="([^"]+)">', _text(client.get(f"{BASE}/members?q=3507123405060001"))) == ["A-0001"]
    client.post("/logout")
    login(client, "ketua")
    assert re.findall(r'<tr data-number="([^"]+)">', _text(client.get(f"{BASE}/members?q=350712"))) == ["A-0001"]


def test_a_huge_page_number_is_not_a_server_error(client, staff):
    login(client, "kasir")
    assert client.get(f"{BASE}/members?page=99999999999999999999").status_code == 200
