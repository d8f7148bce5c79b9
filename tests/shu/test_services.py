"""The SHU workflow through the services, end to end: a year posted and closed, SHU computed from the
ledger, approved by a second user, paid partly in cash and partly to sukarela; the balances a
treasurer checks afterwards. Figures in conftest.py (SHU Rp79.000)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from koppontren.ledger import chart, queries
from koppontren.ledger.integrity import check_cooperative
from koppontren.members import services as members
from koppontren.savings import services as savings
from koppontren.shu import services as shu
from koppontren.shu.rules import ShuError
from tests.shu.conftest import RAT

RP = 100


def balance(coop, code, member_id=None):
    return queries.balance_of(coop, chart.account_by_code(coop, code), member_id=member_id) // RP


def test_refused_while_the_year_is_open(coop, treasurer):
    with pytest.raises(ShuError) as err:
        shu.compute_run(coop, 2025, actor=treasurer)
    assert err.value.code == "year_not_closed"


def test_the_bases_come_from_the_ledger(coop, year_2025):
    a, b, c = year_2025
    bases = {x.number: x for x in shu.member_bases(coop, 2025, shu.rules_of(coop, 2025).rules)}
    assert sorted(bases) == [a.number, b.number, c.number]  # D joined in 2026
    assert bases[a.number].savings == 220_000 * RP and bases[b.number].savings == 160_000 * RP
    assert bases[a.number].usaha == {None: 360_000 * RP, "toko": 360_000 * RP}
    assert shu.year_figures(coop, 2025).shu == 79_000 * RP


def test_monthly_average_basis(coop, treasurer, year_2025):
    a, _b, c = year_2025
    rules = shu.rules_of(coop, 2025).rules.to_dict() | {"savings_basis": "monthly_average"}
    shu.save_rules(coop, 2025, rules, actor=treasurer)
    bases = {x.number: x for x in shu.member_bases(coop, 2025, shu.rules_of(coop, 2025).rules)}
    # A: pokok from January (12 × 100.000) + wajib 120.000 from February (11 month-ends)
    assert bases[a.number].savings == (12 * 100_000 + 11 * 120_000) * RP
    # C: pokok from June: 7 month-ends
    assert bases[c.number].savings == 7 * 100_000 * RP


def test_end_to_end_compute_approve_pay(coop, treasurer, admin, year_2025):
    a, b, c = year_2025
    run = shu.compute_run(coop, 2025, actor=treasurer)
    data = shu.run_as_dict(coop, run)
    assert data["status"] == "draft" and data["shu"] == "79000"
    pools = {p["name"]: p["amount"] for p in data["pools"]}
    assert pools == {"Cadangan": "31600", "Jasa modal": "11850", "Jasa usaha": "19750", "Dana pengurus": "3950",
                     "Dana karyawan": "3950", "Dana pendidikan": "3950", "Dana sosial": "3950"}
    by_number = {m["member"]: m for m in data["members"]}
    # jasa modal 11.850 × 220/480 = 5.431,25; × 160/480 = 3.950; × 100/480 = 2.468,75 → C gets the leftover rupiah
    # jasa usaha 19.750 × 360/504 = 14.107,14; × 144/504 = 5.642,86 → B gets the leftover rupiah
    assert (by_number[a.number]["jasa_modal"], by_number[a.number]["jasa_usaha"], by_number[a.number]["total"]) == ("5431", "14107", "19538")
    assert (by_number[b.number]["jasa_modal"], by_number[b.number]["jasa_usaha"], by_number[b.number]["total"]) == ("3950", "5643", "9593")
    assert by_number[c.number]["total"] == "2469"

    with pytest.raises(ShuError) as err:
        shu.approve_run(coop, 2025, day=RAT, decision="01/RAT/2026", actor=treasurer)
    assert err.value.code == "same_user"
    with pytest.raises(ShuError) as err:
        shu.approve_run(coop, 2025, day=date(2025, 12, 31), decision="01/RAT/2026", actor=admin)
    assert err.value.code == "invalid_date"
    run = shu.approve_run(coop, 2025, day=RAT, decision="01/RAT/2026", actor=admin)
    assert run.status == "approved"
    entry = queries.get_entry(coop, run.entry_id)
    assert entry.number.startswith("SHU/2026/") and entry.total == 79_000 * RP
    assert balance(coop, "3108") == 0 and balance(coop, "3105") == 31_600
    assert balance(coop, "2121") == 19_538 + 9_593 + 2_469 and balance(coop, "2121", a.id) == 19_538
    assert balance(coop, "2122") == 3_950 and balance(coop, "2125") == 3_950

    with pytest.raises(ShuError) as err:
        shu.compute_run(coop, 2025, actor=treasurer)
    assert err.value.code == "run_frozen"
    with pytest.raises(ShuError) as err:
        shu.save_rules(coop, 2025, shu.rules_of(coop, 2025).rules, actor=treasurer)
    assert err.value.code == "run_frozen"

    cash_before = balance(coop, "1101")
    paid = shu.pay(coop, 2025, day=TODAY_PAY, method="cash", member_id=a.id, actor=treasurer)
    assert [p.amount for p in paid] == [19_538 * RP]
    again = shu.pay(coop, 2025, day=TODAY_PAY, method="cash", member_id=a.id, actor=treasurer)
    assert [p.id for p in again] == [p.id for p in paid]  # idempotent: paid once
    assert balance(coop, "1101") == cash_before - 19_538
    rest = shu.pay(coop, 2025, day=TODAY_PAY, method="sukarela", actor=treasurer)
    assert sorted(p.amount // RP for p in rest) == [2_469, 9_593]
    assert shu.pay(coop, 2025, day=TODAY_PAY, method="sukarela", actor=treasurer) == []
    assert balance(coop, "2121") == 0
    assert savings.balances(coop, b.id).sukarela == 9_593 * RP
    assert savings.balances(coop, a.id).sukarela == 500_000 * RP
    assert shu.run_status(coop, run) == "paid"
    assert check_cooperative(coop).ok

    # later changes to the members' data or the books don't change the approved run
    members.update_member(coop, a, members.MemberData(name="Ahmad Fauzi", category="santri", join_date=a.join_date), actor=treasurer)
    savings.deposit(coop, b, "sukarela", amount=Decimal(1_000), day=TODAY_PAY, actor=treasurer)
    again = shu.run_as_dict(coop, shu.get_run(coop, 2025))
    assert {m["member"]: m["total"] for m in again["members"]} == {m["member"]: m["total"] for m in data["members"]}
    assert {m["name"] for m in again["members"]} >= {"Ahmad"}
    assert shu.verify_run(coop, shu.get_run(coop, 2025))
    assert [y.year for y in shu.member_history(coop, a.id)] == [2025]


TODAY_PAY = date(2026, 3, 18)


def test_netting_against_the_receivable_and_cash_for_the_rest(coop, treasurer, admin, year_2025):
    _a, b, _c = year_2025
    shu.compute_run(coop, 2025, actor=treasurer)
    shu.approve_run(coop, 2025, day=RAT, decision="01/RAT/2026", actor=admin)
    # B bought on credit in 2026: Rp5.000 receivable (posted by hand here: Dr 1121 B / Cr 4101 B)
    from koppontren.ledger.posting import LineSpec, post_entry
    post_entry(coop, entry_date=date(2026, 3, 16), description="Piutang B", actor=treasurer,
               lines=[LineSpec("1121", debit=Decimal(5_000), member_id=b.id), LineSpec("8102", credit=Decimal(5_000))])
    [payout] = shu.pay(coop, 2025, day=TODAY_PAY, method="netting", member_number=b.number, actor=treasurer)
    assert (payout.amount, payout.netted) == (9_593 * RP, 5_000 * RP)
    assert balance(coop, "1121", b.id) == 0 and balance(coop, "2121", b.id) == 0


def test_rules_copy_forward_and_validation(coop, treasurer, year_2025):
    info = shu.rules_of(coop, 2025)
    assert info.origin == "default" and info.rules.components[0].percent == Decimal(40)
    data = info.rules.to_dict()
    data["components"][0]["percent"] = "41"
    with pytest.raises(ShuError) as err:
        shu.save_rules(coop, 2025, data, actor=treasurer)
    assert err.value.code == "percent_not_100"
    data["components"][0]["percent"] = "40"
    data["components"][1]["account"] = "2122"
    with pytest.raises(ShuError) as err:
        shu.save_rules(coop, 2025, data, actor=treasurer)
    assert err.value.code == "invalid_rules"
    data["components"][1]["account"] = "2121"
    data["include_departed"] = True
    shu.save_rules(coop, 2025, data, actor=treasurer)
    assert shu.rules_of(coop, 2026).origin == "copied" and shu.rules_of(coop, 2026).rules.include_departed


def test_shu_not_positive_is_refused(build, coop, admin, treasurer):
    from koppontren.ledger import periods
    from koppontren.ledger.posting import LineSpec, post_entry
    build.fund(coop, 1_000_000, date(2025, 1, 2))  # the capital Kas Besar pays the loss from (equity, not SHU)
    post_entry(coop, entry_date=date(2025, 5, 1), description="Rugi", actor=treasurer,
               lines=[LineSpec("6102", debit=Decimal(1_000)), LineSpec("1101", credit=Decimal(1_000))])
    periods.close_year(coop, 2025, actor=admin)
    with pytest.raises(ShuError) as err:
        shu.compute_run(coop, 2025, actor=treasurer)
    assert err.value.code == "shu_not_positive"


def test_members_who_left_share_only_when_the_rules_say_so(coop, treasurer, build_year):
    _a, _b, c = build_year(c_leaves=True)
    rules = shu.rules_of(coop, 2025).rules
    assert c.number not in {x.number for x in shu.member_bases(coop, 2025, rules)}
    data = rules.to_dict() | {"include_departed": True}
    shu.save_rules(coop, 2025, data, actor=treasurer)
    bases = {x.number: x for x in shu.member_bases(coop, 2025, shu.rules_of(coop, 2025).rules)}
    assert bases[c.number].savings == 0  # pokok moved to 2131 at the exit: no jasa modal at year end


def test_one_jasa_usaha_pool_per_business_unit(coop, treasurer, build_year):
    a, b, _c = build_year(produk_sale=True)
    data = shu.rules_of(coop, 2025).rules.to_dict()
    data["components"][2] = {"name": "Jasa usaha toko", "kind": "jasa_usaha", "percent": "20", "account": "2121", "unit": "toko"}
    data["components"].insert(3, {"name": "Jasa usaha produk", "kind": "jasa_usaha", "percent": "5", "account": "2121", "unit": "produk"})
    shu.save_rules(coop, 2025, data, actor=treasurer)
    run = shu.compute_run(coop, 2025, actor=treasurer)
    assert run.shu_amount == 91_000 * RP  # + 30.000 − 18.000
    by_number = {m["member"]: m for m in shu.run_as_dict(coop, run)["members"]}
    assert by_number[b.number]["usaha_by_unit"] == {"toko": "144000", "produk": "30000"}
    pools = {p["name"]: p["amount"] for p in shu.run_as_dict(coop, run)["pools"]}
    assert pools["Jasa usaha produk"] == "4550"  # 5 % of 91.000, all of it B's: only B bought products
    assert by_number[a.number]["jasa_usaha"] == str(18_200 * 360 // 504)  # A: toko only (13.000)
    assert shu.verify_run(coop, run)


def test_sukarela_counts_when_the_savings_setting_says_so(coop, treasurer, year_2025):
    a, _b, _c = year_2025
    savings.update_settings(coop, pokok_amount=Decimal(100_000), wajib_rates={"santri": Decimal(10_000)},
                            sukarela_earns_shu=True, default_account_id=None, actor=treasurer)
    rules = shu.rules_of(coop, 2025).rules
    assert rules.include_sukarela
    bases = {x.number: x for x in shu.member_bases(coop, 2025, rules)}
    assert bases[a.number].savings == (220_000 + 500_000) * RP
