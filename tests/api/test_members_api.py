"""Members and savings over the API."""

from __future__ import annotations

from koppontren.savings import services as savings


def _member(day, **over):
    body = {"name": "Ahmad Fauzi", "category": "santri", "join_date": day.replace(month=1, day=10).isoformat(), "nik": "3201010101010001",
            "gender": "L", "phone": "0812-3456-7890"}
    body.update(over)
    return body


def test_register_read_list_and_change_a_member(api, api_for, day):
    r = api.post("/members", _member(day))
    assert r.status_code == 201, r.json
    number = r.json["number"]
    assert number == "A-0001" and r.json["status"] == "aktif"
    assert r.json["nik"] != "3201010101010001"  # masked for a treasurer
    assert api_for("admin").get(f"/members/{number}").json["nik"] == "3201010101010001"
    assert api.post("/members", _member(day, name="Siti", number="X-9", nik=None)).json["number"] == "X-9"
    listing = api.get("/members", q="ahmad")
    assert listing.json["total"] == 1 and listing.json["items"][0]["number"] == number
    assert api.get("/members", per_page=1).json["total"] == 2
    patched = api.patch(f"/members/{number}", {"phone": "0813-0000-0000"})
    assert patched.status_code == 200 and patched.json["phone"] == "0813-0000-0000" and patched.json["name"] == "Ahmad Fauzi"
    assert api.get("/members/NOPE").status_code == 404


def test_member_validation(api, day):
    r = api.post("/members", _member(day, nik="123", category="pejabat"))
    assert r.status_code == 422 and "category" in r.json["error"]["fields"]
    r = api.post("/members", _member(day, nik="123"))
    assert r.status_code == 422 and r.json["error"]["fields"] == {"nik": "NIK harus 16 angka."}
    api.post("/members", _member(day, number="A-7"))
    dup = api.post("/members", _member(day, number="A-7", nik=None))
    assert dup.status_code == 422 and "number" in dup.json["error"]["fields"]
    assert api.post("/members", {"name": "x"}).status_code == 422
    assert api.patch("/members/A-7", {"number": "B-1"}).status_code == 422  # the number never changes


def test_member_roles(api_for, member, day):
    assert api_for("cashier").get(f"/members/{member.number}").status_code == 200
    assert api_for("cashier").post("/members", _member(day)).status_code == 403
    assert api_for("auditor").patch(f"/members/{member.number}", {"phone": "0812000000"}).status_code == 403
    assert api_for("member").get("/members").status_code == 403


def test_deposits_of_each_kind_and_the_balances(api, member, day):
    base = f"/members/{member.number}/savings"
    pokok = api.post(f"{base}/pokok/deposits", {"date": day.isoformat(), "method": "cash"}, key="pokok-1")
    assert pokok.status_code == 201, pokok.json
    assert pokok.json["amount"] == "100000" and pokok.json["number"].startswith("SP/")
    assert api.post(f"{base}/pokok/deposits", {"date": day.isoformat(), "method": "cash"}, key="pokok-1").data == pokok.data
    again = api.post(f"{base}/pokok/deposits", {"date": day.isoformat(), "method": "cash"})
    assert again.status_code == 409 and again.json["error"]["code"] == "pokok_already_paid"
    wajib = api.post(f"{base}/wajib/deposits", {"date": day.isoformat(), "method": "bank", "months": [f"{day.year}-01", f"{day.year}-02"]})
    assert wajib.status_code == 201 and wajib.json["amount"] == "20000" and wajib.json["months"] == [f"{day.year}-01", f"{day.year}-02"]
    paid_twice = api.post(f"{base}/wajib/deposits", {"date": day.isoformat(), "method": "cash", "months": [f"{day.year}-02"]})
    assert paid_twice.status_code == 409 and paid_twice.json["error"]["code"] == "month_paid"
    sukarela = api.post(f"{base}/sukarela/deposits", {"date": day.isoformat(), "method": "cash", "amount": "50000"})
    assert sukarela.status_code == 201
    balances = api.get(base)
    assert balances.status_code == 200
    assert (balances.json["pokok"], balances.json["wajib"], balances.json["sukarela"]) == ("100000", "20000", "50000")
    assert balances.json["arrears"]["count"] == day.month - 2 and balances.json["arrears"]["monthly"] == "10000"


def test_withdrawals_never_overdraw_and_pokok_cannot_leave(api, coop, member, day):
    base = f"/members/{member.number}/savings"
    api.post(f"{base}/sukarela/deposits", {"date": day.isoformat(), "method": "cash", "amount": "50000"})
    over = api.post(f"{base}/sukarela/withdrawals", {"date": day.isoformat(), "method": "cash", "amount": "50001"})
    assert over.status_code == 422 and over.json["error"]["code"] == "insufficient_balance"
    ok = api.post(f"{base}/sukarela/withdrawals", {"date": day.isoformat(), "method": "cash", "amount": "20000"}, key="w1")
    assert ok.status_code == 201 and ok.json["direction"] == "withdrawal"
    assert api.post(f"{base}/sukarela/withdrawals", {"date": day.isoformat(), "method": "cash", "amount": "20000"}, key="w1").data == ok.data
    pokok = api.post(f"{base}/pokok/withdrawals", {"date": day.isoformat(), "method": "cash", "amount": "1000"})
    assert pokok.status_code == 422 and pokok.json["error"]["code"] == "withdrawal_not_allowed"
    assert savings.balances(coop, member.id).sukarela == 3_000_000


def test_savings_validation(api, member, day):
    base = f"/members/{member.number}/savings"
    assert api.post(f"{base}/sukarela/deposits", {"date": day.isoformat(), "method": "cash", "amount": "0"}).status_code == 422
    assert api.post(f"{base}/sukarela/deposits", {"date": day.isoformat(), "method": "gold", "amount": "10"}).status_code == 422
    assert api.post(f"{base}/sukarela/deposits", {"date": day.isoformat(), "method": "cash"}).status_code == 422
    assert api.post(f"{base}/sukarela/deposits", {"date": day.isoformat(), "method": "cash", "amount": "10", "months": ["2026-01"]}).status_code == 422
    assert api.post(f"{base}/wajib/deposits", {"date": day.isoformat(), "method": "cash", "months": ["2026-13"]}).status_code == 422
    assert api.post(f"{base}/emas/deposits", {"date": day.isoformat(), "method": "cash"}).status_code == 404
    assert api.post("/members/NOPE/savings/sukarela/deposits", {"date": day.isoformat(), "method": "cash", "amount": "1"}).status_code == 404


def test_savings_transactions_as_a_passbook(api, member, day):
    base = f"/members/{member.number}/savings"
    api.post(f"{base}/sukarela/deposits", {"date": day.isoformat(), "method": "cash", "amount": "50000"})
    api.post(f"{base}/sukarela/withdrawals", {"date": day.isoformat(), "method": "cash", "amount": "20000"})
    r = api.get(f"{base}/sukarela/transactions", **{"from": day.replace(day=1).isoformat(), "to": day.isoformat()})
    assert r.status_code == 200 and r.json["total"] == 2 and r.json["closing"] == "30000"
    assert [i["balance"] for i in r.json["items"]] == ["50000", "30000"]
    assert api.get(f"{base}/sukarela/transactions", **{"from": "2026-12-31", "to": "2026-01-01"}).status_code == 422


def test_a_member_exits_and_is_paid_out(api, api_for, coop, member, day):
    base = f"/members/{member.number}/savings"
    api.post(f"{base}/pokok/deposits", {"date": day.isoformat(), "method": "cash"})
    api.post(f"{base}/sukarela/deposits", {"date": day.isoformat(), "method": "cash", "amount": "5000"})
    assert api_for("cashier").post(f"/members/{member.number}/exit", {"date": day.isoformat(), "reason": "Lulus"}).status_code == 403
    r = api.post(f"/members/{member.number}/exit", {"date": day.isoformat(), "reason": "Lulus"}, key="exit-1")
    assert r.status_code == 200, r.json
    assert r.json["member"]["status"] == "keluar" and r.json["payout"] == "105000" and len(r.json["entries"]) == 3
    assert api.post(f"/members/{member.number}/exit", {"date": day.isoformat(), "reason": "Lulus"}, key="exit-1").data == r.data
    assert api.post(f"/members/{member.number}/exit", {"date": day.isoformat(), "reason": "Lulus"}).status_code == 422


def test_another_cooperatives_member_is_not_found(api, other_coop, member):
    other, token = other_coop
    from tests.api.conftest import Api

    foreign = Api(api.client, token, other.slug)
    assert foreign.get(f"/members/{member.number}").status_code == 404
    # and the treasurer of alhikmah cannot reach annur's paths with their token
    assert Api(api.client, api.token, other.slug).get("/members").status_code == 404
