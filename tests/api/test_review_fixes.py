"""What an integrator's review found: optional fields may be null, a wajib amount must match its
months, a refused request replays its refusal, and a shop entry can't be reversed alone."""

from __future__ import annotations


def test_optional_amounts_and_months_may_be_null(build, coop, api, day, member):
    build.fund(coop, 1_000_000, day)
    entry = api.post("/journal-entries", {"date": day.isoformat(), "description": "Listrik", "lines": [
        {"account": "6102", "debit": "1000", "credit": None}, {"account": "1101", "debit": None, "credit": "1000"}]})
    assert entry.status_code == 201, entry.json
    deposit = api.post(f"/members/{member.number}/savings/sukarela/deposits",
                       {"date": day.isoformat(), "amount": "5000", "method": "cash", "months": None, "note": None})
    assert deposit.status_code == 201, deposit.json


def test_a_wajib_amount_that_does_not_match_its_months_is_refused(api, day, member):
    month = f"{day.year}-{day.month:02d}"
    wrong = api.post(f"/members/{member.number}/savings/wajib/deposits",
                     {"date": day.isoformat(), "method": "cash", "months": [month], "amount": "20000"})
    assert wrong.status_code == 422 and wrong.json["error"]["fields"] == {"amount": "Tidak sesuai bulan yang dipilih."}
    right = api.post(f"/members/{member.number}/savings/wajib/deposits",
                     {"date": day.isoformat(), "method": "cash", "months": [month], "amount": "10000"})
    assert right.status_code == 201 and right.json["amount"] == "10000"


def test_a_refused_sale_replays_its_refusal_with_the_same_key(api, stocked, day):
    body = {"date": day.isoformat(), "payment": "cash", "lines": [{"sku": "BRS-5", "quantity": 99}]}
    first = api.post("/sales", body, key="s-1")
    assert first.status_code in (409, 422) and first.json["error"]["code"] in ("insufficient_stock", "invalid_qty"), first.json
    again = api.post("/sales", body, key="s-1")
    assert (again.status_code, again.data) == (first.status_code, first.data) and again.headers["Idempotent-Replayed"] == "true"


def test_a_purchase_entry_cannot_be_reversed_through_the_api(api, stocked, day):
    response = api.post(f"/journal-entries/PB/{day.year}/000001/reverse", {"date": day.isoformat()})
    assert response.status_code == 422 and response.json["error"]["code"] == "shop_entry"
