"""The SHU pages over HTTP: who may see and do what, the workflow through the forms, the downloads
(PDF, XLSX, slips), the member portal section and the slips CLI command."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from koppontren.extensions import db
from koppontren.shu import services as shu
from tests.helpers import login
from tests.shu.conftest import RAT

YEAR_PAGES = ["/shu", "/shu/2025", "/shu/2025/rules"]
RUN_DOWNLOADS = ["/shu/2025/distribution.pdf", "/shu/2025/distribution.xlsx", "/shu/2025/slips.pdf"]


@pytest.fixture
def staff(build, coop):
    for login_name, role in (("kasir", "cashier"), ("pengawas", "auditor"), ("anggota", "member")):
        build.user(login_name, coop, role)
    build.user("asing", build.coop("lain"), "admin")


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def test_anonymous_users_are_sent_to_login(client, coop, year_2025):
    for path in YEAR_PAGES:
        assert client.get(f"/alhikmah{path}").status_code in (302, 401)


@pytest.mark.parametrize(("login_name", "status"), [("bendahara", 200), ("ketua", 200), ("pengawas", 200), ("kasir", 403),
                                                    ("anggota", 403), ("asing", 404)])
def test_who_may_read_the_shu_pages(client, coop, treasurer, admin, staff, year_2025, login_name, status):
    shu.compute_run(coop, 2025, actor=treasurer)
    login(client, login_name)
    for path in YEAR_PAGES + RUN_DOWNLOADS:
        assert client.get(f"/alhikmah{path}").status_code == status, path


def test_the_auditor_changes_nothing(client, coop, treasurer, staff, year_2025):
    login(client, "pengawas")
    assert client.post("/alhikmah/shu/2025/compute").status_code == 403
    assert client.post("/alhikmah/shu/2025/rules", data={}).status_code == 403
    assert client.post("/alhikmah/shu/2025/approve", data={"date": "2026-03-15", "decision": "x"}).status_code == 403
    assert client.post("/alhikmah/shu/2025/payouts", data={"date": "2026-03-15", "method": "cash"}).status_code == 403
    assert shu.get_run(coop, 2025) is None


def test_workflow_through_the_pages(client, coop, treasurer, admin, staff, year_2025):
    a, _b, _c = year_2025
    login(client, "bendahara")
    page = client.get("/alhikmah/shu/2025/rules").get_data(as_text=True)
    assert "Cadangan" in page and 'value="40"' in page
    form = {"components-0-name": "Cadangan", "components-0-kind": "reserve", "components-0-percent": "41", "components-0-account": "3105",
            "components-0-source": "member", "components-0-unit": "",
            "components-1-name": "Jasa modal", "components-1-kind": "jasa_modal", "components-1-percent": "59", "components-1-account": "2121",
            "components-1-source": "member", "components-1-unit": "", "savings_basis": "year_end"}
    response = client.post("/alhikmah/shu/2025/rules", data=form, follow_redirects=True)
    assert response.status_code == 200 and shu.rules_of(coop, 2025).origin == "stored"
    form["components-0-percent"] = "40"
    response = client.post("/alhikmah/shu/2025/rules", data=form)
    assert response.status_code == 200 and "100%" in response.get_data(as_text=True)  # refused: 99 %
    assert shu.rules_of(coop, 2025).rules.components[0].percent == 41

    client.post("/alhikmah/shu/2025/compute")
    review = client.get("/alhikmah/shu/2025").get_data(as_text=True)
    assert "32.390" in review  # Cadangan 41 % of 79.000
    response = client.post("/alhikmah/shu/2025/approve", data={"date": RAT.isoformat(), "decision": "01/RAT/2026"}, follow_redirects=True)
    assert "pengguna lain" in response.get_data(as_text=True)  # the preparer may not approve
    assert shu.get_run(coop, 2025).status == "draft"

    client.post("/logout")
    login(client, "ketua")
    client.post("/alhikmah/shu/2025/approve", data={"date": RAT.isoformat(), "decision": "01/RAT/2026"})
    db.session.expire_all()
    assert shu.get_run(coop, 2025).status == "approved"

    client.post("/logout")
    login(client, "bendahara")
    response = client.post("/alhikmah/shu/2025/payouts", data={"date": "2026-03-18", "member": a.number, "method": "cash",
                                                               "account": str(_cash_id(coop))}, follow_redirects=True)
    assert response.status_code == 200
    response = client.post("/alhikmah/shu/2025/payouts", data={"date": "2026-03-18", "member": "", "method": "sukarela",
                                                               "account": str(_cash_id(coop))}, follow_redirects=True)
    db.session.expire_all()
    assert shu.run_status(coop, shu.get_run(coop, 2025)) == "paid"

    text = _pdf_text(client.get("/alhikmah/shu/2025/distribution.pdf"))
    assert "PEMBAGIAN SHU" in text and a.number in text
    slips = client.get("/alhikmah/shu/2025/slips.pdf")
    assert len(PdfReader(io.BytesIO(slips.data)).pages) == 3
    one = client.get(f"/alhikmah/shu/2025/members/{a.id}/slip.pdf")
    assert len(PdfReader(io.BytesIO(one.data)).pages) == 1 and a.number in _pdf_text(one)


def _cash_id(coop):
    from koppontren.ledger import chart
    return chart.account_for(coop, "cash").id


def test_xlsx_numbers_frozen_header_and_neutralised_text(client, coop, treasurer, year_2025):
    a, _b, _c = year_2025
    from koppontren.members import services as members
    members.update_member(coop, a, members.MemberData(name="=HYPERLINK(\"x\")", category="santri", join_date=a.join_date), actor=treasurer)
    shu.compute_run(coop, 2025, actor=treasurer)
    login(client, "bendahara")
    response = client.get("/alhikmah/shu/2025/distribution.xlsx")
    wb = load_workbook(io.BytesIO(response.data))
    sheet = wb["Anggota"]
    assert sheet.freeze_panes == "A2" and wb["Pos SHU"].freeze_panes == "A2"
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[a.number][1].startswith("'=")
    assert rows[a.number][6] == 19_538 and isinstance(rows[a.number][6], int)


def test_member_portal_shows_own_approved_shu(client, coop, treasurer, admin, staff, year_2025, build):
    a, _b, _c = year_2025
    from koppontren.auth import services as auth
    a.user_id = auth.get_user_by_login("anggota").id
    db.session.commit()
    shu.compute_run(coop, 2025, actor=treasurer)
    login(client, "anggota")
    assert "portal-shu-table" not in client.get("/alhikmah/me").get_data(as_text=True)  # a draft is not shown
    assert client.get("/alhikmah/me/shu/2025/slip.pdf").status_code == 404
    shu.approve_run(coop, 2025, day=RAT, decision="01/RAT/2026", actor=admin)
    page = client.get("/alhikmah/me").get_data(as_text=True)
    assert "portal-shu-table" in page and "19.538" in page and "9.593" not in page
    assert a.number in _pdf_text(client.get("/alhikmah/me/shu/2025/slip.pdf"))
    assert client.get("/alhikmah/me/shu/2024/slip.pdf").status_code == 404


def test_cli_writes_all_slips_in_one_pdf(app, coop, treasurer, year_2025, tmp_path):
    shu.compute_run(coop, 2025, actor=treasurer)
    db.session.commit()
    out = tmp_path / "slips.pdf"
    result = app.test_cli_runner().invoke(args=["shu", "slips", "--coop", "alhikmah", "--year", "2025", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(PdfReader(str(out)).pages) == 3
    result = app.test_cli_runner().invoke(args=["shu", "slips", "--coop", "alhikmah", "--year", "2024", "--out", str(out)])
    assert result.exit_code == 1


def _page_texts(pdf: bytes) -> list[str]:
    """Each page's text without its print time (the two renderings may straddle a minute)."""
    return [" ".join(line for line in page.extract_text().splitlines() if "Dicetak" not in line)
            for page in PdfReader(io.BytesIO(pdf)).pages]


def test_slips_laid_out_by_worker_processes_are_the_same_pages_in_order(app, coop, treasurer, admin, year_2025):
    from koppontren.shu import documents

    a, b, c = year_2025
    shu.compute_run(coop, 2025, actor=treasurer)
    shu.approve_run(coop, 2025, day=RAT, decision="01/RAT/2026", actor=admin)
    shu.pay(coop, 2025, day=RAT, method="cash", member_id=b.id, actor=treasurer)
    run = shu.get_run(coop, 2025)
    with app.test_request_context():
        alone = documents.slips_pdf(coop, run)
        parted = documents.slips_pdf(coop, run, chunk=1, processes=2)  # three parts, two workers
        single = documents.slips_pdf(coop, run, [b.id])
    texts = _page_texts(alone)
    assert _page_texts(parted) == texts and len(texts) == 3
    for text, member in zip(texts, (a, b, c), strict=True):
        assert member.number in text and member.name in text and "SLIP SHU 2025" in text
        assert "Jasa modal" in text and "Jumlah SHU Anda" in text and "rupiah" in text
        assert "keputusan 01/RAT/2026" in text
    assert "Jasa usaha" in texts[0] and "Jasa usaha" in texts[1]  # C bought nothing: no jasa usaha line
    assert "Dibayarkan" in texts[1] and "Dibayarkan" not in texts[0]
    assert _page_texts(single) == [texts[1]]
