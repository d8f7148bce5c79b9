"""Reading one cell of an import: text, an amount, a date — as a spreadsheet or a CSV writes them.

Each function takes the cell as the reader gives it (str, int, float, bool, datetime or None) and
either returns the value or raises: ``money.MoneyError`` for an amount, ``ValueError`` for a date.
``Row`` (checking.py) turns those into problems of the row.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import get_locale

from koppontren import money

#: The ways a date may be written in a text cell: ISO first, then the Indonesian day-first forms.
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


def header_key(text: object) -> str:
    """A column header as a key: lower case, spaces and hyphens as ``_`` ("Tanggal Masuk" → "tanggal_masuk")."""
    return "_".join(str(text or "").strip().lower().replace("-", " ").split())


def cell_text(value: object) -> str:
    """A text cell; numbers typed into a spreadsheet (a NIK, a barcode, an account code) come back
    as their digits, dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def is_blank(value: object) -> bool:
    return cell_text(value) == ""


def cell_amount(value: object, decimals: int) -> Decimal:
    """An amount cell: text in Indonesian form ("1.250.000") or a spreadsheet number; 0 when blank.
    Raises money.MoneyError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal(0)
    if isinstance(value, bool):
        raise money.MoneyError("invalid_amount", "not an amount", "bukan jumlah uang")
    if isinstance(value, int):
        return money.parse_amount_api(value, decimals)
    if isinstance(value, float):  # spreadsheets store numbers as binary floats: take the shortest exact repr
        return money.parse_amount_api(repr(value) if not value.is_integer() else int(value), decimals)
    if isinstance(value, Decimal):
        return money.parse_amount_api(str(value), decimals)
    return money.parse_amount_id(str(value), decimals)


def cell_date(value: object) -> date | None:
    """A spreadsheet date, or text in one of DATE_FORMATS (``2026-07-01``, ``01/07/2026``,
    ``01-07-2026``, ``01.07.2026``); None when blank. Raises ValueError."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
    raise ValueError(text)


def money_message(err: money.MoneyError) -> str:
    """The amount problem in the reader's language (money.py keeps both)."""
    locale = get_locale()
    return err.message if locale is not None and locale.language == "en" else err.message_id
