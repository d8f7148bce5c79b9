"""The sale contract's shape, without a database: what a quantity may look like, which fields a
line and a sale take, and that a request keeps what it was asked (codes unresolved)."""

from __future__ import annotations

from datetime import date

import pytest

from koppontren.shop import sale_contract
from koppontren.shop.services import MAX_QTY, ShopError


@pytest.mark.parametrize(("value", "expected"), [
    (1, 1), (3, 3), (MAX_QTY, MAX_QTY), ("3", 3), ("3.0", 3), ("3.000", 3), ("0003", 3),
    (0, None), (-1, None), (MAX_QTY + 1, None), (True, None), (1.0, None), (2.5, None), ("2.5", None), ("2.0000", None),
    ("1e3", None), (" 3", None), ("3 ", None), ("", None), ("-3", None), ("0", None), ("٣", None), ("3,0", None), (None, None),
    ([3], None), ("99999999999", None),
])
def test_a_quantity_is_a_whole_number_as_an_integer_or_a_decimal_string(value, expected):
    assert sale_contract.quantity_of(value) == expected


def test_a_request_keeps_its_codes_and_amounts_as_asked(app_ctx):
    req = sale_contract.parse({"lines": [{"sku": "BRS-5", "quantity": "2", "unit_price": "72000"}, {"product_id": 7, "quantity": 1}],
                               "payment": "wallet", "card": "  tok-1 ", "member": "A-0001", "date": "2026-12-15"})
    assert req.lines == (sale_contract.LineRequest(2, sku="BRS-5", unit_price="72000"), sale_contract.LineRequest(1, product_id=7))
    assert (req.payment, req.card, req.member, req.customer, req.day) == ("wallet", "tok-1", "A-0001", None, date(2026, 12, 15))


def test_every_wrong_field_is_named_at_once_with_the_callers_code(app_ctx):
    with pytest.raises(ShopError) as err:
        sale_contract.parse({"lines": [{"sku": "", "quantity": 0}, "x", {"product_id": 0, "quantity": 1}], "payment": "cash",
                             "member_id": 3, "cash_received": "1.000,00"}, code="validation_error")
    assert err.value.code == "validation_error"
    assert set(err.value.fields) == {"lines.1.sku", "lines.1.quantity", "lines.2", "lines.3.product_id", "member_id", "cash_received"}


@pytest.mark.parametrize("data", [None, [], "lines", 3])
def test_a_body_that_is_not_an_object_is_refused(app_ctx, data):
    with pytest.raises(ShopError) as err:
        sale_contract.parse(data)
    assert err.value.code == "invalid_request" and set(err.value.fields) == {"body"}


def test_the_header_key_is_printable_text_of_at_most_200_characters(app_ctx):
    assert sale_contract.idempotency_key(None) is None and sale_contract.idempotency_key("  ") is None
    assert sale_contract.idempotency_key(" pos-1 ") == "pos-1"
    with pytest.raises(ShopError):
        sale_contract.idempotency_key("k" * 201)
