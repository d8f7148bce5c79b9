"""Fiscal years (tahun buku) of a cooperative, which may start in any month.

A fiscal year is named by the calendar year in which it starts: with a July start, 1 July 2026 –
30 June 2027 is fiscal year 2026 (voucher numbers ``JU/2026/…``).
"""

from __future__ import annotations

from datetime import date, timedelta


def fiscal_year_of(day: date, start_month: int = 1) -> int:
    return day.year if day.month >= start_month else day.year - 1


def fiscal_year_bounds(year: int, start_month: int = 1) -> tuple[date, date]:
    """First and last day of fiscal year ``year``."""
    first = date(year, start_month, 1)
    next_first = date(year + 1, start_month, 1)
    return first, next_first - timedelta(days=1)


def months_of_fiscal_year(year: int, start_month: int = 1) -> list[tuple[int, int]]:
    """The twelve (calendar year, month) pairs of a fiscal year, in order."""
    out = []
    y, m = year, start_month
    for _ in range(12):
        out.append((y, m))
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)
