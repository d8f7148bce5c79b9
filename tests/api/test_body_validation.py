"""Request bodies are checked with the jsonschema library (Draft 2020-12, the dialect of the OpenAPI
3.1 document): its errors come out as the API has always named them — one message per field, under
dotted paths with list items counted from 1."""

from __future__ import annotations

from decimal import Decimal

import pytest

from koppontren.api import core
from koppontren.api.schemas import AMOUNT, DATE, MONTH, obj, optional, text

LINE = obj({"account": text(20, 1), "debit": AMOUNT, "qty": {"type": "integer", "minimum": 1, "maximum": 10}}, ("account",))
BODY = obj({
    "date": DATE, "month": optional(MONTH), "kind": {"type": "string", "enum": ["cash", "bank"]}, "note": text(5),
    "code": {"type": "string", "pattern": "^[0-9]+$"}, "flag": {"type": "boolean"},
    "lines": {"type": "array", "minItems": 1, "maxItems": 3, "items": LINE},
}, ("date", "lines"))


def problems(value, where: str = "") -> dict[str, str]:
    found: dict[str, str] = {}
    core.validate(BODY, core._floats_as_marker(value), where, found)
    return found


def test_a_good_body_has_no_problem(app_ctx):
    assert problems({"date": "2026-03-01", "month": None, "kind": "bank", "lines": [{"account": "1101", "debit": "10.50", "qty": 2}]}) == {}


@pytest.mark.parametrize("body, expected", [
    ({"lines": [{"account": "1101"}]}, {"date": "Wajib diisi."}),
    ({"date": "2026-02-30", "lines": [{"account": "1"}]}, {"date": "Tanggal harus YYYY-MM-DD."}),
    ({"date": "2026-03-01", "month": "2026-13", "lines": [{"account": "1"}]}, {"month": "Bentuknya tidak sah."}),
    ({"date": "2026-03-01", "kind": "gopay", "lines": [{"account": "1"}]}, {"kind": "Salah satu dari: cash, bank."}),
    ({"date": "2026-03-01", "note": "panjang sekali", "lines": [{"account": "1"}]}, {"note": "Paling banyak 5 karakter."}),
    ({"date": "2026-03-01", "code": "12a", "lines": [{"account": "1"}]}, {"code": "Bentuknya tidak sah."}),
    ({"date": "2026-03-01", "flag": 1, "lines": [{"account": "1"}]}, {"flag": "Harus berupa true/false."}),
    ({"date": "2026-03-01", "lines": []}, {"lines": "Paling sedikit 1."}),
    ({"date": "2026-03-01", "lines": [{"x": 1}] * 4}, {"lines": "Paling banyak 3."}),  # not a word about the items
    ({"date": "2026-03-01", "lines": [{"account": "1"}, {"account": "", "qty": 11}, {"debit": 5}]},
     {"lines.2.account": "Wajib diisi.", "lines.2.qty": "Paling besar 10.", "lines.3.account": "Wajib diisi.",
      "lines.3.debit": "Harus berupa teks."}),
    ({"date": "2026-03-01", "lines": [{"account": "1", "qty": Decimal("1.5")}]}, {"lines.1.qty": "Harus berupa bilangan bulat."}),
    ({"date": "2026-03-01", "lines": [{"account": "1", "qty": True}]}, {"lines.1.qty": "Harus berupa bilangan bulat."}),
    ({"date": "2026-03-01", "lines": [{"account": "1", "memo": "x"}], "extra": 1},
     {"lines.1.memo": "Kolom tidak dikenal.", "extra": "Kolom tidak dikenal."}),
    ({"date": "2026-03-01", "note": "a\x00b", "lines": [{"account": "1"}]}, {"note": "Berisi karakter yang tidak sah."}),
    ({"date": 20260301, "lines": "semua"}, {"date": "Harus berupa teks.", "lines": "Harus berupa daftar."}),
    ([1, 2], {"body": "Harus berupa objek."}),
])
def test_each_problem_is_named_under_its_field_as_before(app_ctx, body, expected):
    assert problems(body) == expected


def test_query_parameters_are_named_by_their_own_name(app_ctx):
    found: dict[str, str] = {}
    core.validate({"type": "integer", "minimum": 1}, 0, "page", found)
    assert found == {"page": "Paling kecil 1."}


def test_an_unknown_key_is_cut_to_200_characters(app_ctx):
    assert list(problems({"date": "2026-03-01", "lines": [{"account": "1"}], "k" * 500: 1})) == ["k" * 200]
