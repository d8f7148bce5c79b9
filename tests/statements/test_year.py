"""Every line of every statement of the hand-checked year 2025 (tests/statements/conftest.py)."""

from __future__ import annotations

import json
from datetime import date

from koppontren.ledger.chart import account_by_code
from koppontren.statements import registry
from koppontren.statements.model import ReportPeriod, to_json
from tests.statements.conftest import R

Y2025 = ReportPeriod(date(2025, 1, 1), date(2025, 12, 31), "year")
Y2026 = ReportPeriod(date(2026, 1, 1), date(2026, 12, 31), "year")


def lines(statement, section=None, column=1):
    """(key, amount) of every row with an amount, in order."""
    sections = [statement.section(section)] if section else statement.sections
    return [(r.key, r.values[column]) for s in sections for r in s.rows if r.kind != "heading"]


def rp(pairs):
    return [(k, None if v is None else v * R) for k, v in pairs]


def test_neraca_at_the_end_of_the_closed_year(year):
    s = registry.build("balance-sheet", year.coop, Y2025)
    assert s.title == "LAPORAN POSISI KEUANGAN (NERACA)" and s.subtitle == "PER 31 DESEMBER 2025"
    assert lines(s, "assets") == rp([
        ("account:1101", 965_000), ("account:1103", 150_000), ("account:1111", 8_425_000), ("account:1121", 25_000),
        ("account:1141", 130_000), ("total_aset_lancar", 9_695_000),
        ("account:1214", 1_200_000), ("account:1215", -20_000), ("total_aset_tidak_lancar", 1_180_000),
        ("total_assets", 10_875_000)])
    assert lines(s, "liabilities_equity") == rp([
        ("account:2111", 300_000), ("account:2141", 5_000), ("total_liabilitas_jangka_pendek", 305_000),
        ("total_liabilitas_jangka_panjang", 0), ("total_liabilities", 305_000),
        ("account:3101", 300_000), ("account:3102", 150_000), ("account:3104", 10_000_000), ("account:3108", 120_000),
        ("total_equity", 10_570_000), ("total_liabilities_equity", 10_875_000)])
    assert s.row("account:1215").code == "1215"


def test_neraca_before_the_close_shows_the_unclosed_result(year):
    s = registry.build("balance-sheet", year.coop, ReportPeriod(date(2025, 1, 1), date(2025, 6, 30)))
    # revenue 4101 75.000 + 4201 100.000; expense 5101 30.000, 5201 40.000, 6101 50.000, 6102 20.000, 7101 15.000
    assert s.amount("unclosed_result") == 20_000 * R
    assert s.totals["total_assets"] == s.totals["total_liabilities_equity"]


def test_neraca_of_the_next_year_with_the_prior_year_beside_it(year):
    s = registry.build("balance-sheet", year.coop, Y2026, comparative=True)
    assert s.comparative == Y2025
    assert s.amount("account:1101") == 955_000 * R and s.amount("account:1101", 2) == 965_000 * R
    assert s.amount("account:3108") == 120_000 * R and s.amount("unclosed_result") == -10_000 * R
    assert s.amount("total_equity") == 10_560_000 * R and s.amount("total_equity", 2) == 10_570_000 * R
    assert s.amount("total_assets", 2) == 10_875_000 * R


def test_phu_of_the_closed_year_leaves_the_closing_entry_out(year):
    s = registry.build("income-statement", year.coop, Y2025, comparative=True)
    assert s.subtitle == "UNTUK TAHUN YANG BERAKHIR 31 DESEMBER 2025"
    assert lines(s) == rp([
        ("account:4101", 75_000), ("total_partisipasi_anggota", 75_000),
        ("account:5101", 30_000), ("total_beban_pokok_anggota", 30_000), ("partisipasi_neto", 45_000),
        ("account:4201", 100_000), ("total_pendapatan_non_anggota", 100_000),
        ("account:5201", 40_000), ("total_hpp_non_anggota", 40_000), ("laba_kotor_non_anggota", 60_000), ("shu_kotor", 105_000),
        ("account:6101", 50_000), ("account:6102", 20_000), ("account:6104", 20_000), ("total_beban_usaha", 90_000),
        ("shu_usaha", 15_000),
        ("account:7101", 15_000), ("total_beban_perkoperasian", 15_000),
        ("account:8101", 125_000), ("total_pendapatan_beban_lain", 125_000), ("shu_sebelum_pajak", 125_000),
        ("account:9101", 5_000), ("total_pajak", 5_000), ("shu_setelah_pajak", 120_000)])
    assert all(v == 0 for _k, v in lines(s, column=2))  # 2024: nothing
    assert s.totals["revenue"] == 300_000 * R and s.totals["expense"] == 180_000 * R


def test_phu_of_a_quarter_and_of_the_next_year(year):
    q1 = registry.build("income-statement", year.coop, ReportPeriod(date(2025, 1, 1), date(2025, 3, 31), "quarter"))
    assert q1.subtitle == "UNTUK PERIODE 1 JANUARI 2025 SAMPAI DENGAN 31 MARET 2025"
    assert q1.totals["shu_setelah_pajak"] == (50_000 + 100_000 - 20_000 - 40_000) * R
    nxt = registry.build("income-statement", year.coop, Y2026, comparative=True)
    assert nxt.amount("shu_setelah_pajak") == -10_000 * R and nxt.amount("shu_setelah_pajak", 2) == 120_000 * R


def test_equity_changes_of_the_year(year):
    s = registry.build("equity-changes", year.coop, Y2025)
    cols = [c.key for c in s.section("equity_current").columns]
    assert cols == ["label", "pokok", "wajib", "penyertaan", "hibah", "cadangan", "shu", "total"]
    table = {r.key: [v // R for v in r.values[1:]] for r in s.section("equity_current").rows}
    assert table == {
        "opening": [0, 0, 0, 0, 0, 0, 0],
        "deposits": [300_000, 150_000, 0, 10_000_000, 0, 0, 10_450_000],
        "withdrawals": [0, 0, 0, 0, 0, 0, 0],
        "distribution": [0, 0, 0, 0, 0, 0, 0],
        "result": [0, 0, 0, 0, 0, 120_000, 120_000],
        "closing": [300_000, 150_000, 0, 10_000_000, 0, 120_000, 10_570_000],
    }
    nxt = registry.build("equity-changes", year.coop, Y2026, comparative=True)
    table = {r.key: r.values[-1] // R for r in nxt.section("equity_current").rows}
    assert table == {"opening": 10_570_000, "deposits": 0, "withdrawals": 0, "distribution": 0, "result": -10_000, "closing": 10_560_000}
    assert nxt.section("equity_prior").row("prior_closing").values[-1] == 10_570_000 * R


def test_cash_flow_of_the_year(year):
    s = registry.build("cash-flow", year.coop, Y2025)
    assert lines(s, "cash_flow") == rp([
        # purchase −200.000, cost of goods sold back +60.000 (in the cash sales' entries)
        ("account:1141", -140_000), ("account:4101", 50_000), ("account:4201", 100_000), ("account:5101", -20_000),
        ("account:5201", -40_000), ("account:6101", -50_000), ("account:6102", -20_000), ("account:7101", -15_000),
        ("account:8101", 125_000), ("operating", -10_000),
        ("account:1214", -1_200_000), ("investing", -1_200_000),
        ("account:2111", 300_000), ("account:3101", 300_000), ("account:3102", 150_000), ("account:3104", 10_000_000),
        ("financing", 10_750_000),
        ("net_change", 9_540_000), ("cash_opening", 0), ("cash_closing", 9_540_000)])
    assert lines(s, "cash_accounts") == rp([("cash:1101", 965_000), ("cash:1103", 150_000), ("cash:1111", 8_425_000)])
    operating = registry.build("cash-flow", year.coop, Y2025, savings_as_operating=True)
    assert operating.totals["operating"] == (-10_000 + 750_000) * R and operating.totals["financing"] == 10_000_000 * R


def test_trial_balance_general_ledger_and_journal(year):
    tb = registry.build("trial-balance", year.coop, Y2025)
    assert tb.totals == {"debit": 13_830_000 * R, "credit": 13_830_000 * R, "balance_debit": 10_895_000 * R,
                         "balance_credit": 10_895_000 * R}
    assert tb.row("account:4101").values[2:] == [75_000 * R, 75_000 * R, 0, 0]  # sales and their closing
    cash = account_by_code(year.coop, "1101")
    gl = registry.build("general-ledger", year.coop, Y2025, account=cash)
    assert gl.totals == {"opening": 0, "debit": 1_450_000 * R, "credit": 485_000 * R, "closing": 965_000 * R}
    assert [r.values[5] // R for r in gl.section("ledger").rows if r.kind == "item"] == [
        100_000, 200_000, 230_000, 350_000, 850_000, 650_000, 600_000, 580_000, 680_000, 665_000, 465_000, 965_000]
    page2 = registry.build("general-ledger", year.coop, Y2025, account=cash, page=2, per_page=5)
    assert page2.row("carried").values[5] == 850_000 * R and page2.meta["pages"] == 3
    assert [r.values[5] // R for r in page2.section("ledger").rows if r.kind == "item"] == [650_000, 600_000, 580_000, 680_000, 665_000]
    jl = registry.build("journal", year.coop, Y2025, page=None)
    assert jl.meta["entries"] == 21 and jl.totals["debit"] == 13_830_000 * R
    assert len([r for r in jl.section("journal").rows if r.kind == "heading"]) == 21


def test_rat_lists(year):
    s = registry.build("member-savings", year.coop, Y2025)
    assert [(r.values[0], [v // R for v in r.values[3:]]) for r in s.section("member_savings").rows] == [
        ("A-0001", [100_000, 30_000, 300_000, 430_000]), ("A-0002", [100_000, 120_000, 0, 220_000]),
        ("A-0003", [100_000, 0, 0, 100_000]), ("", [300_000, 150_000, 300_000, 750_000])]
    r = registry.build("member-receivables", year.coop, Y2025)
    assert [(row.values[0], row.values[4]) for row in r.section("member_receivables").rows] == [("A-0002", 25_000 * R), ("", 25_000 * R)]
    a = registry.build("arrears", year.coop, Y2025)
    # Siti Apr–Dec 9 × 10.000, Ahmad Jul–Dec 6 × 20.000, Budi Jun–Dec 7 × 10.000
    assert [(row.values[0], row.values[3], row.values[5]) for row in a.section("arrears").rows] == [
        ("A-0001", 9, 90_000 * R), ("A-0002", 6, 120_000 * R), ("A-0003", 7, 70_000 * R), ("", 22, 280_000 * R)]


def test_notes_details_and_a_registered_section(year):
    from koppontren.statements import notes
    from koppontren.statements.model import Column, Row, Section

    notes.register_note_section("test_shu", lambda coop, period: Section(
        "test_shu", "10. Rencana pembagian SHU", [Column("text", "")], [Row([f"SHU {period.date_to.year}"], kind="text")]), order=50)
    try:
        s = registry.build("notes", year.coop, Y2025)
    finally:
        notes._EXTRA.pop("test_shu")
    assert s.section("cash").row("total_cash").values[1] == 9_540_000 * R
    assert s.section("member_savings").row("total_member_savings").values[1] == 750_000 * R
    assert s.section("fixed_assets").row("total_fixed_assets").values[1] == 1_180_000 * R
    general = " ".join(r.values[0] for r in s.section("general").rows)
    assert "123/BH/XVI.5/2019" in general and "3 anggota aktif" in general
    assert s.section("test_shu").rows[0].values == ["SHU 2025"]


def test_every_report_is_json_ready(year):
    cash = account_by_code(year.coop, "1101")
    for name, report in registry.REPORTS.items():
        extra = {"account": cash} if report.needs_account else {}
        data = to_json(registry.build(name, year.coop, Y2025, comparative=True, **extra), year.coop.currency_decimals)
        json.dumps(data)
        assert data["report"] == name and data["period"] == {"from": "2025-01-01", "to": "2025-12-31", "kind": "year"}
    data = to_json(registry.build("balance-sheet", year.coop, Y2025), 0)
    assert data["totals"]["total_assets"] == "10875000"
    row = next(r for r in data["sections"][0]["rows"] if r["key"] == "account:1215")
    assert row["values"] == ["Akumulasi Penyusutan Peralatan & Inventaris", "-20000"] and row["code"] == "1215"
    assert to_json(registry.build("balance-sheet", year.coop, Y2025), 2)["totals"]["total_assets"] == "10875000.00"
