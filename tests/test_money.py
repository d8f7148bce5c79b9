"""Money rules: strict parsing, exact sen conversion, total-preserving splits, IDR display, terbilang."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from koppontren import money
from koppontren.money import MoneyError


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1.250.000", Decimal("1250000")),
        ("1250000", Decimal("1250000")),
        ("Rp1.250.000", Decimal("1250000")),
        ("Rp 1.250.000", Decimal("1250000")),
        (" 500 ", Decimal("500")),
        ("0", Decimal("0")),
    ],
)
def test_indonesian_form_amounts_are_read(text, expected):
    assert money.parse_amount_id(text) == expected


@pytest.mark.parametrize(
    "text, code",
    [
        ("1,250,000", "invalid_amount"),  # English grouping in an Indonesian form
        ("1.25.000", "invalid_amount"),
        ("12.50", "invalid_amount"),  # a dot followed by two digits is not a thousands group
        ("abc", "invalid_amount"),
        ("", "invalid_amount"),
        ("NaN", "invalid_amount"),
        ("Infinity", "invalid_amount"),
        ("1e5", "invalid_amount"),
        ("-5.000", "negative_amount"),
        ("1.250.000,50", "too_many_decimals"),  # whole rupiah by default
    ],
)
def test_bad_indonesian_amounts_are_refused_with_a_code(text, code):
    with pytest.raises(MoneyError) as err:
        money.parse_amount_id(text)
    assert err.value.code == code
    assert err.value.message_id  # an Indonesian message for the form


def test_sen_are_accepted_only_when_the_cooperative_uses_decimals():
    assert money.parse_amount_id("1.250.000,50", decimals=2) == Decimal("1250000.50")
    with pytest.raises(MoneyError):
        money.parse_amount_id("1,505", decimals=2)


def test_zero_can_be_refused_where_a_direction_exists():
    with pytest.raises(MoneyError) as err:
        money.parse_amount_id("0", allow_zero=False)
    assert err.value.code == "zero_amount"


@pytest.mark.parametrize("value, expected", [("1250000", "1250000"), ("1250000.00", "1250000"), (1500, "1500")])
def test_api_amounts_are_plain_decimal_strings(value, expected):
    assert money.parse_amount_api(value) == Decimal(expected)


@pytest.mark.parametrize("value", [0.1, 1.5, True, None, "1.250.000", "1,5", "NaN", "inf", "1e3", "", "1250000.5"])
def test_api_refuses_floats_and_other_forms(value):
    with pytest.raises(MoneyError):
        money.parse_amount_api(value)


def test_absurdly_large_amounts_are_refused():
    with pytest.raises(MoneyError) as err:
        money.parse_amount_api("10000000000000000")
    assert err.value.code == "amount_too_large"


def test_sen_conversion_is_exact_and_refuses_floats():
    assert money.to_sen(Decimal("1250000.50")) == 125000050
    assert money.from_sen(125000050) == Decimal("1250000.50")
    with pytest.raises(TypeError):
        money.to_sen(0.1)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        money.to_sen(Decimal("0.001"))


@given(st.integers(min_value=-(10**17), max_value=10**17))
def test_sen_round_trip(sen):
    assert money.to_sen(money.from_sen(sen)) == sen


def test_display_follows_puebi_in_indonesian_and_babel_style_in_english():
    assert money.format_idr(Decimal("1234567")) == "Rp1.234.567"
    assert money.format_idr(Decimal("1234567"), locale="en") == "IDR 1,234,567"
    assert money.format_idr(Decimal("-600000")) == "-Rp600.000"
    assert money.format_idr(Decimal("1234567.5"), decimals=2) == "Rp1.234.567,50"
    assert money.format_statement(Decimal("-600000")) == "(600.000)"
    assert money.format_statement(Decimal("0")) == "0"


@given(st.integers(min_value=0, max_value=10**14))
@example(10**12).via("MAX_AMOUNT")
@example(10**12 + 1).via("just above MAX_AMOUNT")
def test_a_displayed_amount_reads_back_as_the_same_amount(n):
    for shown in (money.format_idr(n), money.format_number(n)):
        if n <= money.MAX_AMOUNT:
            assert money.parse_amount_id(shown) == n
        else:  # displayable (a balance may be), but more than one amount may be
            with pytest.raises(MoneyError) as err:
                money.parse_amount_id(shown)
            assert err.value.code == "amount_too_large"


@pytest.mark.parametrize(
    "amount, words",
    [
        (2950000, "dua juta sembilan ratus lima puluh ribu rupiah"),
        (1000, "seribu rupiah"),
        (100, "seratus rupiah"),
        (1100000, "satu juta seratus ribu rupiah"),
        (Decimal("1500.50"), "seribu lima ratus rupiah lima puluh sen"),
    ],
)
def test_terbilang(amount, words):
    assert money.terbilang(amount) == words


def test_largest_remainder_gives_leftovers_to_largest_fractions_then_lowest_key():
    # 100 over three equal weights: 33.33 each; one unit left, goes to the first tie key.
    assert money.split_largest_remainder(100, [1, 1, 1], tie_keys=["A-003", "A-001", "A-002"]) == [33, 34, 33]
    # Heri (REFERENCE.md §4.7): 27.000.000 × 1,5/102 = 397.058,82; the other part 26.602.941,18.
    # Floors leave 1 rupiah, which goes to the larger fraction (,82).
    assert money.split_largest_remainder(27_000_000, [1_500_000, 100_500_000]) == [397_059, 26_602_941]


def test_split_refuses_floats_and_negative_weights():
    with pytest.raises(TypeError):
        money.split_largest_remainder(10, [0.5, 0.5])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        money.split_largest_remainder(10, [-1, 2])
    with pytest.raises(ValueError):
        money.split_largest_remainder(10, [0, 0])
    assert money.split_largest_remainder(0, [0, 0]) == [0, 0]


@given(
    st.integers(min_value=0, max_value=10**12),
    st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40).filter(lambda w: sum(w) > 0),
)
def test_split_parts_add_up_exactly_and_stay_within_one_unit_of_the_exact_share(total, weights):
    parts = money.split_largest_remainder(total, weights)
    assert sum(parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=False):
        exact = Fraction(total * weight, weight_sum)
        assert exact - 1 < part <= exact + 1
        assert part >= 0


def test_floor_to_whole_rupiah():
    assert money.floor_to(Decimal("397058.82")) == Decimal("397058")
    assert money.floor_to(Fraction(7, 2)) == Decimal("3")
    assert money.floor_to(Fraction(7, 3), 2) == Decimal("2.33")
