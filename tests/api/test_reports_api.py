"""The reports over the API (issue 8): every report name as JSON equal to the statements builder's,
the hand-checked year 2025 (tests/statements/conftest.py), paging of the Buku Besar and the Jurnal,
PDF and XLSX files, validation errors, roles, another cooperative and no token."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from koppontren.api.reports_api import CONTRACT, MIME, NAMES
from koppontren.auth import tokens
from koppontren.ledger import chart
from koppontren.statements import documents, registry
from koppontren.statements.model import to_json
from tests.api.conftest import Api
from tests.statements.conftest import build_year

Y2025 = {"from": "2025-01-01", "to": "2025-12-31"}


@pytest.fixture
def year(build):
    return build_year(build)


@pytest.fixture
def api_as(client, build, year):
    def make(role: str | None) -> Api:
        if role is None:
            return Api(client, None, year.coop.slug)
        user = build.user(f"{role}.laporan", year.coop, role)
        return Api(client, tokens.create_token(year.coop, user)[1], year.coop.slug)

    return make


@pytest.fixture
def api(api_as) -> Api:
    return api_as("treasurer")


def _params(name: str) -> dict:
    return Y2025 | ({"account": "1101"} if registry.REPORTS[name].needs_account else {})


def test_the_contract_names_and_the_extra_ones():
    assert set(CONTRACT) <= set(NAMES) and set(NAMES) == set(registry.REPORTS)
    assert {"notes", "member-receivables"} <= set(NAMES) - set(CONTRACT)


@pytest.mark.parametrize("name", NAMES)
def test_every_report_as_json_equals_the_builders(api, year, name):
    r = api.get(f"/reports/{name}", **_params(name))
    assert r.status_code == 200, r.json
    assert r.mimetype == "application/json"
    spec = registry.REPORTS[name]
    expected = to_json(documents.build(year.coop, name, _params(name), page=1 if spec.paged else None, per_page=50 if spec.paged else None),
                       year.coop.currency_decimals)
    got = dict(r.json)
    pagination = got.pop("pagination", None)
    assert got == expected
    assert got["report"] == name and got["period"] == {"from": "2025-01-01", "to": "2025-12-31", "kind": "custom"}
    assert (pagination is not None) == spec.paged


def test_the_balance_sheet_balances_and_matches_the_trial_balance(api, year):
    bs = api.get("/reports/balance-sheet", as_of="2025-12-31").json
    assert bs["period"]["to"] == "2025-12-31" and bs["subtitle"] == "PER 31 DESEMBER 2025"
    assert bs["totals"]["total_assets"] == bs["totals"]["total_liabilities_equity"] == "10875000"
    assert bs["totals"]["total_liabilities"] == "305000" and bs["totals"]["total_equity"] == "10570000"
    tb = api.get("/reports/trial-balance", **Y2025).json
    assert tb["totals"] == {"debit": "13830000", "credit": "13830000", "balance_debit": "10895000", "balance_credit": "10895000"}
    types = {a.code: a.type for a in chart.accounts(year.coop)}
    net = {"asset": 0, "liability": 0, "equity": 0, "revenue": 0, "expense": 0}
    for row in tb["sections"][0]["rows"]:
        if row["kind"] == "item":
            net[types[row["code"]]] += int(row["values"][4]) - int(row["values"][5])
    assert net["revenue"] == net["expense"] == 0  # the year is closed
    assert net["asset"] == int(bs["totals"]["total_assets"])
    assert -(net["liability"] + net["equity"]) == int(bs["totals"]["total_liabilities_equity"])
    cash = next(row for row in bs["sections"][0]["rows"] if row["key"] == "account:1101")
    assert cash["values"] == ["Kas Besar", "965000"] and cash["code"] == "1101"


def test_a_prior_year_column_and_the_other_statements(api):
    bs = api.get("/reports/balance-sheet", as_of="2026-12-31", comparative="1").json
    assert bs["comparative"] == {"from": "2025-01-01", "to": "2025-12-31"}
    total = next(row for row in bs["sections"][0]["rows"] if row["key"] == "total_assets")
    assert total["values"][2] == "10875000"
    assert api.get("/reports/balance-sheet", as_of="2026-12-31", comparative="false").json["comparative"] is None
    phu = api.get("/reports/income-statement", **Y2025).json
    assert phu["totals"]["shu_setelah_pajak"] == "120000"
    savings = api.get("/reports/member-savings", as_of="2025-12-31").json
    assert savings["totals"] == {"pokok": "300000", "wajib": "150000", "sukarela": "300000", "total": "750000"}
    assert api.get("/reports/arrears", as_of="2025-12-31").json["totals"] == {"amount": "280000"}


def test_the_general_ledger_and_the_journal_are_paged(api):
    gl = api.get("/reports/general-ledger", account="1101", page=2, per_page=5, **Y2025).json
    assert gl["pagination"] == {"page": 2, "per_page": 5, "pages": 3, "total": 12}
    rows = gl["sections"][0]["rows"]
    assert next(r for r in rows if r["key"] == "carried")["values"][5] == "850000"
    assert [r["values"][5] for r in rows if r["kind"] == "item"] == ["650000", "600000", "580000", "680000", "665000"]
    last = api.get("/reports/general-ledger", account="1101", page=3, per_page=5, **Y2025).json
    assert last["totals"] == {"opening": "0", "debit": "1450000", "credit": "485000", "closing": "965000"}
    jl = api.get("/reports/journal", per_page=10, **Y2025).json
    assert jl["pagination"] == {"page": 1, "per_page": 10, "pages": 3, "total": 21}
    assert len([r for r in jl["sections"][0]["rows"] if r["kind"] == "heading"]) == 10
    assert api.get("/reports/journal", per_page=501, **Y2025).status_code == 422


@pytest.mark.parametrize("name, title", [("balance-sheet", "LAPORAN POSISI KEUANGAN"), ("general-ledger", "BUKU BESAR")])
def test_pdf_and_xlsx(api, year, name, title):
    r = api.get(f"/reports/{name}", format="pdf", **_params(name))
    assert r.status_code == 200 and r.mimetype == MIME["pdf"] == "application/pdf"
    assert f'filename="alhikmah-{name}-2025-01-01-2025-12-31.pdf"' in r.headers["Content-Disposition"]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(r.data)).pages)
    assert title in text
    assert api.get(f"/reports/{name}", format="pdf", **_params(name)).data == r.data  # cached
    x = api.get(f"/reports/{name}", format="xlsx", **_params(name))
    assert x.status_code == 200 and x.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(x.data))
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert any(title in c for c in cells)


def test_the_whole_general_ledger_in_the_xlsx(api):
    book = load_workbook(io.BytesIO(api.get("/reports/general-ledger", format="xlsx", account="1101", per_page=5, **Y2025).data))
    values = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert 965000 in values  # the saldo akhir: all 12 lines, not one page


@pytest.mark.parametrize("params, status, code, field", [
    ({"as_of": "2025-02-30"}, 422, "validation_error", "as_of"),
    ({"from": "2025-1-1"}, 422, "validation_error", "from"),
    ({"as_of": "0001-01-01"}, 422, "invalid_date", "as_of"),
    ({"from": "2025-12-31", "to": "2025-01-01"}, 422, "invalid_period", "from"),
    ({"format": "csv"}, 422, "validation_error", "format"),
    ({"comparative": "ya"}, 422, "validation_error", "comparative"),
    ({"from": "2025-12-31", "to": "2025-01-01", "format": "pdf"}, 422, "invalid_period", "from"),
])
def test_validation_errors(api, params, status, code, field):
    r = api.get("/reports/balance-sheet", **params)
    assert r.status_code == status, r.json
    assert r.json["error"]["code"] == code and field in r.json["error"]["fields"]


def test_unknown_report_and_account(api):
    r = api.get("/reports/laba-rugi")
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    missing = api.get("/reports/general-ledger", **Y2025)
    assert missing.status_code == 422 and missing.json["error"]["code"] == "validation_error"
    assert "account" in missing.json["error"]["fields"]
    unknown = api.get("/reports/general-ledger", account="9999", **Y2025)
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "not_found"
    assert api.get("/reports/general-ledger", account="9999", format="pdf", **Y2025).status_code == 404


@pytest.mark.parametrize("role, status", [("admin", 200), ("auditor", 200), ("cashier", 403), ("member", 403)])
def test_roles(api_as, role, status):
    client = api_as(role)
    r = client.get("/reports/balance-sheet", as_of="2025-12-31")
    assert r.status_code == status
    if status == 403:
        assert r.json["error"]["code"] == "forbidden"
        assert client.get("/reports/general-ledger", account="1101", format="pdf").status_code == 403


def test_another_cooperative_and_no_token(client, build, year, api_as):
    other = build.coop("annur")
    token = tokens.create_token(other, build.user("bendahara.annur", other, "treasurer"))[1]
    foreign = Api(client, token, year.coop.slug)
    for params in ({"as_of": "2025-12-31"}, {"format": "pdf"}, {"format": "xlsx"}):
        r = foreign.get("/reports/balance-sheet", **params)
        assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    own = Api(client, token, "annur").get("/reports/balance-sheet", as_of="2025-12-31").json
    assert own["totals"]["total_assets"] == "0"
    anonymous = api_as(None).get("/reports/balance-sheet")
    assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "unauthorized"
