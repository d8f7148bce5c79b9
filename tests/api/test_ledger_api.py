"""The ledger over the API: cooperative, accounts, journal entries, opening balances, periods, check."""

from __future__ import annotations

import pytest

from koppontren.ledger import queries


def _entry(day, **over):
    body = {"date": day.isoformat(), "description": "Bayar listrik", "lines": [
        {"account": "6102", "debit": "150000"}, {"account": "1101", "credit": "150000.00"}]}
    body.update(over)
    return body


def test_the_cooperative_and_the_tokens_roles(api):
    r = api.get("")
    assert r.status_code == 200
    assert r.json["slug"] == "alhikmah" and r.json["currency_decimals"] == 0 and r.json["roles"] == ["treasurer"]


def test_accounts_with_balances_as_of_a_date(build, coop, api, day):
    build.overdraft(coop)  # the bill is paid from an unfunded Kas Besar: its negative balance is read back
    assert api.post("/journal-entries", _entry(day)).status_code == 201
    r = api.get("/accounts/1101")
    assert r.status_code == 200 and r.json["balance"] == "-150000" and r.json["normal_balance"] == "debit"
    assert api.get("/accounts/1101", as_of="2000-01-01").json["balance"] == "0"
    listing = api.get("/accounts", per_page=5, page=2)
    assert listing.status_code == 200 and len(listing.json["items"]) == 5 and listing.json["total"] > 50
    assert api.get("/accounts/9999").status_code == 404
    assert api.get("/accounts/1101", as_of="2026-13-01").status_code == 422
    assert api.get("/accounts", per_page=501).status_code == 422


def test_post_a_journal_entry_and_read_it_back(build, coop, api, day):
    build.fund(coop, 1_000_000, day)
    r = api.post("/journal-entries", _entry(day, reference="INV-9"))
    assert r.status_code == 201, r.json
    number = r.json["number"]
    assert number.startswith(f"JU/{day.year}/") and r.json["total"] == "150000"
    assert [(ln["account"], ln["debit"], ln["credit"]) for ln in r.json["lines"]] == [("6102", "150000", "0"), ("1101", "0", "150000")]
    one = api.get(f"/journal-entries/{number}")
    assert one.status_code == 200 and one.json == r.json
    listing = api.get("/journal-entries", account="6102", **{"from": day.isoformat(), "to": day.isoformat(), "type": "JU"})
    assert listing.json["total"] == 1 and listing.json["items"][0]["number"] == number
    assert api.get("/journal-entries", account="1102").json["total"] == 0
    assert api.get("/journal-entries", account="nope").status_code == 422
    assert api.get("/journal-entries/JU/2026/999999").status_code == 404


def test_reverse_an_entry_once(build, coop, api, day):
    build.fund(coop, 1_000_000, day)
    number = api.post("/journal-entries", _entry(day)).json["number"]
    r = api.post(f"/journal-entries/{number}/reverse", {"date": day.isoformat()})
    assert r.status_code == 201 and r.json["reverses"] == number
    assert api.get(f"/journal-entries/{number}").json["reversed_by"] == r.json["number"]
    again = api.post(f"/journal-entries/{number}/reverse", {"date": day.isoformat()})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_reversed"


@pytest.mark.parametrize("lines, field", [
    ([{"account": "6102", "debit": 150000.5}, {"account": "1101", "credit": "150000"}], "lines.1.debit"),  # a float
    ([{"account": "6102", "debit": 150000}, {"account": "1101", "credit": "150000"}], "lines.1.debit"),  # a JSON number
    ([{"account": "6102", "debit": "150000.50"}, {"account": "1101", "credit": "150000.50"}], "lines.1.debit"),  # sen in a whole-rupiah coop
    ([{"account": "6102", "debit": "١٥٠"}, {"account": "1101", "credit": "150"}], "lines.1.debit"),  # Arabic-Indic digits
    ([{"account": "6102", "debit": "1" * 40}, {"account": "1101", "credit": "150"}], "lines.1.debit"),  # huge
    ([{"account": "6102", "debit": "1.000"}, {"account": "1101", "credit": "1000"}], "lines.1.debit"),  # grouping
    ([{"account": "6102", "debit": "100", "colour": "red"}, {"account": "1101", "credit": "100"}], "lines.1.colour"),  # unknown field
    ([{"account": "6102", "debit": "100"}, {"account": "1101", "credit": "90"}], "lines"),  # unbalanced
    ([{"account": "6102", "debit": "100"}], "lines"),  # one line
    ([{"account": "9999", "debit": "100"}, {"account": "1101", "credit": "100"}], "lines.1.account"),  # unknown account
    ([{"account": "2111", "debit": "100"}, {"account": "1101", "credit": "100"}], None),  # savings account: its module's only
])
def test_bad_journal_entries_are_refused_with_the_field_and_nothing_posted(api, coop, day, lines, field):
    r = api.post("/journal-entries", _entry(day, lines=lines))
    assert r.status_code == 422, r.json
    assert set(r.json["error"]) == {"code", "message", "fields"}
    if field:
        assert field in r.json["error"]["fields"] or any(k.startswith(field) for k in r.json["error"]["fields"]), r.json
    assert queries.search_entries(coop, queries.JournalFilter())[1] == 0


@pytest.mark.parametrize("raw", ["{", "[1, 2]", "null", "", "{\"date\": NaN}", "\xff", "1" * 5000, "[" * 100_000,
                                 "[" * 5000 + "]" * 5000, '{"lines": ' + "[" * 900 + "]" * 900 + "}"])
def test_malformed_json_is_a_400_or_422_never_a_500(api, raw):
    r = api.post("/journal-entries", raw=raw)
    assert r.status_code in (400, 422) and "error" in r.json


def test_unknown_top_level_fields_and_wrong_types(api, day):
    r = api.post("/journal-entries", _entry(day, extra=1))
    assert r.status_code == 422 and "extra" in r.json["error"]["fields"]
    r = api.post("/journal-entries", _entry(day, date="01-12-2026"))
    assert r.status_code == 422 and "date" in r.json["error"]["fields"]
    r = api.post("/journal-entries", _entry(day, journal_type="PJ"))
    assert r.status_code == 422 and "journal_type" in r.json["error"]["fields"]
    r = api.post("/journal-entries", _entry(day, description=["x"]))
    assert r.status_code == 422 and "description" in r.json["error"]["fields"]
    r = api.post("/journal-entries", _entry(day, description="nul\x00"))
    assert r.status_code == 422


def test_idempotent_replay_returns_the_first_response_and_another_body_is_409(build, api, coop, day):
    build.fund(coop, 1_000_000, day)
    first = api.post("/journal-entries", _entry(day), key="entry-1")
    again = api.post("/journal-entries", _entry(day), key="entry-1")
    assert first.status_code == again.status_code == 201
    assert again.data == first.data and again.headers["Idempotent-Replayed"] == "true"
    other = api.post("/journal-entries", _entry(day, description="Lain"), key="entry-1")
    assert other.status_code == 409 and other.json["error"]["code"] == "idempotency_conflict"
    assert queries.search_entries(coop, queries.JournalFilter())[1] == 2  # the capital and the one entry
    # a refusal is the first response too: the same request gets it again, another body is a conflict,
    # and the corrected request goes with a new key
    unbalanced = _entry(day, lines=[{"account": "6102", "debit": "1"}, {"account": "1101", "credit": "2"}])
    bad = api.post("/journal-entries", unbalanced, key="e2")
    assert bad.status_code == 422
    replay = api.post("/journal-entries", unbalanced, key="e2")
    assert replay.status_code == 422 and replay.data == bad.data and replay.headers["Idempotent-Replayed"] == "true"
    assert api.post("/journal-entries", _entry(day), key="e2").status_code == 409
    assert api.post("/journal-entries", _entry(day), key="e3").status_code == 201
    assert api.post("/journal-entries", _entry(day), key="bad key with spaces").status_code == 400


def test_opening_balances_once_as_json_lines(api, day):
    body = {"date": day.replace(month=1, day=1).isoformat(), "lines": [
        {"account": "1101", "debit": "5000000"}, {"account": "3104", "credit": "5000000"}]}
    r = api.post("/opening-balances", body, key="open-1")
    assert r.status_code == 201 and r.json["journal_type"] == "SA" and r.json["total"] == "5000000"
    assert api.post("/opening-balances", body, key="open-1").data == r.data
    assert api.post("/opening-balances", body).status_code == 409
    assert api.get("/accounts/1101").json["balance"] == "5000000"


def test_opening_balances_problems_name_the_line(api, day):
    body = {"date": day.isoformat(), "lines": [{"account": "1101", "debit": "500"}, {"account": "9999", "credit": "500"}]}
    r = api.post("/opening-balances", body)
    assert r.status_code == 422 and "lines.2.account" in r.json["error"]["fields"]


def test_periods_close_and_reopen_by_an_admin(api_for, day):
    admin = api_for("admin")
    assert api_for("treasurer").post(f"/periods/{day.year}/{day.month}/close").status_code == 403
    r = admin.post(f"/periods/{day.year}/{day.month}/close")
    assert r.status_code == 200 and r.json == {"year": day.year, "month": day.month, "closed": True}
    refused = api_for("treasurer").post("/journal-entries", _entry(day))
    assert refused.status_code == 422 and refused.json["error"]["code"] == "period_closed"
    assert admin.post(f"/periods/{day.year}/{day.month}/reopen", {"reason": ""}).status_code == 422
    assert admin.post(f"/periods/{day.year}/{day.month}/reopen", {"reason": "Koreksi"}).json["closed"] is False
    admin.post(f"/periods/{day.year}/{day.month}/close")
    assert admin.post(f"/periods/{day.year}/{day.month}/reopen", raw="").json["closed"] is False  # no body: a default reason
    assert admin.post(f"/periods/{day.year}/13/close").status_code == 404


def test_close_a_year(build, coop, api_for, day):
    admin = api_for("admin")
    year = day.year - 1
    build.fund(coop, 1_000_000, day.replace(year=year, month=1, day=2))
    assert api_for("treasurer").post("/journal-entries", _entry(day.replace(year=year, month=6, day=1))).status_code == 201
    r = admin.post(f"/years/{year}/close", key="close-year")
    assert r.status_code == 200 and r.json["closed"] is True and r.json["closing_entry"].startswith(f"PN/{year}/")
    assert admin.post(f"/years/{year}/close", key="close-year").data == r.data
    assert admin.post(f"/years/{year}/close").status_code in (409, 422)


def test_the_integrity_check_as_json(build, coop, api, day):
    build.fund(coop, 1_000_000, day)
    assert api.post("/journal-entries", _entry(day)).status_code == 201
    r = api.get("/check")
    assert r.status_code == 200 and r.json["ok"] is True
    assert {"name", "ok", "detail"} <= set(r.json["checks"][0]) and len(r.json["checks"]) >= 5


@pytest.mark.parametrize("role, method, path, status", [
    ("cashier", "get", "/accounts", 403),
    ("cashier", "post", "/journal-entries", 403),
    ("auditor", "post", "/journal-entries", 403),
    ("auditor", "get", "/journal-entries", 200),
    ("auditor", "get", "/check", 200),
    ("member", "get", "/journal-entries", 403),
    ("member", "get", "", 200),
    ("treasurer", "post", "/years/2025/close", 403),
])
def test_roles(api_for, day, role, method, path, status):
    client = api_for(role)
    r = client.get(path) if method == "get" else client.post(path, _entry(day))
    assert r.status_code == status, r.json
