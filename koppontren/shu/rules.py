"""SHU allocation rules of one fiscal year (RULES.md §6, REFERENCE.md §4.2): pure values, no database.

A rule set is a list of components (name, kind, percentage, target account code, source table and,
for jasa usaha, an optional business unit) plus the basis settings. Percentages are exact decimals
and must sum to exactly 100 per source table. With no ``nonmember`` component the whole SHU is
allocated with the ``member`` table (the common case); with one, the SHU is split into the part from
members and the part from non-members, each allocated with its own table, and the non-member table
may hold no jasa modal or jasa usaha component (non-member SHU never goes to members).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from koppontren.errors import DomainError

KINDS = ("reserve", "jasa_modal", "jasa_usaha", "fund")
MEMBER_KINDS = ("jasa_modal", "jasa_usaha")
SOURCES = ("member", "nonmember")
#: business units of the shop (shop.services.UNIT_ROLES); None = every member participation account
UNITS = ("toko", "produk")
SAVINGS_BASES = ("year_end", "monthly_average")
HUNDRED = Decimal(100)
MAX_PERCENT_DECIMALS = 4


class ShuError(DomainError):
    """A refused SHU operation. Stable codes: ``invalid_rules`` (with ``fields``), ``percent_not_100``,
    ``year_not_closed``, ``shu_not_positive``, ``run_frozen``, ``no_run``, ``not_draft``,
    ``not_approved``, ``same_user``, ``run_changed`` (recomputed while being approved),
    ``invalid_date``, ``invalid_field``, ``already_paid``, ``not_found``, ``nothing_to_pay``, ``no_receivable``, ``forbidden`` and LedgerError/SavingsError
    codes passed through (``period_closed`` …)."""


@dataclass(frozen=True)
class Component:
    """One line of the allocation table.

    ``percent`` is an exact Decimal of the source table's SHU (``Decimal("40")`` = 40 %). ``account``
    is the code of the account the pool is credited to (3105 for cadangan, 2121 for the members'
    jasa, 2122…2126 for the funds). ``source`` says which table it belongs to. ``unit`` (jasa usaha
    only): the business unit whose member participation is the basis; None = all of it.
    """

    name: str
    kind: str
    percent: Decimal
    account: str
    source: str = "member"
    unit: str | None = None

    def to_dict(self) -> dict:
        out = {"name": self.name, "kind": self.kind, "percent": _pct_str(self.percent), "account": self.account,
               "source": self.source}
        if self.unit:
            out["unit"] = self.unit
        return out


@dataclass(frozen=True)
class Rules:
    """The allocation of one cooperative's fiscal year.

    ``savings_basis``: ``year_end`` (pokok + wajib at the last day of the year) or
    ``monthly_average`` (the average of the 12 month-end balances). ``include_sukarela``: sukarela
    counts in the jasa modal basis. ``include_departed``: members who left during the year share
    too (default: only members active at year end).
    """

    components: tuple[Component, ...]
    savings_basis: str = "year_end"
    include_sukarela: bool = False
    include_departed: bool = False
    split_by_source: bool = field(init=False, default=False)

    def __post_init__(self):
        object.__setattr__(self, "split_by_source", any(c.source == "nonmember" for c in self.components))

    def table(self, source: str) -> list[tuple[int, Component]]:
        """(position, component) of one source table; without a split the member table is everything."""
        if not self.split_by_source:
            return list(enumerate(self.components)) if source == "member" else []
        return [(i, c) for i, c in enumerate(self.components) if c.source == source]

    def to_dict(self) -> dict:
        """The API form of the rules (``GET /coops/{coop}/shu/{year}/rules``)."""
        return {"components": [c.to_dict() for c in self.components], "savings_basis": self.savings_basis,
                "include_sukarela": self.include_sukarela, "include_departed": self.include_departed}


def _pct_str(p: Decimal) -> str:
    text = format(p.normalize(), "f")
    return text


DEFAULT_COMPONENTS = (  # RULES.md §6; account codes of the seeded chart (resolved by role in services)
    ("Cadangan", "reserve", "40", "reserve"),
    ("Jasa modal", "jasa_modal", "15", "shu_payable"),
    ("Jasa usaha", "jasa_usaha", "25", "shu_payable"),
    ("Dana pengurus", "fund", "5", "fund_board"),
    ("Dana karyawan", "fund", "5", "fund_employees"),
    ("Dana pendidikan", "fund", "5", "fund_education"),
    ("Dana sosial", "fund", "5", "fund_social"),
)


def default_rules(codes_by_role: dict[str, str], *, include_sukarela: bool = False) -> Rules:
    """The default allocation of RULES.md §6 with the cooperative's account codes for each role."""
    return Rules(tuple(Component(name, kind, Decimal(pct), codes_by_role[role]) for name, kind, pct, role in DEFAULT_COMPONENTS),
                 include_sukarela=include_sukarela)


def _invalid(message, fields: dict) -> ShuError:
    return ShuError("invalid_rules", message, fields)


def parse_percent(value, where: str) -> Decimal:
    """A percentage from the API or a form: a decimal string (``"12.5"``, ``"12,5"``) or Decimal,
    0 ≤ p ≤ 100, at most 4 decimals; never a float."""
    if isinstance(value, float | bool) or value is None:
        raise _invalid(_l("Persentase tidak sah."), {where: _l("Tidak sah.")})
    try:
        p = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise _invalid(_l("Persentase tidak sah."), {where: _l("Tidak sah.")}) from None
    if not p.is_finite() or p < 0 or p > HUNDRED or p != p.quantize(Decimal(1).scaleb(-MAX_PERCENT_DECIMALS)):
        raise _invalid(_l("Persentase harus antara 0 dan 100, paling banyak 4 desimal."), {where: _l("Tidak sah.")})
    return p


def rules_from_dict(data: dict) -> Rules:
    """Rules from the API/JSON form (what ``Rules.to_dict`` writes). Raises ShuError(invalid_rules)
    for a malformed document; call ``validate`` for the accounting checks."""
    if not isinstance(data, dict):
        raise _invalid(_l("Aturan SHU tidak sah."), {"rules": _l("Tidak sah.")})
    raw = data.get("components")
    if not isinstance(raw, list) or not raw or len(raw) > 30:
        raise _invalid(_l("Aturan SHU harus punya 1 sampai 30 komponen."), {"components": _l("Tidak sah.")})
    components = [_component_from_dict(n, item) for n, item in enumerate(raw)]
    basis = data.get("savings_basis", "year_end")
    if basis not in SAVINGS_BASES:
        raise _invalid(_l("Dasar simpanan tidak dikenal."), {"savings_basis": _l("Tidak dikenal.")})
    flags = {}
    for name in ("include_sukarela", "include_departed"):
        value = data.get(name, False)
        if not isinstance(value, bool):
            raise _invalid(_l("Nilai %(f)s harus true atau false.", f=name), {name: _l("Tidak sah.")})
        flags[name] = value
    return Rules(tuple(components), basis, **flags)


def _component_from_dict(n: int, item) -> Component:
    """Component ``n`` (from 0) of the JSON form; raises ShuError(invalid_rules) naming the field."""
    where = f"components.{n}"
    if not isinstance(item, dict):
        raise _invalid(_l("Komponen %(n)s tidak sah.", n=n + 1), {where: _l("Tidak sah.")})
    name = item.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
        raise _invalid(_l("Komponen %(n)s: nama wajib diisi (paling banyak 100 karakter).", n=n + 1), {f"{where}.name": _l("Wajib diisi.")})
    kind = item.get("kind")
    if kind not in KINDS:
        raise _invalid(_l("Komponen %(n)s: jenis tidak dikenal.", n=n + 1), {f"{where}.kind": _l("Tidak dikenal.")})
    account = item.get("account")
    if not isinstance(account, str | int) or isinstance(account, bool) or not str(account).strip():
        raise _invalid(_l("Komponen %(n)s: akun wajib diisi.", n=n + 1), {f"{where}.account": _l("Wajib diisi.")})
    source = item.get("source") or "member"
    if source not in SOURCES:
        raise _invalid(_l("Komponen %(n)s: sumber tidak dikenal.", n=n + 1), {f"{where}.source": _l("Tidak dikenal.")})
    unit = item.get("unit") or None
    if unit is not None and unit not in UNITS:
        raise _invalid(_l("Komponen %(n)s: unit usaha tidak dikenal.", n=n + 1), {f"{where}.unit": _l("Tidak dikenal.")})
    return Component(name.strip(), kind, parse_percent(item.get("percent"), f"{where}.percent"), str(account).strip(), source, unit)


def validate(rules: Rules, *, units: tuple[str, ...] | None = UNITS) -> None:
    """The accounting checks of a rule set. Raises ShuError:

    * ``percent_not_100`` — a source table's percentages don't sum to exactly 100;
    * ``invalid_rules`` — a table without a reserve (cadangan) component, a jasa component in the
      non-member table, a unit on a non-jasa-usaha component, an unknown unit, duplicate names,
      jasa usaha pools both for all participation and per unit.

    ``units=None`` accepts any unit name (the published cases use units like "simpan pinjam").
    """
    if not rules.components:
        raise _invalid(_l("Aturan SHU harus punya komponen."), {"components": _l("Wajib diisi.")})
    names = [c.name.casefold() for c in rules.components]
    if len(set(names)) != len(names):
        raise _invalid(_l("Nama komponen tidak boleh kembar."), {"components": _l("Nama kembar.")})
    if rules.savings_basis not in SAVINGS_BASES:
        raise _invalid(_l("Dasar simpanan tidak dikenal."), {"savings_basis": _l("Tidak dikenal.")})
    for n, c in enumerate(rules.components):
        _check_component(n, c, split_by_source=rules.split_by_source, units=units)
    usaha_units = [c.unit for c in rules.components if c.kind == "jasa_usaha"]
    if None in usaha_units and len(usaha_units) > 1 and any(u is not None for u in usaha_units):
        raise _invalid(_l("Jasa usaha per unit tidak boleh digabung dengan jasa usaha seluruh transaksi."),
                       {"components": _l("Unit usaha bertumpuk.")})
    for source in SOURCES:
        _check_table(source, rules.table(source))


def _check_component(n: int, c: Component, *, split_by_source: bool, units: tuple[str, ...] | None) -> None:
    where = f"components.{n}"
    if c.kind not in KINDS or c.source not in SOURCES:
        raise _invalid(_l("Komponen %(n)s tidak sah.", n=n + 1), {where: _l("Tidak sah.")})
    if c.unit is not None and c.kind != "jasa_usaha":
        raise _invalid(_l("Komponen %(n)s: unit usaha hanya untuk jasa usaha.", n=n + 1), {f"{where}.unit": _l("Tidak sah.")})
    if c.unit is not None and units is not None and c.unit not in units:
        raise _invalid(_l("Komponen %(n)s: unit usaha tidak dikenal.", n=n + 1), {f"{where}.unit": _l("Tidak dikenal.")})
    if split_by_source and c.source == "nonmember" and c.kind in MEMBER_KINDS:
        raise _invalid(_l("SHU dari non-anggota tidak boleh dibagikan kepada anggota (komponen %(n)s).", n=n + 1),
                       {f"{where}.kind": _l("Tidak boleh untuk non-anggota.")})


def _check_table(source: str, table) -> None:
    """A source's table (when it has one) sums to exactly 100 % and has a reserve."""
    if not table:
        return
    total = sum((c.percent for _, c in table), Decimal(0))
    if total != HUNDRED:
        label = _l("anggota") if source == "member" else _l("non-anggota")
        raise ShuError("percent_not_100", _l("Persentase pembagian SHU %(s)s berjumlah %(p)s%%, harus tepat 100%%.",
                                              s=label, p=_pct_str(total)), {"components": _l("Jumlah harus 100%.")})
    if not any(c.kind == "reserve" for _, c in table):
        raise _invalid(_l("Setiap tabel pembagian SHU harus punya komponen cadangan."), {"components": _l("Cadangan wajib.")})


def with_settings(rules: Rules, **changes) -> Rules:
    return replace(rules, **changes)
