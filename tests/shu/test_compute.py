"""The pure SHU computation against the published cases of REFERENCE.md §4.7 and the rounding rule
of RULES.md §6. Amounts in sen (Rp1 = 100 sen)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from koppontren.shu.compute import Figures, MemberBasis, compute_shu, split_by_source, split_pool
from koppontren.shu.rules import Component, Rules, ShuError, default_rules, rules_from_dict, validate

RP = 100
CODES = {"reserve": "3105", "shu_payable": "2121", "fund_board": "2122", "fund_employees": "2123",
         "fund_education": "2124", "fund_social": "2125"}


def table(*rows, **settings) -> Rules:
    """rows: (name, kind, percent[, unit[, source]])"""
    comps = []
    for row in rows:
        name, kind, pct, *rest = row
        unit = rest[0] if rest else None
        source = rest[1] if len(rest) > 1 else "member"
        account = {"reserve": "3105", "fund": "2122"}.get(kind, "2121")
        comps.append(Component(name, kind, Decimal(pct), account, source, unit))
    return Rules(tuple(comps), **settings)


def member(i, savings=0, usaha=0, **units):
    u = {None: usaha * RP}
    u.update({k: v * RP for k, v in units.items()})
    return MemberBasis(i, f"A-{i:04d}", f"Anggota {i}", savings * RP, u)


def share_of(result, member_id):
    return next(m for m in result.members if m.basis.member_id == member_id)


def test_lukman_jasa_anggota_and_jasa_modal():
    # SHU 60.000.000; JA 25 % on loans 5.000.000 / 75.000.000; JM 20 % on pokok+wajib 2.000.000 / 100.000.000
    rules = table(("Cadangan", "reserve", "55"), ("Jasa modal", "jasa_modal", "20"), ("Jasa anggota", "jasa_usaha", "25"))
    bases = [member(1, savings=2_000_000, usaha=5_000_000), member(2, savings=98_000_000, usaha=70_000_000)]
    result = compute_shu(Figures(60_000_000 * RP), bases, rules)
    lukman = share_of(result, 1)
    assert lukman.jasa_usaha == 1_000_000 * RP
    assert lukman.jasa_modal == 240_000 * RP
    assert lukman.total == 1_240_000 * RP


def test_susilo_jasa_modal():
    rules = table(("Cadangan", "reserve", "75"), ("Jasa modal", "jasa_modal", "25"))
    result = compute_shu(Figures(6_400_000 * RP), [member(1, savings=8_000_000), member(2, savings=8_000_000)], rules)
    assert share_of(result, 1).total == 800_000 * RP


def test_widya_jasa_modal_plus_jasa_usaha():
    rules = table(("Cadangan", "reserve", "50"), ("Jasa modal", "jasa_modal", "20"), ("Jasa usaha", "jasa_usaha", "30"))
    bases = [member(1, savings=500_000, usaha=1_000_000), member(2, savings=9_500_000, usaha=14_000_000)]
    widya = share_of(compute_shu(Figures(2_000_000 * RP), bases, rules), 1)
    assert (widya.jasa_modal, widya.jasa_usaha, widya.total) == (20_000 * RP, 40_000 * RP, 60_000 * RP)


def _heri_others():
    """Six other members with 100.500.000 of transactions whose fractional parts of the 27.000.000 pool
    are all larger than Heri's (.8235…), so the six leftover rupiah go to them, not to him."""
    # share of x rupiah = 9x/34 rupiah; wanted remainders (9x mod 34): 29, 29, 29, 29, 30, 30
    inv9 = pow(9, -1, 34)
    xs = [(r * inv9) % 34 for r in (29, 29, 29, 29, 30, 30)]
    xs[-1] += 100_500_000 - sum(xs)  # keep the last residue: the adjustment is a multiple of 34
    assert (100_500_000 - sum(xs[:-1]) - xs[-1]) == 0 and (9 * xs[-1]) % 34 == 30
    return xs


def test_heri_truncation():
    # JM pool 36.000.000 × 6.500.000/78.000.000; JU pool 27.000.000 × 1.500.000/102.000.000 (of SHU 90.000.000)
    rules = table(("Cadangan", "reserve", "30"), ("Jasa modal", "jasa_modal", "40"), ("Jasa usaha", "jasa_usaha", "30"))
    others = _heri_others()
    bases = [member(1, savings=6_500_000, usaha=1_500_000)]
    bases += [member(2 + n, savings=(71_500_000 if n == 0 else 0), usaha=x) for n, x in enumerate(others)]
    result = compute_shu(Figures(90_000_000 * RP), bases, rules)
    heri = share_of(result, 1)
    usaha_share = next(s for s in heri.shares if s.pool_index == 2)
    assert usaha_share.exact == Fraction(27_000_000 * RP * 1_500_000, 102_000_000)  # 397.058,82…
    assert usaha_share.floor == 397_058 * RP and usaha_share.bonus == 0
    assert (heri.jasa_modal, heri.jasa_usaha, heri.total) == (3_000_000 * RP, 397_058 * RP, 3_397_058 * RP)
    pool = result.pools[2]
    assert sum(next(s.amount for s in m.shares if s.pool_index == 2) for m in result.members) == pool.amount == 27_000_000 * RP


NURUL_AMAL = {
    "components": [
        {"name": "Cadangan", "kind": "reserve", "percent": "25", "account": "3105"},
        {"name": "Jasa modal", "kind": "jasa_modal", "percent": "15", "account": "2121"},
        {"name": "Jasa simpan pinjam", "kind": "jasa_usaha", "percent": "5", "account": "2121", "unit": "simpan_pinjam"},
        {"name": "Jasa penjualan", "kind": "jasa_usaha", "percent": "10", "account": "2121", "unit": "penjualan"},
        {"name": "Jasa pembelian", "kind": "jasa_usaha", "percent": "10", "account": "2121", "unit": "pembelian"},
        {"name": "Dana pengurus", "kind": "fund", "percent": "10", "account": "2122"},
        {"name": "Dana karyawan", "kind": "fund", "percent": "10", "account": "2123"},
        {"name": "Dana pendidikan", "kind": "fund", "percent": "5", "account": "2124"},
        {"name": "Dana PDK", "kind": "fund", "percent": "5", "account": "2126"},
        {"name": "Dana sosial", "kind": "fund", "percent": "5", "account": "2125"},
        {"name": "Cadangan (non-anggota)", "kind": "reserve", "percent": "35", "account": "3105", "source": "nonmember"},
        {"name": "Dana pengurus (non-anggota)", "kind": "fund", "percent": "30", "account": "2122", "source": "nonmember"},
        {"name": "Dana karyawan (non-anggota)", "kind": "fund", "percent": "20", "account": "2123", "source": "nonmember"},
        {"name": "Dana pendidikan (non-anggota)", "kind": "fund", "percent": "5", "account": "2124", "source": "nonmember"},
        {"name": "Dana PDK (non-anggota)", "kind": "fund", "percent": "5", "account": "2126", "source": "nonmember"},
        {"name": "Dana sosial (non-anggota)", "kind": "fund", "percent": "5", "account": "2125", "source": "nonmember"},
    ],
}


def test_nurul_amal_pools_with_a_nonmember_table():
    import koppontren.shu.rules as r

    data = NURUL_AMAL
    old = r.UNITS
    r.UNITS = ("simpan_pinjam", "penjualan", "pembelian")  # the case's own units
    try:
        rules = rules_from_dict(data)
    finally:
        r.UNITS = old
    bases = [MemberBasis(1, "A-0001", "X", 1, {"simpan_pinjam": 1, "penjualan": 1, "pembelian": 1})]
    result = compute_shu(Figures(10_000_000 * RP, shu_member=7_500_000 * RP, shu_nonmember=2_500_000 * RP), bases, rules, units=None)
    by_name = {p.component.name: p.amount for p in result.pools}
    assert by_name["Jasa modal"] == 1_125_000 * RP
    assert by_name["Jasa simpan pinjam"] == 375_000 * RP
    assert by_name["Jasa penjualan"] == 750_000 * RP
    assert by_name["Jasa pembelian"] == 750_000 * RP
    assert result.members_total == 3_000_000 * RP
    assert by_name["Cadangan (non-anggota)"] == 875_000 * RP  # 35 % of 2.500.000: none of it reaches members
    assert sum(line.amount for line in result.allocation_lines()) == 10_000_000 * RP


def test_flooring_leftover_goes_to_cadangan_and_the_entry_balances():
    rules = default_rules(CODES)
    result = compute_shu(Figures(1_000_003 * RP), [member(1, savings=3, usaha=1), member(2, savings=1, usaha=2)], rules)
    pools = {p.component.name: p for p in result.pools}
    assert pools["Jasa modal"].amount == 150_000 * RP  # floor(1.000.003 × 15 %) = 150.000 (,45 dropped)
    assert pools["Dana sosial"].amount == 50_000 * RP
    leftover = 1_000_003 * RP - sum(p.floored for p in result.pools)
    assert pools["Cadangan"].amount == pools["Cadangan"].floored + leftover
    assert sum(line.amount for line in result.allocation_lines()) == 1_000_003 * RP


def test_ties_go_to_the_lower_member_number():
    parts = split_pool(10 * RP, [1, 1, 1], ["A-0003", "A-0001", "A-0002"])
    assert [f + b for f, b in zip(*parts, strict=True)] == [3 * RP, 4 * RP, 3 * RP]


def test_a_pool_nobody_has_a_basis_for_goes_to_cadangan():
    rules = table(("Cadangan", "reserve", "70"), ("Jasa usaha", "jasa_usaha", "30"))
    result = compute_shu(Figures(1_000 * RP), [member(1, savings=5)], rules)
    assert result.pools[1].undistributed and result.pools[0].amount == 1_000 * RP
    assert result.members_total == 0


def test_refusals():
    with pytest.raises(ShuError) as err:
        compute_shu(Figures(0), [], default_rules(CODES))
    assert err.value.code == "shu_not_positive"
    with pytest.raises(ShuError) as err:
        validate(table(("Cadangan", "reserve", "40"), ("Jasa modal", "jasa_modal", "59.99")))
    assert err.value.code == "percent_not_100"
    with pytest.raises(ShuError) as err:
        validate(table(("Cadangan", "reserve", "50"), ("Jasa modal", "jasa_modal", "50"),
                       ("Cad N", "reserve", "50", None, "nonmember"), ("JU N", "jasa_usaha", "50", None, "nonmember")))
    assert err.value.code == "invalid_rules"  # non-member SHU never goes to members
    with pytest.raises(ShuError) as err:
        rules_from_dict({"components": [{"name": "C", "kind": "reserve", "percent": 100.0, "account": "3105"}]})
    assert err.value.code == "invalid_rules"  # never a float


def test_rules_round_trip_through_the_api_form():
    rules = default_rules(CODES, include_sukarela=True)
    data = rules.to_dict()
    assert data["components"][0] == {"name": "Cadangan", "kind": "reserve", "percent": "40", "account": "3105", "source": "member"}
    assert rules_from_dict(data) == rules


def test_split_by_source_is_proportional_to_the_margins():
    assert split_by_source(10_000 * RP, 3_000 * RP, 1_000 * RP) == (7_500 * RP, 2_500 * RP)
    assert split_by_source(10_000 * RP, 3_000 * RP, -5 * RP) == (10_000 * RP, 0)
