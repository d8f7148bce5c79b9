"""Hypothesis: for random members, bases and percentages summing to 100 %, every pool's member shares
sum to the pool exactly, no share is negative, a larger basis never gets less, and the allocation
entry balances (Σ credits = SHU)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from koppontren.shu.compute import Figures, MemberBasis, compute_shu
from koppontren.shu.rules import Component, Rules

KINDS = ("reserve", "jasa_modal", "jasa_usaha", "fund")


@st.composite
def rule_sets(draw):
    n = draw(st.integers(min_value=1, max_value=6))
    # n hundredths-of-a-percent cuts of 10000 (= 100.00 %), so the parts sum to exactly 100
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=10_000), min_size=n, max_size=n)))
    edges = [0, *cuts, 10_000]
    parts = [Decimal(edges[i + 1] - edges[i]) / 100 for i in range(n + 1)]
    kinds = ["reserve"] + [draw(st.sampled_from(KINDS[1:])) for _ in range(n)]
    comps = tuple(Component(f"K{i}", kind, pct, {"reserve": "3105", "fund": "2122"}.get(kind, "2121"))
                  for i, (kind, pct) in enumerate(zip(kinds, parts, strict=True)))
    return Rules(comps)


@st.composite
def member_sets(draw):
    n = draw(st.integers(min_value=1, max_value=25))
    values = st.integers(min_value=0, max_value=10**12)
    return [MemberBasis(i, f"A-{i:04d}", "x", draw(values) * 100, {None: draw(values) * 100}) for i in range(1, n + 1)]


@settings(max_examples=150, deadline=None)
@given(rules=rule_sets(), bases=member_sets(), shu=st.integers(min_value=1, max_value=10**13))
def test_pools_split_exactly_and_monotonically(rules, bases, shu):
    result = compute_shu(Figures(shu * 100), bases, rules)
    assert sum(p.amount for p in result.pools) == shu * 100
    for pool in result.pools:
        if pool.component.kind not in ("jasa_modal", "jasa_usaha"):
            continue
        shares = {m.basis.member_id: sum(s.amount for s in m.shares if s.pool_index == pool.index) for m in result.members}
        assert all(v >= 0 for v in shares.values())
        if pool.undistributed:
            assert sum(shares.values()) == 0 and pool.amount == 0
            continue
        assert sum(shares.values()) == pool.amount
        weights = {b.member_id: b.weight(pool.component) for b in bases}
        for a in bases:
            for b in bases:
                if weights[a.member_id] > weights[b.member_id]:
                    assert shares[a.member_id] >= shares[b.member_id]
    lines = result.allocation_lines()
    assert all(line.amount > 0 for line in lines)
    assert sum(line.amount for line in lines) == shu * 100  # credits = the one debit on 3108
