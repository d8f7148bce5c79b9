"""The statement object every builder returns and every renderer reads.

A statement is a list of sections; a section has columns and rows. Amount cells are integer sen
(``None`` for an empty cell), so the same object prints as HTML, PDF, XLSX or JSON without any
renderer knowing accounting. Rows carry a stable ``key`` (tests, the API) and, where the row is
one account, its ``code`` (drill-down to the Buku Besar).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from koppontren import money

#: Row kinds, from plain to bold: ``item`` (an account or a member), ``subtotal``, ``total``
#: (double-ruled), ``heading`` (a caption row without amounts), ``text`` (a paragraph: CALK).
ROW_KINDS = ("item", "subtotal", "total", "heading", "text")


@dataclass(frozen=True)
class Column:
    """``kind``: ``text``, ``amount`` (sen), ``date``, ``number`` (a count) or ``code`` (account code)."""

    key: str
    label: str
    kind: str = "text"


@dataclass
class Row:
    values: list[Any]
    kind: str = "item"
    key: str | None = None
    code: str | None = None  # account code: the row links to that account's Buku Besar
    level: int = 0  # indentation of the label

    def __post_init__(self) -> None:
        if self.kind not in ROW_KINDS:
            raise ValueError(f"unknown row kind {self.kind!r}")


@dataclass
class Section:
    key: str
    title: str
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    note: str | None = None  # a sentence printed under the section

    def row(self, key: str) -> Row | None:
        return next((r for r in self.rows if r.key == key), None)


@dataclass(frozen=True)
class ReportPeriod:
    """The dates a statement covers: [date_from, date_to]; a position statement uses ``date_to``
    (as of). ``kind`` is month, quarter, year or custom (what the picker chose)."""

    date_from: date
    date_to: date
    kind: str = "custom"

    def prior_year(self) -> ReportPeriod:
        return ReportPeriod(_minus_year(self.date_from), _minus_year(self.date_to), self.kind)


def _minus_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass
class Statement:
    """A built report. ``title`` is printed upper case (REFERENCE.md §8.2), ``subtitle`` names the
    date or period ("PER 31 DESEMBER 2025"). ``totals`` holds the figures the acceptance checks
    and the API read (sen). ``signatures`` lists the signing roles; ``meta`` anything a renderer
    may show (the account of a Buku Besar, paging)."""

    name: str
    title: str
    subtitle: str
    period: ReportPeriod
    sections: list[Section]
    comparative: ReportPeriod | None = None
    totals: dict[str, int] = field(default_factory=dict)
    signatures: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    landscape: bool = False

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)

    def row(self, key: str) -> Row:
        for s in self.sections:
            if (r := s.row(key)) is not None:
                return r
        raise KeyError(key)

    def amount(self, key: str, column: int = 1) -> int | None:
        """The amount of row ``key`` in column ``column`` (1: the current period, 2: the prior)."""
        return self.row(key).values[column]


# --- JSON ----------------------------------------------------------------------------------------

def amount_text(sen: int, decimals: int) -> str:
    """Sen as the API's decimal string in the cooperative's decimals: 150000000 → "1500000"."""
    return str(money.quantize(Decimal(sen) / money.SEN_PER_RUPIAH, decimals))


def _cell(value: Any, column: Column, decimals: int) -> Any:
    if value is None:
        return None
    if column.kind == "amount":
        return amount_text(int(value), decimals)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | str | bool):
        return value
    return str(value)


def to_json(statement: Statement, decimals: int) -> dict:
    """A JSON-ready dict of any statement: amounts as decimal strings in the cooperative's
    decimals, dates ``YYYY-MM-DD``, labels as printed in the current locale."""
    period = statement.period
    out = {
        "report": statement.name,
        "title": str(statement.title),
        "subtitle": str(statement.subtitle),
        "period": {"from": period.date_from.isoformat(), "to": period.date_to.isoformat(), "kind": period.kind},
        "comparative": None,
        "currency_decimals": decimals,
        "totals": {k: amount_text(v, decimals) for k, v in statement.totals.items()},
        "sections": [],
    }
    if statement.comparative is not None:
        out["comparative"] = {"from": statement.comparative.date_from.isoformat(), "to": statement.comparative.date_to.isoformat()}
    for section in statement.sections:
        out["sections"].append({
            "key": section.key, "title": str(section.title),
            "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in section.columns],
            "rows": [{"key": r.key, "kind": r.kind, "code": r.code, "level": r.level,
                      "values": [_cell(v, c, decimals) for v, c in zip(r.values, section.columns, strict=False)]}
                     for r in section.rows],
            "note": str(section.note) if section.note else None,
        })
    meta = {k: _meta(v) for k, v in statement.meta.items() if _meta(v) is not _SKIP}
    if meta:
        out["meta"] = meta
    return out


_SKIP = object()


def _meta(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | str | bool) or value is None:
        return value
    return _SKIP
