"""The period pickers: month, quarter, (fiscal) year or custom dates, from a query string.

``parse_period(coop, args)`` reads ``period`` (month | quarter | year | custom), ``year``,
``month``, ``quarter``, ``from``, ``to`` and ``as_of`` (the API's parameters) and returns a
ReportPeriod, or raises PeriodError with a message for the page and a code for the API. Without
parameters: the current fiscal year up to today.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from koppontren.clock import today
from koppontren.errors import DomainError
from koppontren.ledger.fiscal import fiscal_year_bounds, fiscal_year_of, month_bounds
from koppontren.statements.model import ReportPeriod
from koppontren.tenancy.models import Cooperative

KINDS = ("month", "quarter", "year", "custom")


class PeriodError(DomainError):
    """A period that can't be read: codes ``invalid_date``, ``invalid_period``."""


def _date(value: str | None, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        day = date.fromisoformat(str(value).strip())
    except ValueError:
        raise PeriodError("invalid_date", _l("Tanggal tidak sah (pakai TTTT-BB-HH)."), {field: _l("Tidak sah.")}) from None
    if not 1900 <= day.year <= 2999:
        raise PeriodError("invalid_date", _l("Tanggal di luar jangkauan."), {field: _l("Tidak sah.")})
    return day


def _int(value, field: str, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise PeriodError("invalid_period", _l("Periode tidak sah."), {field: _l("Tidak sah.")})
    return int(text)


def fiscal_year_period(coop: Cooperative, year: int) -> ReportPeriod:
    first, last = fiscal_year_bounds(year, coop.fiscal_year_start_month)
    return ReportPeriod(first, last, "year")


def parse_period(coop: Cooperative, args) -> ReportPeriod:
    """The period the query string names (see the module docstring)."""
    start = coop.fiscal_year_start_month
    kind = (args.get("period") or "").strip()
    if kind and kind not in KINDS:
        raise PeriodError("invalid_period", _l("Jenis periode tidak dikenal."), {"period": _l("Tidak sah.")})
    date_from, date_to, as_of = _date(args.get("from"), "from"), _date(args.get("to"), "to"), _date(args.get("as_of"), "as_of")
    year = _int(args.get("year"), "year", 1900, 2999)
    now = today()
    if kind in ("", "custom") and (date_from or date_to or as_of):
        end = date_to or as_of or now
        begin = date_from or fiscal_year_bounds(fiscal_year_of(end, start), start)[0]
        if begin > end:
            raise PeriodError("invalid_period", _l("Tanggal awal tidak boleh setelah tanggal akhir."), {"from": _l("Setelah tanggal akhir.")})
        return ReportPeriod(begin, end, "custom")
    if kind == "month":
        month = _int(args.get("month"), "month", 1, 12) or now.month
        first, last = month_bounds(year or now.year, month)
        return ReportPeriod(first, last, "month")
    if kind == "quarter":
        quarter = _int(args.get("quarter"), "quarter", 1, 4) or (now.month - 1) // 3 + 1
        y = year or now.year
        first = month_bounds(y, 3 * quarter - 2)[0]
        last = month_bounds(y, 3 * quarter)[1]
        return ReportPeriod(first, last, "quarter")
    if kind == "year" or year:
        return fiscal_year_period(coop, year or fiscal_year_of(now, start))
    if kind == "custom":
        raise PeriodError("invalid_period", _l("Isi tanggal awal dan akhir."), {"from": _l("Wajib diisi.")})
    first = fiscal_year_bounds(fiscal_year_of(now, start), start)[0]
    return ReportPeriod(first, now, "year")
