"""The SHU computation of RULES.md §6 as one pure function: ``compute_shu(figures, bases, rules)``.

Integer sen and exact rationals only (never a float):

* pool_k = floor(SHU_source × pct_k / 100) to the currency unit; what flooring leaves of a table goes
  to its (first) cadangan component;
* inside a member pool, member i's exact share is pool × wᵢ / Σw over the eligible members (wᵢ ≥ 0);
  everyone gets the floor (to the currency unit) and the units left over go one each to the largest
  fractional parts, ties by ascending member number — Σ shares = pool exactly;
* a member pool nobody has a basis for (Σw = 0) is not distributed: it goes to cadangan too.

With a source split (``Rules.split_by_source``) the SHU from members and from non-members are
allocated each with its own table (``Figures.shu_member`` / ``shu_nonmember``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NamedTuple

from koppontren.shu.postings import AllocationLine
from koppontren.shu.rules import SOURCES, Component, Rules, ShuError, validate


@dataclass(frozen=True)
class Figures:
    """The closed year's figures, in sen. ``shu`` is the amount the closing entry put on 3108.
    ``shu_member`` + ``shu_nonmember`` = ``shu`` (only used with a source split). ``unit`` is sen per
    smallest currency unit (100 for whole rupiah)."""

    shu: int
    shu_member: int | None = None
    shu_nonmember: int = 0
    unit: int = 100

    def of(self, source: str, split: bool) -> int:
        if not split:
            return self.shu if source == "member" else 0
        if source == "member":
            return self.shu - self.shu_nonmember if self.shu_member is None else self.shu_member
        return self.shu_nonmember


@dataclass(frozen=True)
class MemberBasis:
    """One eligible member's bases, in sen. ``savings``: the jasa modal weight (the year-end
    balance, or the sum of the 12 month-end balances for a monthly average — the same proportions as
    the average itself). ``usaha``: net participation by business unit (key None = all of it)."""

    member_id: int
    number: str
    name: str
    savings: int
    usaha: Mapping[str | None, int] = field(default_factory=dict)

    def weight(self, component: Component) -> int:
        if component.kind == "jasa_modal":
            value = self.savings
        else:
            value = self.usaha.get(component.unit, 0)
        return max(int(value), 0)


@dataclass(frozen=True)
class Pool:
    """One allocation component with its amount. ``amount`` = floor(SHU × pct) (+ the remainder and
    undistributable pools for the cadangan that receives them); ``basis_total`` = Σ weights of a
    member pool; ``leftover`` = what this pool's flooring handed to cadangan."""

    index: int
    component: Component
    base: int  # SHU of the pool's source table, sen
    floored: int
    amount: int
    basis_total: int = 0
    undistributed: bool = False


class Share(NamedTuple):
    """One member's share of one pool: ``exact`` = pool × w / Σw (sen, rational), ``floor`` to the
    currency unit, ``bonus`` = one unit from the largest-remainder step (0 or unit). A named tuple:
    a run makes one per member and pool."""

    pool_index: int
    weight: int
    pool: int
    weight_total: int
    floor: int
    bonus: int

    @property
    def exact(self) -> Fraction:
        return Fraction(self.pool * self.weight, self.weight_total)

    @property
    def amount(self) -> int:
        return self.floor + self.bonus


@dataclass(frozen=True)
class MemberResult:
    basis: MemberBasis
    shares: tuple[Share, ...]
    jasa_modal: int
    jasa_usaha: int

    @property
    def total(self) -> int:
        return self.jasa_modal + self.jasa_usaha


@dataclass(frozen=True)
class Result:
    figures: Figures
    rules: Rules
    pools: tuple[Pool, ...]
    members: tuple[MemberResult, ...]

    @property
    def members_total(self) -> int:
        return sum(m.total for m in self.members)

    def allocation_lines(self) -> list[AllocationLine]:
        """Credits of ``Dr 3108 / Cr 3105, Cr 2121 (per member), Cr 2122…2126``: non-member pools one
        line per account, member pools one line per member and account. Σ = SHU."""
        by_account: dict[str, int] = {}
        order: list[str] = []
        for pool in self.pools:
            if pool.component.kind in ("jasa_modal", "jasa_usaha") and not pool.undistributed:
                continue
            if pool.amount:
                if pool.component.account not in by_account:
                    order.append(pool.component.account)
                    by_account[pool.component.account] = 0
                by_account[pool.component.account] += pool.amount
        lines = [AllocationLine(code, by_account[code]) for code in order]
        accounts = {p.index: p.component.account for p in self.pools}
        for m in self.members:
            per_account: dict[str, int] = {}
            for s in m.shares:
                if s.amount:
                    per_account[accounts[s.pool_index]] = per_account.get(accounts[s.pool_index], 0) + s.amount
            lines.extend(AllocationLine(code, amount, m.basis.member_id) for code, amount in per_account.items())
        return lines


def _floor_unit(value: Fraction, unit: int) -> int:
    return int(value // unit) * unit


def split_pool(pool: int, weights: Sequence[int], tie_keys: Sequence[object], unit: int = 100) -> tuple[list[int], list[int]]:
    """Split ``pool`` sen over non-negative integer ``weights`` by the largest-remainder rule in
    currency units of ``unit`` sen. Returns (floors, bonuses) in sen, one of each per weight;
    Σ floors + Σ bonuses = pool. Integer arithmetic throughout: the exact share pool × w / Σw is
    compared through its remainder."""
    total_w = sum(weights)
    if pool % unit:
        raise ValueError("pool must be a whole number of currency units")
    if total_w <= 0:
        raise ValueError("cannot split a pool over weights summing to zero")
    units = pool // unit
    products = [units * w for w in weights]
    floors = [p // total_w for p in products]
    left = units - sum(floors)
    bonus = [0] * len(weights)
    if left:
        remainders = [p % total_w for p in products]
        order = sorted(range(len(weights)), key=lambda i: (-remainders[i], tie_keys[i]))
        for i in order[:left]:
            bonus[i] = unit
    if unit != 1:
        floors = [f * unit for f in floors]
    return floors, bonus


def compute_shu(figures: Figures, bases: Iterable[MemberBasis], rules: Rules, *, units: tuple[str, ...] | None = ()) -> Result:
    """Allocate the year's SHU (see ``_compute``). The cyclic garbage collector is paused meanwhile:
    the computation makes tens of thousands of small acyclic objects for a large cooperative, and
    each collection would walk them all again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _compute(figures, bases, rules, units=units)
    finally:
        if enabled:
            gc.enable()


def _compute(figures: Figures, bases: Iterable[MemberBasis], rules: Rules, *, units: tuple[str, ...] | None = ()) -> Result:
    """Allocate the year's SHU. ``bases``: the eligible members (the caller applies the eligibility
    rule). ``units``: allowed business units (``()`` = the rules module's default, None = any).

    Raises ShuError: ``shu_not_positive`` (SHU ≤ 0, or a split part < 0), ``percent_not_100``,
    ``invalid_rules``.
    """
    if units == ():
        validate(rules)
    else:
        validate(rules, units=units)
    if figures.shu <= 0:
        raise ShuError("shu_not_positive", "SHU ≤ 0")
    bases = sorted(bases, key=lambda b: b.number)
    pools: dict[int, Pool] = {}
    member_shares: dict[int, list[Share]] = {b.member_id: [] for b in bases}
    for source in SOURCES:
        table = rules.table(source)
        if table:
            pools.update(_allocate_source(figures.of(source, rules.split_by_source), table, bases, figures.unit, member_shares))
    kinds = {i: p.component.kind for i, p in pools.items()}
    members = []
    for b in bases:
        shares = tuple(member_shares[b.member_id])
        jm = sum(s.amount for s in shares if kinds[s.pool_index] == "jasa_modal")
        ju = sum(s.amount for s in shares if kinds[s.pool_index] == "jasa_usaha")
        members.append(MemberResult(b, shares, jm, ju))
    return Result(figures, rules, tuple(pools[i] for i in sorted(pools)), tuple(members))


def _allocate_source(base: int, table, bases: list[MemberBasis], unit: int, member_shares: dict[int, list[Share]]) -> dict[int, Pool]:
    """One source's SHU (``base`` sen) over its table: each component's percentage floored to the
    currency unit, the rounding left and the member pools nobody has a basis for going to the
    reserve; member pools split over the members (their shares appended to ``member_shares``)."""
    if base < 0 or base % unit:
        raise ShuError("shu_not_positive", "SHU part < 0")
    reserve_index = next(i for i, c in table if c.kind == "reserve")
    floored = {i: _floor_unit(Fraction(base) * Fraction(c.percent) / 100, unit) for i, c in table}
    amounts = dict(floored)
    totals: dict[int, int] = {}
    undistributed: set[int] = set()
    for i, c in table:
        if c.kind in ("jasa_modal", "jasa_usaha"):
            totals[i] = _split_member_pool(i, c, floored[i], bases, unit, member_shares)
            if floored[i] and not totals[i]:
                undistributed.add(i)
                amounts[i] = 0
    amounts[reserve_index] += base - sum(amounts.values())
    return {i: Pool(i, c, base, floored[i], amounts[i], totals.get(i, 0), i in undistributed) for i, c in table}


def _split_member_pool(index: int, component: Component, pool: int, bases: list[MemberBasis], unit: int,
                       member_shares: dict[int, list[Share]]) -> int:
    """Split a member pool over the members' weights (largest remainder); returns the weights' total."""
    weights = [b.weight(component) for b in bases]
    total = sum(weights)
    if pool == 0 or total == 0:
        return total
    floors, bonuses = split_pool(pool, weights, [b.number for b in bases], unit)
    for b, w, fl, bonus in zip(bases, weights, floors, bonuses, strict=True):
        if w or fl or bonus:
            member_shares[b.member_id].append(Share(index, w, pool, total, fl, bonus))
    return total


def split_by_source(shu: int, member_margin: int, nonmember_margin: int, unit: int = 100) -> tuple[int, int]:
    """SHU from members and from non-members (REFERENCE.md §4.1): the year's SHU split in proportion
    to partisipasi neto anggota and laba kotor non-anggota (the shared costs are not attributed line
    by line — a DESIGN choice), negative margins counting as zero, by the largest-remainder rule.
    With no positive margin at all, everything is SHU from members."""
    m, n = max(member_margin, 0), max(nonmember_margin, 0)
    if m + n == 0 or shu <= 0:
        return shu, 0
    (mf, nf), (mb, nb) = split_pool(shu, [m, n], [0, 1], unit)
    return mf + mb, nf + nb
