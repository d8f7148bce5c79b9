"""Money: strict parsing, sen conversion, largest-remainder splits, IDR formatting, terbilang.

The one module that knows how amounts are written and rounded (DESIGN.md §3 "Money",
RULES.md §7). The database stores signed integer counts of sen; code works in ``Decimal``;
conversion happens only here. Binary floats are refused everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from num2words import num2words

SEN_PER_RUPIAH = 100
#: Largest amount of one line, transaction or setting (Rp1.000.000.000.000, issue 18), and the largest
#: balance any account may reach (Rp1.000.000.000.000.000): no balance, sum or total of them can
#: overflow a signed BIGINT of sen (≈ 9.2e18). Refusals carry the code ``amount_too_large``.
MAX_AMOUNT = Decimal("1000000000000")
MAX_BALANCE = Decimal("1000000000000000")


@dataclass
class MoneyError(ValueError):
    """A refused amount. ``code`` is stable (used by the API and tests); ``message`` is English,
    ``message_id`` Indonesian."""

    code: str
    message: str
    message_id: str

    def __str__(self) -> str:
        return self.message


def _error(code: str, en: str, id_: str) -> MoneyError:
    return MoneyError(code=code, message=en, message_id=id_)


# "1.250.000", "1.250.000,50", "1250000", "1250000,50"; an optional "Rp" prefix.
_ID_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")
_ID_PLAIN = re.compile(r"^\d+(,\d+)?$")
# API form: "1250000", "1250000.00" — no grouping, point as the decimal separator.
_API_FORM = re.compile(r"^\d+(\.\d+)?$")


def _check_range(amount: Decimal, decimals: int, allow_negative: bool, allow_zero: bool) -> Decimal:
    if not amount.is_finite():
        raise _error("invalid_amount", "Amount is not a number.", "Jumlah bukan angka.")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > decimals and amount != amount.quantize(
        Decimal(1).scaleb(-decimals)
    ):
        if decimals == 0:
            raise _error(
                "too_many_decimals",
                "Amount must be in whole rupiah.",
                "Jumlah harus dalam rupiah bulat (tanpa sen).",
            )
        raise _error(
            "too_many_decimals",
            f"Amount may have at most {decimals} decimal places.",
            f"Jumlah paling banyak {decimals} angka desimal.",
        )
    if amount < 0 and not allow_negative:
        raise _error("negative_amount", "Amount may not be negative.", "Jumlah tidak boleh negatif.")
    if amount == 0 and not allow_zero:
        raise _error("zero_amount", "Amount must be greater than zero.", "Jumlah harus lebih dari nol.")
    if abs(amount) > MAX_AMOUNT:
        raise _error("amount_too_large", "Amount is too large.", "Jumlah terlalu besar.")
    return amount.quantize(Decimal(1).scaleb(-decimals)) if decimals else amount.quantize(Decimal(1))


def parse_amount_id(
    text: str, decimals: int = 0, *, allow_negative: bool = False, allow_zero: bool = True
) -> Decimal:
    """Parse an amount typed in an Indonesian form: ``"1.250.000"``, ``"1250000"``, ``"Rp1.250.000"``,
    ``"1.250.000,50"`` (only when the cooperative uses ``decimals`` > 0).

    Raises MoneyError(code="invalid_amount" | "too_many_decimals" | "negative_amount" | …).
    """
    if not isinstance(text, str):
        raise _error("invalid_amount", "Amount must be text.", "Jumlah harus berupa teks.")
    s = text.strip().replace(" ", "").replace("\u00a0", "")
    negative = False
    if s.startswith("-"):
        negative, s = True, s[1:]
    if s[:2].lower() == "rp":
        s = s[2:]
    if s.startswith("-") and not negative:
        negative, s = True, s[1:]
    if not (_ID_GROUPED.match(s) or _ID_PLAIN.match(s)):
        raise _error(
            "invalid_amount",
            f"'{text}' is not an amount (write e.g. 1.250.000).",
            f"'{text}' bukan jumlah uang yang sah (tulis misalnya 1.250.000).",
        )
    amount = Decimal(s.replace(".", "").replace(",", "."))
    return _check_range(-amount if negative else amount, decimals, allow_negative, allow_zero)


def parse_amount_api(
    value: object, decimals: int = 0, *, allow_negative: bool = False, allow_zero: bool = True
) -> Decimal:
    """Parse an API amount: a decimal string ``"1250000"`` or ``"1250000.00"`` (an int is accepted too).

    Floats are refused: a JSON number like 0.1 has already lost its exact value.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise _error(
            "invalid_amount",
            "Amount must be a decimal string such as \"1250000.00\".",
            "Jumlah harus berupa teks desimal seperti \"1250000.00\".",
        )
    if isinstance(value, int):
        return _check_range(Decimal(value), decimals, allow_negative, allow_zero)
    if not isinstance(value, str):
        raise _error("invalid_amount", "Amount must be a decimal string.", "Jumlah harus berupa teks desimal.")
    s = value.strip()
    negative = s.startswith("-")
    if negative:
        s = s[1:]
    if not _API_FORM.match(s):
        raise _error(
            "invalid_amount",
            f"'{value}' is not a decimal amount such as \"1250000.00\".",
            f"'{value}' bukan jumlah desimal seperti \"1250000.00\".",
        )
    try:
        amount = Decimal(s)
    except InvalidOperation:  # pragma: no cover - the regex already guarantees a valid literal
        raise _error("invalid_amount", "Invalid amount.", "Jumlah tidak sah.") from None
    return _check_range(-amount if negative else amount, decimals, allow_negative, allow_zero)


def to_sen(amount: Decimal | int) -> int:
    """Exact conversion of a rupiah amount to integer sen; refuses anything finer than one sen."""
    if isinstance(amount, float) or isinstance(amount, bool):
        raise TypeError("money is never a float")
    sen = Decimal(amount) * SEN_PER_RUPIAH
    if sen != sen.to_integral_value():
        raise _error("too_many_decimals", "Amounts are kept to the sen.", "Jumlah dicatat sampai sen.")
    return int(sen)


def from_sen(sen: int) -> Decimal:
    """Integer sen from the database to a Decimal rupiah amount with two places."""
    if isinstance(sen, float) or isinstance(sen, bool):
        raise TypeError("money is never a float")
    return (Decimal(int(sen)) / SEN_PER_RUPIAH).quantize(Decimal("0.01"))


def quantize(amount: Decimal, decimals: int = 0) -> Decimal:
    """Round half up to the cooperative's currency decimals (used only where a rule says 'round')."""
    return amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def floor_to(amount: Decimal | Fraction, decimals: int = 0) -> Decimal:
    """Floor to the currency unit — the pool rule of RULES.md §6 (``floor(SHU × pct)``)."""
    if isinstance(amount, Fraction):
        unit = Fraction(1, 10**decimals)
        return Decimal((amount // unit) * unit.numerator) / Decimal(unit.denominator)
    return amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_FLOOR)


def split_largest_remainder(
    total: int, weights: Sequence[int | Decimal | Fraction], tie_keys: Sequence[object] | None = None
) -> list[int]:
    """Split ``total`` whole units in proportion to ``weights`` so the parts add up exactly.

    Each part gets the floor of its exact rational share; the units left over go one each to the
    largest fractional parts, ties broken by ascending ``tie_keys`` (e.g. member number) or by
    position. Weights must be ≥ 0 and not all zero (unless the total is zero).
    """
    if isinstance(total, bool) or not isinstance(total, int):
        raise TypeError("total must be an integer count of units")
    if total < 0:
        raise ValueError("total must not be negative")
    n = len(weights)
    if n == 0:
        if total:
            raise ValueError("cannot split a non-zero total over no parts")
        return []
    fractions = []
    for w in weights:
        if isinstance(w, float):
            raise TypeError("weights are never floats")
        f = Fraction(w)
        if f < 0:
            raise ValueError("weights must not be negative")
        fractions.append(f)
    weight_sum = sum(fractions, Fraction(0))
    if weight_sum == 0:
        if total:
            raise ValueError("cannot split a non-zero total when every weight is zero")
        return [0] * n
    exact = [total * f / weight_sum for f in fractions]
    parts = [int(e // 1) for e in exact]
    left = total - sum(parts)
    keys = list(tie_keys) if tie_keys is not None else list(range(n))
    order = sorted(range(n), key=lambda i: (-(exact[i] - parts[i]), keys[i]))
    for i in order[:left]:
        parts[i] += 1
    return parts


# --- display -------------------------------------------------------------------------------------

def _group(integer_digits: str, sep: str) -> str:
    out = []
    while len(integer_digits) > 3:
        out.insert(0, integer_digits[-3:])
        integer_digits = integer_digits[:-3]
    out.insert(0, integer_digits)
    return sep.join(out)


def format_number(amount: Decimal | int, decimals: int = 0, locale: str = "id") -> str:
    """Bare number with thousands separators: ``1.234.567`` (id) or ``1,234,567`` (en)."""
    value = quantize(Decimal(amount), decimals)
    thousands, point = (".", ",") if locale.startswith("id") else (",", ".")
    sign = "-" if value < 0 else ""
    digits = f"{abs(value):.{decimals}f}"
    whole, _, frac = digits.partition(".")
    text = _group(whole, thousands)
    if decimals:
        text += point + frac
    return sign + text


def format_idr(amount: Decimal | int, decimals: int = 0, locale: str = "id") -> str:
    """``Rp1.234.567`` in Indonesian (PUEBI: no space, RULES.md §7), ``IDR 1,234,567`` in English."""
    value = Decimal(amount)
    body = format_number(abs(value), decimals, locale)
    sign = "-" if quantize(value, decimals) < 0 else ""
    if locale.startswith("id"):
        return f"{sign}Rp{body}"
    return f"{sign}IDR {body}"


def format_statement(amount: Decimal | int, decimals: int = 0, locale: str = "id") -> str:
    """Statement column form: no currency, negatives in parentheses ``(600.000)``."""
    value = quantize(Decimal(amount), decimals)
    body = format_number(abs(value), decimals, locale)
    return f"({body})" if value < 0 else body


def terbilang(amount: Decimal | int, currency: bool = True) -> str:
    """Amount in Indonesian words for receipts: 2950000 → "dua juta sembilan ratus lima puluh ribu rupiah".

    Sen, when present, are read after the rupiah ("… rupiah lima puluh sen").
    """
    value = Decimal(amount)
    if value < 0:
        return "minus " + terbilang(-value, currency)
    rupiah = int(value)
    sen = int(((value - rupiah) * 100).to_integral_value(rounding=ROUND_HALF_UP))
    words = num2words(rupiah, lang="id")
    if currency:
        words += " rupiah"
        if sen:
            words += " " + num2words(sen, lang="id") + " sen"
    return words
